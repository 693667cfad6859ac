/**
 * `kbloat check` on two real builds of the mini tree, the second one with a
 * 4 KiB table and a function added: budgets that hold (exit 0, one OK line),
 * broken budgets with their top contributors (exit 1), bad input (exit 2).
 * The expected figures come from `kbloat report --json` of the same builds,
 * whose totals the report tests tie to readelf.
 */
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { parsePercent, parseSize } from '../server/src/tracker/budget';
import { humanSize } from '../server/src/shared/units';
import { runCli, tempDir } from './helpers';
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
