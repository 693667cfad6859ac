/**
 * `kbloat history FILE --html OUT`: one self-contained page. The chart is an SVG
 * computed here, in Node, so that the page needs no script at all; its
 * Content-Security-Policy forbids every network load, so that a page mailed
 * around or opened from CI artifacts never calls out.
 */
import { HistoryRecord, movers } from '../tracker/history';
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

function chartSvg(records: HistoryRecord[], dirs: string[]): string {
  const n = records.length;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  // One label draws across the whole width: a band rather than a point nobody can see.
  const xs = n === 1 ? [M.left, M.left + pw] : records.map((_, i) => M.left + (pw * i) / (n - 1));
  const cols = n === 1 ? [records[0], records[0]] : records;
  const stackTop = cols.map((r) => dirs.reduce((a, d) => a + (r.dirs[d]?.resident ?? 0), 0));
  const step = niceStep(Math.max(1, ...stackTop));
  const yMax = Math.max(step, Math.ceil(Math.max(1, ...stackTop) / step) * step);
  const y = (v: number): number => M.top + ph - (ph * v) / yMax;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title">`);
  out.push(`<title id="chart-title">Resident bytes of the kernel proper by top-level directory, per label</title>`);
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
  // Show at most about 16 labels, so that long sweeps stay legible.
  const every = Math.max(1, Math.ceil(n / 16));
  records.forEach((r, i) => {
    if (i % every !== 0 && i !== n - 1) return;
    const x = n === 1 ? M.left + pw / 2 : xs[i];
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
:root{color-scheme:light dark;--bg:#fdfdfc;--fg:#1d1f21;--muted:#5f6368;--grid:#e3e3e0;--axis:#9aa0a6;--row:#f3f3f1;--up:#b3261e;--down:#1e7a34}
@media (prefers-color-scheme: dark){:root{--bg:#17181a;--fg:#e6e6e3;--muted:#a0a4a8;--grid:#2c2e31;--axis:#6b7075;--row:#202226;--up:#f28b82;--down:#81c995}}
body{margin:0 auto;max-width:1000px;padding:24px;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
h1{font-size:1.4em;margin:0 0 4px}h2{font-size:1.1em;margin:28px 0 8px}
.sub{color:var(--muted);margin:0 0 16px}
svg{width:100%;height:auto;display:block}
.grid{stroke:var(--grid);stroke-width:1}.axis{stroke:var(--axis);stroke-width:1}
.tick,.axis-title{fill:var(--muted);font-size:12px}.axis-title{font-size:13px}
.series{stroke:var(--bg);stroke-width:0.6;opacity:.92}.series:hover{opacity:1}
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

function moversTables(records: HistoryRecord[]): string {
  const out: string[] = [];
  // Newest change first: that is the one a reader came for.
  for (let i = records.length - 1; i >= 1; i--) {
    const a = records[i - 1];
    const b = records[i];
    const d = b.totals.resident - a.totals.resident;
    out.push(`<h3>${escapeHtml(a.label)} → ${escapeHtml(b.label)} <span class="${d > 0 ? 'up' : d < 0 ? 'down' : 'muted'}">${escapeHtml(signedSize(d, { zero: '0' }))} resident</span></h3>`);
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
const WEBVIEW_THEME = ':root{--bg:var(--vscode-editor-background,#1e1e1e);--fg:var(--vscode-foreground,#cccccc);--muted:var(--vscode-descriptionForeground,#9d9d9d);--grid:var(--vscode-editorWidget-border,#454545);--axis:var(--vscode-editorLineNumber-foreground,#858585);--row:var(--vscode-list-hoverBackground,#2a2d2e);--up:var(--vscode-charts-red,#f14c4c);--down:var(--vscode-charts-green,#89d185)}';

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
    ? `${records.length} label${records.length === 1 ? '' : 's'} · resident ${humanSize(first.totals.resident)} (${escapeHtml(first.label)}) → ${humanSize(last.totals.resident)} (${escapeHtml(last.label)})`
    : 'no records';
  // The legend lists the stack from top to bottom, as the eye meets it.
  const legend = dirs
    .slice()
    .reverse()
    .map((d) => `<li><span class="sw c${dirs.indexOf(d)}"></span><code>${escapeHtml(d)}</code> <span class="muted">${escapeHtml(humanSize(last?.dirs[d]?.resident ?? 0))}</span></li>`)
    .join('\n');
  const body = `<h1>${escapeHtml(title)}</h1>
<p class="sub">${summary}. Resident bytes of the kernel proper (vmlinux minus what is freed after boot), stacked by top-level directory; linker padding is not in the stack.</p>
${records.length ? chartSvg(records, dirs) : ''}
<ul class="legend">${legend}</ul>
<h2>Largest movers</h2>
<p class="sub">Per step, the ten directories (resident bytes) or Kconfig symbols (all bytes of the files each builds in) that changed most.</p>
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
