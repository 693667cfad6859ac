/**
 * `kbloat bisect`: names the commit where the resident size first grew by more
 * than a threshold over a good revision, with its author, subject and its
 * `kbloat diff` against its parent. The work is in tracker/bisect.ts; this file
 * reads the arguments and prints the answer.
 *
 * The same command is also the test `git bisect run` calls at each step
 * (`kbloat bisect --step …`, not for people): kbloat calls itself, so that an
 * installed kbloat needs nothing else on the PATH.
 *
 * A bisection waits for builds while it listens for Ctrl-C and SIGTERM, so it
 * runs asynchronously: `runBisect` checks the arguments and the revisions at
 * once (bad input: one line, exit 2) and sets `process.exitCode` when the
 * bisection ends; the number it returns is only what the process would exit
 * with if it ended otherwise.
 */
import { statSync } from 'node:fs';
import * as os from 'node:os';
import { KbloatInputError } from '../common/errors';
import { formatDiff } from '../render/diffText';
import { exactBytes, signedSize } from '../shared/units';
import { BisectFailed, BisectInterrupted, BisectResult, CommitInfo, STEP_ABORT, bisect, bisectStep, kbloatCommand, planBisect } from '../tracker/bisect';
import { parseSize } from '../tracker/budget';
import { BadArgument, parseOptions, takeRepeated } from './args';

const short = (c: CommitInfo): string => c.commit.slice(0, 12);

export function formatBisect(r: BisectResult, threshold: number): string {
  const out: string[] = [];
  const budget = `good ${short(r.good)} ${exactBytes(r.good.resident)} + ${exactBytes(threshold)} = ${exactBytes(r.limit)}`;
  if (r.outcome === 'within') {
    out.push(`no regression: bad ${short(r.bad)} is ${exactBytes(r.bad.resident)} resident, within the budget (${budget})`);
  } else if (r.outcome === 'ambiguous') {
    out.push(`the first bad commit is one of these; the bisection cannot tell which, because those it skipped do not build (budget ${budget}):`);
    for (const c of r.candidates) out.push(`  ${c.commit} ${c.subject}`);
  } else if (r.first) {
    const f = r.first;
    out.push(`first bad commit: ${f.commit}`, `Author: ${f.author}`, `Date:   ${f.date}`, `    ${f.subject}`, '');
    if (Number.isFinite(f.parent.resident)) {
      out.push(`resident: ${signedSize(f.resident - f.parent.resident, { exact: true })} over its parent ${short(f.parent)} (${exactBytes(f.parent.resident)} -> ${exactBytes(f.resident)})`);
    }
    out.push(`          ${signedSize(f.resident - r.good.resident, { exact: true })} over good (budget ${budget})`);
  }
  if (r.skipped.length) {
    out.push('skipped (does not build):');
    for (const c of r.skipped) out.push(`  ${c.commit} ${c.subject}`);
  }
  const f = r.first;
  if (f?.diff) {
    const diff = {
      ...f.diff,
      old: { ...f.diff.old, dir: `${short(f.parent)} (its parent)`, vmlinux: null },
      new: { ...f.diff.new, dir: `${short(f)} (the first bad commit)`, vmlinux: null },
    };
    out.push('', `kbloat diff ${short(f.parent)} ${short(f)}:`, formatDiff(diff, { top: 25, split: false }).trimEnd());
  } else if (f?.note) out.push('', `no diff: ${f.note}`);
  return out.join('\n') + '\n';
}

/** The step `git bisect run` calls; whatever goes wrong in it stops the bisection rather than blaming the revision. */
function runStep(argv: string[], makeArgs: string[]): number {
  try {
    const o = parseOptions(argv, ['--tree', '--out', '--config', '--max-resident', '--measured'], []);
    const need = (name: string): string => {
      const v = o.values.get(name);
      if (v === undefined) throw new BadArgument(`--step needs ${name}`);
      return v;
    };
    const maxResident = Number(need('--max-resident'));
    if (!Number.isSafeInteger(maxResident)) throw new BadArgument('--max-resident needs a number of bytes');
    return bisectStep(
      { tree: need('--tree'), out: need('--out'), config: need('--config'), measured: need('--measured'), maxResident, makeArgs },
      (line) => process.stderr.write(`kbloat bisect: ${line}\n`),
      (text) => process.stdout.write(text),
    );
  } catch (e) {
    process.stderr.write(`kbloat bisect: the step failed: ${e instanceof Error ? e.message : String(e)}\n`);
    return STEP_ABORT;
  }
}

/** The exit status and message of a bisection that ended without an answer. */
function failed(e: unknown): number {
  if (e instanceof BisectInterrupted) {
    process.stderr.write(`kbloat bisect: ${e.message}; the worktree and the bisection were removed\n`);
    // As a shell reports a command killed by that signal.
    return 128 + os.constants.signals[e.signal];
  }
  if (e instanceof BisectFailed) {
    process.stderr.write(`kbloat bisect: ${e.message}\n`);
    return 1;
  }
  const err = e as NodeJS.ErrnoException;
  if (e instanceof KbloatInputError || (err && typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code))) {
    process.stderr.write(`kbloat: ${err.message}\n`);
    return 2;
  }
  process.stderr.write(`kbloat bisect: ${err?.stack ?? String(e)}\n`);
  return 1;
}

export function runBisect(argv: string[]): number {
  const { values: makeArgs, rest } = takeRepeated(argv, '--make-arg');
  if (rest[0] === '--step') return runStep(rest.slice(1), makeArgs);
  const o = parseOptions(rest, ['--source', '--good', '--bad', '--config', '--threshold', '--out'], []);
  if (o.positional.length) throw new BadArgument(`unexpected argument ${o.positional[0]}`);
  const need = (name: string, what: string): string => {
    const v = o.values.get(name);
    if (!v) throw new BadArgument(`bisect needs ${name} ${what}`);
    return v;
  };
  const source = need('--source', 'TREE (a git work tree of the kernel)');
  const good = need('--good', 'REV (a revision within the budget)');
  const bad = need('--bad', 'REV (a later revision that broke it)');
  const config = need('--config', 'TARGET (a make target that writes .config: tinyconfig, defconfig, ...)');
  const thresholdText = need('--threshold', 'SIZE (the growth over --good that makes a revision bad)');
  const threshold = parseSize(thresholdText);
  if (threshold === undefined) throw new BadArgument(`--threshold: "${thresholdText}" is not a size (use 1.5M, 800K, 1G, 1.5MiB or bytes)`);
  if (!statSync(source, { throwIfNoEntry: false })?.isDirectory()) throw new BadArgument(`--source: ${source} is not a folder`);
  const plan = planBisect({ source, good, bad, config, threshold, makeArgs, out: o.values.get('--out') });
  const self = kbloatCommand();
  bisect(plan, { self, log: (line) => process.stderr.write(`kbloat bisect: ${line}\n`) }).then(
    (result) => {
      process.stdout.write(formatBisect(result, threshold));
      process.exitCode = result.outcome === 'found' ? 0 : 1;
    },
    (e: unknown) => {
      process.exitCode = failed(e);
    },
  );
  return 1;
}
