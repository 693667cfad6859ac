/**
 * `kbloat bisect`: finds the commit where the kernel proper first grew by more
 * than a threshold over a good revision, so that a size regression gets a name,
 * an author and a diff instead of a range. git does the bisecting (`git bisect
 * run`); kbloat is the test it runs at each step, and the test is `kbloat
 * check`'s resident budget: the good revision's resident size plus the threshold.
 *
 * Everything happens in a temporary worktree (`git worktree add --detach`), and
 * the bisection itself runs there, so that the user's HEAD, index, work tree and
 * any bisection of their own are never touched: a worktree has its own HEAD and
 * its own bisect state. One `O=` folder serves every step, so that make only
 * rebuilds what changed between two revisions. A revision that does not build
 * is skipped (exit 125), never blamed. The worktree, the bisection and the
 * temporary folders are removed however the run ends, on Ctrl-C and SIGTERM too:
 * the children run in a process group of their own, which gets the signal, and
 * the cleanup runs once they are gone.
 *
 * It runs the tree's Makefiles, so it runs only when the user asks for it.
 * Commands are spawned with argument arrays, never through a shell (git runs the
 * step it is given with its own quoting).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { KbloatInputError } from '../common/errors';
import { loadIndex } from '../index/cache';
import type { BuildIndex } from '../index/model';
import { parseDotConfig } from '../kbuild/dotconfig';
import { exactBytes } from '../shared/units';
import { checkBudgets, formatVerdicts } from './budget';
import { BuildDiff, diffBuilds } from './diff';
import { git } from './git';
import { readConfigText } from './history';
import { makeCommands, makeEnv } from './kernelMake';

/** What the user asked for, as given. */
export interface BisectRequest {
  source: string;
  good: string;
  bad: string;
  /** A make target that writes .config: tinyconfig, defconfig, … */
  config: string;
  /** Bytes the resident size may grow over the good revision's before a revision is bad. */
  threshold: number;
  makeArgs: string[];
  /** The O= folder, kept afterwards; without it a temporary folder removed at the end. */
  out?: string;
}

/** A request checked against the repository: both revisions are commits, and good is an ancestor of bad. */
export interface BisectPlan extends BisectRequest {
  /** The top of the user's work tree. */
  source: string;
  goodCommit: string;
  badCommit: string;
}

export interface CommitInfo {
  commit: string;
  author: string;
  date: string;
  subject: string;
}

export interface MeasuredRevision extends CommitInfo {
  resident: number;
}

export interface FirstBad extends MeasuredRevision {
  parent: MeasuredRevision;
  /** `kbloat diff PARENT FIRST`; undefined when the parent could not be built (then `note` says why). */
  diff?: BuildDiff;
  note?: string;
}

export interface BisectResult {
  /** found: one first bad commit; within: the bad revision is within the budget; ambiguous: only skipped commits are left. */
  outcome: 'found' | 'within' | 'ambiguous';
  good: MeasuredRevision;
  bad: MeasuredRevision;
  /** The budget of every step: the good revision's resident size plus the threshold. */
  limit: number;
  first?: FirstBad;
  /** For `ambiguous`: the commits the first bad one could be. */
  candidates: CommitInfo[];
  /** Revisions the bisection skipped because they did not build. */
  skipped: CommitInfo[];
}

/** A bisection that could not reach an answer (a revision at either end does not build, git gave up). */
export class BisectFailed extends Error {}

/** A bisection stopped by a signal; everything was cleaned up before this was thrown. */
export class BisectInterrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

/** The exit status of a step, as `git bisect run` reads it. */
export const STEP_GOOD = 0;
export const STEP_BAD = 1;
export const STEP_SKIP = 125;
/** Any status from 128 on makes `git bisect run` stop: the step itself failed, not the revision. */
export const STEP_ABORT = 128;

/** The end of a command's output, which is where make explains a failure. */
function tail(output: string, lines = 15): string {
  const t = output.trimEnd().split('\n').slice(-lines).join('\n');
  return t ? `\n${t}` : '';
}

function commitOf(tree: string, rev: string, option: string): string {
  // A name that starts with a dash would be read as an option by git.
  if (rev.startsWith('-')) throw new KbloatInputError('io', `${option}: "${rev}" is not a revision`, tree);
  try {
    return git(tree, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).trim();
  } catch {
    throw new KbloatInputError('io', `${option}: no commit "${rev}" in this repository`, tree);
  }
}

function commitInfo(tree: string, commit: string): CommitInfo {
  const [hash, author, date, subject] = git(tree, ['show', '-s', '--date=short', '--format=%H%x00%an <%ae>%x00%ad%x00%s', commit, '--']).replace(/\n$/, '').split('\0');
  return { commit: hash, author, date, subject: subject ?? '' };
}

/**
 * Checks the request against the repository, so that a bad revision is bad
 * input (one line, exit 2) before anything is built.
 */
export function planBisect(r: BisectRequest): BisectPlan {
  const source = git(realpathSync(r.source), ['rev-parse', '--show-toplevel']).trim();
  const goodCommit = commitOf(source, r.good, '--good');
  const badCommit = commitOf(source, r.bad, '--bad');
  if (goodCommit === badCommit) throw new KbloatInputError('io', `--good ${r.good} and --bad ${r.bad} are the same commit`, source);
  const ancestor = spawnSync('git', ['-C', source, 'merge-base', '--is-ancestor', goodCommit, badCommit], { stdio: 'ignore' });
  if (ancestor.status !== 0) throw new KbloatInputError('io', `--good ${r.good} is not an ancestor of --bad ${r.bad}`, source);
  return { ...r, source, goodCommit, badCommit };
}

/**
 * The command that runs this very kbloat again, as `git bisect run` needs:
 * node, its options, and the script it runs (dist/cli.js when installed, the
 * TypeScript entry under tsx when run from sources). A preloaded module named
 * by package (`--import tsx`) is resolved here, because git runs the step in
 * the worktree, where that name would not resolve.
 */
export function kbloatCommand(): string[] {
  const script = process.argv[1];
  if (!script) throw new KbloatInputError('io', 'cannot tell which script runs kbloat (process.argv[1] is empty)');
  const preload = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);
  const require = createRequire(path.join(process.cwd(), 'noop.js'));
  const absolute = (flag: string, spec: string): string => {
    if (/^(file|node|data):/.test(spec) || path.isAbsolute(spec)) return spec;
    let file: string;
    try {
      file = spec.startsWith('.') ? path.resolve(spec) : require.resolve(spec);
    } catch {
      return spec;
    }
    return flag === '--require' || flag === '-r' ? file : pathToFileURL(file).href;
  };
  const args: string[] = [];
  const given = process.execArgv;
  for (let i = 0; i < given.length; i++) {
    const a = given[i];
    // A debugger port cannot be opened twice.
    if (/^--inspect/.test(a)) continue;
    const eq = a.indexOf('=');
    if (eq > 0 && preload.has(a.slice(0, eq))) args.push(`${a.slice(0, eq)}=${absolute(a.slice(0, eq), a.slice(eq + 1))}`);
    else if (preload.has(a) && i + 1 < given.length) args.push(a, absolute(a, given[++i]));
    else args.push(a);
  }
  return [process.execPath, ...args, path.resolve(script)];
}

/**
 * Where the signals go while children run: to the child's own process group
 * (make and the compilers included), and the run stops once it has ended.
 */
class Children {
  received: NodeJS.Signals | undefined;
  private current: ChildProcess | undefined;
  private readonly handlers = new Map<NodeJS.Signals, () => void>();

  constructor() {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const handler = (): void => {
        this.received ??= signal;
        this.forward(signal);
      };
      process.on(signal, handler);
      this.handlers.set(signal, handler);
    }
  }

  /** Throws once a signal asked us to stop. */
  check(): void {
    if (this.received) throw new BisectInterrupted(this.received);
  }

  /** Runs a command in a process group of its own; `onLine` sees its output line by line. */
  run(cmd: string, args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string) => void): Promise<{ status: number | null; output: string }> {
    this.check();
    return new Promise((resolve) => {
      const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      this.current = child;
      let output = '';
      let partial = '';
      const take = (chunk: Buffer): void => {
        const text = chunk.toString('utf8');
        // Only the end is ever shown.
        output = (output + text).slice(-256 * 1024);
        if (!onLine) return;
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) onLine(l);
      };
      child.stdout?.on('data', take);
      child.stderr?.on('data', take);
      child.on('error', (e) => {
        this.current = undefined;
        resolve({ status: null, output: `${cmd} could not run: ${e.message}` });
      });
      child.on('close', (status) => {
        this.current = undefined;
        if (partial && onLine) onLine(partial);
        resolve({ status, output });
      });
    });
  }

  private forward(signal: NodeJS.Signals): void {
    const pid = this.current?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  dispose(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
  }
}

/** What a step or the driver measured of one revision, kept so that the final diff needs no rebuild. */
interface Measurement {
  commit: string;
  index: BuildIndex;
  configText?: string;
}

function measurementFile(folder: string, commit: string): string {
  return path.join(folder, `${commit}.json`);
}

function measure(out: string, folder: string, commit: string): Measurement {
  const m: Measurement = { commit, index: loadIndex(out, { noCache: true }).index, configText: readConfigText(out) };
  writeFileSync(measurementFile(folder, commit), JSON.stringify(m));
  return m;
}

function readMeasurement(folder: string, commit: string): Measurement | undefined {
  const file = measurementFile(folder, commit);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Measurement) : undefined;
}

export interface StepOptions {
  tree: string;
  out: string;
  config: string;
  makeArgs: string[];
  maxResident: number;
  /** The folder the measurements go to. */
  measured: string;
}

/**
 * One step of `git bisect run`, run by git in the worktree: builds the checked
 * out revision into the shared O= folder and applies the resident budget.
 * Returns the exit status git reads: 0 good, 1 bad, 125 skip (it does not build).
 */
export function bisectStep(o: StepOptions, log: (line: string) => void, print: (text: string) => void): number {
  const commit = git(o.tree, ['rev-parse', 'HEAD']).trim();
  const info = commitInfo(o.tree, commit);
  const label = `${commit.slice(0, 12)} ${info.subject}`;
  const env = makeEnv();
  for (const args of Object.values(makeCommands(o.tree, o.out, o.config, o.makeArgs))) {
    const r = spawnSync('make', args, { encoding: 'utf8', env, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.error) throw new BisectFailed(`make could not run: ${r.error.message}`);
    if (r.status !== 0) {
      print(`make ${args.join(' ')} exited with ${r.status ?? r.signal}${tail(`${r.stdout ?? ''}${r.stderr ?? ''}`)}\n`);
      log(`${label}: does not build, skipped`);
      return STEP_SKIP;
    }
  }
  let m: Measurement;
  try {
    m = measure(o.out, o.measured, commit);
  } catch (e) {
    // A build kbloat cannot read is no verdict on the revision.
    if (!(e instanceof KbloatInputError)) throw e;
    log(`${label}: cannot be measured (${e.message}), skipped`);
    return STEP_SKIP;
  }
  const verdicts = checkBudgets(m.index, { maxResident: o.maxResident });
  print(formatVerdicts(verdicts));
  const ok = verdicts.every((v) => v.ok);
  log(`${label}: resident ${exactBytes(m.index.totals.resident)}, ${ok ? 'good' : 'bad'} (budget ${exactBytes(o.maxResident)})`);
  return ok ? STEP_GOOD : STEP_BAD;
}

export interface BisectHooks {
  /** Progress (stderr in the CLI). */
  log: (line: string) => void;
  /** The command that runs kbloat itself (`kbloatCommand()`); the step's arguments follow it. */
  self: string[];
}

/** Runs the bisection of a checked plan. Everything it made is removed before it returns or throws. */
export async function bisect(plan: BisectPlan, hooks: BisectHooks): Promise<BisectResult> {
  const { source } = plan;
  const { log } = hooks;
  const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'kbloat-bisect-')));
  const tree = path.join(tmp, 'src');
  const out = plan.out ? path.resolve(plan.out) : path.join(tmp, 'out');
  const measured = path.join(tmp, 'measured');
  mkdirSync(out, { recursive: true });
  mkdirSync(measured);
  const children = new Children();
  const env = makeEnv();
  let added = false;
  let bisecting = false;

  /** Checks out `commit` in the worktree, builds it and measures it; the reason instead when it does not build. */
  const buildAt = async (commit: string): Promise<Measurement | string> => {
    git(tree, ['checkout', '--quiet', '--detach', commit]);
    const info = commitInfo(tree, commit);
    log(`${commit.slice(0, 12)} ${info.subject}: building`);
    for (const args of Object.values(makeCommands(tree, out, plan.config, plan.makeArgs))) {
      const r = await children.run('make', args, env);
      children.check();
      if (r.status !== 0) return `make ${args.join(' ')} exited with ${r.status ?? 'a signal'}${tail(r.output)}`;
    }
    return measure(out, measured, commit);
  };
  const measuredRevision = (m: Measurement): MeasuredRevision => ({ ...commitInfo(tree, m.commit), resident: m.index.totals.resident });

  try {
    git(source, ['worktree', 'add', '--detach', tree, plan.goodCommit]);
    added = true;
    const good = await buildAt(plan.goodCommit);
    if (typeof good === 'string') throw new BisectFailed(`the good revision ${plan.good} does not build: ${good}`);
    const limit = good.index.totals.resident + plan.threshold;
    log(`${plan.good}: resident ${exactBytes(good.index.totals.resident)}; budget of every step ${exactBytes(limit)}`);
    const bad = await buildAt(plan.badCommit);
    if (typeof bad === 'string') throw new BisectFailed(`the bad revision ${plan.bad} does not build: ${bad}`);
    const result: BisectResult = { outcome: 'within', good: measuredRevision(good), bad: measuredRevision(bad), limit, candidates: [], skipped: [] };
    if (bad.index.totals.resident <= limit) {
      log(`${plan.bad}: resident ${exactBytes(bad.index.totals.resident)}, within the budget: nothing to bisect`);
      return result;
    }

    let first: string;
    if (git(tree, ['rev-list', '--count', `${plan.goodCommit}..${plan.badCommit}`]).trim() === '1') {
      first = plan.badCommit;
    } else {
      git(tree, ['bisect', 'start', plan.badCommit, plan.goodCommit, '--']);
      bisecting = true;
      const step = [...hooks.self, 'bisect', '--step', '--tree', tree, '--out', out, '--config', plan.config, '--max-resident', String(limit), '--measured', measured, ...plan.makeArgs.map((a) => `--make-arg=${a}`)];
      const run = await children.run('git', ['-C', tree, 'bisect', 'run', ...step], env, (line) => {
        // The steps' verdicts and git's count of what is left; the rest is git's and make's chatter.
        const m = /^kbloat bisect: (.*)$/.exec(line);
        if (m) log(m[1]);
        else if (/^Bisecting: /.test(line)) log(line);
      });
      children.check();
      result.skipped = git(tree, ['for-each-ref', '--format=%(objectname)', 'refs/bisect/skip-*']).split('\n').filter(Boolean).map((c) => commitInfo(tree, c));
      if (run.status === 0) {
        first = git(tree, ['rev-parse', 'refs/bisect/bad']).trim();
      } else {
        // What git could not tell apart: the commits between the last good ones and the last bad one.
        const goods = git(tree, ['for-each-ref', '--format=%(objectname)', 'refs/bisect/good-*']).split('\n').filter(Boolean);
        const lastBad = git(tree, ['rev-parse', 'refs/bisect/bad']).trim();
        const left = git(tree, ['rev-list', '--topo-order', '--reverse', lastBad, '--not', ...goods]).split('\n').filter(Boolean);
        const skipped = new Set(result.skipped.map((s) => s.commit));
        const others = left.filter((c) => c !== lastBad);
        if (others.length > 0 && others.every((c) => skipped.has(c))) {
          result.outcome = 'ambiguous';
          result.candidates = left.map((c) => commitInfo(tree, c));
          return result;
        }
        throw new BisectFailed(`git bisect run failed (exit status ${run.status})${tail(run.output)}`);
      }
      git(tree, ['bisect', 'reset']);
      bisecting = false;
    }

    // The first bad commit was measured (it was tested, or it is the bad revision); its parent usually was too.
    const parent = git(tree, ['rev-parse', `${first}^`]).trim();
    let firstM = readMeasurement(measured, first);
    if (!firstM) {
      const built = await buildAt(first);
      if (typeof built === 'string') throw new BisectFailed(`the first bad commit ${first} does not build any more: ${built}`);
      firstM = built;
    }
    let parentM: Measurement | string | undefined = readMeasurement(measured, parent);
    if (!parentM) {
      log(`${parent.slice(0, 12)}: the parent was not built during the bisection`);
      parentM = await buildAt(parent);
    }
    result.outcome = 'found';
    if (typeof parentM === 'string') {
      result.first = { ...measuredRevision(firstM), parent: { ...commitInfo(tree, parent), resident: NaN }, note: `its parent does not build: ${parentM}` };
    } else {
      const config = (m: Measurement) => (m.configText === undefined ? undefined : parseDotConfig(m.configText));
      result.first = {
        ...measuredRevision(firstM),
        parent: measuredRevision(parentM),
        diff: diffBuilds(parentM.index, firstM.index, { oldConfig: config(parentM), newConfig: config(firstM) }),
      };
    }
    return result;
  } finally {
    if (bisecting) spawnSync('git', ['-C', tree, 'bisect', 'reset'], { stdio: 'ignore' });
    if (added) spawnSync('git', ['-C', source, 'worktree', 'remove', '--force', tree], { stdio: 'ignore' });
    spawnSync('git', ['-C', source, 'worktree', 'prune'], { stdio: 'ignore' });
    rmSync(tmp, { recursive: true, force: true });
    children.dispose();
  }
}
