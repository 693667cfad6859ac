/**
 * Address ranges in DWARF: .debug_aranges (address -> compile unit, written by
 * gcc for every unit), the range lists of DW_AT_ranges (.debug_ranges in DWARF
 * 2-4, .debug_rnglists in DWARF 5), and the indirections of DWARF 5 through
 * .debug_addr and .debug_str_offsets. Addresses are bias-relative numbers
 * (see forms.ts).
 */
import { DwarfCursor, dwarfError } from './forms';
import type { DwarfSections } from './sections';

/** What a unit's DIEs need to resolve their indirect forms. */
export interface UnitContext {
  /** Offset of the unit in .debug_info. */
  offset: number;
  version: number;
  addrSize: number;
  offSize: number;
  /** DW_AT_str_offsets_base, DW_AT_addr_base, DW_AT_rnglists_base (0 when absent). */
  strOffsetsBase: number;
  addrBase: number;
  rnglistsBase: number;
  /** The unit's base address for range lists (its DW_AT_low_pc), bias-relative. */
  baseAddr: number;
}

/** Flat list of [start, end) pairs. */
export type RangeList = number[];

/** The address at index `index` of the unit's .debug_addr table. */
export function addrx(d: DwarfSections, u: UnitContext, index: number): number {
  const c = d.cursor('addr');
  if (!c) throw dwarfError(`the unit at 0x${u.offset.toString(16)} uses DW_FORM_addrx but the file has no .debug_addr`, d.elf.path);
  c.pos = u.addrBase + index * u.addrSize;
  if (c.pos + u.addrSize > c.end) c.fail(`address index ${index} (base 0x${u.addrBase.toString(16)}) lies outside .debug_addr`);
  return c.addr(u.addrSize);
}

/** The .debug_str offset of string index `index` of the unit (DW_FORM_strx*). */
export function strx(d: DwarfSections, u: UnitContext, index: number): number {
  const c = d.cursor('str_offsets');
  if (!c) throw dwarfError(`the unit at 0x${u.offset.toString(16)} uses DW_FORM_strx but the file has no .debug_str_offsets`, d.elf.path);
  // Without DW_AT_str_offsets_base, the table starts after the first contribution's header.
  const base = u.strOffsetsBase || (u.offSize === 8 ? 16 : 8);
  c.pos = base + index * u.offSize;
  if (c.pos + u.offSize > c.end) c.fail(`string index ${index} (base 0x${base.toString(16)}) lies outside .debug_str_offsets`);
  return c.offset(u.offSize);
}

/** The ranges of DW_AT_ranges: `value` is a section offset, or a DW_FORM_rnglistx index when `isIndex`. */
export function readRanges(d: DwarfSections, u: UnitContext, value: number, isIndex: boolean): RangeList {
  if (u.version >= 5) {
    const c = d.cursor('rnglists');
    if (!c) throw dwarfError(`the unit at 0x${u.offset.toString(16)} uses DW_AT_ranges but the file has no .debug_rnglists`, d.elf.path);
    let off = value;
    if (isIndex) {
      const base = u.rnglistsBase || (u.offSize === 8 ? 20 : 12);
      c.pos = base + value * u.offSize;
      if (c.pos + u.offSize > c.end) c.fail(`range list index ${value} lies outside .debug_rnglists`);
      off = base + c.offset(u.offSize);
    }
    return readRngList(d, u, c, off);
  }
  const c = d.cursor('ranges');
  if (!c) throw dwarfError(`the unit at 0x${u.offset.toString(16)} uses DW_AT_ranges but the file has no .debug_ranges`, d.elf.path);
  if (value >= c.end) c.fail(`range list offset 0x${value.toString(16)} lies outside the section`);
  c.pos = value;
  const out: RangeList = [];
  let base = u.baseAddr;
  for (;;) {
    if (c.peekAllOnes(u.addrSize)) {
      c.skip(u.addrSize);
      base = c.addr(u.addrSize);
      continue;
    }
    const p = c.pos;
    const a = c.addr(u.addrSize);
    const b = c.addr(u.addrSize);
    // (0, 0) ends the list; with a zero bias both read as -bias, so test the raw bytes.
    if (isZero(c.buf, p, 2 * u.addrSize)) break;
    if (b > a) out.push(base + (a - relZero(c)), base + (b - relZero(c)));
  }
  return out;
}

/** What a zero address reads as through the bias (the offsets of .debug_ranges are not addresses). */
function relZero(c: DwarfCursor): number {
  return ((0 - c.biasHi) | 0) * 4294967296 - c.biasLo;
}

function isZero(buf: Buffer, p: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (buf[p + i] !== 0) return false;
  return true;
}

const DW_RLE = { end_of_list: 0, base_addressx: 1, startx_endx: 2, startx_length: 3, offset_pair: 4, base_address: 5, start_end: 6, start_length: 7 };

function readRngList(d: DwarfSections, u: UnitContext, c: DwarfCursor, off: number): RangeList {
  if (off >= c.end) c.fail(`range list offset 0x${off.toString(16)} lies outside the section`);
  c.pos = off;
  const out: RangeList = [];
  let base = u.baseAddr;
  for (;;) {
    const kind = c.u8();
    switch (kind) {
      case DW_RLE.end_of_list: return out;
      case DW_RLE.base_addressx: base = addrx(d, u, c.uleb()); break;
      case DW_RLE.startx_endx: { const a = addrx(d, u, c.uleb()); const b = addrx(d, u, c.uleb()); if (b > a) out.push(a, b); break; }
      case DW_RLE.startx_length: { const a = addrx(d, u, c.uleb()); const n = c.uleb(); if (n > 0) out.push(a, a + n); break; }
      case DW_RLE.offset_pair: { const a = c.uleb(); const b = c.uleb(); if (b > a) out.push(base + a, base + b); break; }
      case DW_RLE.base_address: base = c.addr(u.addrSize); break;
      case DW_RLE.start_end: { const a = c.addr(u.addrSize); const b = c.addr(u.addrSize); if (b > a) out.push(a, b); break; }
      case DW_RLE.start_length: { const a = c.addr(u.addrSize); const n = c.uleb(); if (n > 0) out.push(a, a + n); break; }
      default: c.pos--; c.fail(`unknown range list entry kind ${kind}`);
    }
  }
}

/** .debug_aranges: for each unit offset, its address ranges. */
export function readAranges(d: DwarfSections): Map<number, RangeList> {
  const out = new Map<number, RangeList>();
  const c = d.cursor('aranges');
  if (!c) return out;
  while (c.pos + 4 <= c.end) {
    const setStart = c.pos;
    const { len, offSize } = c.initialLength();
    const setEnd = c.pos + len;
    if (setEnd > c.end) c.fail(`address range set of ${len} bytes runs past the end`);
    c.u16(); // version 2
    const unit = c.offset(offSize);
    const addrSize = c.u8();
    const segSize = c.u8();
    if (addrSize !== 4 && addrSize !== 8) c.fail(`address size ${addrSize} is not supported`);
    // Tuples start at a multiple of their own size from the set's start.
    const tuple = 2 * addrSize + segSize;
    const rem = (c.pos - setStart) % tuple;
    if (rem) c.skip(tuple - rem);
    let list = out.get(unit);
    if (!list) out.set(unit, (list = []));
    const zero = relZero(c);
    while (c.pos + tuple <= setEnd) {
      c.skip(segSize);
      const p = c.pos;
      const a = c.addr(addrSize);
      const n = addrSize === 8 ? c.u64Loose() : c.u32();
      if (n === 0 && isZero(c.buf, p, addrSize)) break;
      // Start 0 is the tombstone of code the linker discarded.
      if (n > 0 && a !== zero) list.push(a, a + n);
    }
    c.pos = setEnd;
  }
  return out;
}
