/**
 * Reader for the `.*.cmd` files Kbuild leaves next to each target. They are small
 * Makefiles written by `scripts/Kbuild.include` and `fixdep`:
 *
 *   cmd_kernel/fork.o := gcc ... -c -o kernel/fork.o kernel/fork.c      (savedcmd_ from Linux 6.3 on)
 *   source_kernel/fork.o := kernel/fork.c
 *   deps_kernel/fork.o := \
 *     $(wildcard include/config/USER_NS) \
 *     include/linux/sched.h \
 *   kernel/fork.o: $(deps_kernel/fork.o)
 *   $(deps_kernel/fork.o):
 */
import { closeSync, openSync, readSync } from 'node:fs';
import * as path from 'node:path';
import { KbloatInputError } from '../common/errors';

export interface CmdFile {
  /** The target named by the `cmd_`/`savedcmd_` line, e.g. 'kernel/fork.o'. */
  target: string;
  /** The command exactly as the shell received it (make's `$$` and `#` escapes undone). */
  command?: string;
  /** The `source_` line: relative in an in-tree build, absolute under the source tree in an O= build. */
  source?: string;
  /** Files the target depends on (headers), without the `$(wildcard include/config/...)` entries. */
  deps: string[];
  /** The Kconfig symbols named by `$(wildcard include/config/...)` entries, as 'CONFIG_X'. */
  configDeps: string[];
  /** True when the file uses the Linux >= 6.3 `savedcmd_` spelling. */
  saved: boolean;
}

/** The longest .cmd file we read; real ones stay far below (deps lists of a few hundred kB at most). */
const MAX_CMD_TEXT = 64 << 20;

export function parseCmdFile(text: string, file: string): CmdFile {
  const fail = (msg: string): never => {
    throw new KbloatInputError('bad-cmd', msg, file);
  };
  if (text.length > MAX_CMD_TEXT) fail(`is too large (${text.length} bytes) for a .cmd file`);
  if (text.includes('\0')) fail('is not a text file (it contains NUL bytes)');
  let target: string | undefined;
  let command: string | undefined;
  let source: string | undefined;
  let saved = false;
  const deps: string[] = [];
  const configDeps: string[] = [];

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/\r$/, '');
    // `deps_` lists continue with a trailing backslash; join them the way make does.
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i].replace(/\r$/, '');
    const eq = line.indexOf(' := ');
    if (eq < 0) continue; // `target: $(deps_...)`, `$(deps_...):` and blank lines carry nothing new.
    const name = line.slice(0, eq);
    const value = line.slice(eq + 4);
    let m: RegExpExecArray | null;
    if ((m = /^(saved)?cmd_(\S+)$/.exec(name))) {
      if (target === undefined) {
        target = m[2];
        saved = m[1] !== undefined;
        command = unescapeMake(value).trim();
      }
    } else if ((m = /^source_(\S+)$/.exec(name))) {
      source = value.trim();
    } else if ((m = /^deps_(\S+)$/.exec(name))) {
      for (const tok of tokenizeDeps(value)) {
        const w = /^\$\(wildcard\s+(\S+)\)$/.exec(tok);
        if (w) {
          const sym = configSymbolOfPath(w[1]);
          if (sym && !configDeps.includes(sym)) configDeps.push(sym);
        } else if (!tok.startsWith('$(')) {
          deps.push(unescapeMake(tok));
        }
      }
    }
  }
  if (target === undefined) fail('has no cmd_ or savedcmd_ line');
  const out: CmdFile = { target: target!, deps, configDeps, saved };
  if (command !== undefined) out.command = command;
  if (source !== undefined) out.source = source;
  return out;
}

/** Undo the escaping Kbuild applies when it writes a command into a .cmd file: `$$` -> `$`, `$(pound)` and `\#` -> `#`. */
function unescapeMake(s: string): string {
  return s.replace(/\$\$|\$\(pound\)|\\#/g, (m) => (m === '$$' ? '$' : '#'));
}

/** Split a deps_ value on whitespace, keeping `$(wildcard x)` together. */
function tokenizeDeps(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && /\s/.test(value[i])) i++;
    if (i >= value.length) break;
    const start = i;
    let depth = 0;
    while (i < value.length && (depth > 0 || !/\s/.test(value[i]))) {
      if (value[i] === '(') depth++;
      else if (value[i] === ')') depth = Math.max(0, depth - 1);
      i++;
    }
    out.push(value.slice(start, i));
  }
  return out;
}

/**
 * `include/config/USER_NS` (Linux >= 5.15) or `include/config/user/ns.h` (older)
 * -> 'CONFIG_USER_NS'.
 */
function configSymbolOfPath(p: string): string | undefined {
  const m = /(?:^|\/)include\/config\/(.+)$/.exec(p);
  if (!m) return undefined;
  const rest = m[1].replace(/\.h$/, '');
  return 'CONFIG_' + rest.replace(/\//g, '_').toUpperCase();
}

/**
 * Split a shell command into words as `sh` would: whitespace separates words,
 * '…' is literal, "…" honours \" \\ \$ \` escapes, a backslash outside quotes
 * escapes the next character. Unquoted `;`, `&&`, `||` and `|` come out as words
 * of their own so a caller can cut the command list at them.
 * `-DKBUILD_BASENAME='"fork"'` -> `-DKBUILD_BASENAME="fork"`.
 */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  const flush = () => {
    if (inWord) out.push(cur);
    cur = '';
    inWord = false;
  };
  while (i < cmd.length) {
    const c = cmd[i];
    if (c === "'") {
      const end = cmd.indexOf("'", i + 1);
      const stop = end < 0 ? cmd.length : end;
      cur += cmd.slice(i + 1, stop);
      inWord = true;
      i = stop + 1;
    } else if (c === '"') {
      inWord = true;
      i++;
      while (i < cmd.length && cmd[i] !== '"') {
        if (cmd[i] === '\\' && i + 1 < cmd.length && '"\\$`\n'.includes(cmd[i + 1])) {
          if (cmd[i + 1] !== '\n') cur += cmd[i + 1];
          i += 2;
        } else {
          cur += cmd[i++];
        }
      }
      i++; // the closing quote
    } else if (c === '\\') {
      if (i + 1 < cmd.length && cmd[i + 1] !== '\n') {
        cur += cmd[i + 1];
        inWord = true;
      }
      i += 2;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      flush();
      i++;
    } else if (c === ';' || c === '|' || (c === '&' && cmd[i + 1] === '&')) {
      flush();
      const two = cmd.slice(i, i + 2);
      const op = two === '&&' || two === '||' ? two : c;
      out.push(op);
      i += op.length;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  flush();
  return out;
}

/** 'kernel/fork.o' -> 'kernel/.fork.o.cmd'; 'vmlinux' -> '.vmlinux.cmd'. */
export function cmdFilePathFor(objPath: string): string {
  const dir = path.posix.dirname(objPath);
  const base = path.posix.basename(objPath);
  const name = `.${base}.cmd`;
  return dir === '.' ? name : `${dir}/${name}`;
}

/** How much of a .cmd file is read at most looking for its `source_` line. */
const CMD_HEAD_LIMIT = 1 << 20;
const CHUNK = 16384;
const FIRST_CHUNK = 8192;
/** One buffer for every head read (an index reads thousands of them, one after another). */
let scratch = Buffer.allocUnsafe(4 * CHUNK);

/** Where a line starting with `prefix` starts in `buf[0, length)`: the newline before it (0 at the very start), or -1. */
function lineStart(buf: Buffer, length: number, prefix: string): number {
  if (length >= prefix.length && buf.toString('latin1', 0, prefix.length) === prefix) return 0;
  const at = buf.indexOf('\n' + prefix, 0, 'latin1');
  return at >= 0 && at + 1 + prefix.length <= length ? at : -1;
}

/**
 * The start of a `.cmd` file, up to and including its `source_` line (or up
 * to its `deps_` list when it has no such line), as latin1 text; undefined
 * when the file cannot be opened. The dependency list after it can be tens of
 * kilobytes and is not needed for sizes: bytes are searched as they are read,
 * and only the head becomes a string.
 */
export function readCmdHead(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    let length = 0;
    while (length < CMD_HEAD_LIMIT) {
      if (scratch.length < length + CHUNK) {
        const bigger = Buffer.allocUnsafe(2 * (length + CHUNK));
        scratch.copy(bigger, 0, 0, length);
        scratch = bigger;
      }
      // The first read is short: a compile command and the source_ line after it fit in a few kilobytes.
      const n = readSync(fd, scratch, length, length === 0 ? FIRST_CHUNK : CHUNK, length);
      if (n === 0) break;
      length += n;
      // (Searches stop at `length`: what lies past it in the scratch buffer is an earlier file's.)
      const src = lineStart(scratch, length, 'source_');
      if (src >= 0) {
        const end = scratch.indexOf(10, src + 1);
        if (end >= 0 && end < length) return scratch.toString('latin1', 0, end + 1);
      }
      const deps = lineStart(scratch, length, 'deps_');
      if (deps >= 0) return scratch.toString('latin1', 0, deps + 1);
    }
    return scratch.toString('latin1', 0, length);
  } finally {
    closeSync(fd);
  }
}
