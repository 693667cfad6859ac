/**
 * `kbloat diff --format markdown`: two builds compared as the comment a CI bot
 * posts on a pull request. A headline table (image, resident and init bytes,
 * old, new, delta and percent) comes first, then the `.config` changes, the
 * largest movers by directory, file and Kconfig symbol, and the functions and
 * variables added or grown, removed or shrunk; each table shows its largest
 * rows, and the rest of them are folded in a `<details>` block under it.
 *
 * The comment stays within GitHub's limit (65,536 characters) whatever the
 * builds: the length is counted as the text is put together, every table and
 * every details block is written whole or not at all, and where rows are left
 * out a line says how many. The open tables are filled first (in the order of
 * the comment), then the folded rows share what is left, the short lists whole
 * and the long ones equal parts.
 *
 * Names (files, functions, symbols, values) are code spans, so that `_`, `*`,
 * HTML and the like are shown as written; a backtick in a name lengthens the
 * fence, a `|` is escaped as GFM tables require, and control characters and
 * very long names are shortened.
 */
import type { BuildDiff, Change, ConfigChange, FileRow, RollupRow, SideInfo, SymbolChange } from '../tracker/diff';
import { exactBytes, grouped as count, humanSize, percent, signedSize } from '../shared/units';
import { SECTION_CLASSES, SectionClass } from '../binary/sections';

/** GitHub's limit on the body of an issue or pull request comment, in characters. */
export const GITHUB_COMMENT_LIMIT = 65536;

export interface DiffMarkdownOptions {
  /** Rows of each open table (default 10); the rest are folded. */
  top?: number;
  /** One column per section class in the rollups, instead of resident and init. */
  split?: boolean;
  /** The length the comment must not pass (default GitHub's 65,536 characters; at least 8,192). */
  limit?: number;
}

/** The longest name shown whole, in characters; longer ones end in `…`. */
const NAME_MAX = 160;
/** Warnings of the diff shown at most. */
const WARNINGS_MAX = 10;
/** Files named in a `.config` change's row. */
const CONFIG_FILES_SHOWN = 3;

type Align = 'left' | 'right';

/** Control characters as U+FFFD, and at most `max` characters (code points) with `…` at the end. */
function clean(text: string, max = NAME_MAX): string {
  const t = text.replace(/[\u0000-\u001f\u007f]/g, '\ufffd');
  const points = [...t];
  return points.length > max ? points.slice(0, max - 1).join('') + '…' : t;
}

/** Text that markdown and HTML take literally: entities for `&`, `<`, `>` and `|`, a backslash before the other marks. */
export function escapeText(text: string): string {
  return clean(text, 4 * NAME_MAX).replace(/[\\`*_[\]#~!&<>|]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '|' ? '&#124;' : `\\${c}`));
}

/**
 * A name as an inline code span. In a table cell a `|` is escaped (`\|`, which
 * GFM removes before the span is read); a name with both `|` and `\` (where
 * renderers split `\\|` differently) is written as `<code>` with entities.
 */
export function code(text: string, inTable = true): string {
  const t = clean(text);
  if (t === '') return '';
  if (inTable && t.includes('|') && t.includes('\\')) return `<code>${escapeText(t)}</code>`;
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  // A space on each side keeps a backtick at an end from joining the fence; CommonMark removes both.
  const pad = /^[` ]|[` ]$/.test(t) && !/^ +$/.test(t) ? ' ' : '';
  return `${fence}${pad}${inTable ? t.replace(/\|/g, '\\|') : t}${pad}${fence}`;
}

/** A rollup key: a name as code, our own labels such as `(always built in)` as text. */
function keyCell(key: string): string {
  return key.startsWith('(') ? `_${escapeText(key)}_` : code(key);
}

/** The change relative to the old size: `+7.1%`, `-0.35%`, `0%`, or `new` when there was nothing. */
function signedPercent(c: Change): string {
  if (c.delta === 0) return '0%';
  if (c.old <= 0) return 'new';
  return `${c.delta > 0 ? '+' : '-'}${percent(Math.abs(c.delta), c.old)}`;
}

function tableLine(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** A table: its header, the alignment of its columns, and every row (cells already markdown). */
interface TableSpec {
  header: string[];
  align: Align[];
  rows: string[][];
}

function tableText(spec: TableSpec, rows: string[][]): string {
  return [tableLine(spec.header), tableLine(spec.align.map((a) => (a === 'right' ? '---:' : '---'))), ...rows.map(tableLine)].join('\n');
}

/**
 * A list of rows under an optional heading: the first `open` rows in a table,
 * the rest in a details block whose summary `folded` words; rows that do not
 * fit are counted in a line.
 */
interface Section {
  heading?: string;
  spec: TableSpec;
  open: number;
  /** The summary of the details block: `12 more files`. */
  folded: (n: number) => string;
  /** What the rows are, in the plural (`files`), for the line that counts those left out. */
  noun: string;
}

/**
 * Lengths of a section's parts as blocks of the comment (each block followed by
 * a blank line), so that what fits is known before anything is written.
 */
class SectionCost {
  /** Length of the table's header and alignment lines, with their newlines. */
  private readonly tableHead: number;
  /** prefix[i]: length of rows [0, i) as table lines, each with the newline before it. */
  private readonly prefix: number[];
  constructor(readonly s: Section) {
    this.tableHead = tableText(s.spec, []).length;
    this.prefix = [0];
    for (const r of s.spec.rows) this.prefix.push(this.prefix[this.prefix.length - 1] + 1 + tableLine(r).length);
  }
  get total(): number {
    return this.s.spec.rows.length;
  }
  /** Length of rows [from, to) in a table with its header, as a block. */
  private table(from: number, to: number): number {
    return this.tableHead + this.prefix[to] - this.prefix[from] + 2;
  }
  headingCost(): number {
    return this.s.heading ? this.s.heading.length + 2 : 0;
  }
  /** The open table with `n` rows (nothing for none). */
  openCost(n: number): number {
    return n > 0 ? this.table(0, n) : 0;
  }
  /** What follows an open table of `n` rows when `k` of the others are folded: the details block, or only the line counting them. */
  restCost(n: number, k: number): number {
    const rest = this.total - n;
    if (rest === 0) return 0;
    if (k === 0) return leftOutLine(rest, this.s.noun).length + 2;
    const left = rest - k;
    return detailsOpen(this.s.folded(rest)).length + 2 + this.table(n, n + k) + (left > 0 ? leftOutLine(left, this.s.noun).length + 2 : 0) + DETAILS_CLOSE.length + 2;
  }
  /** The most rows (up to `max`) whose cost `cost(k)` stays within `budget`; costs grow with k but for the last row, which drops the line counting those left out. */
  static most(max: number, budget: number, cost: (k: number) => number): number {
    if (cost(max) <= budget) return max;
    let k = 0;
    while (k + 1 < max && cost(k + 1) <= budget) k++;
    return k;
  }
}

const DETAILS_CLOSE = '</details>';

function detailsOpen(summary: string): string {
  return `<details>\n<summary>${summary}</summary>`;
}

function leftOutLine(n: number, noun: string): string {
  return `_${count(n)} more ${noun} left out to keep this comment within GitHub's length limit; \`kbloat diff\` lists them all._`;
}

/** Writes the blocks of the comment and counts their length (a block and the blank line after it). */
class Blocks {
  readonly list: string[] = [];
  used = 0;
  add(block: string): void {
    this.list.push(block);
    this.used += block.length + 2;
  }
  text(): string {
    return this.list.join('\n\n') + '\n';
  }
}

function describeSide(label: string, s: SideInfo): string {
  const what = [s.kernelVersion ? code(s.kernelVersion, false) : 'unknown version', s.buildId ? `build-id ${code(s.buildId.slice(0, 12), false)}` : 'no build-id', `attribution from ${escapeText(s.attribution)}`];
  if (s.estimated) what.push('**sizes are estimates** (System.map only)');
  return `- ${label}: ${code(s.vmlinux ?? s.dir, false)} (${what.join(', ')})`;
}

type Column<T> = [header: string, cell: (r: T) => string];

/** The columns of a rollup after its key: old, new, delta, then resident and init, or one per class with `split`. */
function rollupColumns(d: BuildDiff, split: boolean): Column<RollupRow>[] {
  const cols: Column<RollupRow>[] = [['old', (r) => humanSize(r.old)], ['new', (r) => humanSize(r.new)], ['delta', (r) => signedSize(r.delta)]];
  if (split) {
    const used = SECTION_CLASSES.filter((c: SectionClass) => [...d.dirs, ...d.files, ...d.configs].some((r) => r.classes[c]));
    for (const c of used) cols.push([c, (r) => (r.classes[c] ? signedSize(r.classes[c]!) : '-')]);
  } else if (d.only === 'all') {
    cols.push(['resident', (r) => signedSize(r.resident)], ['init', (r) => signedSize(r.init)]);
  }
  return cols;
}

function rollupSection<T extends RollupRow>(title: string, keyHeader: string, noun: string, rows: T[], cols: Column<T>[], top: number, status?: (r: T) => string): Section {
  const header = [keyHeader, ...cols.map(([h]) => h), ...(status ? ['status'] : [])];
  const align: Align[] = ['left', ...cols.map((): Align => 'right'), ...(status ? ['left' as Align] : [])];
  return {
    heading: `#### ${title}`,
    spec: { header, align, rows: rows.map((r) => [keyCell(r.key), ...cols.map(([, f]) => f(r)), ...(status ? [status(r)] : [])]) },
    open: top,
    folded: (n) => `${count(n)} more ${noun}`,
    noun,
  };
}

function statusCell(r: FileRow): string {
  if (r.oldStatus === r.newStatus) return '';
  return `${escapeText(r.oldStatus ?? 'absent')} → ${escapeText(r.newStatus ?? 'absent')}`;
}

function configSection(changes: ConfigChange[], top: number): Section {
  const rows = changes.map((c) => {
    const shown = c.files.slice(0, CONFIG_FILES_SHOWN).map((f) => code(f));
    if (c.files.length > CONFIG_FILES_SHOWN) shown.push(`and ${count(c.files.length - CONFIG_FILES_SHOWN)} more`);
    const explained = c.files.length > 0;
    return [code(c.name), code(c.old), code(c.new), explained ? signedSize(c.bytes) : '-', explained ? signedSize(c.resident) : '-', shown.join(', ')];
  });
  return {
    heading: '#### `.config` changes',
    spec: { header: ['option', 'old', 'new', 'bytes explained', 'resident', 'files'], align: ['left', 'left', 'left', 'right', 'right', 'left'], rows },
    open: top,
    folded: (n) => `${count(n)} more .config changes`,
    noun: '.config changes',
  };
}

/** A symbol's name cell: the name, the old name of a rename, the clones before and after. */
function symbolName(c: SymbolChange): string {
  const parts = (list: string[]): string => (list.length > 3 ? [...list.slice(0, 3).map((p) => code(p)), `and ${list.length - 3} more`] : list.map((p) => code(p))).join(', ');
  if (c.kind === 'renamed' && c.oldName !== undefined) return `${code(c.oldName)} → ${code(c.name)}`;
  if (c.oldParts && c.newParts) return `${code(c.name)} (${parts(c.oldParts)} → ${parts(c.newParts)})`;
  return code(c.name);
}

function symbolFile(c: SymbolChange): string {
  return c.kind === 'moved' && c.oldFile !== undefined ? `${code(c.oldFile)} → ${code(c.file)}` : code(c.file);
}

function symbolSections(what: 'function' | 'variable', changes: SymbolChange[], top: number): Section[] {
  const size = (n: number | null): string => (n === null ? '-' : humanSize(n));
  const plural = `${what}s`;
  const Plural = what === 'function' ? 'Functions' : 'Variables';
  const rowsOf = (list: SymbolChange[], withKind: boolean): string[][] =>
    list.map((c) => [...(withKind ? [escapeText(c.kind === 'clones' ? 'other clones' : c.kind)] : []), symbolName(c), symbolFile(c), size(c.old), size(c.new), signedSize(c.delta)]);
  const header = [what, 'file', 'old', 'new', 'delta'];
  const align: Align[] = ['left', 'left', 'right', 'right', 'right'];
  // The diff sorts by the size of the change, so each list keeps the largest first.
  const up = changes.filter((c) => c.kind === 'added' || c.kind === 'grown');
  const down = changes.filter((c) => c.kind === 'removed' || c.kind === 'shrunk');
  const other = changes.filter((c) => c.kind === 'renamed' || c.kind === 'moved' || c.kind === 'clones');
  const out: Section[] = [];
  if (up.length) out.push({ heading: `#### ${Plural} added or grown`, spec: { header, align, rows: rowsOf(up, false) }, open: top, folded: (n) => `${count(n)} more ${plural} added or grown`, noun: `${plural} added or grown` });
  if (down.length) out.push({ heading: `#### ${Plural} removed or shrunk`, spec: { header, align, rows: rowsOf(down, false) }, open: top, folded: (n) => `${count(n)} more ${plural} removed or shrunk`, noun: `${plural} removed or shrunk` });
  if (other.length) {
    out.push({
      spec: { header: ['change', ...header], align: ['left', ...align], rows: rowsOf(other, true) },
      open: 0,
      folded: (n) => `${count(n)} ${n === 1 ? what : plural} renamed, moved or with other clones`,
      noun: `${plural} renamed, moved or with other clones`,
    });
  }
  return out;
}

/** The headline: image, resident and init (or the one total of a code or data diff), exact. */
function headline(d: BuildDiff): { title: string; table: string; classes: string } {
  const t = d.totals;
  const row = (label: string, c: Change): string[] => [label, exactBytes(c.old), exactBytes(c.new), signedSize(c.delta, { exact: true }), signedPercent(c)];
  const spec: TableSpec = { header: ['', 'old', 'new', 'delta', '%'], align: ['left', 'right', 'right', 'right', 'right'], rows: [] };
  let title: string;
  if (d.only === 'all') {
    spec.rows.push(row('image', t.image), row('resident', t.resident), row('init', t.init));
    title = `### Kernel size: resident ${signedSize(t.resident.delta)} (${signedPercent(t.resident)})`;
  } else {
    spec.rows.push(row('total', t.image));
    title = `### Kernel size (${d.only === 'code' ? 'code: text' : 'data: rodata, data, bss, percpu'}): ${signedSize(t.image.delta)} (${signedPercent(t.image)})`;
  }
  const classRows = SECTION_CLASSES.filter((c) => t.classes[c]).map((c) => row(c, t.classes[c]!));
  // The classes add nothing when there is one (a code-only diff has only text).
  const classes = classRows.length > 1
    ? `${detailsOpen('By section class')}\n\n${tableText({ ...spec, header: ['class', ...spec.header.slice(1)], rows: classRows }, classRows)}\n\n${DETAILS_CLOSE}`
    : '';
  return { title, table: tableText(spec, spec.rows), classes };
}

/** Water-filling: each want gets what it asks up to an equal share of `total`; what one leaves goes to the others. */
function share(wants: number[], total: number): number[] {
  const out = wants.map(() => 0);
  const order = wants.map((_, i) => i).sort((a, b) => wants[a] - wants[b]);
  let left = total;
  order.forEach((i, at) => {
    out[i] = Math.max(0, Math.min(wants[i], Math.floor(left / (order.length - at))));
    left -= out[i];
  });
  return out;
}

/** The review comment for a diff; its length never passes `options.limit`. */
export function formatDiffMarkdown(d: BuildDiff, options: DiffMarkdownOptions = {}): string {
  const limit = options.limit ?? GITHUB_COMMENT_LIMIT;
  if (limit < 8192) throw new RangeError(`formatDiffMarkdown: a limit of ${limit} characters is too small (at least 8,192)`);
  const top = options.top ?? 10;
  const out = new Blocks();

  const head = headline(d);
  out.add(head.title);
  out.add([describeSide('old', d.old), describeSide('new', d.new)].join('\n'));
  out.add(head.table);
  if (head.classes) out.add(head.classes);
  if (d.only === 'all') out.add('_resident: bytes that stay in memory after boot; init: bytes freed after boot._');
  const warnings = d.warnings.slice(0, WARNINGS_MAX).map((w) => `> **Warning:** ${escapeText(w)}`);
  if (d.warnings.length > WARNINGS_MAX) warnings.push(`> and ${count(d.warnings.length - WARNINGS_MAX)} more warnings`);
  if (warnings.length) out.add(warnings.join('\n>\n'));

  const cols = rollupColumns(d, options.split ?? false);
  const sections: Section[] = [];
  if (d.configChanges.length) sections.push(configSection(d.configChanges, top));
  if (d.dirs.length) sections.push(rollupSection('Largest movers by directory', 'directory', 'directories', d.dirs, cols, top));
  if (d.files.length) sections.push(rollupSection<FileRow>('Largest movers by file', 'file', 'files', d.files, cols, top, statusCell));
  if (d.configs.length) sections.push(rollupSection('Largest movers by Kconfig symbol', 'Kconfig symbol', 'Kconfig symbols', d.configs, cols, top));
  sections.push(...symbolSections('function', d.functions, top), ...symbolSections('variable', d.variables, top));
  if (sections.length === 0) out.add('_No file, symbol or `.config` option changed._');

  // The open tables, in order; each keeps room for the heading and the line of every section after it.
  const costs = sections.map((s) => new SectionCost(s));
  const least = costs.map((c) => c.headingCost() + c.restCost(0, 0));
  const opened: number[] = [];
  let reserved = least.reduce((a, n) => a + n, 0);
  costs.forEach((c, i) => {
    reserved -= least[i];
    const budget = limit - out.used - reserved;
    const n = SectionCost.most(Math.min(c.s.open, c.total), budget, (k) => c.headingCost() + c.openCost(k) + c.restCost(k, 0));
    opened.push(n);
    reserved += c.headingCost() + c.openCost(n) + c.restCost(n, 0);
  });
  // The folded rows share what is left; each section has its line counting them in any case.
  const base = costs.map((c, i) => c.headingCost() + c.openCost(opened[i]) + c.restCost(opened[i], 0));
  const spare = limit - out.used - base.reduce((a, n) => a + n, 0);
  const wants = costs.map((c, i) => c.restCost(opened[i], c.total - opened[i]) - c.restCost(opened[i], 0));
  const extra = share(wants, spare);
  costs.forEach((c, i) => {
    const n = opened[i];
    const rest = c.total - n;
    const allowed = c.restCost(n, 0) + extra[i];
    const k = SectionCost.most(rest, allowed, (j) => c.restCost(n, j));
    const s = c.s;
    if (s.heading) out.add(s.heading);
    if (n > 0) out.add(tableText(s.spec, s.spec.rows.slice(0, n)));
    if (rest === 0) return;
    if (k === 0) {
      out.add(leftOutLine(rest, s.noun));
      return;
    }
    const parts = [detailsOpen(s.folded(rest)), tableText(s.spec, s.spec.rows.slice(n, n + k))];
    if (k < rest) parts.push(leftOutLine(rest - k, s.noun));
    parts.push(DETAILS_CLOSE);
    out.add(parts.join('\n\n'));
  });
  const text = out.text();
  // The costs above are exact; this only guards against a mistake in them.
  if (text.length > limit) throw new Error(`formatDiffMarkdown: ${text.length} characters, over the limit of ${limit}`);
  return text;
}
