/**
 * `kbloat track` and `kbloat history` on two real builds of the mini tree, the
 * second one grown (a function with a big table in kernel/fork.c, more code in
 * mm/). The records are checked against `kbloat report --json` of each build; the
 * HTML page is opened in headless Chromium, which must draw one area per top-level
 * directory and load nothing from outside the page.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { configHash, HistoryRecord } from '../server/src/tracker/history';
import { historyHtml } from '../server/src/render/historyPage';
import { REPO, runCli, tempDir } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';

const CHROMIUM = '/usr/bin/chromium';

// The browser's globals, as far as the page callbacks below use them (the tests compile without the DOM library).
declare function getComputedStyle(e: unknown): { fill: string; backgroundColor: string };
declare const document: { body: unknown };
const chromiumSkip = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (Debian's chromium package; .ci/setup installs it): the page is not opened in a browser`;

function append(src: string, rel: string, text: string): void {
  const file = path.join(src, rel);
  writeFileSync(file, readFileSync(file, 'utf8') + text);
}

/** The second build: 8 KiB of const table and a function in kernel/, a new function in mm/. */
function grow(src: string): void {
  append(src, 'kernel/fork.c', '\nstatic const unsigned int fork_big_table[2048] = { 1, 2, 3, 5, 8, 13 };\n\nunsigned int fork_table_lookup(unsigned int i)\n{\n\treturn fork_big_table[i & 2047] * 3 + fork_big_table[(i >> 3) & 2047];\n}\n');
  append(src, 'mm/page_alloc.c', '\nunsigned long nr_free_total(void)\n{\n\tunsigned long n = 0;\n\tint i;\n\n\tfor (i = 0; i < 11; i++)\n\t\tn += (unsigned long)nr_free[i] * (1UL << i);\n\treturn n * 4096;\n}\n');
}

interface ReportFile {
  path: string;
  status: string;
  generated?: boolean;
  config?: { name: string }[];
  bytes: Record<string, number>;
}
interface Report {
  build: { buildId: string | null; kernelVersion: string | null };
  totals: { image: number; resident: number; init: number; sections: Record<string, number> };
  files: ReportFile[];
  unattributed: Record<string, number>;
}

const sum = (b: Record<string, number>): number => Object.values(b).reduce((a, n) => a + n, 0);
const topDir = (f: ReportFile): string => (f.generated ? '(generated)' : f.path.split('/')[0]);

let v1: MiniBuild;
let v2: MiniBuild;
let work: string;
let historyFile: string;
const reports = new Map<string, Report>();
before(() => {
  v1 = buildMiniKernel();
  v2 = buildMiniKernel({ prepare: grow });
  work = tempDir('history');
  historyFile = path.join(work, 'sizes.jsonl');
  for (const [label, b] of [['v1', v1], ['v2', v2]] as const) {
    const r = runCli(['report', b.buildDir, '--json']);
    assert.equal(r.status, 0, r.stderr);
    reports.set(label, JSON.parse(r.stdout) as Report);
  }
});
after(() => {
  [v1, v2].forEach((b) => b && cleanupMiniBuild(b));
  if (work) rmSync(work, { recursive: true, force: true });
});

function readRecords(): HistoryRecord[] {
  return readFileSync(historyFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HistoryRecord);
}

test('track appends one record per label that agrees with report --json', () => {
  for (const [label, b] of [['v1', v1], ['v2', v2]] as const) {
    const r = runCli(['track', b.buildDir, '--history', historyFile, '--label', label]);
    assert.equal(r.status, 0, r.stderr);
  }
  const records = readRecords();
  assert.deepEqual(records.map((r) => r.label), ['v1', 'v2']);
  for (const rec of records) {
    const rep = reports.get(rec.label)!;
    assert.deepEqual(rec.totals, rep.totals, `${rec.label}: totals`);
    assert.equal(rec.buildId, rep.build.buildId);
    assert.equal(rec.kernelVersion, rep.build.kernelVersion);
    assert.ok(!Number.isNaN(Date.parse(rec.date)), `${rec.label}: date ${rec.date}`);
    assert.equal(rec.unattributed, sum(rep.unattributed));
    const builtIn = rep.files.filter((f) => f.status === 'built-in');
    const dirs = new Set(builtIn.map(topDir));
    assert.deepEqual(Object.keys(rec.dirs).sort(), [...dirs].sort(), `${rec.label}: directories`);
    for (const d of dirs) {
      const files = builtIn.filter((f) => topDir(f) === d);
      assert.equal(rec.dirs[d].bytes, files.reduce((a, f) => a + sum(f.bytes), 0), `${rec.label}: bytes of ${d}`);
      assert.equal(rec.dirs[d].resident, files.reduce((a, f) => a + sum(f.bytes) - (f.bytes.init ?? 0), 0), `${rec.label}: resident of ${d}`);
    }
    // Every built-in file has its place in exactly one directory: the sum is the attributed total.
    assert.equal(Object.values(rec.dirs).reduce((a, d) => a + d.bytes, 0), builtIn.reduce((a, f) => a + sum(f.bytes), 0));
    const bySymbol = new Map<string, number>();
    for (const f of builtIn) if (f.config?.length) bySymbol.set(f.config[0].name, (bySymbol.get(f.config[0].name) ?? 0) + sum(f.bytes));
    assert.deepEqual(new Map(Object.entries(rec.configSymbols)), bySymbol, `${rec.label}: Kconfig symbols (fewer than 50 here, so all of them)`);
  }
  // The same configuration gives the same hash, and it is the hash of the build's .config.
  assert.equal(records[0].configHash, records[1].configHash);
  assert.equal(records[0].configHash, configHash(readFileSync(path.join(v1.buildDir, '.config'), 'utf8')));
  const [a, b] = records;
  assert.ok(b.dirs.kernel.resident - a.dirs.kernel.resident >= 8192, `kernel/ grew by the 8 KiB table: ${a.dirs.kernel.resident} -> ${b.dirs.kernel.resident}`);
  assert.ok(b.dirs.mm.resident > a.dirs.mm.resident, 'mm/ grew');
  assert.equal(b.dirs.fs.resident, a.dirs.fs.resident, 'fs/ did not change');
});

test('track refuses a label that is already there unless --replace', () => {
  const before = readFileSync(historyFile, 'utf8');
  const r = runCli(['track', v1.buildDir, '--history', historyFile, '--label', 'v1']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /label "v1" is already in .*--replace/);
  assert.equal(readFileSync(historyFile, 'utf8'), before);
  const again = runCli(['track', v1.buildDir, '--history', historyFile, '--label', 'v1', '--replace']);
  assert.equal(again.status, 0, again.stderr);
  const records = readRecords();
  assert.deepEqual(records.map((x) => x.label), ['v1', 'v2'], 'the replaced record keeps its place');
  assert.equal(runCli(['track', v1.buildDir, '--history', historyFile]).status, 2, 'no --label');
});

test('history prints label, resident and delta', () => {
  const r = runCli(['history', historyFile]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^label\s+resident\s+delta/);
  const [a, b] = readRecords();
  const delta = b.totals.resident - a.totals.resident;
  assert.ok(delta > 0);
  assert.match(lines[2], new RegExp(`^v2\\s+\\S+ KiB\\s+\\+[\\d,.]+ (B|KiB) \\(\\+${((delta / a.totals.resident) * 100).toFixed(2)}%\\)`));
  assert.equal(runCli(['history', path.join(work, 'missing.jsonl')]).status, 2);
});

test('history --html draws one area per top-level directory, offline, in Chromium', { skip: chromiumSkip }, async () => {
  const out = path.join(work, 'history.html');
  const r = runCli(['history', historyFile, '--html', out]);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
  assert.doesNotMatch(html, /<script|<link|@import|url\(/, 'nothing outside the page');
  assert.match(html, /prefers-color-scheme: dark/);
  const expected = new Set<string>();
  for (const rep of reports.values()) for (const f of rep.files) if (f.status === 'built-in') expected.add(topDir(f));

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, colorScheme: scheme });
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      await page.goto('file://' + out);
      const drawn = await page.$$eval('path.series', (els) => els.map((e) => ({ dir: e.getAttribute('data-dir') ?? '', d: e.getAttribute('d') ?? '', fill: getComputedStyle(e).fill, width: (e as unknown as { getBBox(): { width: number } }).getBBox().width })));
      assert.deepEqual(drawn.map((s) => s.dir).sort(), [...expected].sort(), 'one series per top-level directory');
      for (const s of drawn) {
        assert.ok(s.width > 100, `${s.dir}: the area spans the chart (${s.width}px)`);
        assert.notEqual(s.fill, 'none', `${s.dir} is filled`);
      }
      assert.equal(new Set(drawn.map((s) => s.fill)).size, drawn.length, 'each directory has its own colour');
      const legend = await page.$$eval('ul.legend li code', (els) => els.map((e) => e.textContent));
      assert.deepEqual([...legend].sort(), [...expected].sort());
      const ticks = await page.$$eval('text.tick', (els) => els.map((e) => e.textContent ?? ''));
      assert.ok(ticks.some((t) => /KiB$/.test(t)), `axis labels are human sizes: ${ticks.join(' | ')}`);
      assert.ok(ticks.includes('v1') && ticks.includes('v2'));
      const movers = await page.$$eval('table tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent ?? '')));
      assert.ok(movers.length > 0 && movers.length <= 10);
      assert.deepEqual(movers[0].slice(0, 2), ['directory', 'kernel'], 'the 8 KiB table makes kernel/ the largest mover');
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const [rr] = (bg.match(/\d+/g) ?? ['0']).map(Number);
      assert.ok(scheme === 'dark' ? rr < 60 : rr > 200, `${scheme} background ${bg}`);
      assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'no request left the page');
      if (scheme === 'light') {
        mkdirSync(path.join(REPO, 'test/artifacts'), { recursive: true });
        await page.screenshot({ path: path.join(REPO, 'test/artifacts/history.png'), fullPage: true });
      } else await page.screenshot({ path: path.join(REPO, 'test/artifacts/history-dark.png'), fullPage: true });
      await page.close();
    }
  } finally {
    await browser.close();
  }
});

test('the config hash ignores order, comments and unset symbols; a one-label page still draws', () => {
  const a = configHash('# comment\nCONFIG_A=y\nCONFIG_B="x"\n# CONFIG_C is not set\n');
  assert.equal(a, configHash('CONFIG_B="x"\r\nCONFIG_A=y\n'));
  assert.notEqual(a, configHash('CONFIG_A=m\nCONFIG_B="x"\n'));
  const one = readRecords().slice(0, 1);
  const html = historyHtml(one);
  const series = [...html.matchAll(/<path class="series c\d+" data-dir="([^"]+)" d="([^"]+)"/g)];
  assert.deepEqual(series.map((m) => m[1]).sort(), Object.keys(one[0].dirs).sort());
  for (const m of series) assert.doesNotMatch(m[2], /NaN|Infinity/, `${m[1]}: a drawable path`);
  assert.match(html, /One label only/);
  assert.match(historyHtml([]), /no records/);
});
