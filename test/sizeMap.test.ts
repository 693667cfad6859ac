/**
 * The Kernel Size Map page on the real Linux 6.1 fixture: a strict CSP, nothing
 * from outside, one directory cell per top-level directory with an area
 * proportional to its bytes (measured in headless Chromium), and a click on a
 * file posting the message that opens it. Also the delta colouring on two
 * made-up builds, and the history page wrapped for a webview.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { buildIndex } from '../server/src/index/buildTree';
import { BuildIndex, FileEntry } from '../server/src/index/model';
import { topDirOf } from '../server/src/tracker/history';
import { sumBytes } from '../server/src/binary/sections';
import { historyHtml } from '../server/src/render/historyPage';
import { sizeMapCells, sizeMapHtml, squarify } from '../server/src/render/sizeMapPage';
import { FIXTURE, fixtureSkip, REPO, tempDir } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
const chromiumSkip = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (Debian's chromium package; .ci/setup installs it): the page is not opened in a browser`;
const NONCE = 'abc123XYZ';
const CSP_SOURCE = 'vscode-webview://test';

// The browser's globals, as far as the page callbacks below use them (the tests compile without the DOM library).
declare const window: { __lastMessage?: unknown };

let index: BuildIndex | undefined;
let work: string;
before(() => {
  work = tempDir('sizemap');
  if (!fixtureSkip) index = buildIndex(FIXTURE);
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function dirBytes(ix: BuildIndex): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of ix.files) if (f.status === 'built-in') m.set(topDirOf(f), (m.get(topDirOf(f)) ?? 0) + sumBytes(f.bytes));
  return m;
}

test('squarify fills the rectangle with areas proportional to the values', () => {
  const values = [500, 300, 120, 80, 0, 40, 9, 1];
  const r = { x: 10, y: 20, w: 300, h: 200 };
  const rects = squarify(values, r);
  const total = values.reduce((a, v) => a + v, 0);
  values.forEach((v, i) => {
    const q = rects[i];
    assert.ok(Math.abs((q.w * q.h) / (r.w * r.h) - v / total) < 1e-9, `value ${v}: area ${q.w * q.h}`);
    if (v > 0) assert.ok(q.x >= r.x - 1e-9 && q.y >= r.y - 1e-9 && q.x + q.w <= r.x + r.w + 1e-9 && q.y + q.h <= r.y + r.h + 1e-9, `value ${v} inside`);
  });
  // Squarified: no sliver thinner than 1:20 here.
  for (const [i, q] of rects.entries()) if (values[i] >= 9) assert.ok(Math.max(q.w / q.h, q.h / q.w) < 20, `aspect of ${values[i]}`);
});

test('the page has a strict CSP, loads nothing and marks every cell', { skip: fixtureSkip }, () => {
  const html = sizeMapHtml(index!, { nonce: NONCE, cspSource: CSP_SOURCE, colorBy: 'class' });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  assert.ok(csp, 'a CSP meta');
  assert.match(csp, new RegExp(`^default-src 'none'; style-src ${CSP_SOURCE} 'nonce-${NONCE}'; script-src 'nonce-${NONCE}'`));
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  // The only URL is the SVG namespace, which is a name, not a load.
  assert.doesNotMatch(html.replace('xmlns="http://www.w3.org/2000/svg"', ''), /https?:/i);
  assert.doesNotMatch(html, /<link|@import|url\(|\sstyle="/, 'no outside resource, no inline style attribute');
  for (const m of html.matchAll(/<(script|style)\b([^>]*)>/g)) assert.match(m[2], new RegExp(`nonce="${NONCE}"`), `<${m[1]}> carries the nonce`);
  assert.match(html, /var\(--vscode-editor-background/);
  assert.match(html, /var\(--vscode-charts-red/);
  const leaves = (html.match(/data-kind="(function|other)"/g) ?? []).length;
  assert.ok(leaves > 100 && leaves <= 2000, `about 2000 leaves at most: ${leaves}`);
  assert.ok(/data-kind="function"/.test(html) && /data-kind="file"/.test(html));
});

test('the map in Chromium: directory areas match their bytes; a click posts the file; offline', { skip: fixtureSkip || chromiumSkip }, async () => {
  const html = sizeMapHtml(index!, { nonce: NONCE, cspSource: CSP_SOURCE, colorBy: 'class' });
  const truth = dirBytes(index!);
  const total = [...truth.values()].reduce((a, b) => a + b, 0);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const out = path.join(work, 'sizemap.html');
    writeFileSync(out, html);
    await page.goto('file://' + out);
    const svgBox = await page.locator('#map').boundingBox();
    assert.ok(svgBox && svgBox.width > 600, 'the map is drawn');
    const mapArea = svgBox.width * svgBox.height;
    const dirs = await page.locator('rect.cell[data-kind="dir"]').all();
    const seen = new Map<string, number>();
    for (const d of dirs) {
      const name = (await d.getAttribute('data-path'))!;
      const box = await d.boundingBox();
      seen.set(name, box ? box.width * box.height : 0);
    }
    assert.deepEqual([...seen.keys()].sort(), [...truth.keys()].sort(), 'one cell per top-level directory');
    const measuredTotal = [...seen.values()].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(measuredTotal - mapArea) / mapArea < 0.001, `the directories tile the map: ${measuredTotal} of ${mapArea}`);
    for (const [d, bytes] of truth) {
      const want = bytes / total;
      const got = seen.get(d)! / mapArea;
      // 2% of the cell, or a fraction of a pixel for the tiniest directories.
      assert.ok(Math.abs(got - want) <= Math.max(0.02 * want, 0.5 / mapArea), `${d}: ${(got * 100).toFixed(4)}% of the area for ${(want * 100).toFixed(4)}% of the bytes`);
    }

    // A click on a file cell's header posts { type: 'open', file }.
    const files = page.locator('rect.cell[data-kind="file"]');
    const count = await files.count();
    assert.ok(count > 20, `${count} file cells`);
    let clicked = false;
    for (let i = 0; i < count && !clicked; i++) {
      const cell = files.nth(i);
      const box = await cell.boundingBox();
      if (!box || box.width < 30 || box.height < 30) continue;
      const file = (await cell.getAttribute('data-path'))!;
      await cell.click({ position: { x: box.width / 2, y: 3 } });
      assert.deepEqual(await page.evaluate(() => window.__lastMessage), { type: 'open', file });
      assert.ok(index!.files.some((f: FileEntry) => f.path === file && f.status === 'built-in'), `${file} is a built-in file`);
      clicked = true;
    }
    assert.ok(clicked, 'a file cell large enough to click');

    // A function cell posts its name too; hovering shows the exact bytes.
    const fnCells = page.locator('rect.cell[data-kind="function"]');
    const areas = await fnCells.evaluateAll((els) => els.map((e) => Number(e.getAttribute('width')) * Number(e.getAttribute('height'))));
    const fn = fnCells.nth(areas.indexOf(Math.max(...areas)));
    const fnName = await fn.getAttribute('data-name');
    const fnFile = await fn.getAttribute('data-path');
    const fnBytes = Number(await fn.getAttribute('data-bytes'));
    await fn.click();
    assert.deepEqual(await page.evaluate(() => window.__lastMessage), { type: 'open', file: fnFile, name: fnName });
    await fn.hover();
    const tip = page.locator('#tip');
    assert.ok(await tip.isVisible(), 'a tooltip on hover');
    assert.match((await tip.textContent()) ?? '', new RegExp(`${fnBytes.toLocaleString('en-US')} B`));
    assert.equal(fnBytes, index!.files.find((f) => f.path === fnFile)!.functions.find((f) => f.name === fnName)!.size);

    assert.deepEqual(errors, [], 'no script or CSP error');
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'no request left the page');
    mkdirSync(path.join(REPO, 'test/artifacts'), { recursive: true });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(REPO, 'test/artifacts/sizemap.png'), fullPage: true });
    await page.close();
  } finally {
    await browser.close();
  }
});

function file(p: string, text: number, fns: [string, number][]): FileEntry {
  return { path: p, object: p.replace(/\.c$/, '.o'), status: 'built-in', bytes: { text, data: 100 }, sections: {}, functions: fns.map(([name, size]) => ({ name, size, section: '.text' })), variables: [] };
}

function smallIndex(files: FileEntry[]): BuildIndex {
  return {
    format: 1,
    build: { dir: 'b', sourceDir: 'src', arch: 'x86', elfClass: 64, endian: 'little', attribution: 'objects', estimated: false },
    totals: { image: 0, resident: 0, init: 0, sections: {} },
    sections: [],
    files,
    unattributed: {},
    warnings: [],
  };
}

test('delta colouring: red for what grew or is new, green for what shrank', () => {
  const old = smallIndex([file('kernel/fork.c', 20000, [['copy_process', 12000], ['fork_idle', 4000]]), file('mm/slab.c', 30000, [['kmalloc', 20000]])]);
  const cur = smallIndex([file('kernel/fork.c', 26000, [['copy_process', 18000], ['fork_idle', 4000]]), file('mm/slab.c', 20000, [['kmalloc', 10000]]), file('lib/new.c', 6000, [['new_fn', 5000]])]);
  const cells = sizeMapCells(cur, old);
  const of = (kind: string, p: string, name?: string) => cells.find((c) => c.kind === kind && c.path === p && c.name === name)!;
  assert.equal(of('function', 'kernel/fork.c', 'copy_process').delta, 6000);
  assert.equal(of('function', 'kernel/fork.c', 'fork_idle').delta, 0);
  assert.equal(of('file', 'mm/slab.c').delta, -10000);
  assert.equal(of('dir', 'lib').delta, 6100);
  assert.equal(of('file', 'lib/new.c').added, true);
  const html = sizeMapHtml(cur, { nonce: NONCE, cspSource: CSP_SOURCE, colorBy: 'delta', baseline: old });
  assert.match(html, /class="cell function dg\d"[^>]*data-name="copy_process"/);
  assert.match(html, /class="cell function d0"[^>]*data-name="fork_idle"/);
  assert.match(html, /class="cell function ds\d"[^>]*data-name="kmalloc"/);
  assert.match(html, /class="cell file dg4"[^>]*data-path="lib\/new.c"/);
  // Without a baseline, delta falls back to the classes and says so.
  assert.match(sizeMapHtml(cur, { nonce: NONCE, cspSource: CSP_SOURCE, colorBy: 'delta' }), /no baseline build: coloured by section class/);
});

test('the history page for a webview carries the nonce and the webview CSP', () => {
  const rec = { label: 'v1', date: new Date(0).toISOString(), totals: { image: 10, resident: 8, init: 2, sections: {} }, unattributed: 0, dirs: { kernel: { bytes: 10, resident: 8 } }, configSymbols: {} };
  const html = historyHtml([rec as never], { webview: { nonce: NONCE, cspSource: CSP_SOURCE } });
  assert.match(html, new RegExp(`content="default-src 'none'; style-src ${CSP_SOURCE} 'nonce-${NONCE}'`));
  assert.doesNotMatch(html, /unsafe-inline/);
  for (const m of html.matchAll(/<style\b([^>]*)>/g)) assert.match(m[1], new RegExp(`nonce="${NONCE}"`));
  assert.match(html, /--vscode-editor-background/);
  assert.match(html, /data-dir="kernel"/);
});
