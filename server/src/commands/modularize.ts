/**
 * `kbloat modularize`: what built-in code could be a module, what it would
 * save, and what blocks it. With `--prove [CONFIG_X ...]`, the prediction is
 * checked by rebuilding the kernel with those symbols at m in a scratch copy of
 * the build (modularize/prove.ts).
 *
 * A proof waits for make while it listens for Ctrl-C and SIGTERM, so it runs
 * asynchronously: `runModularize` checks the arguments at once (bad input: one
 * line, exit 2) and sets `process.exitCode` when the proof ends (0 when it ran,
 * 1 when the rebuild failed, 2 on bad input, 130/143 when interrupted, the
 * scratch folder removed); the number it returns is only what the process
 * would exit with if it ended otherwise.
 */
import { statSync } from 'node:fs';
import * as os from 'node:os';
import { KbloatInputError } from '../common/errors';
import { loadIndex } from '../index/cache';
import { ModularizeAnalysis } from '../modularize/analysis';
import { ProofAborted, proveModularize } from '../modularize/prove';
import { modularizeJson, modularizeTable } from '../render/modularizeText';
import { formatProof, proofJson } from '../render/proofText';
import { BadArgument, parseOptions, takeRepeated, topOf } from './args';

export function runModularize(argv: string[]): number {
  const { values: makeArgs, rest } = takeRepeated(argv, '--make-arg');
  const o = parseOptions(rest, ['--top', '--scratch'], ['--json', '--no-cache', '--prove', '--keep']);
  const top = topOf(o.values.get('--top'));
  if (o.flags.has('--prove')) return runProve(o, makeArgs, top);
  for (const only of ['--keep', '--scratch', '--make-arg']) {
    if (o.flags.has(only) || o.values.has(only) || (only === '--make-arg' && makeArgs.length)) throw new BadArgument(`${only} goes with --prove`);
  }
  if (o.positional.length > 1) throw new BadArgument(`unexpected argument ${o.positional[1]}`);
  const { index } = loadIndex(o.positional[0] ?? '.', { noCache: o.flags.has('--no-cache') });
  const report = ModularizeAnalysis.load(index).report(o.flags.has('--json') ? {} : { top });
  const json = o.flags.has('--json');
  // The JSON lists every candidate unless --top is given; the table shows 25 by default.
  const shown = json && o.values.has('--top') ? { ...report, candidates: report.candidates.slice(0, top) } : report;
  process.stdout.write(json ? JSON.stringify(modularizeJson(shown), null, 1) + '\n' : modularizeTable(shown));
  return 0;
}

/** A folder argument rather than a symbol: it names an existing folder, or it looks like a path. */
function isFolderArgument(a: string): boolean {
  if (/[/.]/.test(a)) return true;
  return statSync(a, { throwIfNoEntry: false })?.isDirectory() === true;
}

function runProve(o: ReturnType<typeof parseOptions>, makeArgs: string[], top: number): number {
  const positional = [...o.positional];
  const dir = positional.length && isFolderArgument(positional[0]) ? positional.shift()! : '.';
  for (const s of positional) if (!/^[A-Za-z0-9_]+$/.test(s)) throw new BadArgument(`"${s}" is not a Kconfig symbol (CONFIG_X or X); the build folder comes first`);
  const log = (line: string): void => {
    process.stderr.write(`kbloat modularize: ${line}\n`);
  };
  const { index } = loadIndex(dir, { noCache: o.flags.has('--no-cache') });
  const analysis = ModularizeAnalysis.load(index, { onProgress: log });
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => {
    const handler = (): void => {
      if (!received) log(`${signal}: stopping make and removing the scratch folder`);
      received ??= signal;
      controller.abort();
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const done = (): void => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
  proveModularize({
    index,
    analysis,
    symbols: positional,
    ...(o.values.has('--scratch') ? { scratchDir: o.values.get('--scratch') } : {}),
    // A scratch folder the user named is theirs to look at afterwards.
    keep: o.flags.has('--keep') || o.values.has('--scratch'),
    makeArgs,
    signal: controller.signal,
    onProgress: (p) => log(p.output ? `  ${p.message}` : p.message),
  }).then(
    (result) => {
      done();
      if (result.kept) log(`the rebuilt build stays in ${result.scratch}`);
      process.stdout.write(o.flags.has('--json') ? JSON.stringify(proofJson(result), null, 1) + '\n' : formatProof(result, { top }));
      process.exitCode = result.outcome === 'rebuilt' ? 0 : 1;
    },
    (e: unknown) => {
      done();
      if (e instanceof ProofAborted) {
        log(`interrupted; the scratch folder was removed`);
        process.exitCode = 128 + os.constants.signals[received ?? 'SIGINT'];
        return;
      }
      const err = e as NodeJS.ErrnoException;
      if (e instanceof KbloatInputError || (err && typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code))) {
        process.stderr.write(`kbloat: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      process.stderr.write(`kbloat modularize: ${err?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
  return 1;
}
