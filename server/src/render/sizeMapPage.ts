/**
 * The Kernel Size Map: the built-in files of a build as a squarified treemap
 * (directory → file → function, area = bytes), for a VS Code webview. The layout
 * is computed here, in Node, into SVG rectangles; the page only carries a small
 * script (clicks and the tooltip) and a strict Content-Security-Policy that lets
 * nothing load from outside. Colours follow the VS Code theme.
 */
import type { BuildIndex, FileEntry } from '../index/model';
import { escapeHtml, htmlPage } from './page';
import { topDirOf } from '../tracker/history';
import { humanSize } from '../shared/units';
import { ClassBytes, SECTION_CLASSES, SectionClass, sumBytes } from '../binary/sections';

export interface SizeMapOptions {
  nonce: string;
  cspSource: string;
  colorBy: 'class' | 'delta';
  baseline?: BuildIndex;
  title?: string;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The map's own coordinate system (the SVG scales to the panel's width). */
const W = 1200;
const H = 720;
/** How many leaves (functions and "(other)" cells) at most. */
const MAX_LEAVES = 2000;
/** Cells smaller than this (in map units²) are folded into their parent's "(other)". */
const MIN_AREA = 24;
const DIR_HEADER = 15;
const FILE_HEADER = 12;
const PAD = 1;

/**
 * Squarified treemap layout (Bruls, Huizing, van Wijk): one rectangle per value,
 * in the order of `values` (laid out largest first), with areas exactly
 * proportional to the values, filling `r`. Zero values get empty rectangles.
 */
export function squarify(values: number[], r: Rect): Rect[] {
  const out: Rect[] = values.map(() => ({ x: r.x, y: r.y, w: 0, h: 0 }));
  // Largest first, whatever the order given: that is what keeps the cells square.
  const idx = values
    .map((_, i) => i)
    .filter((i) => values[i] > 0)
    .sort((a, b) => values[b] - values[a] || a - b);
  const total = idx.reduce((a, i) => a + values[i], 0);
  if (total <= 0 || r.w <= 0 || r.h <= 0) return out;
  const scale = (r.w * r.h) / total;
  let { x, y, w, h } = r;
  const worst = (sum: number, max: number, min: number, side: number): number => {
    const s2 = side * side;
    return Math.max((s2 * max) / (sum * sum), (sum * sum) / (s2 * min));
  };
  let i = 0;
  while (i < idx.length) {
    const side = Math.min(w, h);
    const first = values[idx[i]] * scale;
    let sum = first;
    let ratio = worst(sum, first, first, side);
    let j = i + 1;
    while (j < idx.length) {
      const a = values[idx[j]] * scale;
      const next = worst(sum + a, Math.max(first, a), Math.min(a, values[idx[j - 1]] * scale), side);
      if (next > ratio) break;
      sum += a;
      ratio = next;
      j++;
    }
    const last = j === idx.length;
    if (w >= h) {
      // A column at the left, as wide as the row's area over the height.
      const t = last ? w : sum / h;
      let yy = y;
      for (let k = i; k < j; k++) {
        const hk = (values[idx[k]] * scale) / t;
        out[idx[k]] = { x, y: yy, w: t, h: k === j - 1 ? y + h - yy : hk };
        yy += hk;
      }
      x += t;
      w -= t;
    } else {
      const t = last ? h : sum / w;
      let xx = x;
      for (let k = i; k < j; k++) {
        const wk = (values[idx[k]] * scale) / t;
        out[idx[k]] = { x: xx, y, w: k === j - 1 ? x + w - xx : wk, h: t };
        xx += wk;
      }
      y += t;
      h -= t;
    }
    i = j;
  }
  return out;
}

type Kind = 'dir' | 'file' | 'function' | 'other';

export interface SizeMapCell {
  kind: Kind;
  label: string;
  /** dir: the directory; file/function/other: the file's path. */
  path: string;
  name?: string;
  bytes: number;
  cls: SectionClass;
  delta?: number;
  /** True when the baseline does not have it. */
  added?: boolean;
  rect: Rect;
}

function dominantClass(b: ClassBytes): SectionClass {
  let best: SectionClass = 'text';
  let max = -1;
  for (const c of SECTION_CLASSES) {
    const n = b[c] ?? 0;
    if (n > max) {
      max = n;
      best = c;
    }
  }
  return best;
}

function functionClass(section: string): SectionClass {
  return /^\.(init|exit)/.test(section) ? 'init' : 'text';
}

function inner(r: Rect, header: number): Rect | undefined {
  const w = r.w - 2 * PAD;
  const h = r.h - header - PAD;
  if (w < 6 || h < 6) return undefined;
  return { x: r.x + PAD, y: r.y + header, w, h };
}

function builtInFiles(index: BuildIndex): FileEntry[] {
  return index.files.filter((f) => f.status === 'built-in');
}

/** Every cell of the map, parents before their children. */
export function sizeMapCells(index: BuildIndex, baseline?: BuildIndex): SizeMapCell[] {
  const files = builtInFiles(index);
  const total = files.reduce((a, f) => a + sumBytes(f.bytes), 0);
  const unit = total > 0 ? (W * H) / total : 0;
  const baseFiles = baseline ? new Map(builtInFiles(baseline).map((f) => [f.path, f])) : undefined;
  const baseFn = (f: FileEntry, name: string): number | undefined => baseFiles?.get(f.path)?.functions.find((g) => g.name === name)?.size;

  const dirs = new Map<string, FileEntry[]>();
  for (const f of files) {
    const d = topDirOf(f);
    const list = dirs.get(d) ?? [];
    list.push(f);
    dirs.set(d, list);
  }
  const dirRows = [...dirs].map(([d, fs]) => ({ d, fs: fs.sort((a, b) => sumBytes(b.bytes) - sumBytes(a.bytes) || a.path.localeCompare(b.path)), bytes: fs.reduce((a, f) => a + sumBytes(f.bytes), 0) }));
  dirRows.sort((a, b) => b.bytes - a.bytes || a.d.localeCompare(b.d));

  // The leaves worth drawing: the largest functions, at most MAX_LEAVES in all.
  const chosen = new Set<string>();
  const candidates: { key: string; size: number }[] = [];
  for (const f of files) for (const fn of f.functions) if (fn.size * unit >= MIN_AREA) candidates.push({ key: `${f.object}\0${fn.name}`, size: fn.size });
  candidates.sort((a, b) => b.size - a.size);
  for (const c of candidates.slice(0, MAX_LEAVES - 200)) chosen.add(c.key);

  const cells: SizeMapCell[] = [];
  const dirRects = squarify(
    dirRows.map((r) => r.bytes),
    { x: 0, y: 0, w: W, h: H },
  );
  dirRows.forEach((row, di) => {
    const baseDir = baseline ? builtInFiles(baseline).filter((f) => topDirOf(f) === row.d).reduce((a, f) => a + sumBytes(f.bytes), 0) : undefined;
    cells.push({ kind: 'dir', label: row.d, path: row.d, bytes: row.bytes, cls: 'text', delta: baseDir === undefined ? undefined : row.bytes - baseDir, rect: dirRects[di] });
    const area = inner(dirRects[di], DIR_HEADER);
    if (!area) return;
    const dirScale = (area.w * area.h) / Math.max(1, row.bytes);
    const shown = row.fs.filter((f) => sumBytes(f.bytes) * dirScale >= MIN_AREA);
    const rest = row.fs.slice(shown.length);
    const restBytes = rest.reduce((a, f) => a + sumBytes(f.bytes), 0);
    const values = [...shown.map((f) => sumBytes(f.bytes)), restBytes];
    const rects = squarify(values, area);
    shown.forEach((f, fi) => {
      const bytes = sumBytes(f.bytes);
      const base = baseFiles?.get(f.path);
      cells.push({ kind: 'file', label: f.path.split('/').pop() ?? f.path, path: f.path, bytes, cls: dominantClass(f.bytes), delta: baseFiles ? bytes - (base ? sumBytes(base.bytes) : 0) : undefined, added: baseFiles ? !base : undefined, rect: rects[fi] });
      const fa = inner(rects[fi], FILE_HEADER);
      if (!fa) return;
      const fns = f.functions.filter((fn) => chosen.has(`${f.object}\0${fn.name}`)).sort((a, b) => b.size - a.size || a.name.localeCompare(b.name));
      if (fns.length === 0) return;
      const fnBytes = fns.reduce((a, fn) => a + fn.size, 0);
      const other = Math.max(0, bytes - fnBytes);
      const remaining: ClassBytes = { ...f.bytes };
      for (const fn of fns) {
        const c = functionClass(fn.section);
        remaining[c] = Math.max(0, (remaining[c] ?? 0) - fn.size);
      }
      const fr = squarify([...fns.map((fn) => fn.size), other], fa);
      fns.forEach((fn, k) => {
        const old = baseFn(f, fn.name);
        cells.push({ kind: 'function', label: fn.name, path: f.path, name: fn.name, bytes: fn.size, cls: functionClass(fn.section), delta: baseFiles ? fn.size - (old ?? 0) : undefined, added: baseFiles ? old === undefined : undefined, rect: fr[k] });
      });
      if (other > 0) cells.push({ kind: 'other', label: '(other)', path: f.path, bytes: other, cls: dominantClass(remaining), rect: fr[fns.length] });
    });
    if (restBytes > 0) cells.push({ kind: 'other', label: `(other: ${rest.length} files)`, path: row.d, bytes: restBytes, cls: 'text', rect: rects[shown.length] });
  });
  return cells;
}

function n(v: number): string {
  return (Math.round(v * 1000) / 1000).toString();
}

/** Delta colour classes: grow (g) or shrink (s), four steps of strength by the relative change. */
function deltaClass(c: SizeMapCell): string {
  if (c.delta === undefined) return 'd0';
  if (c.added) return 'dg4';
  if (c.delta === 0) return 'd0';
  const base = c.bytes - c.delta;
  const rel = base > 0 ? Math.abs(c.delta) / base : 1;
  const step = rel >= 0.5 ? 4 : rel >= 0.1 ? 3 : rel >= 0.02 ? 2 : 1;
  return `${c.delta > 0 ? 'dg' : 'ds'}${step}`;
}

const CLASS_COLOURS: Record<SectionClass, string> = {
  text: 'var(--vscode-charts-blue, #3794ff)',
  rodata: 'var(--vscode-charts-purple, #b180d7)',
  data: 'var(--vscode-charts-orange, #d18616)',
  bss: 'var(--vscode-charts-yellow, #cca700)',
  init: 'var(--vscode-charts-green, #89d185)',
  percpu: 'var(--vscode-charts-red, #f14c4c)',
  tables: 'var(--vscode-charts-lines, #888888)',
};

const CSS = `
:root{color-scheme:light dark}
body{margin:0;padding:12px 16px;background:var(--vscode-editor-background,#1e1e1e);color:var(--vscode-foreground,#cccccc);font-family:var(--vscode-font-family,system-ui,sans-serif);font-size:var(--vscode-font-size,13px)}
h1{font-size:1.25em;margin:0 0 4px;font-weight:600}
.sub{margin:0 0 8px;color:var(--vscode-descriptionForeground,#9d9d9d)}
#map{display:block;width:100%;height:auto;user-select:none}
.cell{stroke:var(--vscode-editor-background,#1e1e1e);stroke-width:.6}
.cell.dir{fill:var(--vscode-sideBar-background,#252526);stroke:none}
.frame{fill:none;pointer-events:none;stroke:var(--vscode-panel-border,#80808059);stroke-width:1}
.cell.file{fill-opacity:.35;cursor:pointer}
.cell.function{fill-opacity:.85;cursor:pointer}
.cell.other{fill-opacity:.2}
.cell.file:hover,.cell.function:hover{fill-opacity:1;stroke:var(--vscode-focusBorder,#007fd4);stroke-width:1.2}
text{pointer-events:none;fill:var(--vscode-foreground,#cccccc);font-size:10px}
text.dir{font-size:12px;font-weight:600}
ul.legend{list-style:none;padding:0;margin:8px 0 0;display:flex;flex-wrap:wrap;gap:4px 16px}
ul.legend li{display:flex;align-items:center;gap:6px}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px}
#tip{position:fixed;display:none;pointer-events:none;padding:4px 8px;border-radius:3px;max-width:480px;background:var(--vscode-editorHoverWidget-background,#252526);color:var(--vscode-editorHoverWidget-foreground,#cccccc);border:1px solid var(--vscode-editorHoverWidget-border,#454545);font-variant-numeric:tabular-nums;white-space:pre-line}
${SECTION_CLASSES.map((c) => `.k-${c}{fill:${CLASS_COLOURS[c]};background:${CLASS_COLOURS[c]}}`).join('\n')}
.d0{fill:var(--vscode-charts-lines,#888888);background:var(--vscode-charts-lines,#888888)}
${[1, 2, 3, 4].map((s) => `.dg${s}{fill:var(--vscode-charts-red,#f14c4c);background:var(--vscode-charts-red,#f14c4c)}.ds${s}{fill:var(--vscode-charts-green,#89d185);background:var(--vscode-charts-green,#89d185)}`).join('\n')}
.cell.function.dg1,.cell.function.ds1{fill-opacity:.4}.cell.function.dg2,.cell.function.ds2{fill-opacity:.6}.cell.function.dg3,.cell.function.ds3{fill-opacity:.8}.cell.function.dg4,.cell.function.ds4{fill-opacity:1}
`;

const SCRIPT = `
(function(){
  var api = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
  function post(m){ window.__lastMessage = m; if (api) api.postMessage(m); }
  var map = document.getElementById('map');
  var tip = document.getElementById('tip');
  function cellOf(e){ var t = e.target; return t && t.closest ? t.closest('.cell') : null; }
  map.addEventListener('click', function(e){
    var c = cellOf(e);
    if (!c) return;
    var kind = c.getAttribute('data-kind');
    if (kind !== 'file' && kind !== 'function') return;
    var m = { type: 'open', file: c.getAttribute('data-path') };
    var name = c.getAttribute('data-name');
    if (kind === 'function' && name) m.name = name;
    post(m);
  });
  map.addEventListener('mousemove', function(e){
    var c = cellOf(e);
    if (!c) { tip.style.display = 'none'; return; }
    var bytes = Number(c.getAttribute('data-bytes'));
    var text = (c.getAttribute('data-name') ? c.getAttribute('data-name') + '\\n' : '') + c.getAttribute('data-path') + '\\n' + bytes.toLocaleString('en-US') + ' B';
    var d = c.getAttribute('data-delta');
    if (d !== null) text += ' (' + (Number(d) > 0 ? '+' : '') + Number(d).toLocaleString('en-US') + ' B)';
    tip.textContent = text;
    tip.style.display = 'block';
    var x = e.clientX + 14, y = e.clientY + 14;
    if (x + tip.offsetWidth > window.innerWidth) x = Math.max(0, e.clientX - tip.offsetWidth - 8);
    if (y + tip.offsetHeight > window.innerHeight) y = Math.max(0, e.clientY - tip.offsetHeight - 8);
    tip.style.left = x + 'px'; tip.style.top = y + 'px';
  });
  map.addEventListener('mouseleave', function(){ tip.style.display = 'none'; });
})();
`;

function cellSvg(c: SizeMapCell, colorBy: 'class' | 'delta'): string {
  const r = c.rect;
  const colour = c.kind === 'dir' ? '' : ' ' + (colorBy === 'delta' ? deltaClass(c) : `k-${c.cls}`);
  const attrs = [
    `class="cell ${c.kind}${colour}"`,
    `data-kind="${c.kind}"`,
    `data-path="${escapeHtml(c.path)}"`,
    c.name !== undefined ? `data-name="${escapeHtml(c.name)}"` : '',
    `data-bytes="${c.bytes}"`,
    c.delta !== undefined ? `data-delta="${c.delta}"` : '',
    `x="${n(r.x)}" y="${n(r.y)}" width="${n(r.w)}" height="${n(r.h)}"`,
  ].filter(Boolean);
  let out = `<rect ${attrs.join(' ')}/>`;
  // The directory's border is a separate, unstroked-cell outline, so that the cell's box is exactly its area.
  if (c.kind === 'dir') out += `<rect class="frame" x="${n(r.x)}" y="${n(r.y)}" width="${n(r.w)}" height="${n(r.h)}"/>`;
  // A label where it fits (about 6 units per character at 10px).
  const header = c.kind === 'dir' ? DIR_HEADER : c.kind === 'file' ? FILE_HEADER : 11;
  if (r.h >= header && r.w >= 24) {
    const chars = Math.floor((r.w - 4) / (c.kind === 'dir' ? 7 : 6));
    const full = c.kind === 'dir' ? `${c.label}/ ${humanSize(c.bytes)}` : c.label;
    const label = full.length <= chars ? full : chars >= 4 ? full.slice(0, chars - 1) + '…' : '';
    if (label) out += `<text class="${c.kind}" x="${n(r.x + 3)}" y="${n(r.y + header - 3)}">${escapeHtml(label)}</text>`;
  }
  return out;
}

/** The whole page. */
export function sizeMapHtml(index: BuildIndex, options: SizeMapOptions): string {
  const colorBy = options.colorBy === 'delta' && options.baseline ? 'delta' : 'class';
  const cells = sizeMapCells(index, colorBy === 'delta' ? options.baseline : undefined);
  const title = options.title ?? 'Kernel size map';
  const total = cells.filter((c) => c.kind === 'dir').reduce((a, c) => a + c.bytes, 0);
  const build = index.build;
  const sub =
    `${escapeHtml(build.kernelVersion ?? build.arch)} · ${humanSize(total)} in built-in files, ${humanSize(index.totals.resident)} resident (kernel proper)` +
    (colorBy === 'delta' ? ` · against ${escapeHtml(options.baseline!.build.kernelVersion ?? options.baseline!.build.dir)}: red grew, green shrank` : '') +
    (options.colorBy === 'delta' && !options.baseline ? ' · no baseline build: coloured by section class' : '') +
    (build.estimated ? ' · sizes are estimates (System.map only)' : '');
  const legend =
    colorBy === 'delta'
      ? `<li><span class="sw dg4"></span>grew or new</li><li><span class="sw ds4"></span>shrank</li><li><span class="sw d0"></span>unchanged</li>`
      : SECTION_CLASSES.map((c) => `<li><span class="sw k-${c}"></span>${c}</li>`).join('');
  const body = `<h1>${escapeHtml(title)}</h1>
<p class="sub">${sub}. Area is bytes in vmlinux; click a file or function to open it.</p>
<svg id="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}">
${cells.map((c) => cellSvg(c, colorBy)).join('\n')}
</svg>
<ul class="legend">${legend}</ul>
<div id="tip" role="tooltip"></div>`;
  return htmlPage({ title, css: CSS, body, script: SCRIPT, webview: { nonce: options.nonce, cspSource: options.cspSource } });
}
