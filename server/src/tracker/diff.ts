/**
 * `kbloat diff`: what changed between two builds, from their build indexes.
 * Byte deltas are rolled up by directory, by file and by Kconfig symbol, split
 * into resident and init bytes; the .config differences are listed with the
 * bytes of the files each one governs; and functions are matched across the
 * builds so that a renamed or moved function is reported as such rather than
 * as one addition and one removal.
 */
import * as path from 'node:path';
import type { BuildIndex, FileEntry, FileStatus, FunctionEntry } from '../index/model';
import { KernelConfig, parseDotConfig } from '../kbuild/dotconfig';
import { readText } from '../common/fsRead';
import { locateBuild } from '../kbuild/layout';
import { ClassBytes, SECTION_CLASSES, SectionClass } from '../binary/sections';
import { bloatOMeterName } from '../binary/symbolNames';

/** `--only code` keeps functions and text bytes; `--only data` keeps variables and data bytes. */
export type DiffFilter = 'all' | 'code' | 'data';

const FILTER_CLASSES: Record<DiffFilter, readonly SectionClass[]> = {
  all: SECTION_CLASSES,
  code: ['text'],
  data: ['rodata', 'data', 'bss', 'percpu'],
};

export interface Change {
  old: number;
  new: number;
  delta: number;
}

/** One row of a rollup: bytes before and after, the delta split into resident and init, and per class. */
export interface RollupRow extends Change {
  key: string;
  resident: number;
  init: number;
  classes: ClassBytes;
}

export interface FileRow extends RollupRow {
  path: string;
  object: string;
  /** null when the file is not in that build's index at all. */
  oldStatus: FileStatus | null;
  newStatus: FileStatus | null;
}

export interface ConfigChange {
  name: string;
  /** The value as written, or 'n' when not set or absent. */
  old: string;
  new: string;
  /** Delta of the files whose reason chain names this symbol (in either build). */
  bytes: number;
  resident: number;
  files: string[];
}

export type SymbolChangeKind = 'added' | 'removed' | 'grown' | 'shrunk' | 'clones' | 'renamed' | 'moved';

export interface SymbolChange {
  kind: SymbolChangeKind;
  name: string;
  file: string;
  /** For renames: the old name; for moves: the old file. */
  oldName?: string;
  oldFile?: string;
  old: number | null;
  new: number | null;
  delta: number;
  section: string;
  /** The compiler clones before and after, when they differ. */
  oldParts?: string[];
  newParts?: string[];
}

export interface SideInfo {
  dir: string;
  vmlinux: string | null;
  kernelVersion: string | null;
  buildId: string | null;
  attribution: string;
  estimated: boolean;
}

export interface BuildDiff {
  old: SideInfo;
  new: SideInfo;
  only: DiffFilter;
  totals: { image: Change; resident: Change; init: Change; classes: Partial<Record<SectionClass, Change>> };
  dirs: RollupRow[];
  files: FileRow[];
  configs: RollupRow[];
  configChanges: ConfigChange[];
  functions: SymbolChange[];
  variables: SymbolChange[];
  warnings: string[];
}

export interface DiffOptions {
  only?: DiffFilter;
  oldConfig?: KernelConfig;
  newConfig?: KernelConfig;
}

/** The configuration a build used (auto.conf or .config), or undefined when it has none. */
export function readBuildConfig(dirOrVmlinux: string): KernelConfig | undefined {
  const file = locateBuild(dirOrVmlinux).config;
  const text = readText(file);
  return text === undefined ? undefined : parseDotConfig(text, file);
}

const UNATTRIBUTED = '(unattributed: padding, linker data)';

export function diffBuilds(oldIndex: BuildIndex, newIndex: BuildIndex, options: DiffOptions = {}): BuildDiff {
  const only = options.only ?? 'all';
  const classes = FILTER_CLASSES[only];
  const keep = (b: ClassBytes): ClassBytes => {
    const out: ClassBytes = {};
    for (const c of classes) if (b[c]) out[c] = b[c];
    return out;
  };
  const warnings: string[] = [];
  for (const [label, ix] of [['old', oldIndex], ['new', newIndex]] as const) {
    if (ix.build.estimated) warnings.push(`the ${label} build has no vmlinux: its sizes are estimates from System.map`);
  }
  // A linker map charges string literals and padding to objects; symbols alone cannot,
  // so per-file deltas between differently attributed builds mix in that difference.
  if (oldIndex.build.attribution !== newIndex.build.attribution) {
    warnings.push(`the old build is attributed from ${oldIndex.build.attribution}, the new one from ${newIndex.build.attribution}: per-file deltas include that difference (the totals do not)`);
  }

  // Files are matched by source path and object, so a file that moves between
  // built in, module and not built stays one row.
  const pairs = new Map<string, { old?: FileEntry; new?: FileEntry }>();
  const fileKey = (f: FileEntry): string => `${f.path}\0${f.object}`;
  for (const f of oldIndex.files) pairs.set(fileKey(f), { old: f });
  for (const f of newIndex.files) {
    const p = pairs.get(fileKey(f));
    if (p) p.new = f;
    else pairs.set(fileKey(f), { new: f });
  }
  // Only built-in bytes are in vmlinux; a module's bytes are not the kernel proper's.
  const vmBytes = (f?: FileEntry): ClassBytes => (f?.status === 'built-in' ? keep(f.bytes) : {});
  const files: FileRow[] = [];
  const dirRows = new Rollup();
  const configRows = new Rollup();
  for (const p of pairs.values()) {
    const ref = (p.new ?? p.old)!;
    const row = makeRow(`${ref.path}`, vmBytes(p.old), vmBytes(p.new));
    const statusChanged = p.old?.status !== p.new?.status;
    if (row.delta === 0 && !nonZero(row.classes) && !(statusChanged && (p.old?.status === 'built-in' || p.new?.status === 'built-in'))) continue;
    files.push({ ...row, path: ref.path, object: ref.object, oldStatus: p.old?.status ?? null, newStatus: p.new?.status ?? null });
    dirRows.add(ref.generated ? '(generated)' : path.dirname(ref.path), row);
    const cfg = p.new?.config?.length ? p.new.config : p.old?.config;
    configRows.add(cfg?.length ? cfg[0].name : ref.generated ? '(generated)' : '(always built in)', row);
  }
  const unattributed = makeRow(UNATTRIBUTED, keep(unattributedBytes(oldIndex)), keep(unattributedBytes(newIndex)));
  for (const r of [dirRows, configRows]) if (unattributed.delta !== 0 || nonZero(unattributed.classes)) r.add(UNATTRIBUTED, unattributed);

  const totals = totalsOf(oldIndex, newIndex, classes, only);
  const configChanges = options.oldConfig && options.newConfig ? diffConfigs(options.oldConfig, options.newConfig, pairs, vmBytes) : [];
  if (!options.oldConfig || !options.newConfig) warnings.push(`no configuration found for the ${!options.oldConfig ? 'old' : 'new'} build: .config changes are not shown`);
  return {
    old: sideInfo(oldIndex),
    new: sideInfo(newIndex),
    only,
    totals,
    dirs: dirRows.rows(),
    files: sortRows(files),
    configs: configRows.rows(),
    configChanges,
    functions: only === 'data' ? [] : diffSymbols(oldIndex, newIndex, 'functions'),
    variables: only === 'code' ? [] : diffSymbols(oldIndex, newIndex, 'variables'),
    warnings,
  };
}

function nonZero(b: ClassBytes): boolean {
  return Object.values(b).some((n) => n !== 0);
}

function sum(b: ClassBytes): number {
  let t = 0;
  for (const c of SECTION_CLASSES) t += b[c] ?? 0;
  return t;
}

function makeRow(key: string, a: ClassBytes, b: ClassBytes): RollupRow {
  const classes: ClassBytes = {};
  for (const c of SECTION_CLASSES) {
    const d = (b[c] ?? 0) - (a[c] ?? 0);
    if (d !== 0) classes[c] = d;
  }
  const o = sum(a);
  const n = sum(b);
  const init = classes.init ?? 0;
  return { key, old: o, new: n, delta: n - o, resident: n - o - init, init, classes };
}

/** Largest change first, whichever its sign. */
function sortRows<T extends RollupRow>(rows: T[]): T[] {
  return rows.sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || Math.abs(b.resident) - Math.abs(a.resident) || a.key.localeCompare(b.key));
}

class Rollup {
  private m = new Map<string, RollupRow>();
  add(key: string, r: RollupRow): void {
    const g = this.m.get(key);
    if (!g) {
      this.m.set(key, { ...r, key, classes: { ...r.classes } });
      return;
    }
    g.old += r.old;
    g.new += r.new;
    g.delta += r.delta;
    g.resident += r.resident;
    g.init += r.init;
    for (const c of SECTION_CLASSES) if (r.classes[c]) g.classes[c] = (g.classes[c] ?? 0) + r.classes[c]!;
  }
  rows(): RollupRow[] {
    // Changes that cancel out within a group are no change.
    for (const r of this.m.values()) for (const c of SECTION_CLASSES) if (r.classes[c] === 0) delete r.classes[c];
    return sortRows([...this.m.values()].filter((r) => r.delta !== 0 || nonZero(r.classes)));
  }
}

function unattributedBytes(index: BuildIndex): ClassBytes {
  const out: ClassBytes = {};
  for (const [name, n] of Object.entries(index.unattributed)) {
    const cls = index.sections.find((s) => s.name === name)?.cls ?? 'text';
    out[cls] = (out[cls] ?? 0) + n;
  }
  return out;
}

function change(o: number, n: number): Change {
  return { old: o, new: n, delta: n - o };
}

function totalsOf(a: BuildIndex, b: BuildIndex, classes: readonly SectionClass[], only: DiffFilter): BuildDiff['totals'] {
  const per: Partial<Record<SectionClass, Change>> = {};
  for (const c of classes) if (a.totals.sections[c] || b.totals.sections[c]) per[c] = change(a.totals.sections[c] ?? 0, b.totals.sections[c] ?? 0);
  if (only === 'all') {
    return { image: change(a.totals.image, b.totals.image), resident: change(a.totals.resident, b.totals.resident), init: change(a.totals.init, b.totals.init), classes: per };
  }
  // A filtered diff totals only the classes it keeps (none of which is init).
  const t = (ix: BuildIndex): number => classes.reduce((s, c) => s + (ix.totals.sections[c] ?? 0), 0);
  return { image: change(t(a), t(b)), resident: change(t(a), t(b)), init: change(0, 0), classes: per };
}

function sideInfo(index: BuildIndex): SideInfo {
  const b = index.build;
  return { dir: b.dir, vmlinux: b.vmlinux ?? null, kernelVersion: b.kernelVersion ?? null, buildId: b.buildId ?? null, attribution: b.attribution, estimated: b.estimated };
}

function configValueOf(cfg: KernelConfig, name: string): string {
  return cfg.values.get(name) ?? 'n';
}

/**
 * Every symbol whose value differs, with the bytes it explains: the delta of the
 * files whose reason chain (in either build) names it.
 */
function diffConfigs(
  a: KernelConfig,
  b: KernelConfig,
  pairs: Map<string, { old?: FileEntry; new?: FileEntry }>,
  vmBytes: (f?: FileEntry) => ClassBytes,
): ConfigChange[] {
  const names = new Set<string>([...a.values.keys(), ...a.notSet, ...b.values.keys(), ...b.notSet]);
  const governed = new Map<string, { old?: FileEntry; new?: FileEntry }[]>();
  for (const p of pairs.values()) {
    for (const n of new Set([...(p.old?.config ?? []), ...(p.new?.config ?? [])].map((c) => c.name))) {
      let list = governed.get(n);
      if (!list) governed.set(n, (list = []));
      list.push(p);
    }
  }
  const out: ConfigChange[] = [];
  for (const name of names) {
    const o = configValueOf(a, name);
    const n = configValueOf(b, name);
    if (o === n) continue;
    let bytes = 0;
    let resident = 0;
    const files: string[] = [];
    for (const p of governed.get(name) ?? []) {
      const r = makeRow('', vmBytes(p.old), vmBytes(p.new));
      bytes += r.delta;
      resident += r.resident;
      if (r.delta !== 0 || nonZero(r.classes)) files.push((p.new ?? p.old)!.path);
    }
    out.push({ name, old: o, new: n, bytes, resident, files: files.sort() });
  }
  return out.sort((x, y) => Math.abs(y.bytes) - Math.abs(x.bytes) || x.name.localeCompare(y.name));
}

interface Sym {
  file: string;
  name: string;
  size: number;
  section: string;
  parts: string[];
}

/** The built-in functions (clones folded) or variables of a build, keyed by file and name. */
function symbolsOf(index: BuildIndex, which: 'functions' | 'variables'): Map<string, Sym> {
  const out = new Map<string, Sym>();
  for (const f of index.files) {
    if (f.status !== 'built-in') continue;
    for (const e of f[which] as FunctionEntry[]) {
      // Static variables get `.N` suffixes that change from build to build, as bloat-o-meter knows.
      const name = which === 'variables' ? bloatOMeterName(e.name) : e.name;
      const key = `${f.path}\0${name}`;
      const parts = (e.parts ?? [e]).map((p) => p.name);
      const s = out.get(key);
      if (s) {
        s.size += e.size;
        s.parts.push(...parts);
      } else out.set(key, { file: f.path, name, size: e.size, section: e.section, parts });
    }
  }
  return out;
}

/**
 * Matches symbols across the builds: same file and name first (clones fold into
 * their function, so a changed clone suffix is the same function); then, for
 * functions, the same name and size in another file is a move, and the same
 * file and size under another name is a rename, when each pairing is unambiguous.
 */
function diffSymbols(oldIndex: BuildIndex, newIndex: BuildIndex, which: 'functions' | 'variables'): SymbolChange[] {
  const a = symbolsOf(oldIndex, which);
  const b = symbolsOf(newIndex, which);
  const out: SymbolChange[] = [];
  let removed: Sym[] = [];
  for (const [key, o] of a) {
    const n = b.get(key);
    if (!n) {
      removed.push(o);
      continue;
    }
    b.delete(key);
    const clonesChanged = o.parts.slice().sort().join(' ') !== n.parts.slice().sort().join(' ');
    const d = n.size - o.size;
    if (d === 0 && !clonesChanged) continue;
    const kind: SymbolChangeKind = d > 0 ? 'grown' : d < 0 ? 'shrunk' : 'clones';
    out.push({ kind, name: n.name, file: n.file, old: o.size, new: n.size, delta: d, section: n.section, ...(clonesChanged ? { oldParts: o.parts, newParts: n.parts } : {}) });
  }
  let added = [...b.values()];
  if (which === 'functions') {
    const pair = (key: (s: Sym) => string, make: (o: Sym, n: Sym) => SymbolChange): void => {
      const count = (list: Sym[]): Map<string, Sym[]> => {
        const m = new Map<string, Sym[]>();
        for (const s of list) m.set(key(s), [...(m.get(key(s)) ?? []), s]);
        return m;
      };
      const ra = count(removed);
      const aa = count(added);
      const used = new Set<Sym>();
      for (const [k, olds] of ra) {
        const news = aa.get(k);
        if (olds.length !== 1 || news?.length !== 1) continue;
        out.push(make(olds[0], news[0]));
        used.add(olds[0]).add(news[0]);
      }
      removed = removed.filter((s) => !used.has(s));
      added = added.filter((s) => !used.has(s));
    };
    pair((s) => `${s.name}\0${s.size}`, (o, n) => ({ kind: 'moved', name: n.name, file: n.file, oldFile: o.file, old: o.size, new: n.size, delta: 0, section: n.section }));
    pair((s) => `${s.file}\0${s.size}`, (o, n) => ({ kind: 'renamed', name: n.name, oldName: o.name, file: n.file, old: o.size, new: n.size, delta: 0, section: n.section }));
  }
  for (const o of removed) out.push({ kind: 'removed', name: o.name, file: o.file, old: o.size, new: null, delta: -o.size, section: o.section });
  for (const n of added) out.push({ kind: 'added', name: n.name, file: n.file, old: null, new: n.size, delta: n.size, section: n.section });
  return out.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || x.name.localeCompare(y.name) || x.file.localeCompare(y.file));
}
