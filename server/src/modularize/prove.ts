/**
 * `kbloat modularize --prove` and the editor's "Prove by rebuilding…": the
 * prediction of what setting some Kconfig symbols to m does to the kernel
 * proper, checked by doing it. In a scratch folder (a copy of the build: of
 * the whole tree for an in-tree build, of the O= folder for an O= build, whose
 * source tree is then only read), the symbols are set to m in `.config`, `make
 * olddefconfig` settles what follows from that, and `make` rebuilds with the
 * build's own make variables (ARCH, CROSS_COMPILE, LLVM, read from the build).
 * Then the rebuilt kernel is indexed and compared with the user's build: per
 * symbol and in total, predicted against rebuilt; the symbols olddefconfig
 * forced back; every .config change against the predicted ones. A link or
 * modpost error is a blocker the analysis missed, with its file and symbol.
 *
 * A proof never writes into the user's build folder or source tree: the scratch
 * folder is checked to lie outside both (and not to contain them) before
 * anything is copied or built. It is removed at the end unless it is kept, and
 * always when the proof is cancelled; make runs in a process group of its own,
 * which a cancellation ends.
 *
 * It runs the tree's Makefiles, so it runs only when the user asks for it (the
 * CLI's --prove, the editor's command in a trusted workspace). Commands are
 * spawned with argument arrays, never through a shell.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KbloatInputError } from '../common/errors';
import { readText } from '../common/fsRead';
import { warningText } from '../common/warnings';
import { loadIndex } from '../index/cache';
import type { BuildIndex, FileEntry } from '../index/model';
import { cmdFilePathFor, parseCmdFile, splitCommand } from '../kbuild/cmdfile';
import { configValue, KernelConfig, parseDotConfig } from '../kbuild/dotconfig';
import { BuildLayout, locateBuild, mapObjectPath } from '../kbuild/layout';
import { isGeneratedObject } from '../kbuild/sourceFacts';
import { parseModFile } from '../kbuild/modules';
import { readObjectLinkage } from '../kbuild/objects';
import { BuildDiff, diffBuilds } from '../tracker/diff';
import { makeCommands, makeEnv } from '../tracker/kernelMake';
import type { ModularizeAnalysis } from './analysis';
import { dotconfigSetModule } from './edits/dotconfig';
import { applyTextEdits } from './edits/text';
import type { Prediction } from './prediction';

/** What the caller sees while a proof runs: a step, or a line of make's output. */
export interface ProofProgress {
  message: string;
  /** A rough share of the work done, 0-100, at the start of each step. */
  percent?: number;
  /** True for a line of make's own output (`  CC      drivers/misc/core.o`). */
  output?: boolean;
}

export interface ProofRequest {
  /** The index of the user's build. */
  index: BuildIndex;
  /** Its Modularize analysis (which predicts). */
  analysis: ModularizeAnalysis;
  /** `CONFIG_X` or `X`; empty or absent: every candidate without blockers. */
  symbols?: string[];
  /** Where to rebuild: a folder that does not exist yet or is empty. Default: a new folder under the system's temporary folder. */
  scratchDir?: string;
  /** Keep the scratch folder afterwards (it is always removed when the proof is cancelled). */
  keep?: boolean;
  /** More make arguments, after those read from the build (they win): `ARCH32=1`, `CC=ccache gcc`. */
  makeArgs?: string[];
  onProgress?: (p: ProofProgress) => void;
  signal?: AbortSignal;
}

/** A make variable the proof passes, and how it was found. */
export interface MakeVariable {
  name: string;
  value: string;
  from: string;
}

/** A blocker the analysis did not find and the rebuild did: an undefined symbol at link time, or one modpost refused. */
export interface MissedBlocker {
  kind: 'link' | 'modpost';
  /** Tree-relative source file that uses the symbol (the object or module when no source is known). */
  file: string;
  /** The symbol it uses and cannot have. */
  symbol: string;
  /** The object that refers, build-relative. */
  object?: string;
  /** The function the reference is in, when the linker names it. */
  function?: string;
  /** For modpost: the module (`drivers/misc/eeprom.ko`). */
  module?: string;
  /** The tool's own lines. */
  message: string;
}

/** One symbol whose value the prediction or make olddefconfig changes. */
export interface ConfigOutcome {
  symbol: string;
  /** The user's .config ('n' for not set). */
  before: string;
  /** After make olddefconfig. */
  after: string;
  /** What the prediction says it becomes; undefined when the prediction leaves it alone. */
  predicted?: string;
  /** One of the symbols asked for. */
  asked: boolean;
  /** The prediction's reason for a change it predicts, or for putting an asked symbol back. */
  why?: string;
}

export interface ForcedBack {
  symbol: string;
  /** Its value after make olddefconfig instead of m. */
  value: string;
  /** Whether the prediction said so. */
  predicted: boolean;
  why?: string;
}

/** Resident bytes that leave vmlinux (positive: the kernel proper shrinks). */
export interface Compared {
  predicted: number;
  rebuilt: number;
}

export interface SymbolProof extends Compared {
  symbol: string;
  /** The source files whose bytes are counted under this symbol in the rebuild. */
  files: string[];
}

export interface ProofTotals {
  /** The kernel proper (resident bytes) of the user's build. */
  residentBefore: number;
  predictedAfter: number;
  rebuiltAfter: number;
  predictedSaving: number;
  rebuiltSaving: number;
  /** How far the predicted saving is from the rebuilt one, in percent of the rebuilt saving; null when nothing left. */
  errorPercent: number | null;
  /** The saving split as the prediction splits it: objects' code and data, linker-generated tables, the linker script's alignment and padding. */
  code: Compared;
  tables: Compared;
  padding: Compared;
  /** Built-in files that changed under no changed symbol (code that reads the configuration, say). */
  other: Compared;
}

export interface ProofResult {
  /** rebuilt: the numbers are there; build-failed: make olddefconfig or make failed (blockers, failure). */
  outcome: 'rebuilt' | 'build-failed';
  buildDir: string;
  scratch: string;
  /** Whether the scratch folder is still there. */
  kept: boolean;
  /** The symbols set to m, 'CONFIG_X'. */
  requested: string[];
  makeVariables: MakeVariable[];
  /** Every argument given to make besides -C, O= and the target. */
  makeArgs: string[];
  prediction: Prediction;
  /** Symbols asked for that make olddefconfig did not leave at m. */
  forcedBack: ForcedBack[];
  /** Every symbol that changed or was predicted to, asked ones first. */
  config: ConfigOutcome[];
  /** Per symbol that changed, in the prediction's order. */
  symbols?: SymbolProof[];
  totals?: ProofTotals;
  /** The user's build against the rebuilt one, as `kbloat diff` has it. */
  diff?: BuildDiff;
  blockers: MissedBlocker[];
  failure?: { step: 'olddefconfig' | 'make'; status: number | null; tail: string };
  warnings: string[];
  seconds: number;
}

/** A proof stopped by its signal; the scratch folder and make's processes are gone when this is thrown. */
export class ProofAborted extends Error {
  constructor() {
    super('the proof was cancelled');
    this.name = 'ProofAborted';
  }
}

/** Folder name prefix of the default scratch folders. */
const SCRATCH_PREFIX = 'kbloat-prove-';
/** make's output kept for the failure report and the error parsing. */
const MAX_OUTPUT = 8 << 20;
/** How long make's process group gets to end on SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 5000;
/** Lines of make's output shown when a step fails for a reason not parsed. */
const TAIL_LINES = 25;
/** Variables of the environment that would choose other tools than the build's. */
const TOOL_ENV = ['ARCH', 'SUBARCH', 'CROSS_COMPILE', 'LLVM', 'LLVM_IAS'];

const normal = (s: string): string => (s.startsWith('CONFIG_') ? s : `CONFIG_${s}`);

/**
 * The symbols of a proof: those asked for, each a candidate of the analysis
 * (`CONFIG_X` or `X`), or every candidate without blockers. Throws a
 * KbloatInputError for a symbol that is none, or when there is nothing to prove.
 */
export function proofSymbols(analysis: ModularizeAnalysis, asked: string[] | undefined): string[] {
  const why = analysis.unavailableReason();
  if (why) throw new KbloatInputError('bad-config', why);
  if (asked?.length) {
    const out: string[] = [];
    for (const a of asked) {
      if (!/^[A-Za-z0-9_]+$/.test(a)) throw new KbloatInputError('bad-config', `"${a}" is not a Kconfig symbol`);
      const s = normal(a);
      if (!analysis.candidate(s)) {
        const v = analysis.config ? configValue(analysis.config, s) : 'n';
        throw new KbloatInputError('bad-config', `${s} is not a candidate: ${v === 'y' ? 'it puts no built-in object into vmlinux, or it is no bool or tristate option' : `it is ${v === 'n' ? 'not set' : `=${v}`}, not y`}`);
      }
      if (!out.includes(s)) out.push(s);
    }
    return out;
  }
  // A bool cannot be m by .config alone (its Kconfig entry must become tristate first).
  const free = analysis.report().candidates.filter((c) => c.blockers.length === 0 && c.type === 'tristate').map((c) => c.symbol);
  if (free.length === 0) throw new KbloatInputError('bad-config', 'no tristate candidate is free of blockers: name the symbols to prove (kbloat modularize --prove CONFIG_X)');
  return free;
}

/** `a` is `b` or lies inside it (both real paths). */
function within(a: string, b: string): boolean {
  const rel = path.relative(b, a);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** The real path of a folder that may not exist yet: its nearest existing ancestor resolved, the rest appended. */
function realPathOf(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let dir = abs;
  while (!existsSync(dir)) {
    rest.unshift(path.basename(dir));
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return path.join(realpathSync(dir), ...rest);
}

/**
 * Refuses a scratch folder that is the user's build folder or source tree, lies
 * inside either, or holds either: the proof would then write into the user's
 * build, or its removal would take it away.
 */
export function assertScratchOutside(scratch: string, layout: BuildLayout): void {
  const s = realPathOf(scratch);
  for (const [what, dir] of [['build folder', layout.buildDir], ['source tree', layout.sourceDir]] as const) {
    if (within(s, dir)) throw new KbloatInputError('io', `the scratch folder ${scratch} is ${s === dir ? 'the' : 'inside the'} ${what} ${dir}: a proof never writes into your build`);
    if (within(dir, s)) throw new KbloatInputError('io', `the scratch folder ${scratch} holds the ${what} ${dir}: a proof never writes into your build`);
  }
}

/** The .config header's architecture: `# Linux/x86 6.1.0 Kernel Configuration` → x86. */
function headerArch(configText: string): string | undefined {
  return /^#\s*Linux\/(\S+)\s/m.exec(configText.slice(0, 4096))?.[1];
}

const WRAPPERS = new Set(['ccache', 'sccache', 'distcc', 'icecc']);

/** The compile command of one built-in C object: the compiler as Kbuild ran it, with a cache wrapper before it, if any. */
function recordedCompiler(layout: BuildLayout, index: BuildIndex): { words: string[]; cmdFile: string } | undefined {
  const tried = index.files.filter((f) => f.status === 'built-in' && !f.generated && /\.c$/.test(f.path) && f.object.endsWith('.o')).slice(0, 8);
  for (const f of tried) {
    const cmdFile = path.join(layout.buildDir, cmdFilePathFor(f.object));
    const text = readText(cmdFile);
    if (text === undefined) continue;
    try {
      const cmd = parseCmdFile(text, cmdFile).command;
      const words = cmd ? splitCommand(cmd) : [];
      const at = words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
      if (at < 0) continue;
      const out = [words[at]];
      if (WRAPPERS.has(path.basename(words[at])) && words[at + 1]) out.push(words[at + 1]);
      return { words: out, cmdFile: path.relative(layout.buildDir, cmdFile) };
    } catch (e) {
      if (!(e instanceof KbloatInputError)) throw e;
    }
  }
  return undefined;
}

/**
 * The make variables that select the build's architecture and tools, read
 * from the build: ARCH from the .config header (`# Linux/<arch> …`), LLVM from
 * CONFIG_CC_IS_CLANG and CONFIG_LD_IS_LLD (or, for a tree whose .config does
 * not record them, the compiler and linker of the .cmd files), CROSS_COMPILE
 * from the compiler a .cmd file names (`aarch64-linux-gnu-gcc`), CC when the
 * compiler has a version suffix or a cache wrapper.
 */
export function buildMakeVariables(layout: BuildLayout, index: BuildIndex, config: KernelConfig, configText: string): { variables: MakeVariable[]; warnings: string[] } {
  const variables: MakeVariable[] = [];
  const warnings: string[] = [];
  const arch = headerArch(configText);
  if (arch) variables.push({ name: 'ARCH', value: arch, from: `the .config header (Linux/${arch})` });
  else warnings.push('the .config has no "# Linux/<arch> … Kernel Configuration" header: ARCH is left to make (the host\'s)');
  const cc = recordedCompiler(layout, index);
  const compiler = cc?.words[cc.words.length - 1];
  const base = compiler ? path.basename(compiler) : undefined;
  const dir = compiler?.includes('/') ? `${path.dirname(compiler)}/` : '';
  const clang = base ? /^(.*-)?clang(-[\d.]+)?$/.exec(base) : null;
  const gcc = base ? /^(.*-)?gcc(-[\d.]+)?$/.exec(base) : null;
  const recordedCc = config.values.has('CONFIG_CC_IS_GCC') || config.values.has('CONFIG_CC_IS_CLANG');
  const isClang = configValue(config, 'CONFIG_CC_IS_CLANG') === 'y' || (!recordedCc && !!clang);
  const recordedLd = config.values.has('CONFIG_LD_IS_BFD') || config.values.has('CONFIG_LD_IS_LLD');
  const vmlinuxCmd = readText(path.join(layout.buildDir, '.vmlinux.cmd'))?.slice(0, 1 << 16) ?? '';
  const isLld = configValue(config, 'CONFIG_LD_IS_LLD') === 'y' || (!recordedLd && (/\bld\.lld\b/.test(vmlinuxCmd) || (isClang && !vmlinuxCmd)));
  const ccFrom = cc ? `the compiler in ${cc.cmdFile} (${cc.words.join(' ')})` : '';
  const wrapper = cc && cc.words.length > 1 ? cc.words[0] : undefined;
  if (isClang && isLld) {
    const from = recordedCc ? 'CONFIG_CC_IS_CLANG and CONFIG_LD_IS_LLD' : ccFrom;
    const value = dir && clang ? dir : clang?.[2] ?? '1';
    variables.push({ name: 'LLVM', value, from });
    if (wrapper) variables.push({ name: 'CC', value: cc!.words.join(' '), from: ccFrom });
  } else if (isClang) {
    if (cc) variables.push({ name: 'CC', value: cc.words.join(' '), from: ccFrom });
    else warnings.push('the build was made with clang but no .cmd file names the compiler: CC is left to make');
  } else if (gcc) {
    const prefix = `${dir}${gcc[1] ?? ''}`;
    if (prefix) variables.push({ name: 'CROSS_COMPILE', value: prefix, from: ccFrom });
    if (gcc[2] || wrapper) variables.push({ name: 'CC', value: cc!.words.join(' '), from: ccFrom });
  } else if (cc) {
    variables.push({ name: 'CC', value: cc.words.join(' '), from: ccFrom });
  } else {
    warnings.push('no .cmd file of a built-in C object names the compiler: CROSS_COMPILE and LLVM are left to make');
  }
  return { variables, warnings };
}

/** One command, in a process group of its own, its output kept and passed on line by line. */
class Runner {
  private current: ChildProcess | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.kill();

  constructor(private readonly signal: AbortSignal | undefined, private readonly env: NodeJS.ProcessEnv) {
    signal?.addEventListener('abort', this.onAbort);
  }

  check(): void {
    if (this.signal?.aborted) throw new ProofAborted();
  }

  run(cmd: string, args: string[], onLine?: (line: string) => void): Promise<{ status: number | null; output: string }> {
    this.check();
    return new Promise((resolve) => {
      const child = spawn(cmd, args, { env: this.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      this.current = child;
      let output = '';
      const partial = { stdout: '', stderr: '' };
      const take = (stream: 'stdout' | 'stderr') => (chunk: Buffer): void => {
        const text = chunk.toString('utf8');
        output += text;
        if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT);
        const lines = (partial[stream] + text).split('\n');
        partial[stream] = lines.pop() ?? '';
        if (onLine) for (const l of lines) onLine(l);
      };
      child.stdout!.on('data', take('stdout'));
      child.stderr!.on('data', take('stderr'));
      const end = (status: number | null, extra = ''): void => {
        if (this.current !== child) return;
        this.current = undefined;
        clearTimeout(this.killTimer);
        if (onLine) for (const l of [partial.stdout, partial.stderr]) if (l) onLine(l);
        resolve({ status, output: output + extra });
      };
      child.on('error', (e) => end(null, `\n${cmd} could not run: ${e.message}`));
      child.on('close', (status) => end(status));
      // Aborted while it was being started.
      if (this.signal?.aborted) this.kill();
    });
  }

  /** Ends the running command's process group (make and everything it started). */
  private kill(): void {
    const child = this.current;
    if (!child?.pid) return;
    const group = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // The group is gone already.
      }
    };
    group('SIGTERM');
    clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => group('SIGKILL'), KILL_GRACE_MS);
    this.killTimer.unref();
  }

  dispose(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    clearTimeout(this.killTimer);
  }
}

function tail(output: string, lines = TAIL_LINES): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

/** A .config's value of a symbol, 'n' when not set or absent. */
const valueIn = (cfg: KernelConfig, s: string): string => configValue(cfg, s);

/**
 * The blockers a failed rebuild shows: GNU ld's and ld.lld's undefined
 * references, and modpost's undefined symbols, each with the file that uses
 * the symbol.
 */
export function parseMissedBlockers(output: string, resolve: {
  /** Build-relative object → tree-relative source. */
  sourceOf(object: string): string | undefined;
  /** A built-in function's name → its tree-relative source. */
  fileOfFunction(name: string): string | undefined;
  /** The built-in objects that use `symbol` (for a link of vmlinux.o, which names no source object). */
  builtInUsers(symbol: string): string[];
  /** The objects of a module (`drivers/misc/eeprom.ko`) that use `symbol`. */
  moduleUsers(ko: string, symbol: string): string[];
  /** A source path as a tool printed it (absolute under the tree or the scratch folder) → tree-relative. */
  relative(file: string): string;
  buildDir: string;
}): MissedBlocker[] {
  const out: MissedBlocker[] = [];
  const seen = new Set<string>();
  const add = (b: MissedBlocker): void => {
    const key = `${b.kind}\0${b.file}\0${b.symbol}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(b);
  };
  /** One undefined reference at link time, from the object (and function) the linker names. */
  const link = (symbol: string, object: string | undefined, fn: string | undefined, location: string | undefined, message: string): void => {
    const file = object ? resolve.sourceOf(object) : undefined;
    if (file) return add({ kind: 'link', file, symbol, object: object!, ...(fn ? { function: fn } : {}), message });
    // vmlinux.o (what Linux links vmlinux from) names no source: the objects that use the symbol do.
    const users = resolve.builtInUsers(symbol);
    for (const o of users) add({ kind: 'link', file: resolve.sourceOf(o) ?? o, symbol, object: o, ...(fn ? { function: fn } : {}), message });
    if (users.length) return;
    const where = (fn && resolve.fileOfFunction(fn)) ?? (location && sourceFromLocation(location)) ?? object ?? '(unknown)';
    add({ kind: 'link', file: resolve.relative(where), symbol, ...(object ? { object } : {}), ...(fn ? { function: fn } : {}), message });
  };
  const quoted = "[`'‘\"]([^`'’\"]+)[`'’\"]";
  const objectOf = (loc: string): string => mapObjectPath(loc.replace(/^\S*?ld(?:\.bfd|\.gold)?: /, ''), resolve.buildDir);
  const lines = output.split('\n');
  let inFunction: { object: string; fn: string; line: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    // GNU ld: `ld: vmlinux.a(kernel/panic.o): in function `foo':` then `panic.c:(.text+0x1b): undefined reference to `bar'`.
    const fnLine = new RegExp(`^(?:\\S*ld(?:\\.bfd)?: )?(.+?): in function ${quoted}:?\\s*$`).exec(line);
    if (fnLine) {
      inFunction = { object: objectOf(fnLine[1]), fn: fnLine[2], line };
      continue;
    }
    const undef = new RegExp(`^(?:\\S*ld(?:\\.bfd)?: )?(.*?):?\\s*undefined reference to ${quoted}`).exec(line);
    if (undef) {
      // `ld: kernel/panic.o:(.data+0x10): undefined reference to …` names its object itself.
      const own = /^(.+?\.o|.+?\.a\([^)]+\)):\(/.exec(undef[1]);
      const object = own ? objectOf(own[1]) : inFunction?.object;
      link(undef[2], object, own ? undefined : inFunction?.fn, undef[1], [own ? undefined : inFunction?.line, line].filter(Boolean).join('\n'));
      continue;
    }
    // ld.lld: `ld.lld: error: undefined symbol: bar` then `>>> referenced by panic.c:12` and `>>>   kernel/panic.o:(foo) in archive vmlinux.a`.
    const lld = /^\S*ld\.lld(?:-[\d.]+)?: error: undefined symbol: (.+)$/.exec(line);
    if (lld) {
      const symbol = lld[1].trim();
      const refs: string[] = [line];
      let j = i + 1;
      for (; j < lines.length && lines[j].startsWith('>>>'); j++) refs.push(lines[j]);
      const at = refs.map((r) => /^>>>\s+(\S+?):\(([^)]*)\)(?: in archive \S+)?/.exec(r)).filter((m): m is RegExpExecArray => !!m);
      const location = refs.map((r) => /^>>> referenced by .*\((\S+:\d+)\)$/.exec(r)?.[1]).find(Boolean);
      for (const m of at) link(symbol, mapObjectPath(m[1], resolve.buildDir), m[2] && !m[2].startsWith('.') ? m[2] : undefined, location, refs.join('\n'));
      if (!at.length) link(symbol, undefined, undefined, location, refs.join('\n'));
      i = j - 1;
      continue;
    }
    // modpost: `ERROR: modpost: "bar" [drivers/misc/eeprom.ko] undefined!`
    const mp = /^ERROR: modpost: "([^"]+)" \[([^\]]+)\] undefined!/.exec(line);
    if (mp) {
      const [, symbol, ko] = mp;
      const users = resolve.moduleUsers(ko, symbol);
      if (users.length === 0) add({ kind: 'modpost', file: ko, symbol, module: ko, message: line });
      for (const o of users) add({ kind: 'modpost', file: resolve.sourceOf(o) ?? o, symbol, object: o, module: ko, message: line });
    }
  }
  return out;
}

/** `kernel/panic.c:123` or `/abs/tree/kernel/panic.c:123` of a linker line with debug info, when it names a source file with a folder. */
function sourceFromLocation(loc: string): string | undefined {
  const m = /^(?:\S*ld(?:\.bfd)?: )?(\S+?\.[chS]):\d+/.exec(loc);
  return m && m[1].includes('/') ? m[1] : undefined;
}

/**
 * Sets the symbols to m in a scratch copy of the build, runs make olddefconfig
 * and make there, and compares the rebuilt kernel with the user's build and
 * with the prediction. Rejects with ProofAborted when the signal aborts it (the
 * scratch folder removed, make's processes ended), and with a KbloatInputError
 * for bad input (a symbol that is no candidate, a scratch folder inside the
 * build, a build that make cannot rebuild).
 */
export async function proveModularize(req: ProofRequest): Promise<ProofResult> {
  const started = Date.now();
  const progress = (message: string, percent?: number): void => req.onProgress?.({ message, ...(percent !== undefined ? { percent } : {}) });
  const { index, analysis } = req;
  if (index.build.attribution === 'dwarf' || index.build.attribution === 'system-map' || !index.build.vmlinux) {
    throw new KbloatInputError('not-a-build', `${index.build.dir} is not a kernel build folder make can rebuild (the index comes from ${index.build.attribution === 'dwarf' ? "a distribution's vmlinux" : 'System.map alone'})`);
  }
  const layout = locateBuild(index.build.dir);
  const buildDir = layout.buildDir;
  const inTree = layout.sourceDir === buildDir;
  if (!existsSync(path.join(layout.sourceDir, 'Makefile'))) throw new KbloatInputError('not-a-build', `no Makefile in ${layout.sourceDir}: the proof rebuilds the kernel with make`);
  const userConfigFile = path.join(buildDir, '.config');
  const userConfigText = readText(userConfigFile);
  if (userConfigText === undefined) throw new KbloatInputError('bad-config', `no .config in ${buildDir}: the proof edits a copy of it`);
  const userConfig = parseDotConfig(userConfigText, userConfigFile);
  const requested = proofSymbols(analysis, req.symbols);
  progress(`predicting ${requested.join(', ')}=m`, 0);
  const prediction: Prediction = analysis.predict(requested);

  const given = req.scratchDir !== undefined;
  if (given) {
    assertScratchOutside(req.scratchDir!, layout);
    const st = statSync(req.scratchDir!, { throwIfNoEntry: false });
    if (st && (!st.isDirectory() || readdirSync(req.scratchDir!).length > 0)) throw new KbloatInputError('io', `the scratch folder ${req.scratchDir} must be a new or empty folder`);
  }
  const { variables, warnings } = buildMakeVariables(layout, index, userConfig, userConfigText);
  const makeArgs = [...variables.map((v) => `${v.name}=${v.value}`), ...(req.makeArgs ?? [])];
  const env = makeEnv();
  for (const k of TOOL_ENV) delete env[k];

  const existed = given && existsSync(req.scratchDir!);
  const scratch = given ? path.resolve(req.scratchDir!) : realpathSync(mkdtempSync(path.join(os.tmpdir(), SCRATCH_PREFIX)));
  try {
    mkdirSync(scratch, { recursive: true });
    // Again with the folder there: a link or a bind mount cannot lead it into the build either.
    assertScratchOutside(realpathSync(scratch), layout);
  } catch (e) {
    // Only the empty folder made here goes: nothing was copied into it yet.
    try {
      if (!existed) rmdirSync(scratch);
    } catch {
      // It was not made, or something is in it already: leave it.
    }
    throw e;
  }
  const runner = new Runner(req.signal, env);
  let keep = !!req.keep;
  const result: ProofResult = {
    outcome: 'rebuilt',
    buildDir,
    scratch,
    kept: keep,
    requested,
    makeVariables: variables,
    makeArgs,
    prediction,
    forcedBack: [],
    config: [],
    blockers: [],
    warnings,
    seconds: 0,
  };
  try {
    // The copy: of the whole tree for an in-tree build, of the O= folder (whose source tree is only read) otherwise.
    progress(`copying ${buildDir} to ${scratch}`, 2);
    const cp = await runner.run('cp', ['-a', `${buildDir}/.`, `${scratch}/`]);
    runner.check();
    if (cp.status !== 0) throw new KbloatInputError('io', `copying ${buildDir} to ${scratch} failed: ${tail(cp.output, 5)}`);
    const tree = inTree ? scratch : layout.sourceDir;

    const configFile = path.join(scratch, '.config');
    let text = readFileSync(configFile, 'utf8');
    for (const s of requested) {
      const edit = dotconfigSetModule(text, s);
      if (edit.problem) throw new KbloatInputError('bad-config', edit.problem, userConfigFile);
      text = applyTextEdits(text, edit.edits);
    }
    writeFileSync(configFile, text);

    progress(`make olddefconfig (${makeArgs.join(' ') || 'no variables'})`, 10);
    const olddef = await runner.run('make', makeCommands(tree, scratch, 'olddefconfig', makeArgs).configure);
    runner.check();
    if (olddef.status !== 0) {
      result.outcome = 'build-failed';
      result.failure = { step: 'olddefconfig', status: olddef.status, tail: tail(olddef.output) };
      return result;
    }
    const newConfig = parseDotConfig(readFileSync(configFile, 'utf8'), configFile);
    compareConfig(result, userConfig, newConfig);

    const build = makeCommands(tree, scratch, '', makeArgs).build;
    progress(`make ${build.filter((a) => /^-j/.test(a)).join(' ')} in ${scratch}`, 15);
    const made = await runner.run('make', build, (line) => {
      // Kbuild's short lines (`  CC      drivers/misc/core.o`), not the compiler's chatter.
      if (/^ {2}[A-Z][A-Z0-9_]*\s+\S/.test(line)) req.onProgress?.({ message: line.trim(), output: true });
    });
    runner.check();
    if (made.status !== 0) {
      result.outcome = 'build-failed';
      result.failure = { step: 'make', status: made.status, tail: tail(made.output) };
      result.blockers = parseMissedBlockers(made.output, resolvers(index, layout, scratch));
      return result;
    }

    progress(`indexing the rebuilt kernel in ${scratch}`, 85);
    const rebuilt = loadIndex(scratch, { noCache: true }).index;
    runner.check();
    if (rebuilt.build.elfClass !== index.build.elfClass || rebuilt.build.arch !== index.build.arch) {
      result.warnings.push(`the rebuilt vmlinux is ${rebuilt.build.arch} ELF${rebuilt.build.elfClass}, your build's ${index.build.arch} ELF${index.build.elfClass}: make did not get the build's variables (add them with --make-arg)`);
    }
    progress('comparing', 95);
    const diff = diffBuilds(index, rebuilt, { oldConfig: userConfig, newConfig });
    result.diff = diff;
    compareBytes(result, index, rebuilt, diff);
    for (const w of rebuilt.warnings.slice(0, 5)) result.warnings.push(`rebuilt index: ${warningText(w)}`);
    runner.check();
    return result;
  } catch (e) {
    // A cancelled proof leaves nothing behind, whatever was asked.
    if (e instanceof ProofAborted || req.signal?.aborted) keep = false;
    throw req.signal?.aborted && !(e instanceof ProofAborted) ? new ProofAborted() : e;
  } finally {
    runner.dispose();
    result.kept = keep;
    result.seconds = (Date.now() - started) / 1000;
    if (!keep) removeScratch(scratch, existed);
  }
}

/** Removes what the proof made: the folder, or only its contents when it was there (empty) before. */
function removeScratch(scratch: string, existed: boolean): void {
  if (!existed) {
    rmSync(scratch, { recursive: true, force: true });
    return;
  }
  for (const e of readdirSync(scratch)) rmSync(path.join(scratch, e), { recursive: true, force: true });
}

/** How the failure parser finds files: the user's index for objects and functions, the scratch build for what uses a symbol. */
function resolvers(index: BuildIndex, layout: BuildLayout, scratch: string): Parameters<typeof parseMissedBlockers>[1] {
  const byObject = new Map(index.files.map((f) => [f.object, f.path]));
  const sourceOf = (o: string): string | undefined => {
    if (byObject.has(o)) return byObject.get(o);
    // An object that was not built before (a module's part compiled anew) has its source beside it.
    const c = o.replace(/\.o$/, '.c');
    return o.endsWith('.o') && existsSync(path.join(layout.sourceDir, c)) ? c : undefined;
  };
  const linkage = new Map<string, string[]>();
  const undefinedIn = (o: string): string[] => {
    let u = linkage.get(o);
    if (!u) {
      try {
        u = readObjectLinkage(path.join(scratch, o)).undefined;
      } catch {
        u = [];
      }
      linkage.set(o, u);
    }
    return u;
  };
  const builtIn = [...new Set(index.files.filter((f) => f.status === 'built-in' && !f.generated && f.object.endsWith('.o')).map((f) => f.object))];
  return {
    buildDir: scratch,
    sourceOf,
    fileOfFunction: (name) => index.files.find((f) => f.status === 'built-in' && f.functions.some((fn) => fn.name === name))?.path,
    builtInUsers: (symbol) => builtIn.filter((o) => undefinedIn(o).includes(symbol)),
    moduleUsers: (ko, symbol) => {
      const mod = readText(path.join(scratch, ko.replace(/\.ko$/, '.mod')));
      return (mod ? parseModFile(mod) : [ko.replace(/\.ko$/, '.o')]).filter((o) => undefinedIn(o).includes(symbol));
    },
    relative: (p) => {
      if (!path.isAbsolute(p)) return p;
      for (const root of [scratch, layout.sourceDir, ...layout.sourceRoots]) {
        if (within(p, root)) return path.relative(root, p);
      }
      return p;
    },
  };
}

/** The asked symbols olddefconfig put back, and every symbol whose value changed or was predicted to. */
function compareConfig(result: ProofResult, before: KernelConfig, after: KernelConfig): void {
  const p = result.prediction;
  const predicted = new Map<string, { to: string; why?: string }>();
  for (const c of p.changes) predicted.set(c.symbol, { to: c.to, ...(c.why ? { why: c.why } : {}) });
  for (const u of p.undone) predicted.set(u.symbol, { to: u.value, why: u.why });
  const asked = new Set(result.requested);
  for (const s of result.requested) {
    const v = valueIn(after, s);
    if (v === 'm') continue;
    const undone = p.undone.find((u) => u.symbol === s);
    result.forcedBack.push({ symbol: s, value: v, predicted: undone?.value === v, ...(undone ? { why: undone.why } : {}) });
  }
  const names = new Set<string>([...result.requested, ...predicted.keys()]);
  for (const n of new Set([...before.values.keys(), ...before.notSet, ...after.values.keys(), ...after.notSet])) {
    if (valueIn(before, n) !== valueIn(after, n)) names.add(n);
  }
  const order = [...result.requested, ...p.changes.map((c) => c.symbol)];
  const rank = (s: string): number => (order.includes(s) ? order.indexOf(s) : order.length);
  for (const s of [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) {
    const pr = predicted.get(s);
    result.config.push({
      symbol: s,
      before: valueIn(before, s),
      after: valueIn(after, s),
      ...(pr ? { predicted: pr.to } : {}),
      asked: asked.has(s),
      ...(pr?.why ? { why: pr.why } : {}),
    });
  }
}

/**
 * Predicted against rebuilt, per symbol and in total. A file's change counts
 * under the first changed symbol on its Kconfig chain, in the prediction's
 * order (asked symbols first), as the prediction counts each object once under
 * the first symbol that takes it; generated files are the tables, the linker's
 * unattributed bytes the padding.
 */
function compareBytes(result: ProofResult, before: BuildIndex, after: BuildIndex, diff: BuildDiff): void {
  const p = result.prediction;
  const order: string[] = [];
  for (const s of [...p.changes.map((c) => c.symbol), ...result.config.filter((c) => c.before !== c.after).map((c) => c.symbol)]) if (!order.includes(s)) order.push(s);
  const entries = new Map<string, FileEntry>();
  for (const f of before.files) entries.set(`${f.path}\0${f.object}`, f);
  const newEntries = new Map<string, FileEntry>();
  for (const f of after.files) newEntries.set(`${f.path}\0${f.object}`, f);
  const bySymbol = new Map<string, { rebuilt: number; files: string[] }>();
  const rebuilt = { code: 0, tables: 0, other: 0 };
  for (const row of diff.files) {
    const key = `${row.path}\0${row.object}`;
    const f = entries.get(key) ?? newEntries.get(key);
    const saving = -row.resident;
    if (f?.generated || isGeneratedObject(row.object)) {
      rebuilt.tables += saving;
      continue;
    }
    const chain = new Set([...(entries.get(key)?.config ?? []), ...(newEntries.get(key)?.config ?? [])].map((c) => c.name));
    const symbol = order.find((s) => chain.has(s));
    if (!symbol) {
      rebuilt.other += saving;
      continue;
    }
    rebuilt.code += saving;
    let e = bySymbol.get(symbol);
    if (!e) bySymbol.set(symbol, (e = { rebuilt: 0, files: [] }));
    e.rebuilt += saving;
    if (saving !== 0) e.files.push(row.path);
  }
  const padding = unattributedResident(before) - unattributedResident(after);
  result.symbols = order
    .filter((s) => p.changes.some((c) => c.symbol === s) || bySymbol.has(s))
    .map((s) => ({ symbol: s, predicted: p.changes.find((c) => c.symbol === s)?.bytes ?? 0, rebuilt: bySymbol.get(s)?.rebuilt ?? 0, files: bySymbol.get(s)?.files.sort() ?? [] }));
  const residentBefore = before.totals.resident;
  const rebuiltAfter = after.totals.resident;
  const predictedSaving = residentBefore - p.residentAfter;
  const rebuiltSaving = residentBefore - rebuiltAfter;
  result.totals = {
    residentBefore,
    predictedAfter: p.residentAfter,
    rebuiltAfter,
    predictedSaving,
    rebuiltSaving,
    errorPercent: rebuiltSaving !== 0 ? ((predictedSaving - rebuiltSaving) / Math.abs(rebuiltSaving)) * 100 : predictedSaving === 0 ? 0 : null,
    code: { predicted: p.code, rebuilt: rebuilt.code },
    tables: { predicted: p.tables, rebuilt: rebuilt.tables },
    padding: { predicted: predictedSaving - p.code - p.tables, rebuilt: padding },
    other: { predicted: 0, rebuilt: rebuilt.other },
  };
}

/** The bytes no object owns (the linker script's alignment and data), outside the init region. */
function unattributedResident(index: BuildIndex): number {
  const cls = new Map(index.sections.map((s) => [s.name, s.cls]));
  let n = 0;
  for (const [name, bytes] of Object.entries(index.unattributed)) if (cls.get(name) !== 'init') n += bytes;
  return n;
}
