/**
 * `kbloat sweep` on a real git repository of the mini tree with three tagged
 * commits, each adding code: it must build every revision in its own worktree,
 * record them in order with growing resident sizes, leave the repository as it
 * was, and skip everything on a second run. Sharded: two `--shard K/N` sweeps run
 * in parallel processes and joined by `history merge` must equal one sequential
 * sweep of all revisions (the records and their order, dates aside); the merge
 * refuses the same build twice and lists the expected revisions no shard built,
 * and bad shard specs are refused. With `--modularized`, each revision is rebuilt
 * after `make yes2modconfig`, and the rebuilt kernel proper it records equals a
 * build of the same tree made by hand the same way.
 *
 * The CLI runs from its sources (tsx), as the commands under test are newer than
 * any bundle. Commands are spawned with argument arrays, never through a shell.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { HistoryRecord } from '../server/src/tracker/history';
import { REPO, tempDir } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, copyMiniKernelSource, MINIKERNEL_DIR } from './minikernel';

let work: string;
let repo: string;
const tags: Record<string, string> = {};

interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** How node runs the CLI from its sources. */
const CLI = ['--import', 'tsx', path.join(REPO, 'server/src/bin/cli.ts')];

/** The environment of a kbloat run: its index cache inside the test's folder, which `after` removes. */
function cliEnv(): NodeJS.ProcessEnv {
  const cache = path.join(work, 'cache');
  mkdirSync(cache, { recursive: true });
  return { ...process.env, KBLOAT_CACHE_DIR: cache };
}

/** kbloat from its sources, waited for. */
function runCli(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [...CLI, ...args], { cwd: REPO, encoding: 'utf8', maxBuffer: 1 << 30, env: cliEnv() });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** kbloat from its sources in a child process that runs alongside others. */
function startCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: REPO, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

function git(args: string[]): string {
  // The identity is given on the command line, so that the test needs no git configuration.
  return execFileSync('git', ['-c', 'user.email=kbloat-test@example.invalid', '-c', 'user.name=kbloat test', '-c', 'commit.gpgsign=false', '-C', repo, ...args], { encoding: 'utf8' });
}

function edit(rel: string, change: (t: string) => string): void {
  const file = path.join(repo, rel);
  const before = readFileSync(file, 'utf8');
  const after = change(before);
  assert.notEqual(after, before, `the edit of ${rel} changed nothing`);
  writeFileSync(file, after);
}

function commitAndTag(tag: string, message: string): void {
  git(['add', '-A']);
  git(['commit', '-q', '-m', message]);
  git(['tag', tag]);
  tags[tag] = git(['rev-parse', 'HEAD']).trim();
}

before(() => {
  work = tempDir('sweep');
  repo = path.join(work, 'linux');
  copyMiniKernelSource(repo);
  execFileSync('make', ['-s', '-C', repo, 'mrproper'], { stdio: 'ignore' });
  execFileSync('git', ['init', '-q', repo]);
  commitAndTag('t1', 'initial');
  edit('kernel/panic.c', (t) => t + '\nint panic_notes[512] = { 1 };\n\nint panic_note(int i)\n{\n\treturn panic_notes[i & 511] + panic_notes[(i * 7) & 511];\n}\n');
  commitAndTag('t2', 'panic: add panic_note()');
  edit('arch/mini/configs/mini_defconfig', (t) => t.replace('CONFIG_MISC_HEARTBEAT=m', 'CONFIG_MISC_HEARTBEAT=y'));
  edit('lib/string.c', (t) => t + '\nsize_t strnlen_mini(const char *s, size_t n)\n{\n\tsize_t i = 0;\n\n\twhile (i < n && s[i])\n\t\ti++;\n\treturn i;\n}\n');
  commitAndTag('t3', 'build the heartbeat driver in; add strnlen_mini()');
});
after(() => work && rmSync(work, { recursive: true, force: true }));

function records(file: string): HistoryRecord[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HistoryRecord);
}

test('sweep builds each revision, records it, and skips it the next time', () => {
  const history = path.join(work, 'sizes.jsonl');
  const out = path.join(work, 'out');
  const args = ['sweep', '--source', repo, '--config', 'defconfig', '--revs', 't1,t2,t3', '--history', history, '--out', out];
  const first = runCli(args);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /built 3, skipped 0 \(already tracked\), failed 0/);
  const recs = records(history);
  assert.deepEqual(recs.map((r) => r.label), ['t1', 't2', 't3']);
  assert.deepEqual(recs.map((r) => r.commit), [tags.t1, tags.t2, tags.t3], 'each record names the commit it built');
  for (const r of recs) {
    assert.ok(r.totals.resident > 0 && r.buildId, `${r.label} was measured`);
    assert.ok(existsSync(path.join(out, r.label, 'vmlinux')), `${r.label}: the O= folder is kept under --out`);
    // The Modularize floor of each revision, measured while its worktree still existed
    // (test/history.test.ts checks the figure against `kbloat modularize`): the tree has
    // a tristate built in that could be a module, so the floor lies below the kernel proper.
    assert.ok(r.modularized && r.modularized.candidates >= 1 && r.modularized.resident < r.totals.resident, `${r.label}: ${JSON.stringify(r.modularized)}`);
  }
  const [a, b, c] = recs;
  assert.ok(b.totals.resident - a.totals.resident >= 2048, `t2 adds a 2 KiB table: ${a.totals.resident} -> ${b.totals.resident}`);
  assert.ok(c.totals.resident > b.totals.resident, `t3 adds code: ${b.totals.resident} -> ${c.totals.resident}`);
  assert.ok(c.dirs.drivers.resident > b.dirs.drivers.resident, 'the heartbeat driver is built in at t3');
  assert.equal(b.configHash, a.configHash, 't2 did not change the configuration');
  assert.notEqual(c.configHash, b.configHash, 't3 did');
  assert.equal(b.configSymbols.CONFIG_MISC_HEARTBEAT, undefined, 'the heartbeat driver is a module at t2');
  assert.ok(c.configSymbols.CONFIG_MISC_HEARTBEAT > 0, `t3 counts bytes for CONFIG_MISC_HEARTBEAT: ${Object.keys(c.configSymbols).join(' ')}`);
  // The worktrees are gone, and the repository's own tree was never touched.
  assert.equal(git(['worktree', 'list']).trim().split('\n').length, 1);
  assert.equal(git(['status', '--porcelain']), '');
  assert.equal(git(['rev-parse', 'HEAD']).trim(), tags.t3);

  const started = Date.now();
  const again = runCli(args);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /built 0, skipped 3/);
  assert.equal(records(history).length, 3, 'no new records');
  assert.ok(Date.now() - started < 5000, 'a sweep with nothing to do builds nothing');
});

test('a revision that does not build is reported, the others are tracked, exit 1', () => {
  const history = path.join(work, 'broken.jsonl');
  const r = runCli(['sweep', '--source', repo, '--config', 'defconfig', '--revs', 'no-such-tag,t2', '--history', history, '--make-arg', 'V=0']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no-such-tag: FAILED/);
  assert.match(r.stdout, /built 1, skipped 0 \(already tracked\), failed 1: no-such-tag/);
  assert.deepEqual(records(history).map((x) => x.label), ['t2']);
  const bad = runCli(['sweep', '--source', repo, '--config', 'no-such-config-target', '--revs', 't1', '--history', history]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /t1: FAILED: make .*no-such-config-target/);
  assert.equal(runCli(['sweep', '--source', repo, '--revs', 't1', '--history', history]).status, 2, 'no --config');
});

/** A record without its date (when it was measured), which is all two sweeps of one revision may differ in. */
function undated(r: HistoryRecord): Omit<HistoryRecord, 'date'> {
  const { date, ...rest } = r;
  assert.ok(!Number.isNaN(Date.parse(date)), `${r.label} has a date`);
  return rest;
}

function writeRecords(file: string, recs: HistoryRecord[]): void {
  writeFileSync(file, recs.map((r) => JSON.stringify(r) + '\n').join(''));
}

/** One line on stderr: what the CLI prints for bad input. */
function assertOneLine(r: CliResult, what: string): void {
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${what}: one line on stderr, not ${JSON.stringify(r.stderr)}`);
}

test('two shards in parallel, merged, equal one sequential sweep', async (t) => {
  const sweepArgs = (history: string, ...more: string[]): string[] => ['sweep', '--source', repo, '--config', 'defconfig', '--revs', 't1,t2,t3', '--history', history, ...more];
  const sequential = path.join(work, 'sequential.jsonl');
  let started = Date.now();
  const one = runCli(sweepArgs(sequential));
  const oneMs = Date.now() - started;
  assert.equal(one.status, 0, one.stderr);

  const shard1 = path.join(work, 'shard-1.jsonl');
  const shard2 = path.join(work, 'shard-2.jsonl');
  started = Date.now();
  const [r1, r2] = await Promise.all([startCli(sweepArgs(shard1, '--shard', '1/2')), startCli(sweepArgs(shard2, '--shard=2/2'))]);
  const twoMs = Date.now() - started;
  t.diagnostic(`t1,t2,t3: one sweep ${oneMs} ms, two shards in parallel ${twoMs} ms (speed-up ${(oneMs / twoMs).toFixed(2)}x), on ${os.availableParallelism()} CPUs with a load average of ${os.loadavg()[0].toFixed(1)}`);
  assert.equal(r1.status, 0, r1.stderr);
  assert.equal(r2.status, 0, r2.stderr);
  assert.match(r1.stdout, /built 2, skipped 0/);
  assert.match(r2.stdout, /built 1, skipped 0/);
  assert.deepEqual(records(shard1).map((r) => r.label), ['t1', 't3'], 'shard 1/2: the 1st of every 2 revisions');
  assert.deepEqual(records(shard2).map((r) => r.label), ['t2'], 'shard 2/2: the 2nd of every 2');

  // The files are given in the wrong order on purpose: the order comes from git, not from the arguments.
  const merged = path.join(work, 'merged.jsonl');
  const m = runCli(['history', 'merge', shard2, shard1, '--source', repo, '--out', merged, '--expect', 't1,t2,t3']);
  assert.equal(m.status, 0, m.stderr);
  assert.match(m.stdout, /^merged 3 records from 2 files -> /);
  assert.equal(m.stderr, '', 'no gap, and t1..t3 are one line of history');
  assert.deepEqual(records(merged).map(undated), records(sequential).map(undated), 'the merged shards are the sequential sweep, record for record');
  assert.deepEqual(records(merged).map((r) => r.commit), [tags.t1, tags.t2, tags.t3]);
  // The history of the merge reads as any other.
  const table = runCli(['history', merged]);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /t1[\s\S]*t2[\s\S]*t3/);
  assert.equal(git(['worktree', 'list']).trim().split('\n').length, 1, 'no worktree left by the parallel sweeps');
});

test('history merge lists the expected revisions that no shard built, and still writes the rest', () => {
  const shard1 = path.join(work, 'shard-1.jsonl');
  assert.ok(existsSync(shard1), 'made by the test before');
  const out = path.join(work, 'partial.jsonl');
  const r = runCli(['history', 'merge', shard1, '--source', repo, '--out', out, '--expect', 't1, t2 ,t3,no-such-rev']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /gap: t2 \(between t1 and t3\)/);
  assert.match(r.stderr, /gap: no-such-rev \(no such revision in the tree\)/);
  assert.match(r.stdout, /merged 2 records from 1 file -> .*; 2 expected revisions missing: t2, no-such-rev/);
  assert.deepEqual(records(out).map((x) => x.label), ['t1', 't3']);
  // Past either end.
  const shard2 = path.join(work, 'shard-2.jsonl');
  const ends = runCli(['history', 'merge', shard2, '--source', repo, '--out', out, '--expect', tags.t1 + ',t2,t3']);
  assert.equal(ends.status, 1);
  assert.match(ends.stderr, new RegExp(`gap: ${tags.t1} \\(before t2, the first merged record\\)`));
  assert.match(ends.stderr, /gap: t3 \(after t2, the last merged record\)/);
  // Without --expect nothing is missing by definition.
  const plain = runCli(['history', 'merge', shard1, '--source', repo, '--out', out]);
  assert.equal(plain.status, 0, plain.stderr);
});

test('history merge refuses the same build twice, records without a commit, and commits the tree lacks', () => {
  const sequential = path.join(work, 'sequential.jsonl');
  const shard1 = path.join(work, 'shard-1.jsonl');
  const shard2 = path.join(work, 'shard-2.jsonl');
  const out = path.join(work, 'refused.jsonl');
  const twice = runCli(['history', 'merge', shard1, shard2, sequential, '--source', repo, '--out', out]);
  assert.equal(twice.status, 2);
  assertOneLine(twice, 'duplicates');
  assert.match(twice.stderr, new RegExp(`label "t1" is in ${shard1}:1 and ${sequential}:1`));
  assert.match(twice.stderr, new RegExp(`label "t2" is in ${shard2}:1 and ${sequential}:2`));
  assert.match(twice.stderr, new RegExp(`commit ${tags.t3.slice(0, 12)} \\(labels "t3", "t3"\\) is in ${shard1}:2 and ${sequential}:3`));
  assert.ok(!existsSync(out), 'nothing written');

  // One commit under two labels (a tag and its hash, say) is the same build twice too.
  const relabelled = path.join(work, 'relabelled.jsonl');
  writeRecords(relabelled, records(shard2).map((r) => ({ ...r, label: tags.t2 })));
  const sameCommit = runCli(['history', 'merge', shard2, relabelled, '--source', repo, '--out', out]);
  assert.equal(sameCommit.status, 2);
  assert.match(sameCommit.stderr, new RegExp(`commit ${tags.t2.slice(0, 12)} \\(labels "t2", "${tags.t2}"\\) is in ${shard2}:1 and ${relabelled}:1`));

  const noCommit = path.join(work, 'tracked.jsonl');
  writeRecords(noCommit, records(shard2).map(({ commit, ...r }) => ({ ...r, label: `tracked-${commit?.slice(0, 4)}` })));
  const untracked = runCli(['history', 'merge', shard1, noCommit, '--source', repo, '--out', out]);
  assert.equal(untracked.status, 2);
  assertOneLine(untracked, 'no commit');
  assert.match(untracked.stderr, /tracked\.jsonl: line 1: record "tracked-\w+" has no commit/);

  const foreign = path.join(work, 'foreign.jsonl');
  writeRecords(foreign, records(shard2).map((r) => ({ ...r, commit: 'f'.repeat(40) })));
  const lacking = runCli(['history', 'merge', shard1, foreign, '--source', repo, '--out', out]);
  assert.equal(lacking.status, 2);
  assert.match(lacking.stderr, new RegExp(`commit f{40} of "t2" \\(${foreign}:1\\) is not in ${repo}`));
  assert.ok(!existsSync(out), 'nothing written');

  for (const [args, message] of [
    [['history', 'merge', '--source', repo, '--out', out], /needs the history files/],
    [['history', 'merge', shard1, '--out', out], /needs --source TREE/],
    [['history', 'merge', shard1, '--source', repo], /needs --out FILE/],
    [['history', 'merge', path.join(work, 'none.jsonl'), '--source', repo, '--out', out], /none\.jsonl: no such history file/],
    [['history', 'merge', shard1, '--source', repo, '--out', out, '--expect', ','], /--expect names no revision/],
  ] as const) {
    const r = runCli([...args]);
    assert.equal(r.status, 2, args.join(' '));
    assertOneLine(r, args.join(' '));
    assert.match(r.stderr, message);
  }
});

test('history merge orders commits of two branches topologically and says so', () => {
  const sequential = path.join(work, 'sequential.jsonl');
  // A commit on a branch off t1, made without touching the work tree: t1 < side, and side is unrelated to t2 and t3.
  const side = git(['commit-tree', `${tags.t1}^{tree}`, '-p', tags.t1, '-m', 'side branch']).trim();
  const sideFile = path.join(work, 'side.jsonl');
  writeRecords(sideFile, [{ ...records(sequential)[0], label: 'side', commit: side }]);
  const out = path.join(work, 'branches.jsonl');
  const r = runCli(['history', 'merge', sideFile, sequential, '--source', repo, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const labels = records(out).map((x) => x.label);
  assert.equal(labels[0], 't1', 'the common ancestor first');
  assert.ok(labels.indexOf('t2') < labels.indexOf('t3'), 't2 before its descendant t3');
  assert.equal(labels.length, 4);
  // git's own answer for the neighbours the merge calls unrelated.
  const notes = [...r.stderr.matchAll(/note: (\S+) and (\S+) are on different branches/g)].map((m) => [m[1], m[2]]);
  assert.ok(notes.length >= 1, r.stderr);
  const commitOf = (l: string): string => (l === 'side' ? side : tags[l]);
  for (const [a, b] of notes) {
    const ancestor = spawnSync('git', ['-C', repo, 'merge-base', '--is-ancestor', commitOf(a), commitOf(b)]).status;
    assert.equal(ancestor, 1, `${a} is not an ancestor of ${b}`);
  }
});

test('bad shard specs are refused with one line, exit 2, before anything is built', () => {
  const history = path.join(work, 'bad-shard.jsonl');
  for (const spec of ['0/2', '3/2', '2/0', '0/0', '1', 'a/b', '1/2/3', '-1/2', '1.5/2', '1/2x', '', ' ']) {
    const r = runCli(['sweep', '--source', repo, '--config', 'defconfig', '--revs', 't1,t2', '--history', history, '--shard', spec]);
    assert.equal(r.status, 2, `--shard "${spec}": ${r.stderr}`);
    assertOneLine(r, `--shard "${spec}"`);
    assert.match(r.stderr, /^kbloat: --shard needs K\/N/);
    assert.ok(!existsSync(history), `--shard "${spec}": nothing was swept`);
  }
  // More shards than revisions: the extra shard has nothing to build, and says so with an empty history.
  const empty = runCli(['sweep', '--source', repo, '--config', 'defconfig', '--revs', 't1', '--history', history, '--shard', '2/2']);
  assert.equal(empty.status, 0, empty.stderr);
  assert.match(empty.stdout, /built 0, skipped 0/);
  assert.equal(readFileSync(history, 'utf8'), '');
});

test('sweep --modularized records the revision rebuilt after make yes2modconfig, as a build by hand measures it', () => {
  const history = path.join(work, 'modularized.jsonl');
  const out = path.join(work, 'out-modularized');
  const r = runCli(['sweep', '--source', repo, '--config', 'defconfig', '--revs', 't1,t3', '--history', history, '--out', out, '--modularized']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /built 2, skipped 0/);
  const [t1, t3] = records(history);
  for (const rec of [t1, t3]) {
    assert.ok(rec.modularizedBuild, `${rec.label} has a rebuilt figure`);
    assert.ok(rec.modularizedBuild.resident < rec.totals.resident, `${rec.label}: rebuilt ${rec.modularizedBuild.resident} < as configured ${rec.totals.resident}`);
    assert.ok(rec.modularizedBuild.image > 0);
    assert.ok(rec.modularized, `${rec.label}: the no-rebuild floor is still recorded`);
    assert.ok(existsSync(path.join(out, `${rec.label}.modularized`, 'vmlinux')), `${rec.label}: the rebuild's O= folder is kept under --out`);
  }
  // t3 builds the heartbeat driver in; yes2modconfig makes it a module again, as at t1.
  assert.equal(readFileSync(path.join(out, 't3.modularized', '.config'), 'utf8').match(/^CONFIG_MISC_HEARTBEAT=.*$/m)?.[0], 'CONFIG_MISC_HEARTBEAT=m');

  // The same revision (t1 is the example tree as it is) built by hand: defconfig, yes2modconfig, then the build.
  const hand = buildMiniKernel({ outOfTree: true, extraMakeArgs: ['defconfig', 'yes2modconfig', 'all'] });
  try {
    const config = readFileSync(path.join(hand.buildDir, '.config'), 'utf8');
    const defconfig = readFileSync(path.join(MINIKERNEL_DIR, 'arch/mini/configs/mini_defconfig'), 'utf8');
    for (const sym of ['CONFIG_SERIAL_MINI', 'CONFIG_EEPROM_MINI', 'CONFIG_CRC16']) {
      assert.match(defconfig, new RegExp(`^${sym}=y$`, 'm'), `${sym} is built in by the defconfig`);
      assert.match(config, new RegExp(`^${sym}=m$`, 'm'), `${sym} is a module after yes2modconfig`);
    }
    // It depends on SERIAL_MINI=y: Kconfig (the real conf) leaves the invisible bool out of .config.
    assert.doesNotMatch(config, /^CONFIG_SERIAL_MINI_CONSOLE=/m, 'it depends on SERIAL_MINI=y');
    assert.match(config, /^CONFIG_PRINTK=y$/m, 'a bool stays as it was');
    const handHistory = path.join(work, 'hand.jsonl');
    const tracked = runCli(['track', hand.buildDir, '--history', handHistory, '--label', 'hand']);
    assert.equal(tracked.status, 0, tracked.stderr);
    const [byHand] = records(handHistory);
    assert.ok(byHand.totals.resident < t1.totals.resident);
    assert.deepEqual(t1.modularizedBuild, { resident: byHand.totals.resident, image: byHand.totals.image }, 'the sweep\'s rebuild measures what the build by hand does');
  } finally {
    cleanupMiniBuild(hand);
  }

  // The page draws the rebuilt figure as points beside the floor.
  const page = path.join(work, 'modularized.html');
  const html = runCli(['history', history, '--html', page]);
  assert.equal(html.status, 0, html.stderr);
  assert.equal(readFileSync(page, 'utf8').match(/class="marker rebuilt" data-label/g)?.length, 2);
});
