/**
 * Measures an unsaved buffer for real: it is compiled with the exact command
 * Kbuild recorded for its object (`cmd_…` in `.*.o.cmd`), the buffer fed on
 * stdin as if it sat at the source file's path, the object written to a
 * temporary folder, under a time limit; then the new object's symbols are read.
 *
 * The compiler is spawned with an argument array, never through a shell. The
 * caller decides whether the workspace is trusted: this module runs the
 * recorded command, so it must only be called for trusted workspaces.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cmdFilePathFor, parseCmdFile, splitCommand } from '../kbuild/cmdfile';
import { readObjectContents } from '../kbuild/objects';
import { functionBaseName } from '../binary/symbolNames';

export interface MeasureRequest {
  /** The folder Kbuild ran the command in: the build folder. */
  buildDir: string;
  /** The object, relative to the build folder (`kernel/fork.o`). */
  object: string;
  /** The absolute path of the source file the buffer stands for. */
  sourceFile: string;
  text: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export type MeasureResult =
  | { ok: true; functions: Map<string, number>; objectBytes: number; baselineObjectBytes?: number }
  | { ok: false; reason: string };

const SEPARATORS = new Set([';', '&&', '||', '|']);

/** The compile command of the object with its output, dependency file and input redirected. */
function measureCommand(req: MeasureRequest, outDir: string): { argv: string[] } | { reason: string } {
  const cmdFile = path.join(req.buildDir, cmdFilePathFor(req.object));
  let text: string;
  try {
    text = readFileSync(cmdFile, 'utf8');
  } catch {
    return { reason: `no compile command recorded for ${req.object} (no ${path.relative(req.buildDir, cmdFile)}); showing the estimate` };
  }
  const cmd = parseCmdFile(text, cmdFile);
  if (!cmd.command) return { reason: `${path.relative(req.buildDir, cmdFile)} records no command` };
  const words = splitCommand(cmd.command);
  const end = words.findIndex((w) => SEPARATORS.has(w));
  const argv = end < 0 ? words : words.slice(0, end);
  const out = path.join(outDir, 'measure.o');
  const sourceWord = cmd.source;
  let sawOutput = false;
  let sawSource = false;
  const result: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i];
    if (w === '-o' && i + 1 < argv.length) {
      result.push('-o', out);
      i++;
      sawOutput = true;
    } else if (/^-Wp,-MM?D,/.test(w)) {
      result.push(`-Wp,-MMD,${path.join(outDir, 'measure.d')}`);
    } else if (i > 0 && sourceWord !== undefined && (w === sourceWord || path.resolve(req.buildDir, w) === path.resolve(req.buildDir, sourceWord))) {
      // The buffer on stdin, with the source's folder first for "quoted" includes.
      result.push('-iquote', path.dirname(req.sourceFile), '-x', 'c', '-');
      sawSource = true;
    } else {
      result.push(w);
    }
  }
  if (!sawOutput || !sawSource) return { reason: `cannot tell the output and the source apart in the command recorded for ${req.object}` };
  return { argv: result };
}

/** Compiles the buffer and reads the object's function sizes (clones folded). */
export async function measure(req: MeasureRequest): Promise<MeasureResult> {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'kbloat-measure-'));
  try {
    const cmd = measureCommand(req, outDir);
    if ('reason' in cmd) return { ok: false, reason: cmd.reason };
    const run = await runCompiler(cmd.argv, req);
    if (!run.ok) return run;
    const contents = readObjectContents(path.join(outDir, 'measure.o'));
    const functions = new Map<string, number>();
    for (const s of contents.symbols) {
      if (s.kind !== 'function') continue;
      const base = functionBaseName(s.name);
      functions.set(base, (functions.get(base) ?? 0) + s.size);
    }
    let baselineObjectBytes: number | undefined;
    try {
      baselineObjectBytes = sum(readObjectContents(path.join(req.buildDir, req.object)).bySection);
    } catch {
      baselineObjectBytes = undefined;
    }
    return { ok: true, functions, objectBytes: sum(contents.bySection), baselineObjectBytes };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

function sum(bySection: Record<string, number>): number {
  return Object.values(bySection).reduce((a, n) => a + n, 0);
}

function runCompiler(argv: string[], req: MeasureRequest): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    let stderr = '';
    let settled = false;
    const done = (r: { ok: true } | { ok: false; reason: string }) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(r);
      }
    };
    const child = spawn(argv[0], argv.slice(1), { cwd: req.buildDir, stdio: ['pipe', 'ignore', 'pipe'], signal: req.signal });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ ok: false, reason: `the compile took longer than ${req.timeoutMs} ms` });
    }, req.timeoutMs);
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += d.toString();
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') done({ ok: false, reason: 'cancelled by a newer edit' });
      else if (e.code === 'ENOENT') done({ ok: false, reason: `the compiler ${argv[0]} was not found` });
      else done({ ok: false, reason: e.message });
    });
    child.on('close', (code) => {
      if (code === 0) return done({ ok: true });
      const error = stderr.split('\n').find((l) => /error/.test(l)) ?? stderr.split('\n')[0] ?? '';
      done({ ok: false, reason: `the buffer does not compile: ${error.replace(/^<stdin>:/, `${path.basename(req.sourceFile)}:`).trim()}` });
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(req.text);
  });
}
