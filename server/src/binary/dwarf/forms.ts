/**
 * The lowest layer of the DWARF reader: a bounds-checked cursor over one
 * section's bytes, the attribute forms of DWARF 2 to 5 (how many bytes each
 * takes, how to read its value), and abbreviation tables.
 *
 * Addresses are read as numbers *relative to a bias* (the image's first code
 * address): a 64-bit kernel address such as 0xffffffff81000000 does not fit a
 * double exactly, but its distance from the image's start always does. The
 * subtraction is done on the two 32-bit halves so that no BigInt is made per read.
 */
import { KbloatInputError } from '../../common/errors';

export const DW_FORM = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09,
  block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, ref_addr: 0x10, ref1: 0x11,
  ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16, sec_offset: 0x17, exprloc: 0x18,
  flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c, strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f,
  ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22, rnglistx: 0x23, ref_sup8: 0x24, strx1: 0x25,
  strx2: 0x26, strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
  GNU_addr_index: 0x1f01, GNU_str_index: 0x1f02, GNU_ref_alt: 0x1f20, GNU_strp_alt: 0x1f21,
} as const;

export function dwarfError(message: string, file?: string): KbloatInputError {
  return new KbloatInputError('bad-dwarf', message, file);
}

/** A read position in one section's bytes. `base` is the section offset of buf[0] (for messages and DIE offsets). */
export class DwarfCursor {
  pos: number;
  end: number;
  constructor(
    readonly buf: Buffer,
    readonly le: boolean,
    readonly section: string,
    readonly base = 0,
    pos = 0,
    end = buf.length,
    /** High and low halves of the address bias (see the file comment). */
    readonly biasHi = 0,
    readonly biasLo = 0,
  ) {
    this.pos = pos;
    this.end = end;
  }

  fail(what: string): never {
    throw dwarfError(`${this.section} is truncated or corrupt: ${what} at offset 0x${(this.base + this.pos).toString(16)}; the debug information is damaged (re-extract the debug package or rebuild)`);
  }

  need(n: number): void {
    if (this.pos + n > this.end || n < 0) this.fail(`${n}-byte read runs past the end`);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('1-byte read runs past the end');
    return this.buf[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.le ? this.buf.readUInt16LE(this.pos) : this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u24(): number {
    this.need(3);
    const b = this.buf;
    const p = this.pos;
    this.pos += 3;
    return this.le ? b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) : (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
  }
  u32(): number {
    this.need(4);
    const v = this.le ? this.buf.readUInt32LE(this.pos) : this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  /** A 64-bit value that must be an offset or a size: it has to fit a safe integer. */
  u64(): number {
    this.need(8);
    const lo = this.le ? this.buf.readUInt32LE(this.pos) : this.buf.readUInt32BE(this.pos + 4);
    const hi = this.le ? this.buf.readUInt32LE(this.pos + 4) : this.buf.readUInt32BE(this.pos);
    this.pos += 8;
    if (hi > 0x1fffff) this.fail(`64-bit value 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is impossibly large`);
    return hi * 4294967296 + lo;
  }
  /**
   * A unit's initial length: 32-bit DWARF, or 0xffffffff and a 64-bit length
   * (64-bit DWARF, whose offsets are then 8 bytes wide).
   */
  initialLength(): { len: number; offSize: 4 | 8 } {
    const len = this.u32();
    if (len === 0xffffffff) return { len: this.u64(), offSize: 8 };
    if (len >= 0xfffffff0) this.fail(`reserved unit length 0x${len.toString(16)}`);
    return { len, offSize: 4 };
  }
  /** 64-bit value where only the low bits matter (lengths of data8 attributes we do not use as offsets). */
  u64Loose(): number {
    this.need(8);
    const lo = this.le ? this.buf.readUInt32LE(this.pos) : this.buf.readUInt32BE(this.pos + 4);
    const hi = this.le ? this.buf.readUInt32LE(this.pos + 4) : this.buf.readUInt32BE(this.pos);
    this.pos += 8;
    return hi * 4294967296 + lo;
  }
  /** A section offset: 4 bytes in 32-bit DWARF, 8 in 64-bit DWARF. */
  offset(size: number): number {
    return size === 4 ? this.u32() : this.u64();
  }
  /** An address, relative to the bias. */
  addr(size: number): number {
    if (size === 4) return this.u32() - this.biasLo;
    if (size !== 8) {
      if (size === 2) return this.u16();
      this.fail(`address size ${size} is not supported`);
    }
    this.need(8);
    const lo = this.le ? this.buf.readUInt32LE(this.pos) : this.buf.readUInt32BE(this.pos + 4);
    const hi = this.le ? this.buf.readUInt32LE(this.pos + 4) : this.buf.readUInt32BE(this.pos);
    this.pos += 8;
    return ((hi - this.biasHi) | 0) * 4294967296 + (lo - this.biasLo);
  }
  /** True when the next address is all ones (a base-address selector in .debug_ranges, a tombstone). */
  peekAllOnes(size: number): boolean {
    this.need(size);
    for (let i = 0; i < size; i++) if (this.buf[this.pos + i] !== 0xff) return false;
    return true;
  }
  uleb(): number {
    const b = this.buf;
    let p = this.pos;
    if (p >= this.end) this.fail('LEB128 runs past the end');
    let byte = b[p++];
    if (byte < 0x80) {
      this.pos = p;
      return byte;
    }
    let result = byte & 0x7f;
    let mul = 128;
    do {
      if (p >= this.end) {
        this.pos = p;
        this.fail('LEB128 runs past the end');
      }
      byte = b[p++];
      result += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80);
    this.pos = p;
    return result;
  }
  sleb(): number {
    const b = this.buf;
    let p = this.pos;
    let result = 0;
    let mul = 1;
    let byte: number;
    do {
      if (p >= this.end) {
        this.pos = p;
        this.fail('LEB128 runs past the end');
      }
      byte = b[p++];
      result += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80);
    this.pos = p;
    if (byte & 0x40) result -= mul;
    return result;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
  /** Skips a NUL-terminated string and returns where it started. */
  skipCString(): number {
    const start = this.pos;
    const nul = this.buf.indexOf(0, start);
    if (nul < 0 || nul >= this.end) this.fail('string without a terminating NUL');
    this.pos = nul + 1;
    return start;
  }
  cString(): string {
    const start = this.skipCString();
    return this.buf.toString('utf8', start, this.pos - 1);
  }
}

/** Reads a NUL-terminated string at `off` of a string section. */
export function stringAt(buf: Buffer | undefined, off: number, section: string): string {
  if (!buf || off < 0 || off >= buf.length) throw dwarfError(`${section}: string offset 0x${off.toString(16)} lies outside the section (size ${buf?.length ?? 0}); the debug information is damaged`);
  let end = buf.indexOf(0, off);
  if (end < 0) end = buf.length;
  return buf.toString('utf8', off, end);
}

/** The size of a form's value when it does not depend on the bytes (-1 when it does). */
function fixedFormSize(form: number, addrSize: number, offSize: number, version: number): number {
  switch (form) {
    case DW_FORM.flag_present: case DW_FORM.implicit_const: return 0;
    case DW_FORM.data1: case DW_FORM.ref1: case DW_FORM.flag: case DW_FORM.strx1: case DW_FORM.addrx1: return 1;
    case DW_FORM.data2: case DW_FORM.ref2: case DW_FORM.strx2: case DW_FORM.addrx2: return 2;
    case DW_FORM.strx3: case DW_FORM.addrx3: return 3;
    case DW_FORM.data4: case DW_FORM.ref4: case DW_FORM.ref_sup4: case DW_FORM.strx4: case DW_FORM.addrx4: return 4;
    case DW_FORM.data8: case DW_FORM.ref8: case DW_FORM.ref_sig8: case DW_FORM.ref_sup8: return 8;
    case DW_FORM.data16: return 16;
    case DW_FORM.addr: return addrSize;
    case DW_FORM.ref_addr: return version <= 2 ? addrSize : offSize;
    case DW_FORM.strp: case DW_FORM.sec_offset: case DW_FORM.line_strp: case DW_FORM.strp_sup:
    case DW_FORM.GNU_ref_alt: case DW_FORM.GNU_strp_alt: return offSize;
    default: return -1;
  }
}

/** Skips one attribute value of a variable-size form. */
export function skipForm(c: DwarfCursor, form: number, addrSize: number, offSize: number, version: number): void {
  const fixed = fixedFormSize(form, addrSize, offSize, version);
  if (fixed >= 0) {
    c.skip(fixed);
    return;
  }
  switch (form) {
    case DW_FORM.string: c.skipCString(); return;
    case DW_FORM.block1: c.skip(c.u8()); return;
    case DW_FORM.block2: c.skip(c.u16()); return;
    case DW_FORM.block4: c.skip(c.u32()); return;
    case DW_FORM.block: case DW_FORM.exprloc: c.skip(c.uleb()); return;
    case DW_FORM.sdata: c.sleb(); return;
    case DW_FORM.udata: case DW_FORM.ref_udata: case DW_FORM.strx: case DW_FORM.addrx: case DW_FORM.loclistx:
    case DW_FORM.rnglistx: case DW_FORM.GNU_addr_index: case DW_FORM.GNU_str_index: c.uleb(); return;
    case DW_FORM.indirect: {
      const f = c.uleb();
      if (f === DW_FORM.indirect || f === DW_FORM.implicit_const) c.fail(`DW_FORM_indirect names form 0x${f.toString(16)}`);
      skipForm(c, f, addrSize, offSize, version);
      return;
    }
    default: c.fail(`unknown attribute form 0x${form.toString(16)}`);
  }
}

/** Reads a constant-class value (data1..8, udata, sdata, implicit_const). */
export function readConstant(c: DwarfCursor, form: number, implicit: number): number {
  switch (form) {
    case DW_FORM.data1: return c.u8();
    case DW_FORM.data2: return c.u16();
    case DW_FORM.data4: return c.u32();
    case DW_FORM.data8: return c.u64Loose();
    case DW_FORM.udata: return c.uleb();
    case DW_FORM.sdata: return c.sleb();
    case DW_FORM.implicit_const: return implicit;
    default: return c.fail(`form 0x${form.toString(16)} where a constant was expected`);
  }
}

export interface Abbrev {
  code: number;
  tag: number;
  children: boolean;
  /** This abbreviation's attributes are attrs[first .. first + 3 * count) of its table: (name, form, implicit const) triplets. */
  first: number;
  count: number;
  /** Bytes of all attribute values when every form is fixed-size for this unit, else -1. */
  fixedSize: number;
  /** Index (0-based, among this abbreviation's attributes) of DW_AT_sibling, or -1. */
  sibling: number;
}

export interface AbbrevTable {
  /** By code: abbreviation codes are small and dense in practice. */
  dense: (Abbrev | undefined)[];
  sparse: Map<number, Abbrev>;
  /** All attribute triplets of the table in one array: one allocation per table, not three per abbreviation. */
  attrs: number[];
}

const DW_AT_sibling = 0x01;

/** Parses the abbreviation table at `offset`, sizing each entry for one kind of unit. */
export function readAbbrevTable(abbrev: Buffer, le: boolean, offset: number, addrSize: number, offSize: number, version: number): AbbrevTable {
  const c = new DwarfCursor(abbrev, le, '.debug_abbrev', 0, offset);
  if (offset >= abbrev.length) c.fail(`abbreviation table offset 0x${offset.toString(16)} lies outside the section`);
  const attrs: number[] = [];
  const table: AbbrevTable = { dense: [], sparse: new Map(), attrs };
  for (;;) {
    const code = c.uleb();
    if (code === 0) break;
    const tag = c.uleb();
    const children = c.u8() !== 0;
    const first = attrs.length;
    let count = 0;
    let fixedSize = 0;
    let sibling = -1;
    for (;;) {
      const name = c.uleb();
      const form = c.uleb();
      if (name === 0 && form === 0) break;
      if (name === DW_AT_sibling) sibling = count;
      attrs.push(name, form, form === DW_FORM.implicit_const ? c.sleb() : 0);
      count++;
      const size = fixedFormSize(form, addrSize, offSize, version);
      fixedSize = size < 0 || fixedSize < 0 ? -1 : fixedSize + size;
    }
    const a: Abbrev = { code, tag, children, first, count, fixedSize, sibling };
    if (code < 65536) table.dense[code] = a;
    else table.sparse.set(code, a);
  }
  return table;
}
