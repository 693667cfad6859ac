/**
 * `kbloat track` and `kbloat history` on two real builds of the mini tree, the
 * second one grown (a function with a big table in kernel/fork.c, more code in
 * mm/). The records are checked against `kbloat report --json` of each build,
 * and their Modularize floor against `kbloat modularize --json` (another process,
 * without the cache) and against the report's own files. The HTML page is opened
 * in headless Chromium, which must draw one area per top-level directory, the
 * kernel proper and the kernel proper with everything modularized as two curves
 * where the axis puts them, and load nothing from outside the page. The CLI runs
 * from its sources (tsx), as a user runs it: no dist/ is needed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { configHash, HistoryRecord } from '../server/src/tracker/history';
import { historyHtml } from '../server/src/render/historyPage';
import { humanSize } from '../server/src/shared/units';
import { REPO, tempDir } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';

const CHROMIUM = '/usr/bin/chromium';

// The browser's globals, as far as the page callbacks below use them (the tests compile without the DOM library).
declare function getComputedStyle(e: unknown): { fill: string; backgroundColor: string; stroke: string; strokeDasharray: string };
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

/** What `kbloat modularize --json` prints, as far as the floor needs it. */
interface ModularizeJson {
  resident: number;
  residentIfModularized: number;
  unblockedCount: number;
  floor: { config: number; withTristate: number };
  candidates: { symbol: string; files: string[]; blockers: unknown[] }[];
}

let v1: MiniBuild;
let v2: MiniBuild;
let work: string;
let historyFile: string;
const reports = new Map<string, Report>();
const modularized = new Map<string, ModularizeJson>();

/** The CLI from its sources, with its index cache in the test's folder. */
function kbloat(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'server/src/bin/cli.ts'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, KBLOAT_CACHE_DIR: path.join(work, 'cache') },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  work = tempDir('history');
  historyFile = path.join(work, 'sizes.jsonl');
  v1 = buildMiniKernel();
  v2 = buildMiniKernel({ prepare: grow });
  for (const [label, b] of [['v1', v1], ['v2', v2]] as const) {
    const r = kbloat(['report', b.buildDir, '--json', '--no-cache']);
    assert.equal(r.status, 0, r.stderr);
    reports.set(label, JSON.parse(r.stdout) as Report);
    const m = kbloat(['modularize', b.buildDir, '--json', '--no-cache']);
    assert.equal(m.status, 0, m.stderr);
    modularized.set(label, JSON.parse(m.stdout) as ModularizeJson);
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
    const r = kbloat(['track', b.buildDir, '--history', historyFile, '--label', label]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'the floor is recorded without a word');
    // The unblocked candidates as modularize --json counts them (TCP_CONG_CUBIC is not one: Kconfig holds it at y).
    const unblocked = (JSON.parse(kbloat(['modularize', b.buildDir, '--json']).stdout) as { unblockedCount: number }).unblockedCount;
    assert.ok(unblocked >= 1);
    assert.match(r.stdout, new RegExp(`^${label}: resident \\S+ KiB, \\S+ KiB with ${unblocked} candidates? modularized, floor \\S+ KiB, image `));
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

    // The floor is what `kbloat modularize --json` says of the same build.
    const mod = modularized.get(rec.label)!;
    assert.ok(rec.modularized, `${rec.label}: the record has the modularized floor`);
    assert.equal(mod.resident, rec.totals.resident, `${rec.label}: modularize starts from the same kernel proper`);
    assert.equal(rec.modularized.resident, mod.residentIfModularized, `${rec.label}: residentIfModularized`);
    assert.equal(rec.modularized.candidates, mod.unblockedCount, `${rec.label}: unblocked candidates`);
    assert.equal(rec.modularized.floor, mod.floor.withTristate, `${rec.label}: the floor`);
    assert.equal(rec.modularized.floorByConfig, mod.floor.config, `${rec.label}: the floor by .config alone`);
    assert.ok(mod.floor.withTristate <= mod.residentIfModularized, `${rec.label}: the floor is at or below every unblocked candidate's figure`);
    assert.ok(mod.floor.withTristate <= mod.floor.config && mod.floor.config < rec.totals.resident);
    const unblocked = mod.candidates.filter((c) => c.blockers.length === 0);
    assert.ok(unblocked.some((c) => c.symbol === 'CONFIG_EEPROM_MINI' || c.symbol === 'CONFIG_SERIAL_MINI'), `${rec.label}: a tristate built in is unblocked: ${unblocked.map((c) => c.symbol).join(', ')}`);
    assert.ok(rec.modularized.resident < rec.totals.resident, `${rec.label}: ${rec.modularized.resident} < ${rec.totals.resident}`);
    // And what the report alone says: the resident bytes of the unblocked candidates' files leave the kernel proper.
    const leaving = new Set(unblocked.flatMap((c) => c.files));
    const saved = builtIn.filter((f) => leaving.has(f.path)).reduce((a, f) => a + sum(f.bytes) - (f.bytes.init ?? 0), 0);
    assert.ok(saved > 0);
    assert.equal(rec.modularized.resident, rec.totals.resident - saved, `${rec.label}: the floor is the kernel proper less those files`);
    assert.equal(rec.commits, undefined, 'track records no commits');
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
  const r = kbloat(['track', v1.buildDir, '--history', historyFile, '--label', 'v1']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /label "v1" is already in .*--replace/);
  assert.equal(r.stderr.trim().split('\n').length, 1, 'refused before anything is measured');
  assert.equal(readFileSync(historyFile, 'utf8'), before);
  const again = kbloat(['track', v1.buildDir, '--history', historyFile, '--label', 'v1', '--replace']);
  assert.equal(again.status, 0, again.stderr);
  const records = readRecords();
  assert.deepEqual(records.map((x) => x.label), ['v1', 'v2'], 'the replaced record keeps its place');
  assert.equal(records[0].modularized?.resident, modularized.get('v1')!.residentIfModularized);
  assert.equal(kbloat(['track', v1.buildDir, '--history', historyFile]).status, 2, 'no --label');
});

test('history prints label, resident, delta and the modularized floor', () => {
  const r = kbloat(['history', historyFile]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^label\s+resident\s+delta\s+modularized\s+floor\s+image\s+kernel$/);
  const [a, b] = readRecords();
  const delta = b.totals.resident - a.totals.resident;
  assert.ok(delta > 0);
  assert.match(lines[2], new RegExp(`^v2\\s+\\S+ KiB\\s+\\+[\\d,.]+ (B|KiB) \\(\\+${((delta / a.totals.resident) * 100).toFixed(2)}%\\)\\s+${humanSize(modularized.get('v2')!.residentIfModularized)}\\s+${humanSize(modularized.get('v2')!.floor.withTristate)}\\s+${humanSize(b.totals.image)}\\s`));
  assert.match(lines[1], new RegExp(`^v1\\s+${humanSize(a.totals.resident)}\\s+${humanSize(modularized.get('v1')!.residentIfModularized)}\\s`));
  assert.equal(kbloat(['history', path.join(work, 'missing.jsonl')]).status, 2);
});

/** A size as an axis tick reads it (`0 B`, `2,048 B`, `20.0 KiB`), in bytes. */
function tickBytes(text: string): number {
  const m = /^([\d,]+(?:\.\d+)?) (B|KiB|MiB)$/.exec(text);
  assert.ok(m, `an axis tick: "${text}"`);
  const unit = { B: 1, KiB: 1024, MiB: 1024 * 1024 }[m[2] as 'B' | 'KiB' | 'MiB'];
  return Math.round(Number(m[1].replace(/,/g, '')) * unit);
}

interface Point {
  x: number;
  y: number;
}
type CurveName = 'proper' | 'modularized' | 'floor';

/** The chart as the browser laid it out, in screen pixels. */
interface Chart {
  /** The points of each curve's path, in order, and how many separate runs it has. */
  curves: Record<CurveName, { points: Point[]; runs: number; stroke: string; dash: string } | undefined>;
  /** The centres of the label markers, with their tooltips. */
  markers: { kind: CurveName; label: string; x: number; y: number; tip: string }[];
  /** Where a number of bytes lies on the screen, as the gridlines and their tick labels say. */
  yOf: (bytes: number) => number;
}

async function readChart(page: Page): Promise<Chart> {
  // The SVG's own units to the screen's pixels: the path data are in the former.
  const m = await page.$eval('svg[role="img"]', (s) => {
    const ctm = (s as unknown as { getScreenCTM(): { a: number; b: number; c: number; d: number; e: number; f: number } }).getScreenCTM();
    return [ctm.a, ctm.b, ctm.c, ctm.d, ctm.e, ctm.f];
  });
  const toScreen = (x: number, y: number): Point => ({ x: m[0] * x + m[2] * y + m[4], y: m[1] * x + m[3] * y + m[5] });
  const paths = await page.$$eval('path.curve', (els) => els.map((e) => ({ cls: e.getAttribute('class') ?? '', d: e.getAttribute('d') ?? '', stroke: getComputedStyle(e).stroke, dash: getComputedStyle(e).strokeDasharray })));
  const curves: Chart['curves'] = { proper: undefined, modularized: undefined, floor: undefined };
  for (const p of paths) {
    const name = /\bcurve (proper|modularized|floor)\b/.exec(p.cls)?.[1] as CurveName | undefined;
    assert.ok(name, `a known curve: ${p.cls}`);
    assert.equal(curves[name], undefined, `one ${name} curve`);
    assert.match(p.d, /^(?:[ML]-?[\d.]+,-?[\d.]+)+$/, `${name}: a drawable path`);
    const points = [...p.d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((x) => toScreen(Number(x[1]), Number(x[2])));
    curves[name] = { points, runs: (p.d.match(/M/g) ?? []).length, stroke: p.stroke, dash: p.dash };
  }
  const markers = await page.$$eval('circle.marker', (els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { cls: e.getAttribute('class') ?? '', label: e.getAttribute('data-label') ?? '', x: r.left + r.width / 2, y: r.top + r.height / 2, tip: e.querySelector('title')?.textContent ?? '' };
    }),
  );
  const grid = await page.$$eval('line.grid', (els) => els.map((e) => e.getBoundingClientRect().top));
  const ticks = (await page.$$eval('text.tick:not(.label)', (els) => els.map((e) => e.textContent ?? ''))).map(tickBytes);
  assert.equal(grid.length, ticks.length, 'one tick label per gridline');
  assert.ok(grid.length >= 3 && ticks[0] === 0, `an axis from 0: ${ticks.join(', ')}`);
  const [y0, top, vTop] = [grid[0], grid[grid.length - 1], ticks[ticks.length - 1]];
  const yOf = (bytes: number): number => y0 + ((top - y0) * bytes) / vTop;
  ticks.forEach((v, i) => assert.ok(Math.abs(yOf(v) - grid[i]) < 0.5, `a linear axis: ${humanSize(v)} at ${grid[i]}px`));
  return { curves, markers: markers.map((k) => ({ ...k, kind: (/\bmarker (proper|modularized|floor)\b/.exec(k.cls)?.[1] ?? 'unknown') as CurveName })), yOf };
}

/**
 * Both curves where the records and the axis put them: a point and a marker per
 * label on the kernel proper, one per record with a floor on the modularized
 * curve, each within a pixel of its value, and the floor below the proper at
 * every label that has one.
 */
function checkCurves(chart: Chart, records: HistoryRecord[]): void {
  const proper = chart.curves.proper;
  assert.ok(proper, 'the kernel proper is drawn');
  assert.equal(proper.points.length, records.length, 'a point of the kernel proper per label');
  const floors = records.filter((r) => r.modularized);
  const mod = chart.curves.modularized;
  if (floors.length === 0) assert.equal(mod, undefined, 'no floor, no modularized curve');
  else assert.equal(mod?.points.length, floors.length, 'a point of the modularized curve per record with a floor');
  const near = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1, `${what}: ${a.toFixed(2)}px, expected ${b.toFixed(2)}px`);
  let k = 0;
  records.forEach((r, i) => {
    const marks = chart.markers.filter((x) => x.label === r.label);
    const p = marks.find((x) => x.kind === 'proper');
    assert.ok(p, `${r.label}: a marker on the kernel proper`);
    near(p.y, chart.yOf(r.totals.resident), `${r.label}: the kernel proper on the axis`);
    near(proper.points[i].y, p.y, `${r.label}: the kernel proper's path through its marker`);
    near(proper.points[i].x, p.x, `${r.label}: the path's point at the label`);
    const f = marks.find((x) => x.kind === 'modularized');
    if (!r.modularized) {
      assert.equal(f, undefined, `${r.label}: no floor, no marker`);
      return;
    }
    assert.ok(f && mod, `${r.label}: a marker on the modularized curve`);
    const pt = mod.points[k++];
    near(f.y, chart.yOf(r.modularized.resident), `${r.label}: the floor on the axis`);
    near(pt.y, f.y, `${r.label}: the modularized path through its marker`);
    near(pt.x, p.x, `${r.label}: the floor at the label's x`);
    assert.ok(pt.y > proper.points[i].y + 1, `${r.label}: the floor (${pt.y.toFixed(1)}px) lies below the kernel proper (${proper.points[i].y.toFixed(1)}px)`);
    assert.match(p.tip, new RegExp(`with everything modularized ${humanSize(r.modularized.resident)} \\(${r.modularized.candidates} unblocked candidate`));
    // The floor: its own dotted curve and marker, at its value.
    if (r.modularized.floor !== undefined) {
      const fl = marks.find((x) => x.kind === 'floor');
      assert.ok(fl && chart.curves.floor, `${r.label}: a marker on the floor curve`);
      near(fl.y, chart.yOf(r.modularized.floor), `${r.label}: the floor on the axis`);
      assert.ok(chart.curves.floor.points.some((q) => Math.abs(q.y - fl.y) <= 1 && Math.abs(q.x - p.x) <= 1), `${r.label}: the floor's path through its marker`);
      assert.match(p.tip, new RegExp(`floor ${humanSize(r.modularized.floor)}`));
    }
  });
}

async function withBrowser(fn: (browser: Browser) => Promise<void>): Promise<void> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await fn(browser);
  } finally {
    await browser.close();
  }
}

test('history --html draws one area per top-level directory and both curves, offline, in Chromium', { skip: chromiumSkip }, async () => {
  const out = path.join(work, 'history.html');
  const r = kbloat(['history', historyFile, '--html', out]);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
  assert.doesNotMatch(html, /<script|<link|@import|url\(/, 'nothing outside the page');
  assert.match(html, /prefers-color-scheme: dark/);
  const expected = new Set<string>();
  for (const rep of reports.values()) for (const f of rep.files) if (f.status === 'built-in') expected.add(topDir(f));
  const records = readRecords();

  await withBrowser(async (browser) => {
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

      const chart = await readChart(page);
      checkCurves(chart, records);
      const [proper, mod] = [chart.curves.proper!, chart.curves.modularized!];
      assert.equal(proper.runs, 1);
      assert.equal(mod.runs, 1, 'every record has its floor: one unbroken line');
      assert.equal(proper.dash, 'none', 'the kernel proper is a solid line');
      assert.notEqual(mod.dash, 'none', 'the modularized curve is dashed');
      assert.notEqual(mod.stroke, proper.stroke, 'and has its own colour');
      for (const c of [proper, mod]) assert.notEqual(c.stroke, 'none');
      const curveLegend = await page.$$eval('ul.legend.curves li', (els) => els.map((e) => ({ text: e.textContent ?? '', stroke: getComputedStyle(e.querySelector('line')).stroke })));
      assert.deepEqual(curveLegend.map((l) => l.text.split(' (')[0]), ['kernel proper', 'with everything modularized', 'the floor']);
      const floorCurve = chart.curves.floor!;
      assert.notEqual(floorCurve.dash, mod.dash, 'the floor is dotted, apart from the modularized dashes');
      assert.deepEqual(curveLegend.map((l) => l.stroke), [proper.stroke, mod.stroke, floorCurve.stroke], 'the legend keys have the curves\' colours');

      const movers = await page.$$eval('table tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent ?? '')));
      assert.ok(movers.length > 0 && movers.length <= 10);
      assert.deepEqual(movers[0].slice(0, 2), ['directory', 'kernel'], 'the 8 KiB table makes kernel/ the largest mover');
      assert.equal(await page.$$eval('ul.commits', (els) => els.length), 0, 'no record names commits');
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
  });
});

/** A short fake commit hash for a made-up subject: the records a `kbloat blame` would have filled. */
const hashOf = (s: string): string => createHash('sha1').update(s).digest('hex');

/**
 * The two records as an older kbloat wrote the first (no floor) and with the
 * second naming the commits of its step: the directories' real deltas, charged
 * to two commits as `kbloat blame` would (blame has its own test).
 */
function mixedRecords(): HistoryRecord[] {
  const [a, b] = readRecords();
  const old: HistoryRecord = { ...a };
  delete old.modularized;
  delete old.commits;
  const commits = [
    { commit: hashOf('fork'), subject: 'fork: add a <big> lookup table & its helper', bytes: b.dirs.kernel.resident - a.dirs.kernel.resident },
    { commit: hashOf('mm'), subject: 'mm: count the free pages', bytes: b.dirs.mm.resident - a.dirs.mm.resident },
  ];
  return [old, { ...b, commits }];
}

test('an old record without the floor still draws; a step\'s commits are listed and in its marker\'s tooltip; the table leaves its cell blank', { skip: chromiumSkip }, async () => {
  const records = mixedRecords();
  const file = path.join(work, 'mixed.jsonl');
  writeFileSync(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
  assert.doesNotMatch(readFileSync(file, 'utf8').split('\n')[0], /modularized|commits/, 'the first line is in the old format');

  const text = kbloat(['history', file]);
  assert.equal(text.status, 0, text.stderr);
  const lines = text.stdout.trim().split('\n');
  assert.match(lines[0], /^label\s+resident\s+delta\s+modularized\s+floor\s+image\s+kernel$/);
  assert.match(lines[1], new RegExp(`^v1\\s+${humanSize(records[0].totals.resident)}\\s+${humanSize(records[0].totals.image)}\\s`), 'no delta and no floor for v1');
  assert.match(lines[2], new RegExp(`\\)\\s+${humanSize(records[1].modularized!.resident)}\\s+${humanSize(records[1].modularized!.floor!)}\\s+${humanSize(records[1].totals.image)}\\s`));

  const out = path.join(work, 'mixed.html');
  const r = kbloat(['history', file, '--html', out]);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.doesNotMatch(html, /<script|<link|@import|url\(/, 'nothing outside the page');
  assert.doesNotMatch(html, /<big>/, 'a subject is text, not markup');

  await withBrowser(async (browser) => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    await page.goto('file://' + out);
    const chart = await readChart(page);
    checkCurves(chart, records);
    assert.equal(chart.curves.modularized?.runs, 1);
    const [v1Tip, v2Tip] = ['v1', 'v2'].map((l) => chart.markers.find((x) => x.label === l && x.kind === 'proper')!.tip);
    assert.doesNotMatch(v1Tip, /modularized|commits/, `v1 has neither: ${v1Tip}`);
    for (const c of records[1].commits!) {
      assert.ok(v2Tip.includes(`${c.commit.slice(0, 12)} ${c.bytes > 0 ? '+' : ''}${humanSize(c.bytes)} ${c.subject}`), `the tooltip names ${c.subject}: ${v2Tip}`);
    }
    assert.match(v2Tip, /^v2: kernel proper .*\nwith everything modularized .*\nfloor .*\ncommits since v1:\n/);
    const listed = await page.$$eval('ul.commits li', (els) => els.map((e) => e.textContent ?? ''));
    assert.deepEqual(listed, records[1].commits!.map((c) => `${c.commit.slice(0, 12)}+${humanSize(c.bytes)}${c.subject}`), 'the step lists its commits, biggest first');
    const heading = await page.$eval('h3', (e) => e.textContent ?? '');
    assert.match(heading, /^v1 → v2 \+/);
    assert.doesNotMatch(heading, /modularized/, 'no floor change against a record without one');
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'no request left the page');
    await page.close();
  });

  // The webview variant draws the same curves and markers, in the editor's colours.
  const webview = historyHtml(records, { webview: { nonce: 'n0nce', cspSource: 'vscode-webview://kbloat' } });
  const curvesOf = (h: string): string[] => [...h.matchAll(/<path class="curve (\w+)" d="([^"]+)"\/>|<circle class="marker (\w+)"[^>]*>/g)].map((x) => x[0]);
  assert.deepEqual(curvesOf(webview), curvesOf(html));
  assert.equal(curvesOf(html).length, 3 + 4, 'three curves (proper, modularized, floor), four markers (v1 has no floor)');
  assert.match(webview, /--floor:var\(--vscode-charts-purple/);
  assert.match(webview, /<ul class="commits">/);
  assert.doesNotMatch(webview, /<script/);
});

test('a build whose analysis cannot run is tracked without a floor, with one line saying why', () => {
  const kconfig = path.join(v2.srcDir, 'Kconfig');
  renameSync(kconfig, `${kconfig}.away`);
  try {
    const file = path.join(work, 'no-floor.jsonl');
    const r = kbloat(['track', v2.buildDir, '--history', file, '--label', 'v2']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^kbloat track: v2: no modularized figure recorded: no Kconfig sources in .*: modularize needs the kernel source tree/);
    assert.match(r.stdout, /^v2: resident \S+ KiB, image /);
    const recs = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HistoryRecord);
    assert.equal(recs.length, 1);
    assert.equal(recs[0].modularized, undefined);
    assert.deepEqual(recs[0].totals, reports.get('v2')!.totals, 'the sizes are recorded all the same');
    const text = kbloat(['history', file]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^label\s+resident\s+delta\s+image\s+kernel\n/, 'no record has a floor: no column');
  } finally {
    renameSync(`${kconfig}.away`, kconfig);
  }
});

test('history refuses a record whose floor or commits are not what kbloat writes', () => {
  const [a] = readRecords();
  const cases: [unknown, RegExp][] = [
    [{ ...a, modularized: { resident: '57 KiB', candidates: 1 } }, /line 1: "modularized" is not \{ "resident": bytes, "candidates": count \}/],
    [{ ...a, modularized: null }, /line 1: "modularized" is not/],
    [{ ...a, commits: { commit: hashOf('x') } }, /line 1: "commits" is not a list/],
    [{ ...a, commits: [{ commit: hashOf('x'), subject: 's', bytes: 1 }, { commit: hashOf('y'), subject: 's' }] }, /line 1: "commits"\[1\] is not \{ "commit", "subject", "bytes" \}/],
  ];
  const file = path.join(work, 'bad.jsonl');
  for (const [rec, message] of cases) {
    writeFileSync(file, JSON.stringify(rec) + '\n');
    const r = kbloat(['history', file]);
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, message);
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
  // One label: both curves run across the chart, as the stack does.
  const curves = [...html.matchAll(/<path class="curve (proper|modularized)" d="([^"]+)"/g)];
  assert.deepEqual(curves.map((m) => m[1]), ['proper', 'modularized']);
  for (const m of curves) assert.match(m[2], /^M[\d.]+,[\d.]+L[\d.]+,[\d.]+$/, `${m[1]}: a line across`);
  assert.match(html, /One label only/);
  assert.match(historyHtml([]), /no records/);
  // A long list of commits shows the largest five and says how many more.
  const many = { ...one[0], commits: Array.from({ length: 7 }, (_, i) => ({ commit: hashOf(`c${i}`), subject: `commit ${i}`, bytes: 100 - i })) };
  const page = historyHtml([one[0], many]);
  const list = /<ul class="commits">(.*?)<\/ul>/.exec(page)?.[1] ?? '';
  assert.equal((list.match(/<li>/g) ?? []).length, 5);
  assert.match(list, /<li class="muted">and 2 more<\/li>/);
});
