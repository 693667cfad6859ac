/**
 * An ELF symbol table read in place: fields come straight from the table's
 * bytes through a typed-array view, names are decoded on first use, and no
 * object is made per symbol. A defconfig vmlinux and its 2,800 objects hold
 * about half a million symbols; as objects with a bigint address each they
 * cost more in allocation and garbage collection than reading the tables does.
 *
 * The view's layout is the file's own for a little-endian table with the
 * standard entry size (every x86, arm64 and riscv kernel, on a little-endian
 * host); any other table (big-endian, a larger entry size, an unaligned
 * buffer) is first copied into that layout. st_value is read as two 32-bit halves: an ELF64 kernel
 * address (0xffffffff81000000) does not fit a JavaScript number exactly, and a
 * bigint per symbol is what this avoids. Offsets from a section's address,
 * which always fit, come from the halves without a bigint (`offsetFrom`).
 */

/** A 64-bit address split for `SymbolTable.offsetFrom`: compute it once per section. */
export interface AddressHalves {
  high: number;
  low: number;
}

export function addressHalves(addr: bigint): AddressHalves {
  return { high: Number((addr >> 32n) & 0xffffffffn), low: Number(addr & 0xffffffffn) };
}

const TWO_32 = 4294967296;
/** The first value of a 64-bit field's high half that is past Number.MAX_SAFE_INTEGER. */
export const UNSAFE_HIGH = 0x200000;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Why a table cannot be read: the reader turns these into its own typed errors. */
export type SymbolTableProblem = { kind: 'name'; index: number; offset: number } | { kind: 'size'; index: number; value: bigint };

export class SymbolTable {
  /** Number of entries, the null symbol 0 included. */
  readonly count: number;
  private readonly words: Uint32Array;
  private readonly bytes: Uint8Array;
  private readonly halves: Uint16Array;
  private readonly names: (string | undefined)[];
  /** Words per entry: 6 in ELF64, 4 in ELF32. */
  private readonly stride: number;
  private readonly wide: boolean;
  /** Section indexes past SHN_XINDEX, from .symtab_shndx. */
  private readonly extended?: Map<number, number>;

  /**
   * `data` is the .symtab section, `step` its entry size; `strings` the string
   * table decoded as latin1 (byte offsets are string offsets); `xindex` reads
   * .symtab_shndx entry i when the file has one. Calls `problem` (which must
   * throw) for a name outside the string table or a size past 2^53.
   */
  constructor(
    elfClass: 32 | 64,
    littleEndian: boolean,
    data: Uint8Array,
    step: number,
    private readonly strings: string,
    xindex: ((i: number) => number) | undefined,
    problem: (p: SymbolTableProblem) => never,
  ) {
    this.wide = elfClass === 64;
    const entsize = this.wide ? 24 : 16;
    this.stride = entsize / 4;
    this.count = step > 0 ? Math.floor(data.length / step) : 0;
    const inPlace = littleEndian && HOST_LITTLE_ENDIAN && step === entsize && data.byteOffset % 4 === 0;
    const table = inPlace ? data : canonical(data, this.count, step, elfClass, littleEndian);
    this.bytes = table;
    this.words = new Uint32Array(table.buffer, table.byteOffset, this.count * this.stride);
    this.halves = new Uint16Array(table.buffer, table.byteOffset, this.count * this.stride * 2);
    this.names = new Array(this.count);
    // Every name offset and size is checked now, so that a bad table fails when it is read.
    const words = this.words;
    const stride = this.stride;
    const limit = strings.length;
    for (let i = 0, w = 0; i < this.count; i++, w += stride) {
      const off = words[w];
      if (off >= limit && off !== 0) problem({ kind: 'name', index: i, offset: off });
      if (this.wide && words[w + 5] >= UNSAFE_HIGH) problem({ kind: 'size', index: i, value: (BigInt(words[w + 5]) << 32n) | BigInt(words[w + 4]) });
      if (xindex && this.shndxRaw(i) === 0xffff) (this.extended ??= new Map()).set(i, xindex(i));
    }
  }

  private shndxRaw(i: number): number {
    // ELF64: st_shndx is the 16-bit half 3 of the entry; ELF32: half 7.
    return this.halves[i * this.stride * 2 + (this.wide ? 3 : 7)];
  }

  /** st_name: the name's offset in the string table. */
  nameOffset(i: number): number {
    return this.words[i * this.stride];
  }

  /** The symbol's name ('' for none). */
  name(i: number): string {
    let name = this.names[i];
    if (name === undefined) {
      const off = this.words[i * this.stride];
      let end = this.strings.indexOf('\0', off);
      if (end < 0) end = this.strings.length;
      name = off >= this.strings.length ? '' : this.strings.slice(off, end);
      this.names[i] = name;
    }
    return name;
  }

  /** Whether the name starts with `prefix`, without decoding it. */
  nameStartsWith(i: number, prefix: string): boolean {
    return this.strings.startsWith(prefix, this.words[i * this.stride]);
  }

  /** Whether the symbol has a name (st_name points at a non-empty string). */
  hasName(i: number): boolean {
    const off = this.words[i * this.stride];
    return off < this.strings.length && this.strings.charCodeAt(off) !== 0;
  }

  /** st_info: type in the low 4 bits, binding in the high 4. */
  info(i: number): number {
    return this.bytes[i * this.stride * 4 + (this.wide ? 4 : 12)];
  }

  type(i: number): number {
    return this.info(i) & 0xf;
  }

  bind(i: number): number {
    return this.info(i) >> 4;
  }

  /** The section index, SHN_XINDEX resolved through .symtab_shndx. */
  shndx(i: number): number {
    const raw = this.shndxRaw(i);
    return raw === 0xffff && this.extended ? this.extended.get(i) ?? raw : raw;
  }

  /** st_size (checked to fit a safe integer). */
  size(i: number): number {
    const w = i * this.stride;
    return this.wide ? this.words[w + 5] * TWO_32 + this.words[w + 4] : this.words[w + 2];
  }

  private valueLow(i: number): number {
    return this.words[i * this.stride + (this.wide ? 2 : 1)];
  }

  private valueHigh(i: number): number {
    return this.wide ? this.words[i * this.stride + 3] : 0;
  }

  /** st_value as a bigint. */
  value(i: number): bigint {
    const hi = this.valueHigh(i);
    const lo = this.valueLow(i);
    if (hi < UNSAFE_HIGH) return BigInt(hi * TWO_32 + lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /**
   * st_value as a number: exact below 2^53 (every offset in a relocatable
   * object), else rounded as Number(bigint) rounds.
   */
  valueNumber(i: number): number {
    return this.valueHigh(i) * TWO_32 + this.valueLow(i);
  }

  /** Number(st_value - base), computed from the halves: exact when the difference fits a safe integer. */
  offsetFrom(i: number, base: AddressHalves): number {
    return (this.valueHigh(i) - base.high) * TWO_32 + (this.valueLow(i) - base.low);
  }

  /** st_value in lowercase hex without leading zeros (as bigint toString(16) writes it). */
  hexValue(i: number): string {
    const hi = this.valueHigh(i);
    const lo = this.valueLow(i);
    return hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, '0');
  }
}

/** A copy of the table in the host's byte order with the standard entry size, 4-byte aligned. */
function canonical(data: Uint8Array, count: number, step: number, elfClass: 32 | 64, littleEndian: boolean): Uint8Array {
  const entsize = elfClass === 64 ? 24 : 16;
  const out = new Uint8Array(count * entsize);
  const from = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const to = new DataView(out.buffer);
  const le = littleEndian;
  const host = HOST_LITTLE_ENDIAN;
  for (let i = 0; i < count; i++) {
    const b = i * step;
    const c = i * entsize;
    if (elfClass === 32) {
      to.setUint32(c, from.getUint32(b, le), host);
      to.setUint32(c + 4, from.getUint32(b + 4, le), host);
      to.setUint32(c + 8, from.getUint32(b + 8, le), host);
      out[c + 12] = data[b + 12];
      out[c + 13] = data[b + 13];
      to.setUint16(c + 14, from.getUint16(b + 14, le), host);
    } else {
      to.setUint32(c, from.getUint32(b, le), host);
      out[c + 4] = data[b + 4];
      out[c + 5] = data[b + 5];
      to.setUint16(c + 6, from.getUint16(b + 6, le), host);
      // 64-bit fields as two host-order words, low first (the view reads them so).
      const [lo, hi] = le ? [0, 4] : [4, 0];
      to.setUint32(c + 8, from.getUint32(b + 8 + lo, le), host);
      to.setUint32(c + 12, from.getUint32(b + 8 + hi, le), host);
      to.setUint32(c + 16, from.getUint32(b + 16 + lo, le), host);
      to.setUint32(c + 20, from.getUint32(b + 16 + hi, le), host);
    }
  }
  return out;
}
