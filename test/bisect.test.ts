/**
 * `kbloat bisect` on a real git repository of the mini tree, with real builds:
 * six commits after the good one, of which exactly one (the fifth) adds a 4 KiB
 * table, the others a few bytes each, and one (the third) does not build. The
 * bisection must name the table's commit, not the broken one (which it skips),
 * report the growth that readelf measures between that commit's vmlinux and its
 * parent's (both built here, in-tree, from `git archive`), and leave the user's
 * repository as it was: HEAD, branch, index, uncommitted and untracked files, no
 * worktree and no bisection left, nothing left in the temporary folder.
 *
 * The CLI is bundled here into a temporary folder with esbuild.mjs's options,
 * as an installed kbloat (dist/cli.js) is: esbuild.mjs always writes dist/,
 * which other work may be using. One run is from the sources under tsx, as a
 * developer runs it, because the step git calls is kbloat calling itself and
 * must work both ways. SIGTERM in the middle of a bisection must clean up too.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import { readelfSections, REPO, run, tempDir, BUNDLE_OPTIONS } from './helpers';
import { copyMiniKernelSource } from './minikernel';


let work: string;
let repo: string;
let bundle: string;
/** The temporary folder the CLI is given (TMPDIR): whatever kbloat leaves there is a leak. */
let cliTmp: string;
const commits: Record<string, string> = {};

function git(args: string[]): string {
  // The identity is given on the command line, so that the test needs no git configuration.
  return execFileSync('git', ['-c', 'user.email=kbloat-test@example.invalid', '-c', 'user.name=kbloat test', '-c', 'commit.gpgsign=false', '-C', repo, ...args], { encoding: 'utf8' });
}

function append(rel: string, text: string): void {
  writeFileSync(path.join(repo, rel), readFileSync(path.join(repo, rel), 'utf8') + text);
}

function commit(name: string, message: string): void {
  git(['commit', '-q', '-a', '-m', message]);
  commits[name] = git(['rev-parse', 'HEAD']).trim();
}

/** make without what the caller's environment would add (kbloat tests run from npm, maybe from make). */
function make(args: string[]): void {
  const env = { ...process.env };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEFILES', 'GNUMAKEFLAGS', 'KBUILD_OUTPUT', 'KCONFIG_CONFIG', 'O', 'V']) delete env[k];
  execFileSync('make', args, { env, stdio: 'ignore' });
}

before(async () => {
  work = tempDir('bisect');
  repo = path.join(work, 'linux');
  cliTmp = path.join(work, 'tmp');
  mkdirSync(cliTmp);
  bundle = path.join(work, 'bundle');
  await Promise.all(
    ['cli', 'sourceFactsWorker'].map((name) => build({ ...BUNDLE_OPTIONS, entryPoints: [`server/src/bin/${name}.ts`], outfile: path.join(bundle, `${name}.js`) })),
  );
  copyMiniKernelSource(repo);
  make(['-s', '-C', repo, 'mrproper']);
  execFileSync('git', ['init', '-q', repo]);
  git(['add', '-A']);
  commit('good', 'initial');
  append('lib/string.c', '\nsize_t strnlen_mini(const char *s, size_t n)\n{\n\tsize_t i = 0;\n\n\twhile (i < n && s[i])\n\t\ti++;\n\treturn i;\n}\n');
  commit('c1', 'lib: add strnlen_mini()');
  append('kernel/fork.c', '\nint fork_count_mini;\n\nint fork_count(void)\n{\n\treturn ++fork_count_mini;\n}\n');
  commit('c2', 'fork: count forks');
  // Where git bisects first: it does not build, so it must be skipped, never blamed.
  append('kernel/printk.c', '\nint printk_level_max = PRINTK_LEVEL_MAX;\n');
  commit('broken', 'printk: add printk_level_max');
  writeFileSync(path.join(repo, 'kernel/printk.c'), readFileSync(path.join(repo, 'kernel/printk.c'), 'utf8').replace('= PRINTK_LEVEL_MAX;', '= 7;'));
  commit('fixed', 'printk: define printk_level_max');
  append('kernel/panic.c', '\nint panic_notes[1024] = { 1 };\n\nint panic_note(int i)\n{\n\treturn panic_notes[i & 1023];\n}\n');
  commit('planted', 'panic: add panic_notes[]');
  append('kernel/panic.c', '\nint panic_verbose = 1;\n');
  commit('bad', 'panic: add panic_verbose');
  // The user's own uncommitted work, which no bisection may touch.
  append('README.md', '\nA local note.\n');
  writeFileSync(path.join(repo, 'notes.txt'), 'untracked\n');
});
after(() => work && rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(bundle, 'cli.js'), ...args], { encoding: 'utf8', env: cliEnv() });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cliEnv(): NodeJS.ProcessEnv {
  return { ...process.env, TMPDIR: cliTmp, KBLOAT_CACHE_DIR: path.join(work, 'cache') };
}

/** What the user sees of their repository; a bisection must not change any of it. */
function userState(): Record<string, string> {
  return {
    head: git(['rev-parse', 'HEAD']).trim(),
    branch: git(['symbolic-ref', '--short', 'HEAD']).trim(),
    status: git(['status', '--porcelain']),
    readme: readFileSync(path.join(repo, 'README.md'), 'utf8'),
    worktrees: git(['worktree', 'list', '--porcelain']),
    bisectRefs: git(['for-each-ref', 'refs/bisect']),
  };
}

function assertUntouched(before: Record<string, string>, what: string): void {
  assert.deepEqual(userState(), before, `${what}: the user's repository is as it was`);
  assert.equal(git(['worktree', 'list']).trim().split('\n').length, 1, `${what}: no worktree is left`);
  assert.ok(!existsSync(path.join(repo, '.git', 'BISECT_LOG')), `${what}: the user's repository is not bisecting`);
  assert.deepEqual(leftovers(), [], `${what}: nothing is left in the temporary folder`);
}

/** What is in the CLI's temporary folder, less tsx's compile cache (the run from sources makes it). */
function leftovers(): string[] {
  return readdirSync(cliTmp).filter((name) => !name.startsWith('tsx-'));
}

/** Resident bytes of a vmlinux from readelf -S: the allocated sections, less those between __init_begin and __init_end. */
function readelfResident(vmlinux: string): number {
  const symbol = (name: string): bigint => {
    const m = new RegExp(`^([0-9a-f]+) \\S ${name}$`, 'm').exec(run('nm', [vmlinux]));
    assert.ok(m, `${name} in ${vmlinux}`);
    return BigInt('0x' + m[1]);
  };
  const [begin, end] = [symbol('__init_begin'), symbol('__init_end')];
  return readelfSections(vmlinux)
    .filter((s) => s.flags.includes('A') && !(s.addr >= begin && s.addr + BigInt(s.size) <= end))
    .reduce((sum, s) => sum + s.size, 0);
}

/** Berkeley `size`'s total (text + data + bss, init included). */
function sizeTotal(vmlinux: string): number {
  const line = run('size', [vmlinux]).trim().split('\n')[1];
  return Number(line.trim().split(/\s+/)[3]);
}

/** Builds a commit in-tree from `git archive`, away from the repository, and returns its vmlinux. */
function buildCommit(name: string): string {
  const dir = path.join(work, `build-${name}`);
  mkdirSync(dir);
  execFileSync('tar', ['-x', '-C', dir], { input: execFileSync('git', ['-C', repo, 'archive', commits[name]], { maxBuffer: 1 << 30 }) });
  make(['-s', '-C', dir, 'defconfig']);
  make(['-s', '-C', dir, '-j2']);
  return path.join(dir, 'vmlinux');
}

test('bisect names the commit that grew the kernel, skips the one that does not build, and leaves the repository alone', () => {
  const state = userState();
  const r = cli(['bisect', '--source', repo, '--good', commits.good, '--bad', 'HEAD', '--config', 'defconfig', '--threshold', '2K']);
  assert.equal(r.status, 0, r.stderr);
  const planted = git(['log', '--format=%H', '-1', '--grep=^panic: add panic_notes']).trim();
  assert.equal(planted, commits.planted);
  assert.match(r.stdout, new RegExp(`^first bad commit: ${planted}$`, 'm'));
  assert.match(r.stdout, /^Author: kbloat test <kbloat-test@example\.invalid>$/m);
  assert.match(r.stdout, /^ {4}panic: add panic_notes\[\]$/m);
  // The broken commit is where git looked first: it was skipped, not blamed.
  assert.match(r.stdout, new RegExp(`^skipped \\(does not build\\):\\n  ${commits.broken} printk: add printk_level_max$`, 'm'));
  assert.match(r.stderr, /printk: add printk_level_max: does not build, skipped/);

  // The growth it reports is the one readelf measures between the two kernels.
  const growth = /^resident: ([+-][\d,]+) B over its parent ([0-9a-f]{12}) /m.exec(r.stdout);
  assert.ok(growth, r.stdout);
  assert.equal(growth[2], commits.fixed.slice(0, 12), 'the parent is the commit before');
  const [parentVmlinux, plantedVmlinux] = [buildCommit('fixed'), buildCommit('planted')];
  const truth = readelfResident(plantedVmlinux) - readelfResident(parentVmlinux);
  assert.ok(truth >= 4096, `the table adds at least 4 KiB: ${truth}`);
  assert.equal(Number(growth[1].replace(/[+,]/g, '')), truth, 'reported growth = readelf -S difference');
  assert.equal(sizeTotal(plantedVmlinux) - sizeTotal(parentVmlinux), truth, 'and size(1) agrees (no init bytes changed)');

  // Its kbloat diff against the parent says where the bytes went.
  assert.match(r.stdout, /^kbloat diff [0-9a-f]{12} [0-9a-f]{12}:$/m);
  assert.match(r.stdout, /^kernel\/panic\.c +\+4,\d{3} B/m);
  assert.match(r.stdout, /^added +panic_notes +kernel\/panic\.c +- +4,096 B +\+4,096 B$/m);
  assertUntouched(state, 'after the bisection');
});

test('from the sources under tsx, with --out: the step kbloat calls is kbloat again, and the O= folder is kept', () => {
  const state = userState();
  const out = path.join(work, 'out-tsx');
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'server/src/bin/cli.ts', 'bisect', '--source', repo, '--good', commits.fixed, '--bad', commits.bad, '--config', 'defconfig', '--threshold=3000', '--out', out, '--make-arg', '-j2'],
    { cwd: REPO, encoding: 'utf8', env: cliEnv() },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^first bad commit: ${commits.planted}$`, 'm'));
  // The planted commit was tested by a step (the run between the two ends), the parent reused from the good end.
  assert.match(r.stderr, new RegExp(`${commits.planted.slice(0, 12)} panic: add panic_notes\\[\\]: resident [\\d,]+ B, bad`));
  assert.doesNotMatch(r.stderr, /the parent was not built/);
  assert.doesNotMatch(r.stdout, /skipped/);
  assert.ok(existsSync(path.join(out, 'vmlinux')), 'the O= folder is kept under --out');
  assertUntouched(state, 'after the run from sources');
});

test('SIGTERM in the middle of a bisection removes the worktree and the bisection', async () => {
  const state = userState();
  const child = spawn(process.execPath, [path.join(bundle, 'cli.js'), 'bisect', '--source', repo, '--good', commits.good, '--bad', commits.bad, '--config', 'defconfig', '--threshold', '2K'], {
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    // The first step has given its verdict: git bisect run is under way.
    if (!sent && /: (good|bad|does not build, skipped)/.test(stderr)) {
      sent = true;
      child.kill('SIGTERM');
    }
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.ok(sent, `the bisection reached a step: ${stderr}`);
  assert.equal(status, 143, stderr);
  assert.match(stderr, /interrupted by SIGTERM; the worktree and the bisection were removed/);
  assertUntouched(state, 'after SIGTERM');
});

test('a bad revision within the budget: nothing to bisect, exit 1', () => {
  const state = userState();
  const r = cli(['bisect', '--source', repo, '--good', commits.good, '--bad', commits.c2, '--config', 'defconfig', '--threshold', '1.5K']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, new RegExp(`^no regression: bad ${commits.c2.slice(0, 12)} is [\\d,]+ B resident, within the budget \\(good ${commits.good.slice(0, 12)} [\\d,]+ B \\+ 1,536 B = [\\d,]+ B\\)$`, 'm'));
  assertUntouched(state, 'after a range within the budget');
});

test('bad input: one line on stderr, exit 2', () => {
  const base = ['bisect', '--source', repo, '--good', commits.good, '--bad', commits.bad, '--config', 'defconfig', '--threshold', '2K'];
  const without = (name: string): string[] => {
    const i = base.indexOf(name);
    return [...base.slice(0, i), ...base.slice(i + 2)];
  };
  const cases: [string, string[], RegExp][] = [
    ['no --threshold', without('--threshold'), /bisect needs --threshold SIZE/],
    ['no --good', without('--good'), /bisect needs --good REV/],
    ['no --config', without('--config'), /bisect needs --config TARGET/],
    ['a threshold that is no size', [...without('--threshold'), '--threshold', '2X'], /--threshold: "2X" is not a size/],
    ['an unknown option', [...base, '--jobs', '4'], /unknown option --jobs/],
    ['an unknown revision', [...without('--good'), '--good', 'no-such-rev'], /--good: no commit "no-such-rev"/],
    ['a revision that reads as an option', [...without('--bad'), '--bad=--all'], /--bad: "--all" is not a revision/],
    ['good after bad', ['bisect', '--source', repo, '--good', commits.bad, '--bad', commits.good, '--config', 'defconfig', '--threshold', '2K'], /is not an ancestor of --bad/],
    ['the same commit', [...without('--bad'), '--bad', commits.good], /are the same commit/],
    ['a folder that is no git tree', [...without('--source'), '--source', cliTmp], /not a git repository/],
    ['no such folder', [...without('--source'), '--source', path.join(work, 'nowhere')], /is not a folder/],
  ];
  for (const [what, args, message] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `${what}: ${r.stderr}`);
    assert.match(r.stderr, message, what);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${what}: one line: ${r.stderr}`);
    assert.equal(r.stdout, '', what);
  }
  assert.deepEqual(leftovers(), [], 'bad input leaves nothing behind');
});
