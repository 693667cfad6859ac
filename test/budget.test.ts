/**
 * `kbloat check` on two real builds of the mini tree, the second one with a
 * 4 KiB table and a function added: budgets that hold (exit 0, one OK line),
 * broken budgets with their top contributors (exit 1), bad input (exit 2).
 * The expected figures come from `kbloat report --json` of the same builds,
 * whose totals the report tests tie to readelf. A broken growth budget that
 * the commit justifies (`--justification-from`): commits made in temporary git
 * repositories, their trailers read by `git interpret-trailers --parse` as the
 * ground truth for ours.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { parsePercent, parseSize } from '../server/src/tracker/budget';
import { justificationsOf, parseTrailers } from '../server/src/tracker/justification';
import { humanSize } from '../server/src/shared/units';
import { REPO, runCli, tempDir } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';

interface ReportFile { path: string; status: string; bytes: Record<string, number> }
interface Report { totals: { image: number; resident: number; init: number }; files: ReportFile[] }

let oldBuild: MiniBuild;
let newBuild: MiniBuild;
let oldReport: Report;
let newReport: Report;

function report(b: MiniBuild): Report {
  const r = runCli(['report', b.buildDir, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

before(() => {
  oldBuild = buildMiniKernel();
  newBuild = buildMiniKernel({
    prepare: (src) => appendFileSync(path.join(src, 'kernel/panic.c'), '\nint panic_budget_table[1024] = { 1 };\n\nint panic_budget_lookup(int i)\n{\n\treturn panic_budget_table[i & 1023];\n}\n'),
  });
  oldReport = report(oldBuild);
  newReport = report(newBuild);
});
after(() => [oldBuild, newBuild].forEach((b) => b && cleanupMiniBuild(b)));

const total = (f: ReportFile): number => Object.values(f.bytes).reduce((a, n) => a + n, 0);
const resident = (f: ReportFile): number => total(f) - (f.bytes.init ?? 0);

/** The five largest built-in files by a measure, as check prints them. */
function top5(r: Report, measure: (f: ReportFile) => number): string[] {
  return r.files
    .filter((f) => f.status === 'built-in' && measure(f) > 0)
    .sort((a, b) => measure(b) - measure(a) || a.path.localeCompare(b.path))
    .slice(0, 5)
    .map((f) => `${humanSize(measure(f))}  ${f.path}`);
}

test('sizes and percentages as CI scripts write them', () => {
  const sizes: [string, number | undefined][] = [
    ['1.5M', 1572864], ['800K', 819200], ['1G', 1073741824], ['123456', 123456], ['1.5MiB', 1572864], ['800KB', 819200],
    ['64k', 65536], ['100B', 100], ['0', 0], ['1.5X', undefined], ['-1M', undefined], ['M', undefined], ['', undefined], ['1.2.3', undefined], ['12 apples', undefined],
  ];
  for (const [text, bytes] of sizes) assert.equal(parseSize(text), bytes, text);
  const pcts: [string, number | undefined][] = [['2', 2], ['2%', 2], ['0.5', 0.5], ['.5%', 0.5], ['two', undefined], ['-1', undefined], ['2%%', undefined]];
  for (const [text, pct] of pcts) assert.equal(parsePercent(text), pct, text);
});

test('budgets that hold: exit 0 and one OK line (a budget equal to the size holds)', () => {
  const t = newReport.totals;
  const r = runCli(['check', newBuild.buildDir, '--max-resident', String(t.resident), '--max-image', '1G', '--max-growth', '50%', '--baseline', oldBuild.buildDir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^OK: resident [^\n]+ \(budget [^\n]+\) · image [^\n]+ \(budget 1024\.0 MiB\) · resident growth \+[\d.]+% \(\+4,\d{3} B; budget 50%\)\n$/);
  // A build that shrank holds any growth budget.
  const shrink = runCli(['check', oldBuild.buildDir, '--max-growth', '0', '--baseline', newBuild.buildDir]);
  assert.equal(shrink.status, 0, shrink.stdout);
  assert.match(shrink.stdout, /^OK: resident growth -[\d.]+% \(-4,\d{3} B; budget 0%\)\n$/);
});

test('a broken absolute budget: exit 1, the excess, and the five largest files', () => {
  const t = newReport.totals;
  const r = runCli(['check', newBuild.buildDir, '--max-resident', String(t.resident - 1), '--max-image', '1G']);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `resident ${humanSize(t.resident)} exceeds budget ${humanSize(t.resident - 1)} by 1 B`);
  assert.deepEqual(lines.slice(1).map((l) => l.trim()), top5(newReport, resident));
  assert.equal(lines.length, 6, 'the image budget holds and is not listed');

  const img = runCli(['check', newBuild.buildDir, '--max-image', '50K']);
  assert.equal(img.status, 1);
  const il = img.stdout.trimEnd().split('\n');
  assert.equal(il[0], `image ${humanSize(t.image)} exceeds budget 50.0 KiB by ${humanSize(t.image - 50 * 1024)}`);
  assert.deepEqual(il.slice(1).map((l) => l.trim()), top5(newReport, total));
});

test('a broken growth budget: exit 1 and the largest growers against the baseline', () => {
  const before = oldReport.totals.resident;
  const delta = newReport.totals.resident - before;
  assert.ok(delta >= 4096, `the new build grew (${delta} B)`);
  const growth = (delta * 100) / before;
  const r = runCli(['check', newBuild.buildDir, '--max-growth', '1', '--baseline', oldBuild.buildDir]);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `resident growth +${Number(growth.toFixed(2))}% (+${humanSize(delta)} over the baseline) exceeds budget 1% by ${Number((growth - 1).toFixed(2))} percentage points`);
  const panicGrowth = resident(newReport.files.find((f) => f.path === 'kernel/panic.c')!) - resident(oldReport.files.find((f) => f.path === 'kernel/panic.c')!);
  assert.ok(panicGrowth >= 4096);
  assert.equal(lines[1].trim(), `+${humanSize(panicGrowth)}  kernel/panic.c`);
  assert.ok(lines.length <= 6);
});

test('bad input: exit 2 with one line on stderr', () => {
  const cases: [string[], RegExp][] = [
    [['check', newBuild.buildDir, '--max-resident', '1.5X'], /"1\.5X" is not a size/],
    [['check', newBuild.buildDir, '--max-image', '-3M'], /is not a size/],
    [['check', newBuild.buildDir, '--max-growth', 'lots', '--baseline', oldBuild.buildDir], /is not a percentage/],
    [['check', newBuild.buildDir, '--max-growth', '2'], /--max-growth needs --baseline/],
    [['check', newBuild.buildDir], /check needs a budget/],
    [['check', path.join(tempDir('gone'), 'nothing'), '--max-resident', '1M'], /no such folder/],
    [['check', tempDir('empty'), '--max-resident', '1M'], /no vmlinux or System\.map/],
    [['check', newBuild.buildDir, '--max-growth', '2', '--baseline', tempDir('nobase')], /no vmlinux or System\.map/],
  ];
  for (const [args, message] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^kbloat: [^\n]+\n$/, args.join(' '));
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
});

/** The CLI from its sources (the justification is newer than dist/). */
function kbloat(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'server/src/bin/cli.ts'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, KBLOAT_CACHE_DIR: tempDir('cache'), ...GIT_ENV },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** git without user or system configuration (no trailer.* settings), as a fixed author. */
const GIT_ENV = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Kernel Hacker',
  GIT_AUTHOR_EMAIL: 'hacker@example.com',
  GIT_COMMITTER_NAME: 'Kernel Hacker',
  GIT_COMMITTER_EMAIL: 'hacker@example.com',
};

function git(dir: string, args: string[], input?: string): string {
  const r = spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8', input, env: { ...process.env, ...GIT_ENV } });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** `git interpret-trailers --parse`: the trailers git finds in a message, as `Key: value` lines. */
function gitTrailers(message: string): string[] {
  return git(REPO, ['interpret-trailers', '--parse'], message).split('\n').filter((l) => l !== '');
}

/** A new repository with one empty commit per message; returns the commits' hashes. */
function repoWith(dir: string, messages: string[]): string[] {
  git(dir, ['init', '-q']);
  return messages.map((m) => {
    git(dir, ['commit', '-q', '--allow-empty', '-F', '-'], m);
    return git(dir, ['rev-parse', 'HEAD']).trim();
  });
}

const REASON = 'panic_budget_table replaces a loop that ran on every panic';
const JUSTIFIED = `panic: look up budgets in a table\n\nThe loop ran on every panic.\n\nKernel-Size-Justification: panic_budget_table replaces a loop\n  that ran on every panic\nSigned-off-by: Kernel Hacker <hacker@example.com>\n`;
const UNJUSTIFIED = 'panic: look up budgets in a table\n\nThe loop ran on every panic.\n\nSigned-off-by: Kernel Hacker <hacker@example.com>\n';
/** The trailer in the middle of the message: a paragraph follows it, so it is no trailer. */
const TOO_EARLY = 'panic: look up budgets in a table\n\nKernel-Size-Justification: said in the wrong place\n\nThe loop ran on every panic, and this paragraph comes last.\n';

let repo: string;
let commits: Record<'justified' | 'unjustified' | 'early', string>;

test('the commits\' trailers, as git reads them', () => {
  repo = tempDir('justify');
  const [justified, unjustified, early] = repoWith(repo, [JUSTIFIED, UNJUSTIFIED, TOO_EARLY]);
  commits = { justified, unjustified, early };
  for (const [rev, expected] of [[justified, [REASON]], [unjustified, []], [early, []]] as const) {
    const message = git(repo, ['log', '-1', '--format=%B', rev]);
    const theirs = gitTrailers(message).filter((l) => l.startsWith('Kernel-Size-Justification: ')).map((l) => l.slice('Kernel-Size-Justification: '.length));
    assert.deepEqual(theirs, expected, `git's trailers of ${rev}`);
    assert.deepEqual(justificationsOf(message), expected, `our trailers of ${rev}`);
  }
});

test('a broken growth budget passes with the justification of the commit, and prints it', () => {
  const r = kbloat(['check', newBuild.buildDir, '--max-growth', '1', '--baseline', oldBuild.buildDir, '--justification-from', commits.justified, '--source', repo]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  const broken = kbloat(['check', newBuild.buildDir, '--max-growth', '1', '--baseline', oldBuild.buildDir]).stdout.trimEnd().split('\n');
  assert.match(broken[0], /^resident growth \+[\d.]+% \(.*\) exceeds budget 1% by [\d.]+ percentage points$/);
  assert.equal(lines[0], `justified: ${broken[0]}`);
  assert.equal(lines[1], `  Kernel-Size-Justification (${commits.justified.slice(0, 12)}): ${REASON}`);
  assert.deepEqual(lines.slice(2), broken.slice(1), 'the largest growers follow, as without a justification');
  // A symbolic revision names the same commit (HEAD is the last one: no trailer).
  const head = kbloat(['check', newBuild.buildDir, '--max-growth', '1', '--baseline', oldBuild.buildDir, '--justification-from', 'HEAD~2', '--source', repo]);
  assert.equal(head.status, 0, head.stderr);
  assert.equal(head.stdout, r.stdout);
  // A budget that holds says nothing of the justification.
  const holds = kbloat(['check', newBuild.buildDir, '--max-growth', '50', '--baseline', oldBuild.buildDir, '--justification-from', commits.justified, '--source', repo]);
  assert.equal(holds.status, 0, holds.stderr);
  assert.match(holds.stdout, /^OK: resident growth \+[\d.]+% \(\+4,\d{3} B; budget 50%\)\n$/);
});

test('without the trailer, or with it before the last paragraph, the broken budget fails', () => {
  for (const rev of [commits.unjustified, commits.early]) {
    const r = kbloat(['check', newBuild.buildDir, '--max-growth', '1', '--baseline', oldBuild.buildDir, '--justification-from', rev, '--source', repo]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^resident growth \+[\d.]+% .* exceeds budget 1% by [\d.]+ percentage points$/);
    assert.equal(lines[1], `  not justified: commit ${rev.slice(0, 12)} has no Kernel-Size-Justification trailer`);
    assert.doesNotMatch(r.stdout, /said in the wrong place/);
  }
  // An absolute ceiling is not waived by a justification (and the option says so).
  const absolute = kbloat(['check', newBuild.buildDir, '--max-resident', '1K', '--justification-from', commits.justified, '--source', repo]);
  assert.equal(absolute.status, 2);
  assert.match(absolute.stderr, /^kbloat: --justification-from only justifies growth[^\n]*\n$/);
});

test('the git tree defaults to the build\'s source tree', () => {
  // The mini build is in-tree: its source tree is the build folder.
  const [rev] = repoWith(newBuild.srcDir, [JUSTIFIED]);
  const r = kbloat(['check', newBuild.buildDir, '--max-growth', '1', '--baseline', oldBuild.buildDir, '--justification-from', 'HEAD']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.split('\n')[1], `  Kernel-Size-Justification (${rev.slice(0, 12)}): ${REASON}`);
});

test('--justification-from: an unknown revision, no git tree, bad combinations: exit 2 with one line', () => {
  const cases: [string[], RegExp][] = [
    [['--max-growth', '1', '--baseline', oldBuild.buildDir, '--justification-from', 'no-such-branch', '--source', repo], /unknown revision "no-such-branch"/],
    [['--max-growth', '50', '--baseline', oldBuild.buildDir, '--justification-from', 'deadbeef', '--source', repo], /unknown revision "deadbeef"/],
    [['--max-growth', '1', '--baseline', oldBuild.buildDir, '--justification-from', '--output=/tmp/x', '--source', repo], /"--output=\/tmp\/x" is not a revision/],
    [['--max-growth', '1', '--baseline', oldBuild.buildDir, '--justification-from', 'HEAD', '--source', tempDir('nogit')], /not a git repository/],
    [['--max-growth', '1', '--baseline', oldBuild.buildDir, '--source', repo], /--source names the git tree of --justification-from/],
  ];
  for (const [args, message] of cases) {
    const r = kbloat(['check', newBuild.buildDir, ...args]);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^kbloat: [^\n]+\n$/, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
});

test('trailers are parsed as git interpret-trailers --parse parses them', () => {
  const crafted = [
    JUSTIFIED, UNJUSTIFIED, TOO_EARLY,
    'Kernel-Size-Justification: a subject is no trailer\n',
    'Subject\n\nKey: a\n  continued\n\tmore\nOther : b\n',
    'Subject\n\nBody\n\nSigned-off-by: A <a@b>\nsome text\nKernel-Size-Justification: a quarter are trailers, one by git\n',
    'Subject\n\nBody\n\nsome text\nmore text\nKernel-Size-Justification: not all are trailers\n',
    'Subject\n\nKernel-Size-Justification: before the patch\n---\n kernel/panic.c | 2 +-\nKey: in the patch\n',
    'Subject\n\nKernel-Size-Justification: before comments\n# a comment\n\n# another\n',
    'Subject\n\nKernel-Size-Justification: crlf\r\n',
    'Subject\n\nKey: v\n# ------------------------ >8 ------------------------\nOther: after the scissors\n',
    'Subject\n\n(cherry picked from commit abc)\nfoo\nbar\nbaz\nKey: v\n',
    'Subject\n\n(cherry picked from commit abc)\nfoo\nbar\nbaz\nqux\nKey: v\n',
    'Subject\n\nBody\n\nKey: v\nConflicts:\n\tfile.c\n',
    'Subject\n\nKey v: x\nKey-2 :x\nkernel-size-justification:   lower case  \n',
    'Subject\n\nKey: a\n continued: b\n',
    '\n\nKey: after blank lines\n',
  ];
  // And messages put together at random from lines that matter to the rules.
  const pool = ['Subject', '', '', 'Body text.', 'Key: value', 'Kernel-Size-Justification: because', '  continued', '\tcontinued', 'Signed-off-by: A <a@b>', '(cherry picked from commit 0123abc)', '# comment', '---', '--- a/file', 'Not a: trailer', 'Key : spaced', 'http://example.com/x', ': no key', 'Conflicts:', '\tfile.c', 'Key:', 'key-x:y', '   ', 'Kernel-Size-Justification:'];
  let seed = 18;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const generated = Array.from({ length: 300 }, () => {
    const lines = Array.from({ length: 1 + random(10) }, () => pool[random(pool.length)]);
    return lines.join('\n') + (random(4) ? '\n' : '');
  });
  for (const message of [...crafted, ...generated]) {
    assert.deepEqual(parseTrailers(message).map((t) => `${t.key}: ${t.value}`.trimEnd()), gitTrailers(message).map((l) => l.trimEnd()), JSON.stringify(message));
  }
});
