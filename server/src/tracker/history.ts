/**
 * The bloat tracker's history: one JSON Lines record per measured build, so that
 * the size of the kernel proper can be followed over releases or commits. `track`
 * appends a record, `history` reads them back as a table or an HTML page.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BuildIndex } from '../index/model';
import { KbloatInputError } from '../common/errors';
import { readText } from '../common/fsRead';
import { locateBuild } from '../kbuild/layout';
import { ClassBytes, residentBytes, sumBytes } from '../binary/sections';

/** How many Kconfig symbols a record keeps: enough for the movers table, small enough to stay readable. */
const CONFIG_SYMBOLS_KEPT = 50;
/** The directory that built-in generated files (kallsyms tables, export tables) count under. */
const GENERATED_DIR = '(generated)';

export interface DirBytes {
  bytes: number;
  resident: number;
}

export interface HistoryRecord {
  label: string;
  /** When the record was made (ISO 8601). */
  date: string;
  kernelVersion: string | null;
  buildId: string | null;
  /** sha256 of the config's CONFIG_ lines, sorted: equal hashes mean the same configuration. */
  configHash: string | null;
  /** The git commit a sweep built, when it was a sweep. */
  commit?: string;
  totals: { image: number; resident: number; init: number; sections: ClassBytes };
  /** Built-in files grouped by the first component of their path. */
  dirs: Record<string, DirBytes>;
  /** The largest Kconfig symbols by bytes; a file counts for the innermost symbol that builds it in. */
  configSymbols: Record<string, number>;
  /** Bytes of vmlinux that no object owns (linker padding and data). */
  unattributed: number;
}

/** The hash of a configuration that ignores order and comments, so that re-saved configs compare equal. */
export function configHash(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/\r$/, '').trim())
    .filter((l) => l.startsWith('CONFIG_'))
    .sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** The top-level directory a built-in file counts under in a record. */
export function topDirOf(file: { path: string; generated?: boolean }): string {
  if (file.generated) return GENERATED_DIR;
  const first = file.path.split('/')[0];
  // A file at the top of the tree (no directory) counts under its own name.
  return first || file.path;
}

/** One history record of a build index; `configText` is the build's .config (or auto.conf). */
export function recordFromIndex(index: BuildIndex, label: string, configText: string | undefined, date = new Date()): HistoryRecord {
  const dirs: Record<string, DirBytes> = {};
  const symbols = new Map<string, number>();
  for (const f of index.files) {
    if (f.status !== 'built-in') continue;
    const key = topDirOf(f);
    const d = (dirs[key] ??= { bytes: 0, resident: 0 });
    d.bytes += sumBytes(f.bytes);
    d.resident += residentBytes(f.bytes);
    const sym = f.config?.[0]?.name;
    if (sym) symbols.set(sym, (symbols.get(sym) ?? 0) + sumBytes(f.bytes));
  }
  const top = [...symbols].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, CONFIG_SYMBOLS_KEPT);
  const t = index.totals;
  return {
    label,
    date: date.toISOString(),
    kernelVersion: index.build.kernelVersion ?? null,
    buildId: index.build.buildId ?? null,
    configHash: configText === undefined ? null : configHash(configText),
    totals: { image: t.image, resident: t.resident, init: t.init, sections: t.sections },
    dirs: Object.fromEntries(Object.entries(dirs).sort((a, b) => b[1].resident - a[1].resident || a[0].localeCompare(b[0]))),
    configSymbols: Object.fromEntries(top),
    unattributed: Object.values(index.unattributed).reduce((a, n) => a + n, 0),
  };
}

/** The config text of the build in `dir`: .config when it is there (what the user chose), else auto.conf. */
export function readConfigText(dir: string): string | undefined {
  const layout = locateBuild(dir);
  return readText(path.join(layout.buildDir, '.config')) ?? readText(layout.config);
}

/** Reads a history file; a missing file is an empty history, a broken line is bad input. */
export function readHistory(file: string): HistoryRecord[] {
  if (!existsSync(file)) return [];
  const out: HistoryRecord[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let rec: HistoryRecord;
    try {
      rec = JSON.parse(line) as HistoryRecord;
    } catch {
      throw new KbloatInputError('io', `line ${i + 1} is not JSON (is this a kbloat history file?)`, file);
    }
    if (typeof rec?.label !== 'string' || typeof rec.totals?.resident !== 'number' || typeof rec.dirs !== 'object') {
      throw new KbloatInputError('io', `line ${i + 1} is not a kbloat history record`, file);
    }
    out.push(rec);
  }
  return out;
}

export class DuplicateLabel extends Error {}

/**
 * Adds a record to the history. A label already there is refused (a history is a
 * series, and two points with one label would make the chart lie) unless
 * `replace`, which puts the new record where the old one was.
 */
export function addRecord(file: string, record: HistoryRecord, replace: boolean): void {
  const records = readHistory(file);
  const at = records.findIndex((r) => r.label === record.label);
  if (at >= 0 && !replace) throw new DuplicateLabel(`label "${record.label}" is already in ${file}; use --replace to measure it again`);
  if (at >= 0) records[at] = record;
  else records.push(record);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  // Write then rename, so that an interrupted track never leaves half a history.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  renameSync(tmp, file);
}

export interface Mover {
  kind: 'directory' | 'Kconfig symbol';
  name: string;
  old: number;
  new: number;
  delta: number;
}

/**
 * The largest changes between two records: directories by resident bytes and
 * Kconfig symbols by bytes, by absolute delta. A symbol outside a record's top 50
 * counts as 0 there, which only ever understates its change.
 */
export function movers(a: HistoryRecord, b: HistoryRecord, top = 10): Mover[] {
  const rows: Mover[] = [];
  const dirNames = new Set([...Object.keys(a.dirs), ...Object.keys(b.dirs)]);
  for (const name of dirNames) {
    const o = a.dirs[name]?.resident ?? 0;
    const n = b.dirs[name]?.resident ?? 0;
    if (o !== n) rows.push({ kind: 'directory', name, old: o, new: n, delta: n - o });
  }
  const symNames = new Set([...Object.keys(a.configSymbols ?? {}), ...Object.keys(b.configSymbols ?? {})]);
  for (const name of symNames) {
    const o = a.configSymbols?.[name] ?? 0;
    const n = b.configSymbols?.[name] ?? 0;
    if (o !== n) rows.push({ kind: 'Kconfig symbol', name, old: o, new: n, delta: n - o });
  }
  return rows.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || x.name.localeCompare(y.name)).slice(0, top);
}
