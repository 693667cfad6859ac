/**
 * One pass over .debug_info that keeps only what the index needs: each compile
 * unit (name, directory, ranges, line table), each subprogram (name, declaration
 * file and line, entry address, where its name comes from), each inlined copy of a
 * function (summed per abstract origin), and the unit of each static variable.
 *
 * DIEs are never turned into objects: a cursor walks each unit's bytes, decodes
 * the attributes of the few tags we need, and jumps over the subtree of any other
 * DIE through its DW_AT_sibling (or skips its attributes form by form). Subprogram
 * records live in parallel arrays, not one object each.
 */
import { Abbrev, AbbrevTable, DW_FORM, DwarfCursor, dwarfError, readAbbrevTable, readConstant, skipForm, stringAt } from './forms';
import { addrx, RangeList, readRanges, strx, UnitContext } from './ranges';
import type { DwarfSections } from './sections';

const TAG = { compile_unit: 0x11, partial_unit: 0x3c, skeleton_unit: 0x4a, subprogram: 0x2e, inlined_subroutine: 0x1d, variable: 0x34, lexical_block: 0x0b, namespace: 0x39 };
const AT = {
  sibling: 0x01, location: 0x02, name: 0x03, stmt_list: 0x10, low_pc: 0x11, high_pc: 0x12, comp_dir: 0x1b, inline: 0x20,
  abstract_origin: 0x31, declaration: 0x3c, decl_file: 0x3a, decl_line: 0x3b, specification: 0x47, ranges: 0x55,
  entry_pc: 0x52, linkage_name: 0x6e, MIPS_linkage_name: 0x2007, str_offsets_base: 0x72, addr_base: 0x73,
  rnglists_base: 0x74, GNU_ranges_base: 0x2132, GNU_addr_base: 0x2133,
};
/** Tags whose subtree can hold subprograms or inlined copies, so the walk goes into them. */
const DESCEND = new Set([TAG.compile_unit, TAG.partial_unit, TAG.skeleton_unit, TAG.subprogram, TAG.inlined_subroutine, TAG.lexical_block, TAG.namespace]);
const DW_OP_addr = 0x03;
const DW_OP_addrx = 0xa1;
const DW_OP_GNU_addr_index = 0xfb;
/** DWARF nests a few dozen levels deep at most; far more is corrupt data. */
const MAX_DEPTH = 4096;

export interface DwarfUnit {
  offset: number;
  /** DW_AT_name and DW_AT_comp_dir as the compiler wrote them. */
  name: string;
  compDir: string;
  ranges: RangeList;
  /** Offset of the unit's line program, or -1. */
  stmtList: number;
  ctx: UnitContext;
}

export interface InlineSum {
  /** Bytes of all inlined copies (from each copy's ranges). */
  bytes: number;
  copies: number;
  /** Distinct out-of-line functions the copies sit in. */
  callers: number;
  lastCaller: number;
}

/** Subprogram records, one per DW_TAG_subprogram, in parallel arrays. */
export interface Subprograms {
  offset: number[];
  unit: number[];
  /** A .debug_str offset (number), a decoded name (string), or undefined. */
  name: (number | string | undefined)[];
  /** DW_AT_decl_file, or -1 when the DIE has none. */
  file: number[];
  line: number[];
  /** .debug_info offset of DW_AT_abstract_origin or DW_AT_specification, or -1. */
  origin: number[];
}

export interface DwarfModel {
  units: DwarfUnit[];
  subprograms: Subprograms;
  byOffset: Map<number, number>;
  /** Entry address (bias-relative) of each concrete function -> subprogram record; every range start counts. */
  entries: Map<number, number>;
  /** Abstract origin (.debug_info offset) -> the sums of its inlined copies. */
  inlined: Map<number, InlineSum>;
  /** Address (bias-relative) of each static variable -> unit index. */
  variables: Map<number, number>;
}

export function readDwarfInfo(d: DwarfSections): DwarfModel {
  const model: DwarfModel = {
    units: [],
    subprograms: { offset: [], unit: [], name: [], file: [], line: [], origin: [] },
    byOffset: new Map(),
    entries: new Map(),
    inlined: new Map(),
    variables: new Map(),
  };
  const abbrevBuf = d.get('abbrev');
  if (!d.has('info')) return model;
  if (!abbrevBuf) throw dwarfError('has .debug_info but no .debug_abbrev; the debug information is incomplete', d.elf.path);
  // gcc gives each unit its own table; keeping only the last one bounds memory.
  let tableKey = '';
  let table: AbbrevTable | undefined;
  for (const { offset, buf } of d.units()) {
    const c = new DwarfCursor(buf, d.le, '.debug_info', offset, 0, buf.length, d.biasHi, d.biasLo);
    const { offSize } = c.initialLength();
    const version = c.u16();
    if (version < 2 || version > 5) c.fail(`unit version ${version} is not supported (DWARF 2 to 5 are)`);
    let unitType = 1;
    let addrSize: number;
    let abbrevOff: number;
    if (version >= 5) {
      unitType = c.u8();
      addrSize = c.u8();
      abbrevOff = c.offset(offSize);
      if (unitType === 4 || unitType === 5) c.skip(8);
      else if (unitType === 2 || unitType === 6) {
        c.skip(8);
        c.offset(offSize);
      }
    } else {
      abbrevOff = c.offset(offSize);
      addrSize = c.u8();
    }
    // Type units describe no code.
    if (unitType === 2 || unitType === 6) continue;
    if (addrSize !== 4 && addrSize !== 8 && addrSize !== 2) c.fail(`address size ${addrSize} is not supported`);
    const key = `${abbrevOff}:${addrSize}:${offSize}:${version}`;
    if (key !== tableKey || !table) {
      table = readAbbrevTable(abbrevBuf, d.le, abbrevOff, addrSize, offSize, version);
      tableKey = key;
    }
    const ctx: UnitContext = { offset, version, addrSize, offSize, strOffsetsBase: 0, addrBase: 0, rnglistsBase: 0, baseAddr: 0 };
    new UnitWalker(d, model, c, table, ctx).walk();
  }
  return model;
}

class UnitWalker {
  private unitIndex = -1;
  private caller = -1;
  private callerDepth = 0;

  constructor(private d: DwarfSections, private m: DwarfModel, private c: DwarfCursor, private table: AbbrevTable, private u: UnitContext) {}

  private abbrev(code: number): Abbrev {
    const a = code < 65536 ? this.table.dense[code] : this.table.sparse.get(code);
    if (!a) this.c.fail(`DIE uses abbreviation code ${code}, which its table does not define`);
    return a;
  }

  walk(): void {
    const c = this.c;
    let depth = 0;
    while (c.pos < c.end) {
      const dieOff = c.base + c.pos;
      const code = c.uleb();
      if (code === 0) {
        if (depth > 0) depth--;
        if (depth < this.callerDepth) this.caller = -1;
        continue;
      }
      const ab = this.abbrev(code);
      const tag = ab.tag;
      if (tag === TAG.compile_unit || tag === TAG.partial_unit || tag === TAG.skeleton_unit) this.unitDie(ab);
      else if (this.unitIndex < 0) c.fail('the first DIE of a unit is not a compile unit');
      else if (tag === TAG.subprogram) this.subprogram(ab, dieOff, depth);
      else if (tag === TAG.inlined_subroutine) this.inlined(ab);
      else if (tag === TAG.variable) this.variable(ab);
      else if (ab.children && ab.sibling >= 0 && !DESCEND.has(tag)) {
        // Jump over the whole subtree (a struct's members, a call site's parameters).
        const to = this.siblingOf(ab);
        if (to <= c.pos || to > c.end) c.fail(`DW_AT_sibling points to 0x${(c.base + to).toString(16)}, outside its unit`);
        c.pos = to;
        continue;
      } else this.skipAttrs(ab);
      if (ab.children) {
        if (++depth > MAX_DEPTH) c.fail(`DIEs nest more than ${MAX_DEPTH} deep`);
      }
    }
  }

  private skipAttrs(ab: Abbrev): void {
    const c = this.c;
    if (ab.fixedSize >= 0) {
      c.skip(ab.fixedSize);
      return;
    }
    const { addrSize, offSize, version } = this.u;
    const at = this.table.attrs;
    for (let i = 0, k = ab.first; i < ab.count; i++, k += 3) skipForm(c, at[k + 1], addrSize, offSize, version);
  }

  /** Reads up to DW_AT_sibling and returns the unit-local position it names. */
  private siblingOf(ab: Abbrev): number {
    const c = this.c;
    const { addrSize, offSize, version } = this.u;
    const at = this.table.attrs;
    for (let i = 0; i < ab.sibling; i++) skipForm(c, at[ab.first + 3 * i + 1], addrSize, offSize, version);
    const ref = this.ref(at[ab.first + 3 * ab.sibling + 1]);
    return ref - c.base;
  }

  /** A reference as a .debug_info offset (-1 for references into other files). */
  private ref(form: number): number {
    const c = this.c;
    switch (form) {
      case DW_FORM.ref1: return this.u.offset + c.u8();
      case DW_FORM.ref2: return this.u.offset + c.u16();
      case DW_FORM.ref4: return this.u.offset + c.u32();
      case DW_FORM.ref8: return this.u.offset + c.u64();
      case DW_FORM.ref_udata: return this.u.offset + c.uleb();
      case DW_FORM.ref_addr: return this.u.version <= 2 ? c.offset(this.u.addrSize) : c.offset(this.u.offSize);
      default:
        skipForm(c, form, this.u.addrSize, this.u.offSize, this.u.version);
        return -1;
    }
  }

  private address(form: number): number {
    const c = this.c;
    switch (form) {
      case DW_FORM.addr: return c.addr(this.u.addrSize);
      case DW_FORM.addrx: case DW_FORM.GNU_addr_index: return addrx(this.d, this.u, c.uleb());
      case DW_FORM.addrx1: return addrx(this.d, this.u, c.u8());
      case DW_FORM.addrx2: return addrx(this.d, this.u, c.u16());
      case DW_FORM.addrx3: return addrx(this.d, this.u, c.u24());
      case DW_FORM.addrx4: return addrx(this.d, this.u, c.u32());
      default: return c.fail(`form 0x${form.toString(16)} where an address was expected`);
    }
  }

  /** A string attribute: a .debug_str offset when it is one (decoded later, only if needed), else the string. */
  private str(form: number): number | string {
    const c = this.c;
    switch (form) {
      case DW_FORM.strp: return c.offset(this.u.offSize);
      case DW_FORM.string: return c.cString();
      case DW_FORM.line_strp: return stringAt(this.d.get('line_str'), c.offset(this.u.offSize), '.debug_line_str');
      case DW_FORM.strx: case DW_FORM.GNU_str_index: return strx(this.d, this.u, c.uleb());
      case DW_FORM.strx1: return strx(this.d, this.u, c.u8());
      case DW_FORM.strx2: return strx(this.d, this.u, c.u16());
      case DW_FORM.strx3: return strx(this.d, this.u, c.u24());
      case DW_FORM.strx4: return strx(this.d, this.u, c.u32());
      default:
        skipForm(c, form, this.u.addrSize, this.u.offSize, this.u.version);
        return '';
    }
  }

  private strValue(form: number): string {
    const v = this.str(form);
    return typeof v === 'number' ? stringAt(this.d.get('str'), v, '.debug_str') : v;
  }

  /** Low/high pc and ranges of the DIE being read, gathered by the callers below. */
  private low = NaN;
  private high = NaN;
  private highIsLength = false;
  private rangesValue = -1;
  private rangesIsIndex = false;

  private resetPc(): void {
    this.low = NaN;
    this.high = NaN;
    this.highIsLength = false;
    this.rangesValue = -1;
    this.rangesIsIndex = false;
  }

  /** Reads a pc attribute into the fields above; false when `name` is not one. */
  private pcAttr(name: number, form: number, implicit: number): boolean {
    if (name === AT.low_pc) this.low = this.address(form);
    else if (name === AT.high_pc) {
      this.highIsLength = !(form === DW_FORM.addr || (form >= DW_FORM.addrx1 && form <= DW_FORM.addrx4) || form === DW_FORM.addrx || form === DW_FORM.GNU_addr_index);
      this.high = this.highIsLength ? readConstant(this.c, form, implicit) : this.address(form);
    } else if (name === AT.ranges) {
      this.rangesIsIndex = form === DW_FORM.rnglistx;
      this.rangesValue = this.rangesIsIndex ? this.c.uleb() : form === DW_FORM.sec_offset ? this.c.offset(this.u.offSize) : readConstant(this.c, form, implicit);
    } else return false;
    return true;
  }

  private pcRanges(): RangeList {
    if (this.rangesValue >= 0) return readRanges(this.d, this.u, this.rangesValue, this.rangesIsIndex);
    if (Number.isNaN(this.low)) return [];
    const end = this.highIsLength ? this.low + this.high : this.high;
    return end > this.low ? [this.low, end] : [];
  }

  private unitDie(ab: Abbrev): void {
    const c = this.c;
    const start = c.pos;
    // The bases come first: strx and addrx attributes before them in the DIE need them.
    for (let k = ab.first, end = ab.first + 3 * ab.count; k < end; k += 3) {
      const n = this.table.attrs[k];
      const f = this.table.attrs[k + 1];
      if (n === AT.str_offsets_base) this.u.strOffsetsBase = c.offset(this.u.offSize);
      else if (n === AT.addr_base || n === AT.GNU_addr_base) this.u.addrBase = c.offset(this.u.offSize);
      else if (n === AT.rnglists_base || n === AT.GNU_ranges_base) this.u.rnglistsBase = c.offset(this.u.offSize);
      else skipForm(c, f, this.u.addrSize, this.u.offSize, this.u.version);
    }
    c.pos = start;
    let name = '';
    let compDir = '';
    let stmtList = -1;
    this.resetPc();
    for (let k = ab.first, end = ab.first + 3 * ab.count; k < end; k += 3) {
      const n = this.table.attrs[k];
      const f = this.table.attrs[k + 1];
      if (n === AT.name) name = this.strValue(f);
      else if (n === AT.comp_dir) compDir = this.strValue(f);
      else if (n === AT.stmt_list) stmtList = f === DW_FORM.sec_offset ? c.offset(this.u.offSize) : readConstant(c, f, this.table.attrs[k + 2]);
      else if (!this.pcAttr(n, f, this.table.attrs[k + 2])) skipForm(c, f, this.u.addrSize, this.u.offSize, this.u.version);
    }
    this.u.baseAddr = Number.isNaN(this.low) ? 0 : this.low;
    this.unitIndex = this.m.units.length;
    this.m.units.push({ offset: this.u.offset, name, compDir, ranges: this.pcRanges(), stmtList, ctx: this.u });
  }

  private subprogram(ab: Abbrev, dieOff: number, depth: number): void {
    const c = this.c;
    const s = this.m.subprograms;
    let name: number | string | undefined;
    let file = -1;
    let line = 0;
    let origin = -1;
    this.resetPc();
    for (let k = ab.first, end = ab.first + 3 * ab.count; k < end; k += 3) {
      const n = this.table.attrs[k];
      const f = this.table.attrs[k + 1];
      if (n === AT.name) name = this.str(f);
      else if (n === AT.decl_file) file = readConstant(c, f, this.table.attrs[k + 2]);
      else if (n === AT.decl_line) line = readConstant(c, f, this.table.attrs[k + 2]);
      else if (n === AT.abstract_origin || n === AT.specification) origin = this.ref(f);
      else if (!this.pcAttr(n, f, this.table.attrs[k + 2])) skipForm(c, f, this.u.addrSize, this.u.offSize, this.u.version);
    }
    const id = s.offset.length;
    s.offset.push(dieOff);
    s.unit.push(this.unitIndex);
    s.name.push(name);
    s.file.push(file);
    s.line.push(line);
    s.origin.push(origin);
    this.m.byOffset.set(dieOff, id);
    const ranges = this.pcRanges();
    for (let i = 0; i < ranges.length; i += 2) if (!this.m.entries.has(ranges[i])) this.m.entries.set(ranges[i], id);
    if (ranges.length > 0 && this.caller < 0 && ab.children) {
      this.caller = id;
      this.callerDepth = depth + 1;
    }
  }

  private inlined(ab: Abbrev): void {
    const c = this.c;
    let origin = -1;
    this.resetPc();
    for (let k = ab.first, end = ab.first + 3 * ab.count; k < end; k += 3) {
      const n = this.table.attrs[k];
      const f = this.table.attrs[k + 1];
      if (n === AT.abstract_origin) origin = this.ref(f);
      else if (!this.pcAttr(n, f, this.table.attrs[k + 2])) skipForm(c, f, this.u.addrSize, this.u.offSize, this.u.version);
    }
    if (origin < 0) return;
    let bytes = 0;
    if (this.rangesValue < 0 && !Number.isNaN(this.low)) bytes = this.highIsLength ? this.high : this.high - this.low;
    else {
      const r = this.pcRanges();
      for (let i = 0; i < r.length; i += 2) bytes += r[i + 1] - r[i];
    }
    if (!(bytes > 0)) return;
    let sum = this.m.inlined.get(origin);
    if (!sum) this.m.inlined.set(origin, (sum = { bytes: 0, copies: 0, callers: 0, lastCaller: -2 }));
    sum.bytes += bytes;
    sum.copies++;
    if (sum.lastCaller !== this.caller) {
      sum.callers++;
      sum.lastCaller = this.caller;
    }
  }

  private variable(ab: Abbrev): void {
    const c = this.c;
    for (let k = ab.first, end = ab.first + 3 * ab.count; k < end; k += 3) {
      const n = this.table.attrs[k];
      const f = this.table.attrs[k + 1];
      if (n !== AT.location || (f !== DW_FORM.exprloc && f !== DW_FORM.block1 && f !== DW_FORM.block)) {
        skipForm(c, f, this.u.addrSize, this.u.offSize, this.u.version);
        continue;
      }
      const len = f === DW_FORM.block1 ? c.u8() : c.uleb();
      const end = c.pos + len;
      c.need(len);
      // Only a plain static address: DW_OP_addr A or DW_OP_addrx I, and nothing else.
      if (len > 0) {
        const op = c.u8();
        let addr = NaN;
        if (op === DW_OP_addr && len === 1 + this.u.addrSize) addr = c.addr(this.u.addrSize);
        else if (op === DW_OP_addrx || op === DW_OP_GNU_addr_index) {
          const idx = c.uleb();
          if (c.pos === end) addr = addrx(this.d, this.u, idx);
        }
        if (!Number.isNaN(addr) && !this.m.variables.has(addr)) this.m.variables.set(addr, this.unitIndex);
      }
      c.pos = end;
    }
  }
}
