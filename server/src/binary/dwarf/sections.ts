/**
 * The debug sections of an ELF file, decompressed when they are compressed:
 * SHF_COMPRESSED sections (an Elf_Chdr, then zlib or zstd data) and the older GNU
 * `.zdebug_*` sections ("ZLIB", a big-endian size, zlib data).
 *
 * zlib is Node's own. Node 20 has no zstd, so zstd goes through fzstd: a
 * synchronous, dependency-free decoder (the WASM decoders we measured were about
 * twice as fast but need an asynchronous start, and the index is built synchronously).
 *
 * .debug_info is the one big section (hundreds of MB in a distro kernel): when it
 * is stored plainly it is not read whole but one unit at a time (see units()).
 */
import { constants as bufferConstants } from 'node:buffer';
import { inflateSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { ElfFile, ElfSection, SHF_EXECINSTR, SHF_ALLOC, SHT_NOBITS } from '../elf';
import { DwarfCursor, dwarfError } from './forms';

const SHF_COMPRESSED = 0x800;
const ELFCOMPRESS_ZLIB = 1;
const ELFCOMPRESS_ZSTD = 2;
/** zlib cannot expand more than ~1032:1; zstd about the same order. A bigger claim is a corrupt header. */
const MAX_RATIO = 2048;

/** The sections the reader uses, by their DWARF name (without the leading dot). */
const NAMES = ['info', 'abbrev', 'str', 'line_str', 'str_offsets', 'addr', 'aranges', 'ranges', 'rnglists', 'line'] as const;
export type DwarfSectionName = (typeof NAMES)[number];

export interface UnitBytes {
  /** Offset of the unit in .debug_info. */
  offset: number;
  /** The unit's bytes, header included; buf[0] is at `offset`. */
  buf: Buffer;
}

export class DwarfSections {
  private cache = new Map<DwarfSectionName, Buffer | undefined>();
  private headers = new Map<DwarfSectionName, ElfSection>();
  readonly le: boolean;
  /** The address bias (see forms.ts): the first code address of the image, split in halves. */
  readonly biasHi: number;
  readonly biasLo: number;
  readonly bias: bigint;

  constructor(readonly elf: ElfFile) {
    this.le = elf.header.littleEndian;
    for (const s of elf.sections) {
      for (const prefix of ['.debug_', '.zdebug_']) {
        if (!s.name.startsWith(prefix)) continue;
        const n = s.name.slice(prefix.length) as DwarfSectionName;
        if ((NAMES as readonly string[]).includes(n) && !this.headers.has(n)) this.headers.set(n, s);
      }
    }
    const code = elf.header.elfClass === 64 ? elf.sections.find((s) => (s.flags & (SHF_ALLOC | SHF_EXECINSTR)) === (SHF_ALLOC | SHF_EXECINSTR) && s.size > 0) : undefined;
    this.bias = code?.addr ?? 0n;
    this.biasHi = Number(this.bias >> 32n);
    this.biasLo = Number(this.bias & 0xffffffffn);
  }

  has(name: DwarfSectionName): boolean {
    const s = this.headers.get(name);
    return s !== undefined && s.type !== SHT_NOBITS && s.size > 0;
  }

  /** An address of the image as a number relative to the bias. */
  rel(addr: bigint): number {
    // Wrapped like the cursor's two-halves arithmetic: percpu variables at 0 of an
    // x86-64 kernel come out as small positive offsets on both sides.
    return this.bias === 0n ? Number(addr) : Number(BigInt.asIntN(64, addr - this.bias));
  }

  /** An address relative to the bias back to the image's address. */
  abs(rel: number): bigint {
    return BigInt.asUintN(this.elf.header.elfClass, BigInt(rel) + this.bias);
  }

  cursor(name: DwarfSectionName, base = 0, pos = 0): DwarfCursor | undefined {
    const buf = this.get(name);
    return buf ? new DwarfCursor(buf, this.le, `.debug_${name}`, base, pos, buf.length, this.biasHi, this.biasLo) : undefined;
  }

  /** A section's (decompressed) bytes, or undefined when the file has no such section. */
  get(name: DwarfSectionName): Buffer | undefined {
    if (this.cache.has(name)) return this.cache.get(name);
    const s = this.headers.get(name);
    const buf = s && this.has(name) ? this.load(s) : undefined;
    this.cache.set(name, buf);
    return buf;
  }

  /**
   * `length` bytes at `offset` of a section (fewer at its end), without reading
   * the whole section when it is stored plainly: .debug_line is needed only for
   * the file tables at the head of each unit's line program.
   */
  slice(name: DwarfSectionName, offset: number, length: number): DwarfCursor | undefined {
    const s = this.headers.get(name);
    if (!s || !this.has(name)) return undefined;
    if (this.cache.get(name) || this.isCompressed(name)) {
      const c = this.cursor(name, 0, offset)!;
      if (offset > c.end) c.fail(`offset 0x${offset.toString(16)} lies outside the section`);
      return c;
    }
    if (offset > s.size) throw dwarfError(`.debug_${name}: offset 0x${offset.toString(16)} lies outside the section (size ${s.size}); the debug information is damaged`, this.elf.path);
    const n = Math.min(length, s.size - offset);
    return new DwarfCursor(this.elf.bytes(s.offset + offset, n, `.debug_${name}`), this.le, `.debug_${name}`, offset, 0, n, this.biasHi, this.biasLo);
  }

  isCompressed(name: DwarfSectionName): boolean {
    const s = this.headers.get(name);
    return s !== undefined && ((s.flags & SHF_COMPRESSED) !== 0 || s.name.startsWith('.zdebug_'));
  }

  /**
   * The units of .debug_info, one at a time. A plainly stored section is read
   * unit by unit with positioned reads, so only one unit is in memory at once.
   */
  *units(): Generator<UnitBytes> {
    const s = this.headers.get('info');
    if (!s || !this.has('info')) return;
    const whole = this.isCompressed('info') ? this.get('info')! : undefined;
    const size = whole ? whole.length : s.size;
    // One buffer for all units, grown to the largest: no garbage per unit.
    let scratch = Buffer.allocUnsafe(0);
    const read = (off: number, len: number): Buffer => {
      if (whole) return whole.subarray(off, off + len);
      if (len > scratch.length && len > 12) scratch = Buffer.allocUnsafe(Math.max(len, Math.min(2 * scratch.length, 64 << 20)));
      return this.elf.bytesInto(scratch, s.offset + off, len, 'a .debug_info unit');
    };
    let off = 0;
    while (off + 4 <= size) {
      const head = new DwarfCursor(read(off, Math.min(12, size - off)), this.le, '.debug_info', off);
      const { len, offSize } = head.initialLength();
      const headLen = offSize === 8 ? 12 : 4;
      if (off + headLen + len > size) throw dwarfError(`.debug_info: the unit at offset 0x${off.toString(16)} claims ${len} bytes but the section ends ${size - off - headLen} bytes later; the debug information is truncated`, this.elf.path);
      yield { offset: off, buf: read(off, headLen + len) };
      off += headLen + len;
    }
  }

  private load(s: ElfSection): Buffer {
    const raw = this.elf.sectionData(s);
    if (s.name.startsWith('.zdebug_')) {
      if (raw.length < 12 || raw.toString('latin1', 0, 4) !== 'ZLIB') return raw;
      const size = raw.readUInt32BE(4) * 4294967296 + raw.readUInt32BE(8);
      return this.inflate(s, raw.subarray(12), size, ELFCOMPRESS_ZLIB);
    }
    if ((s.flags & SHF_COMPRESSED) === 0) return raw;
    const c = new DwarfCursor(raw, this.le, s.name);
    const is64 = this.elf.header.elfClass === 64;
    const type = c.u32();
    if (is64) c.u32();
    const size = is64 ? c.u64() : c.u32();
    if (is64) c.u64Loose();
    else c.u32();
    return this.inflate(s, raw.subarray(c.pos), size, type);
  }

  private inflate(s: ElfSection, data: Buffer, size: number, type: number): Buffer {
    const where = `${s.name} (compressed)`;
    if (size > Math.min(bufferConstants.MAX_LENGTH, (data.length + 1024) * MAX_RATIO)) {
      throw dwarfError(`${where}: claims ${size} bytes uncompressed from ${data.length} compressed; the header is corrupt`, this.elf.path);
    }
    let out: Buffer;
    try {
      if (type === ELFCOMPRESS_ZLIB) out = inflateSync(data, { maxOutputLength: Math.max(1, size) });
      else if (type === ELFCOMPRESS_ZSTD) {
        const dst = Buffer.allocUnsafe(size);
        const got = zstdDecompress(data, dst);
        out = Buffer.from(got.buffer, got.byteOffset, got.length);
      } else throw dwarfError(`${where}: unknown compression type ${type} (known: 1 zlib, 2 zstd)`, this.elf.path);
    } catch (e) {
      if (e instanceof Error && e.name === 'KbloatInputError') throw e;
      throw dwarfError(`${where}: cannot be decompressed (${(e as Error).message}); the file is damaged`, this.elf.path);
    }
    if (out.length !== size) throw dwarfError(`${where}: decompressed to ${out.length} bytes, but its header says ${size}; the file is damaged`, this.elf.path);
    return out;
  }
}
