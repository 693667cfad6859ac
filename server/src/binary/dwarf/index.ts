/**
 * What the DWARF of an image says, in the terms of the build index: which source
 * file each address belongs to (its compile unit), where each function is
 * declared (file and line), and how many bytes of inlined copies each function
 * has, summed over every unit it was inlined in.
 *
 * Address -> unit comes from .debug_aranges; a unit that .debug_aranges does not
 * cover (clang writes none) falls back to its own DW_AT_low_pc/high_pc or
 * DW_AT_ranges.
 */
import { ElfFile } from '../elf';
import { stringAt } from './forms';
import { DwarfModel, readDwarfInfo } from './info';
import { FileTable, readFileTable } from './line';
import { PrefixMap, SourcePaths } from './paths';
import { readAranges } from './ranges';
import { DwarfSections } from './sections';

export interface DwarfOptions {
  /** Extra prefix maps (FROM=TO) applied before the built-in ones. */
  prefixMaps?: PrefixMap[];
  /** The kernel source tree, to match paths the prefix rules cannot. */
  sourceDir?: string;
}

export interface Declaration {
  name: string;
  /** Tree-relative source path of the declaration. */
  file: string;
  line: number;
}

export interface InlinedFunction extends Declaration {
  /** Distinct out-of-line functions that hold inlined copies. */
  callers: number;
  copies: number;
  /** Bytes of all inlined copies. */
  bytes: number;
}

/** Follows DW_AT_abstract_origin / DW_AT_specification at most this far (a loop is corrupt data). */
const MAX_HOPS = 8;

export class DwarfIndex {
  private starts: Float64Array;
  private ends: Float64Array;
  private owners: Int32Array;
  private unitPaths: string[];
  private fileTables = new Map<number, FileTable>();
  private paths: SourcePaths;

  private constructor(private d: DwarfSections, private m: DwarfModel, options: DwarfOptions) {
    this.paths = new SourcePaths(options.prefixMaps, options.sourceDir);
    this.unitPaths = m.units.map((u, i) => this.unitSource(i, this.paths.relative(u.name, u.compDir)));
    const aranges = readAranges(d);
    const ranges: [number, number, number][] = [];
    m.units.forEach((u, i) => {
      const r = aranges.get(u.offset);
      const list = r && r.length > 0 ? r : u.ranges;
      for (let k = 0; k < list.length; k += 2) ranges.push([list[k], list[k + 1], i]);
    });
    ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    this.starts = new Float64Array(ranges.map((r) => r[0]));
    this.ends = new Float64Array(ranges.map((r) => r[1]));
    this.owners = Int32Array.from(ranges.map((r) => r[2]));
  }

  /** Reads the DWARF of `elf`; throws KbloatInputError('bad-dwarf') for damaged debug information. */
  static read(elf: ElfFile, options: DwarfOptions = {}): DwarfIndex | undefined {
    const d = new DwarfSections(elf);
    if (!d.has('info')) return undefined;
    return new DwarfIndex(d, readDwarfInfo(d), options);
  }

  get unitCount(): number {
    return this.m.units.length;
  }

  /** Tree-relative source paths of all units. */
  get units(): readonly string[] {
    return this.unitPaths;
  }

  rel(addr: bigint): number {
    return this.d.rel(addr);
  }

  /** The unit whose code covers `addr`, as a tree-relative source path. */
  unitAt(addr: bigint): string | undefined {
    const a = this.d.rel(addr);
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= a) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Ranges rarely nest; look back a little for one that still covers the address.
    for (let i = found; i >= 0 && i > found - 8; i--) if (this.ends[i] > a && this.starts[i] <= a) return this.unitPaths[this.owners[i]];
    return undefined;
  }

  /** The unit of the static variable at `addr` (from its DW_AT_location), if DWARF describes one there. */
  variableUnitAt(addr: bigint): string | undefined {
    const u = this.m.variables.get(this.d.rel(addr));
    return u === undefined ? undefined : this.unitPaths[u];
  }

  /** Where the function whose code starts at `addr` is declared. */
  functionAt(addr: bigint): Declaration | undefined {
    const id = this.m.entries.get(this.d.rel(addr));
    return id === undefined ? undefined : this.declaration(id);
  }

  /** Every function with inlined copies, summed over all units by (file, line, name); largest first. */
  inlinedFunctions(): InlinedFunction[] {
    // Nested maps on strings made once each (paths and names are cached): no key strings to build and hash.
    const byFile = new Map<string, Map<string, Map<number, InlinedFunction>>>();
    const all: InlinedFunction[] = [];
    for (const [origin, sum] of this.m.inlined) {
      const id = this.m.byOffset.get(origin);
      const decl = id === undefined ? undefined : this.declaration(id);
      if (!decl) continue;
      let byName = byFile.get(decl.file);
      if (!byName) byFile.set(decl.file, (byName = new Map()));
      let byLine = byName.get(decl.name);
      if (!byLine) byName.set(decl.name, (byLine = new Map()));
      const f = byLine.get(decl.line);
      if (f) {
        f.bytes += sum.bytes;
        f.copies += sum.copies;
        f.callers += sum.callers;
      } else {
        const entry = { name: decl.name, file: decl.file, line: decl.line, callers: sum.callers, copies: sum.copies, bytes: sum.bytes };
        byLine.set(decl.line, entry);
        all.push(entry);
      }
    }
    // Plain comparisons: localeCompare on 50,000 entries costs half a second.
    return all.sort((a, b) => b.bytes - a.bytes || (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  }

  /** Names by .debug_str offset: one string per name, however many units repeat it. */
  private names = new Map<number, string>();

  private strAt(off: number): string {
    let s = this.names.get(off);
    if (s === undefined) this.names.set(off, (s = stringAt(this.d.get('str'), off, '.debug_str')));
    return s;
  }

  private declaration(id: number): Declaration | undefined {
    const s = this.m.subprograms;
    let name: string | undefined;
    let file = 0;
    let line = 0;
    let unit = -1;
    for (let hop = 0, i = id; hop < MAX_HOPS && i !== undefined; hop++) {
      const n = s.name[i];
      if (name === undefined && n !== undefined) name = typeof n === 'number' ? this.strAt(n) : n;
      if (unit < 0 && s.file[i] >= 0) {
        file = s.file[i];
        line = s.line[i];
        unit = s.unit[i];
      }
      if (name !== undefined && unit >= 0) break;
      const o = s.origin[i];
      if (o < 0) break;
      const next = this.m.byOffset.get(o);
      if (next === undefined) break;
      i = next;
    }
    if (name === undefined || unit < 0) return undefined;
    const path = this.filePath(unit, file);
    return path === undefined ? undefined : { name, file: path, line };
  }

  /**
   * A unit is never a header, but GNU as names an assembler unit after the first
   * file its line table lists, which can be a header of macros (idtentry.h for
   * entry_32.S): then the unit's source is the first source file of that table.
   */
  private unitSource(unit: number, name: string): string {
    if (!/\.h$/.test(name)) return name;
    const u = this.m.units[unit];
    for (const raw of this.fileTable(unit).files) {
      const p = this.paths.relative(raw, u.compDir);
      if (/\.(S|s|c|rs)$/.test(p)) return p;
    }
    return name;
  }

  private fileTable(unit: number): FileTable {
    const u = this.m.units[unit];
    let table = this.fileTables.get(unit);
    if (!table) {
      table = u.stmtList >= 0 ? readFileTable(this.d, u.ctx, u.stmtList, u.compDir) : { files: [], first: 1 };
      this.fileTables.set(unit, table);
    }
    return table;
  }

  /** Tree-relative paths by unit and file number, made once each. */
  private resolved = new Map<number, (string | undefined)[]>();

  private filePath(unit: number, file: number): string | undefined {
    let byFile = this.resolved.get(unit);
    if (!byFile) this.resolved.set(unit, (byFile = []));
    if (file < byFile.length && byFile[file] !== undefined) return byFile[file];
    const u = this.m.units[unit];
    const table = this.fileTable(unit);
    const raw = table.files[file - table.first];
    const p = raw === undefined ? undefined : this.paths.relative(raw, u.compDir);
    if (file < 1 << 20) byFile[file] = p;
    return p;
  }
}
