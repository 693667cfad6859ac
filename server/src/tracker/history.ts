/**
 * The bloat tracker's history: one JSON Lines record per measured build, so that
 * the size of the kernel proper can be followed over releases or commits. `track`
 * appends a record, `history` reads them back as a table or an HTML page, and
 * `history merge` joins the histories of a sweep's shards into one, in the commit
 * order of the kernel's git tree (asked through `git.ts`, the only process here).
 *
 * A record may carry two figures this layer does not compute: the Modularize
 * floor (what the kernel proper would be with every unblocked candidate built as
 * a module, which the modularize layer works out and the caller hands in) and the
 * commits that made the step to it (`kbloat blame`'s top commits).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BuildIndex } from '../index/model';
import { KbloatInputError } from '../common/errors';
import { readText } from '../common/fsRead';
import { locateBuild } from '../kbuild/layout';
import { ClassBytes, residentBytes, sumBytes } from '../binary/sections';
import { git } from './git';

/** How many Kconfig symbols a record keeps: enough for the movers table, small enough to stay readable. */
const CONFIG_SYMBOLS_KEPT = 50;
/** The directory that built-in generated files (kallsyms tables, export tables) count under. */
const GENERATED_DIR = '(generated)';

export interface DirBytes {
  bytes: number;
  resident: number;
}

/**
 * The kernel proper of a build with every unblocked Modularize candidate built as
 * a module: `kbloat modularize`'s `residentIfModularized`, without a rebuild.
 */
export interface ModularizedFloor {
  /** Resident bytes of the kernel proper if every unblocked candidate were a module. */
  resident: number;
  /** How many unblocked candidates that takes out. */
  candidates: number;
  /** The floor: the smallest kernel proper the analysis reaches (`.config` changes, moves that go together, bool→tristate edits), as `kbloat modularize` predicts it. */
  floor?: number;
  /** The smallest reached by `.config` changes alone. */
  floorByConfig?: number;
}

/**
 * The kernel proper of the same revision rebuilt with every tristate Kconfig allows
 * at m (`make yes2modconfig`): what `kbloat sweep --modularized` measures.
 */
export interface ModularizedBuild {
  /** Resident bytes of the rebuilt kernel proper. */
  resident: number;
  /** Bytes of the rebuilt vmlinux image. */
  image: number;
}

/** One of the commits that made the step from the record before to this one (`kbloat blame`'s commits). */
export interface CommitBytes {
  /** The full commit hash. */
  commit: string;
  subject: string;
  /** Resident bytes the commit added (negative: removed). */
  bytes: number;
}

export interface HistoryRecord {
  label: string;
  /** When the record was made (ISO 8601). */
  date: string;
  kernelVersion: string | null;
  buildId: string | null;
  /** sha256 of the config's CONFIG_ lines, sorted: equal hashes mean the same configuration. */
  configHash: string | null;
  /**
   * The full hash of the git commit a sweep built, when it was a sweep. Records of
   * `track`, and of sweeps older than this field, have none; `history merge` needs it.
   */
  commit?: string;
  totals: { image: number; resident: number; init: number; sections: ClassBytes };
  /** Built-in files grouped by the first component of their path. */
  dirs: Record<string, DirBytes>;
  /** The largest Kconfig symbols by bytes; a file counts for the innermost symbol that builds it in. */
  configSymbols: Record<string, number>;
  /** Bytes of vmlinux that no object owns (linker padding and data). */
  unattributed: number;
  /**
   * The Modularize floor of the build. Absent in records of builds where the
   * analysis could not run (no .config, no Kconfig tree) and in older records.
   */
  modularized?: ModularizedFloor;
  /** The revision rebuilt after `make yes2modconfig`, when a sweep ran with `--modularized`. */
  modularizedBuild?: ModularizedBuild;
  /** The largest commits of the step from the record before, biggest first, when someone recorded them. */
  commits?: CommitBytes[];
}

/** What a record carries besides the build index's own figures. */
export interface RecordOptions {
  /** When the record is made; now by default. */
  date?: Date;
  /** The build's Modularize floor, when the analysis could run. */
  modularized?: ModularizedFloor;
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
export function recordFromIndex(index: BuildIndex, label: string, configText: string | undefined, options: RecordOptions = {}): HistoryRecord {
  const date = options.date ?? new Date();
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
    ...(options.modularized ? { modularized: { ...options.modularized } } : {}),
  };
}

/** The config text of the build in `dir`: .config when it is there (what the user chose), else auto.conf. */
export function readConfigText(dir: string): string | undefined {
  const layout = locateBuild(dir);
  return readText(path.join(layout.buildDir, '.config')) ?? readText(layout.config);
}

/** A record with the line of its file it was read from (1-based), for messages that point at it. */
export interface LocatedRecord {
  record: HistoryRecord;
  file: string;
  line: number;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** What is wrong with a record's optional `modularized`, `modularizedBuild` and `commits` fields, or undefined when they are absent or sound. */
function optionalFieldProblem(rec: HistoryRecord): string | undefined {
  const m: unknown = rec.modularized;
  if (m !== undefined) {
    const floor = m as Partial<ModularizedFloor> | null;
    if (typeof floor !== 'object' || floor === null || !isCount(floor.resident) || !isCount(floor.candidates)) {
      return '"modularized" is not { "resident": bytes, "candidates": count }';
    }
    if ((floor.floor !== undefined && !isCount(floor.floor)) || (floor.floorByConfig !== undefined && !isCount(floor.floorByConfig))) {
      return '"modularized"\'s "floor" and "floorByConfig" are not byte counts';
    }
  }
  const b: unknown = rec.modularizedBuild;
  if (b !== undefined) {
    const built = b as Partial<ModularizedBuild> | null;
    if (typeof built !== 'object' || built === null || !isCount(built.resident) || !isCount(built.image)) {
      return '"modularizedBuild" is not { "resident": bytes, "image": bytes }';
    }
  }
  const c: unknown = rec.commits;
  if (c !== undefined) {
    if (!Array.isArray(c)) return '"commits" is not a list';
    const bad = c.findIndex((x: Partial<CommitBytes> | null) => typeof x !== 'object' || x === null || typeof x.commit !== 'string' || typeof x.subject !== 'string' || typeof x.bytes !== 'number' || !Number.isSafeInteger(x.bytes));
    if (bad >= 0) return `"commits"[${bad}] is not { "commit", "subject", "bytes" }`;
  }
  return undefined;
}

/** Reads a history file with the line of each record; a missing file is an empty history, a broken line is bad input. */
export function readHistoryLines(file: string): LocatedRecord[] {
  if (!existsSync(file)) return [];
  const out: LocatedRecord[] = [];
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
    if (rec.commit !== undefined && typeof rec.commit !== 'string') {
      throw new KbloatInputError('io', `line ${i + 1}: "commit" is not a string`, file);
    }
    const problem = optionalFieldProblem(rec);
    if (problem) throw new KbloatInputError('io', `line ${i + 1}: ${problem}`, file);
    out.push({ record: rec, file, line: i + 1 });
  }
  return out;
}

/** Reads a history file; a missing file is an empty history, a broken line is bad input. */
export function readHistory(file: string): HistoryRecord[] {
  return readHistoryLines(file).map((r) => r.record);
}

/** Writes a whole history: to a temporary file first, then renamed, so that an interruption never leaves half a history. */
export function writeHistory(file: string, records: HistoryRecord[]): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, records.map((r) => JSON.stringify(r) + '\n').join(''));
  renameSync(tmp, file);
}

export class DuplicateLabel extends Error {}

function duplicateLabel(file: string, label: string): DuplicateLabel {
  return new DuplicateLabel(`label "${label}" is already in ${file}; use --replace to measure it again`);
}

/** Throws what addRecord would for a label already in the history, before the work of measuring a build is done. */
export function checkLabelFree(file: string, label: string, replace: boolean): void {
  if (!replace && readHistory(file).some((r) => r.label === label)) throw duplicateLabel(file, label);
}

/**
 * Adds a record to the history. A label already there is refused (a history is a
 * series, and two points with one label would make the chart lie) unless
 * `replace`, which puts the new record where the old one was.
 */
export function addRecord(file: string, record: HistoryRecord, replace: boolean): void {
  const records = readHistory(file);
  const at = records.findIndex((r) => r.label === record.label);
  if (at >= 0 && !replace) throw duplicateLabel(file, record.label);
  if (at >= 0) records[at] = record;
  else records.push(record);
  writeHistory(file, records);
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

/** A revision that `history merge` was told to expect and that no history holds: a shard that failed or never ran. */
export interface MergeGap {
  /** The revision as given to `--expect`. */
  rev: string;
  /** Its full commit hash, or null when the tree has no such revision. */
  commit: string | null;
  /** The labels of the merged records around it in commit order; null past either end (or when `commit` is null). */
  after: string | null;
  before: string | null;
}

export interface MergeResult {
  /** Every record of every history, once, in the commit order of the tree. */
  records: HistoryRecord[];
  /** The expected revisions no history holds, in the order they were given. */
  gaps: MergeGap[];
  /**
   * Labels of neighbouring records neither of whose commits is an ancestor of the
   * other (different branches): their order is git's topological order, not history.
   */
  unrelated: [string, string][];
}

/** A full commit hash (SHA-1, or SHA-256 in a repository that uses it). */
const FULL_HASH = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Where a record came from, as messages say it. */
function where(r: LocatedRecord): string {
  return `${r.file}:${r.line}`;
}

/**
 * Each name resolved to a commit of `tree` (null where git knows none), in one
 * `git cat-file --batch-check`, which answers one line per line asked, in order.
 */
function resolveCommits(tree: string, names: string[]): (string | null)[] {
  if (names.length === 0) return [];
  const answer = git(tree, ['cat-file', '--batch-check'], { input: names.map((n) => `${n}^{commit}\n`).join('') }).split('\n');
  return names.map((_, i) => {
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) commit \d+$/.exec(answer[i] ?? '');
    return m ? m[1] : null;
  });
}

/**
 * The position of each commit in the tree's history: `git rev-list --topo-order
 * --reverse` of all of them, so that every commit comes after its ancestors. The
 * walk stops below their common ancestors (the parents of `git merge-base --octopus
 * --all` are excluded): no commit given is an ancestor of such a parent, since a
 * common ancestor of all cannot lie above one of them, so every one is listed.
 */
function commitOrder(tree: string, commits: string[]): Map<string, number> {
  let exclude: string[] = [];
  if (commits.length > 1) {
    try {
      exclude = git(tree, ['merge-base', '--octopus', '--all', ...commits]).split('\n').filter(Boolean).map((b) => `${b}^@`);
    } catch {
      // No common ancestor (unrelated histories): walk everything, which is slower but as sound.
    }
  }
  const listed = git(tree, ['rev-list', '--topo-order', '--reverse', ...commits, ...(exclude.length ? ['--not', ...exclude] : [])]);
  const wanted = new Set(commits);
  const order = new Map<string, number>();
  for (const c of listed.split('\n')) if (wanted.has(c)) order.set(c, order.size);
  const lost = commits.find((c) => !order.has(c));
  if (lost) throw new KbloatInputError('io', `git rev-list did not list commit ${lost}`, tree);
  return order;
}

/** Whether `a` is an ancestor of `b` (or `b` itself): their merge base is `a`. */
function isAncestor(tree: string, a: string, b: string): boolean {
  try {
    return git(tree, ['merge-base', a, b]).trim() === a;
  } catch {
    // No merge base at all: unrelated histories.
    return false;
  }
}

/**
 * Merges histories (a sweep's shards) into one series in the commit order of the
 * git tree `tree`. Every record must carry its commit. A label or a commit found
 * twice is refused with the places of both (two points for one build would make
 * the series lie). `expect` lists the revisions the series should have (the
 * sweep's `--revs`); those no history holds are returned as gaps, with the
 * records around them.
 */
export function mergeHistories(files: string[], tree: string, expect: string[] = []): MergeResult {
  const located = files.flatMap((f) => readHistoryLines(f));
  for (const r of located) {
    const c = r.record.commit;
    if (c === undefined) throw new KbloatInputError('io', `line ${r.line}: record "${r.record.label}" has no commit (made by kbloat track, or by an older sweep); history merge orders records by their commit`, r.file);
    if (!FULL_HASH.test(c)) throw new KbloatInputError('io', `line ${r.line}: record "${r.record.label}" has "${c}" as its commit, not a full commit hash`, r.file);
  }
  const duplicates: string[] = [];
  for (const [what, key] of [['label', (r: LocatedRecord) => r.record.label], ['commit', (r: LocatedRecord) => r.record.commit as string]] as const) {
    const seen = new Map<string, LocatedRecord[]>();
    for (const r of located) seen.set(key(r), [...(seen.get(key(r)) ?? []), r]);
    for (const [k, rs] of seen) {
      if (rs.length < 2) continue;
      const name = what === 'label' ? `label "${k}"` : `commit ${k.slice(0, 12)} (labels ${rs.map((r) => `"${r.record.label}"`).join(', ')})`;
      duplicates.push(`${name} is in ${rs.map(where).join(' and ')}`);
    }
  }
  if (duplicates.length) throw new DuplicateLabel(`history merge refused, the same build twice: ${duplicates.join('; ')}`);

  const expected = [...new Set(expect)];
  const resolved = resolveCommits(tree, [...located.map((r) => r.record.commit as string), ...expected]);
  located.forEach((r, i) => {
    if (resolved[i] !== r.record.commit) throw new KbloatInputError('io', `commit ${r.record.commit} of "${r.record.label}" (${where(r)}) is not in ${tree}: fetch it, history merge orders records by the tree's history`);
  });
  const expectedCommits = resolved.slice(located.length);
  const order = commitOrder(tree, [...new Set([...located.map((r) => r.record.commit as string), ...expectedCommits.filter((c): c is string => c !== null)])]);
  const pos = (r: LocatedRecord): number => order.get(r.record.commit as string) as number;
  const sorted = [...located].sort((a, b) => pos(a) - pos(b));

  const built = new Set(sorted.map((r) => r.record.commit));
  const gaps: MergeGap[] = [];
  const reported = new Set<string>();
  expected.forEach((rev, i) => {
    const commit = expectedCommits[i];
    if (commit === null) {
      gaps.push({ rev, commit: null, after: null, before: null });
      return;
    }
    // A revision named twice (a tag and its hash) is one gap.
    if (built.has(commit) || reported.has(commit)) return;
    reported.add(commit);
    const p = order.get(commit) as number;
    const after = sorted.filter((r) => pos(r) < p).pop();
    const before = sorted.find((r) => pos(r) > p);
    gaps.push({ rev, commit, after: after?.record.label ?? null, before: before?.record.label ?? null });
  });

  const unrelated: [string, string][] = [];
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1].record, sorted[i].record];
    if (!isAncestor(tree, a.commit as string, b.commit as string)) unrelated.push([a.label, b.label]);
  }
  return { records: sorted.map((r) => r.record), gaps, unrelated };
}
