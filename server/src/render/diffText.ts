/**
 * The readable form of `kbloat diff`: totals, the rollups by directory, file and
 * Kconfig symbol, the .config changes with the bytes they explain, and the
 * function and variable changes, renames and moves listed as such.
 */
import type { BuildDiff, RollupRow, SideInfo, SymbolChange } from '../tracker/diff';
import { humanSize, signedSize } from '../shared/units';
import { SECTION_CLASSES } from '../binary/sections';

/** A size change with its sign: `+1,234 B`, `-12.3 KiB`, `0 B`. */
export interface DiffFormatOptions {
  /** Rows per table (the totals always cover everything). */
  top: number;
  /** One column per section class in the rollups. */
  split: boolean;
}

function describeSide(label: string, s: SideInfo): string {
  const what = [s.kernelVersion ?? 'unknown version', `build-id ${s.buildId ?? 'none'}`, `attribution from ${s.attribution}`];
  if (s.estimated) what.push('sizes are ESTIMATES');
  return `${label}: ${s.vmlinux ?? s.dir} (${what.join(' · ')})`;
}

export function formatDiff(d: BuildDiff, options: DiffFormatOptions): string {
  const out: string[] = [describeSide('old', d.old), describeSide('new', d.new)];
  if (d.only !== 'all') out.push(`only ${d.only === 'code' ? 'code (text)' : 'data (rodata, data, bss, percpu)'} bytes are counted`);
  out.push('');

  const t = d.totals;
  const totals: string[][] = [['', 'old', 'new', 'delta']];
  const line = (label: string, c: { old: number; new: number; delta: number }): string[] => [label, humanSize(c.old), humanSize(c.new), signedSize(c.delta)];
  if (d.only === 'all') totals.push(line('image', t.image), line('resident', t.resident), line('init', t.init));
  else totals.push(line('total', t.image));
  for (const c of SECTION_CLASSES) if (t.classes[c]) totals.push(line(`  ${c}`, t.classes[c]!));
  out.push(...align(totals), '');

  // With --split, one column per class replaces resident and init (init is a class);
  // a diff of code or data only has no init bytes to split off.
  const columns: Column[] = options.split
    ? SECTION_CLASSES.filter((c) => [...d.dirs, ...d.files].some((r) => r.classes[c])).map((c) => [c, (r) => r.classes[c]])
    : d.only === 'all'
      ? [['resident', (r) => r.resident], ['init', (r) => r.init]]
      : [];
  rollup(out, 'by directory', d.dirs, columns, options.top);
  const statusNote = (r: (typeof d.files)[number]): string => (r.oldStatus === r.newStatus ? '' : `${r.oldStatus ?? 'absent'} → ${r.newStatus ?? 'absent'}`);
  rollup(out, 'by file', d.files, columns, options.top, statusNote);
  rollup(out, 'by Kconfig symbol', d.configs, columns, options.top);

  if (d.configChanges.length) {
    const rows: string[][] = [['.config change', 'old → new', 'bytes explained', 'files']];
    for (const c of d.configChanges.slice(0, options.top)) {
      rows.push([c.name, `${c.old} → ${c.new}`, c.files.length ? signedSize(c.bytes) : '-', c.files.length > 3 ? `${c.files.slice(0, 3).join(', ')}, … ${c.files.length - 3} more` : c.files.join(', ')]);
    }
    more(rows, d.configChanges.length, options.top);
    out.push(...align(rows), '');
  }

  symbols(out, 'function', d.functions, options.top);
  symbols(out, 'variable', d.variables, options.top);
  for (const w of d.warnings) out.push(`warning: ${w}`);
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

function more(rows: string[][], total: number, top: number): void {
  if (total > top) rows.push([`… ${total - top} more`, ...rows[0].slice(1).map(() => '')]);
}

/** A column of a rollup after its delta: its header and the figure of a row (undefined prints as `-`). */
type Column = [string, (r: RollupRow) => number | undefined];

function rollup<T extends RollupRow>(out: string[], title: string, rows: T[], columns: Column[], top: number, note?: (r: T) => string): void {
  if (rows.length === 0) return;
  const table: string[][] = [[title, 'delta', ...columns.map(([h]) => h), ...(note ? ['status'] : [])]];
  for (const r of rows.slice(0, top)) {
    const cells = columns.map(([, f]) => f(r)).map((n) => (n === undefined ? '-' : signedSize(n)));
    table.push([r.key, signedSize(r.delta), ...cells, ...(note ? [note(r)] : [])]);
  }
  more(table, rows.length, top);
  out.push(...align(table, !!note), '');
}

const KIND_ORDER = ['renamed', 'moved', 'clones', 'added', 'removed', 'grown', 'shrunk'];

function symbols(out: string[], what: string, changes: SymbolChange[], top: number): void {
  if (changes.length === 0) return;
  const count = (k: string): number => changes.filter((c) => c.kind === k).length;
  out.push(`${what}s: ` + KIND_ORDER.filter((k) => count(k)).map((k) => `${count(k)} ${k === 'clones' ? 'with other clones' : k}`).join(' · '));
  // Renames and moves come first: they are what a reader would otherwise take for an addition and a removal.
  const kept = changes.filter((c) => c.kind === 'renamed' || c.kind === 'moved');
  const rest = changes.filter((c) => c.kind !== 'renamed' && c.kind !== 'moved');
  const rows: string[][] = [['change', what, 'file', 'old', 'new', 'delta']];
  const size = (n: number | null): string => (n === null ? '-' : humanSize(n));
  for (const c of [...kept.slice(0, top), ...rest.slice(0, top)]) {
    const name = c.kind === 'renamed' ? `${c.oldName} → ${c.name}` : c.oldParts ? `${c.name} (${c.oldParts.join(', ')} → ${c.newParts!.join(', ')})` : c.name;
    const file = c.kind === 'moved' ? `${c.oldFile} → ${c.file}` : c.file;
    rows.push([c.kind, name, file, size(c.old), size(c.new), signedSize(c.delta)]);
  }
  const shown = Math.min(kept.length, top) + Math.min(rest.length, top);
  more(rows, changes.length, shown);
  out.push(...align(rows, false, 3), '');
}

/** Left-aligned text columns (the first, and the last when it is a note), right-aligned numbers. */
function align(rows: string[][], lastIsText = false, textColumns = 1): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const last = rows[0].length - 1;
  const isText = (i: number): boolean => i < textColumns || (lastIsText && i === last);
  return rows.map((r) => r.map((cell, i) => (isText(i) ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd());
}
