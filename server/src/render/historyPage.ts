/**
 * `kbloat history FILE --html OUT`: one self-contained page. The chart is an SVG
 * computed here, in Node, so that the page needs no script at all; its
 * Content-Security-Policy forbids every network load, so that a page mailed
 * around or opened from CI artifacts never calls out.
 *
 * Over the stack of directories go two curves on the same axis: the kernel
 * proper (resident bytes, linker padding included) and, where records carry it,
 * the kernel proper with everything modularized (the Modularize floor), dashed.
 * Each label has a marker whose tooltip gives both figures and the commits of
 * the step, when the record names them.
 */
import { CommitBytes, HistoryRecord, movers } from '../tracker/history';
import { humanSize, signedSize } from '../shared/units';
import { escapeHtml, htmlPage, WebviewSecurity } from './page';

const W = 960;
const H = 420;
const M = { left: 84, right: 24, top: 16, bottom: 72 };

/** Directories from the largest (bottom of the stack) to the smallest, by their last resident size. */
function seriesOrder(records: HistoryRecord[]): string[] {
  const names = new Set<string>();
  for (const r of records) for (const d of Object.keys(r.dirs)) names.add(d);
  const last = (d: string): number => {
    for (let i = records.length - 1; i >= 0; i--) if (records[i].dirs[d]) return records[i].dirs[d].resident;
    return 0;
  };
  return [...names].sort((a, b) => last(b) - last(a) || a.localeCompare(b));
}

/** A step that gives about five gridlines, 1, 2 or 5 times a power of ten of bytes, KiB or MiB, so that labels read round. */
function niceStep(max: number): number {
  const unit = max >= 10 * 1024 * 1024 ? 1024 * 1024 : max >= 10 * 1024 ? 1024 : 1;
  const raw = max / unit / 5;
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-9))));
  const m = [1, 2, 5, 10].find((k) => k * p >= raw) ?? 10;
  return Math.max(1, m * p * unit);
}

/** Golden-angle hues: neighbours in the stack get far-apart colours, however many directories there are. */
function hue(i: number): number {
  return Math.round((i * 137.508 + 210) % 360);
}

function fmt(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** How many of a step's commits the page lists: the largest few, as `kbloat blame` ranks them. */
const COMMITS_SHOWN = 5;

/** A commit as a step's tooltip and list name it: short hash, change, subject. */
function commitLine(c: CommitBytes): string {
  return `${c.commit.slice(0, 12)} ${signedSize(c.bytes, { zero: '0' })} ${c.subject}`;
}

/** The tooltip of a label's markers: the kernel proper, its change, the floor, and the step's commits. */
function stepTip(records: HistoryRecord[], i: number): string {
  const r = records[i];
  const prev = records[i - 1];
  const lines = [`${r.label}: kernel proper ${humanSize(r.totals.resident)}${prev ? ` (${signedSize(r.totals.resident - prev.totals.resident, { zero: '0' })})` : ''}`];
  if (r.modularized) lines.push(`with everything modularized ${humanSize(r.modularized.resident)} (${r.modularized.candidates} unblocked candidate${r.modularized.candidates === 1 ? '' : 's'})`);
  if (r.modularized?.floor !== undefined) lines.push(`floor ${humanSize(r.modularized.floor)}${r.modularized.floorByConfig !== undefined && r.modularized.floorByConfig !== r.modularized.floor ? `, ${humanSize(r.modularized.floorByConfig)} by .config alone` : ''}`);
  if (r.modularizedBuild) lines.push(`rebuilt after make yes2modconfig ${humanSize(r.modularizedBuild.resident)}`);
  const commits = r.commits ?? [];
  if (commits.length) {
    lines.push(prev ? `commits since ${prev.label}:` : 'commits:');
    for (const c of commits.slice(0, COMMITS_SHOWN)) lines.push(`  ${commitLine(c)}`);
    if (commits.length > COMMITS_SHOWN) lines.push(`  and ${commits.length - COMMITS_SHOWN} more`);
  }
  return lines.join('\n');
}

/** An SVG path through points, broken where a point is missing (a record without the figure). */
function brokenPath(points: ([number, number] | undefined)[]): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (!p) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${fmt(p[0])},${fmt(p[1])}`;
    pen = true;
  }
  return d;
}

function chartSvg(records: HistoryRecord[], dirs: string[]): string {
  const n = records.length;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  // One label draws across the whole width: a band rather than a point nobody can see.
  const xs = n === 1 ? [M.left, M.left + pw] : records.map((_, i) => M.left + (pw * i) / (n - 1));
  const cols = n === 1 ? [records[0], records[0]] : records;
  const stackTop = cols.map((r) => dirs.reduce((a, d) => a + (r.dirs[d]?.resident ?? 0), 0));
  // The curves share the stack's axis: the kernel proper includes the padding the stack leaves out.
  const highest = Math.max(1, ...stackTop, ...cols.map((r) => r.totals.resident), ...cols.map((r) => r.modularized?.resident ?? 0), ...cols.map((r) => r.modularizedBuild?.resident ?? 0));
  const step = niceStep(highest);
  const yMax = Math.max(step, Math.ceil(highest / step) * step);
  const y = (v: number): number => M.top + ph - (ph * v) / yMax;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title">`);
  out.push(`<title id="chart-title">Resident bytes of the kernel proper by top-level directory, per label, with the kernel proper and the kernel proper with everything modularized as lines</title>`);
  for (let v = 0; v <= yMax; v += step) {
    out.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${fmt(y(v))}" y2="${fmt(y(v))}"/>`);
    out.push(`<text class="tick" x="${M.left - 8}" y="${fmt(y(v) + 4)}" text-anchor="end">${escapeHtml(humanSize(v))}</text>`);
  }
  const base = cols.map(() => 0);
  dirs.forEach((d, i) => {
    const lower = base.slice();
    cols.forEach((r, k) => (base[k] += r.dirs[d]?.resident ?? 0));
    const top = xs.map((x, k) => `${fmt(x)},${fmt(y(base[k]))}`);
    const bottom = xs.map((x, k) => `${fmt(x)},${fmt(y(lower[k]))}`).reverse();
    const tip = `${d}: ` + records.map((r) => `${r.label} ${humanSize(r.dirs[d]?.resident ?? 0)}`).join(', ');
    out.push(`<path class="series c${i}" data-dir="${escapeHtml(d)}" d="M${top.join('L')}L${bottom.join('L')}Z"><title>${escapeHtml(tip)}</title></path>`);
  });
  out.push(`<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${fmt(y(0))}" y2="${fmt(y(0))}"/>`);
  out.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${fmt(y(0))}"/>`);
  // The curves, each over a halo of the background so that it reads across the stack's colours.
  const curves: [string, string][] = [['proper', brokenPath(cols.map((r, k) => [xs[k], y(r.totals.resident)]))]];
  if (records.some((r) => r.modularized)) curves.push(['modularized', brokenPath(cols.map((r, k) => (r.modularized ? [xs[k], y(r.modularized.resident)] : undefined)))]);
  if (records.some((r) => r.modularized?.floor !== undefined)) curves.push(['floor', brokenPath(cols.map((r, k) => (r.modularized?.floor !== undefined ? [xs[k], y(r.modularized.floor)] : undefined)))]);
  for (const [name, d] of curves) out.push(`<path class="halo" d="${d}"/>`, `<path class="curve ${name}" d="${d}"/>`);
  const labelX = (i: number): number => (n === 1 ? M.left + pw / 2 : xs[i]);
  const radius = n > 60 ? 2 : 3.5;
  records.forEach((r, i) => {
    const tip = `<title>${escapeHtml(stepTip(records, i))}</title>`;
    const at = (cls: string, v: number): string =>
      `<circle class="marker ${cls}" data-label="${escapeHtml(r.label)}" cx="${fmt(labelX(i))}" cy="${fmt(y(v))}" r="${radius}">${tip}</circle>`;
    out.push(at('proper', r.totals.resident));
    if (r.modularized) out.push(at('modularized', r.modularized.resident));
    if (r.modularized?.floor !== undefined) out.push(at('floor', r.modularized.floor));
    // The rebuild is a measured point, not a curve: on the floor's axis, next to the estimate.
    if (r.modularizedBuild) out.push(at('rebuilt', r.modularizedBuild.resident));
  });
  // Show at most about 16 labels, so that long sweeps stay legible.
  const every = Math.max(1, Math.ceil(n / 16));
  records.forEach((r, i) => {
    if (i % every !== 0 && i !== n - 1) return;
    const x = labelX(i);
    out.push(`<text class="tick label" transform="translate(${fmt(x)},${fmt(y(0) + 14)}) rotate(-30)" text-anchor="end">${escapeHtml(r.label)}</text>`);
  });
  out.push(`<text class="axis-title" x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle">label</text>`);
  out.push(`<text class="axis-title" transform="translate(14,${M.top + ph / 2}) rotate(-90)" text-anchor="middle">resident bytes</text>`);
  out.push('</svg>');
  return out.join('\n');
}

function colourCss(count: number): string {
  const light: string[] = [];
  const dark: string[] = [];
  for (let i = 0; i < count; i++) {
    light.push(`.c${i}{fill:hsl(${hue(i)} 60% 58%);background:hsl(${hue(i)} 60% 58%)}`);
    dark.push(`.c${i}{fill:hsl(${hue(i)} 50% 52%);background:hsl(${hue(i)} 50% 52%)}`);
  }
  return `${light.join('\n')}\n@media (prefers-color-scheme: dark){\n${dark.join('\n')}\n}`;
}

const CSS = `
:root{color-scheme:light dark;--bg:#fdfdfc;--fg:#1d1f21;--muted:#5f6368;--grid:#e3e3e0;--axis:#9aa0a6;--row:#f3f3f1;--up:#b3261e;--down:#1e7a34;--floor:#5b21b6}
@media (prefers-color-scheme: dark){:root{--bg:#17181a;--fg:#e6e6e3;--muted:#a0a4a8;--grid:#2c2e31;--axis:#6b7075;--row:#202226;--up:#f28b82;--down:#81c995;--floor:#d0b4ff}}
body{margin:0 auto;max-width:1000px;padding:24px;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
h1{font-size:1.4em;margin:0 0 4px}h2{font-size:1.1em;margin:28px 0 8px}
.sub{color:var(--muted);margin:0 0 16px}
svg{width:100%;height:auto;display:block}
.grid{stroke:var(--grid);stroke-width:1}.axis{stroke:var(--axis);stroke-width:1}
.tick,.axis-title{fill:var(--muted);font-size:12px}.axis-title{font-size:13px}
.series{stroke:var(--bg);stroke-width:0.6;opacity:.92}.series:hover{opacity:1}
.halo{fill:none;stroke:var(--bg);stroke-width:5;stroke-linejoin:round;opacity:.85}
.curve{fill:none;stroke-width:2.2;stroke-linejoin:round}
.curve.proper{stroke:var(--fg)}.curve.modularized{stroke:var(--floor);stroke-dasharray:7 4}.curve.floor{stroke:var(--floor);stroke-dasharray:2 3}
.marker{stroke:var(--bg);stroke-width:1.2}.marker.proper{fill:var(--fg)}.marker.modularized{fill:var(--floor)}.marker.floor{fill:var(--floor)}.marker.rebuilt{fill:var(--bg);stroke:var(--floor);stroke-width:2}
.marker:hover{stroke:var(--fg);stroke-width:2}
svg.key{width:28px;height:10px;display:inline-block}
ul.commits{margin:4px 0 10px;padding-left:20px;font-size:.93em}
ul.commits .bytes{font-variant-numeric:tabular-nums;margin:0 6px}
ul.legend{list-style:none;padding:0;margin:8px 0 0;display:flex;flex-wrap:wrap;gap:6px 18px}
ul.legend li{display:flex;align-items:center;gap:6px}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;text-align:right;border-bottom:1px solid var(--grid)}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
tbody tr:nth-child(odd){background:var(--row)}
.up{color:var(--up)}.down{color:var(--down)}.muted{color:var(--muted)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.95em}
`;

/** A step's commits, as recorded (the largest first), under its heading in the movers section. */
function commitList(commits: CommitBytes[]): string {
  const items = commits.slice(0, COMMITS_SHOWN).map(
    (c) =>
      `<li><code title="${escapeHtml(c.commit)}">${escapeHtml(c.commit.slice(0, 12))}</code><span class="bytes ${c.bytes > 0 ? 'up' : c.bytes < 0 ? 'down' : 'muted'}">${escapeHtml(signedSize(c.bytes, { zero: '0' }))}</span>${escapeHtml(c.subject)}</li>`,
  );
  if (commits.length > COMMITS_SHOWN) items.push(`<li class="muted">and ${commits.length - COMMITS_SHOWN} more</li>`);
  return `<ul class="commits">${items.join('')}</ul>`;
}

function moversTables(records: HistoryRecord[]): string {
  const out: string[] = [];
  // Newest change first: that is the one a reader came for.
  for (let i = records.length - 1; i >= 1; i--) {
    const a = records[i - 1];
    const b = records[i];
    const d = b.totals.resident - a.totals.resident;
    const floor = a.modularized && b.modularized ? b.modularized.resident - a.modularized.resident : undefined;
    out.push(
      `<h3>${escapeHtml(a.label)} → ${escapeHtml(b.label)} <span class="${d > 0 ? 'up' : d < 0 ? 'down' : 'muted'}">${escapeHtml(signedSize(d, { zero: '0' }))} resident</span>` +
        `${floor === undefined ? '' : ` <span class="muted">· ${escapeHtml(signedSize(floor, { zero: '0' }))} with everything modularized</span>`}</h3>`,
    );
    if (b.commits?.length) out.push(commitList(b.commits));
    const rows = movers(a, b);
    if (rows.length === 0) {
      out.push('<p class="muted">No directory or Kconfig symbol changed.</p>');
      continue;
    }
    out.push('<table><thead><tr><th>what</th><th>name</th><th>old</th><th>new</th><th>delta</th></tr></thead><tbody>');
    for (const m of rows) {
      out.push(
        `<tr><td>${m.kind}</td><td><code>${escapeHtml(m.name)}</code></td><td>${escapeHtml(humanSize(m.old))}</td><td>${escapeHtml(humanSize(m.new))}</td>` +
          `<td class="${m.delta > 0 ? 'up' : 'down'}">${escapeHtml(signedSize(m.delta, { zero: '0' }))}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  return out.join('\n');
}

/** In a webview, the chart takes the VS Code theme's colours. */
const WEBVIEW_THEME = ':root{--bg:var(--vscode-editor-background,#1e1e1e);--fg:var(--vscode-foreground,#cccccc);--muted:var(--vscode-descriptionForeground,#9d9d9d);--grid:var(--vscode-editorWidget-border,#454545);--axis:var(--vscode-editorLineNumber-foreground,#858585);--row:var(--vscode-list-hoverBackground,#2a2d2e);--up:var(--vscode-charts-red,#f14c4c);--down:var(--vscode-charts-green,#89d185);--floor:var(--vscode-charts-purple,#b180d7)}';

export interface HistoryPageOptions {
  title?: string;
  /** Shown in a webview (the Kernel Size History panel); absent: a standalone file. */
  webview?: WebviewSecurity;
}

/** The whole page. */
export function historyHtml(records: HistoryRecord[], options: HistoryPageOptions = {}): string {
  const title = options.title ?? 'Kernel size history';
  const dirs = seriesOrder(records);
  const last = records[records.length - 1];
  const first = records[0];
  const summary = last
    ? `${records.length} label${records.length === 1 ? '' : 's'} · resident ${humanSize(first.totals.resident)} (${escapeHtml(first.label)}) → ${humanSize(last.totals.resident)} (${escapeHtml(last.label)})` +
      (last.modularized ? ` · ${humanSize(last.modularized.resident)} with everything modularized` : '')
    : 'no records';
  const floors = records.some((r) => r.modularized);
  const rebuilt = records.some((r) => r.modularizedBuild);
  const key = (cls: string): string => `<svg class="key" viewBox="0 0 28 10" aria-hidden="true"><line class="curve ${cls}" x1="1" x2="27" y1="5" y2="5"/></svg>`;
  const curves = records.length
    ? `<ul class="legend curves"><li>${key('proper')}kernel proper (resident bytes, linker padding included)</li>` +
      (floors ? `<li>${key('modularized')}with everything modularized (every unblocked candidate of kbloat modularize built as a module)</li>` : '') +
      (records.some((r) => r.modularized?.floor !== undefined) ? `<li>${key('floor')}the floor (the smallest kernel proper kbloat modularize reaches: .config changes, moves that go together, bools made tristate)</li>` : '') +
      (rebuilt ? `<li><svg class="key" viewBox="0 0 28 10" aria-hidden="true"><circle class="marker rebuilt" cx="14" cy="5" r="3.5"/></svg>rebuilt after make yes2modconfig (kbloat sweep --modularized)</li>` : '') +
      '</ul>'
    : '';
  // The legend lists the stack from top to bottom, as the eye meets it.
  const legend = dirs
    .slice()
    .reverse()
    .map((d) => `<li><span class="sw c${dirs.indexOf(d)}"></span><code>${escapeHtml(d)}</code> <span class="muted">${escapeHtml(humanSize(last?.dirs[d]?.resident ?? 0))}</span></li>`)
    .join('\n');
  const body = `<h1>${escapeHtml(title)}</h1>
<p class="sub">${summary}. Resident bytes of the kernel proper (vmlinux minus what is freed after boot), stacked by top-level directory; linker padding is not in the stack. The line is the kernel proper${floors ? ', the dashed line what it would be with everything modularized' : ''}; a marker's tooltip gives a label's figures${records.some((r) => r.commits?.length) ? ' and the commits of its step' : ''}.</p>
${records.length ? chartSvg(records, dirs) : ''}
${curves}
<ul class="legend">${legend}</ul>
<h2>Largest movers</h2>
<p class="sub">Per step, the ten directories (resident bytes) or Kconfig symbols (all bytes of the files each builds in) that changed most${records.some((r) => r.commits?.length) ? ', under the largest commits of the step where the record names them' : ''}.</p>
${records.length > 1 ? moversTables(records) : '<p class="muted">One label only: nothing to compare yet.</p>'}`;
  return htmlPage({
    title,
    css: `${CSS}\n${colourCss(dirs.length)}`,
    body,
    colorScheme: true,
    webview: options.webview,
    themeCss: options.webview ? WEBVIEW_THEME : undefined,
  });
}
