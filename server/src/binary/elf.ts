/**
 * A reader for the parts of an ELF file that size attribution needs: the header,
 * the section headers, the symbol table and the notes. It reads with positioned
 * reads so that a 600 MB vmlinux full of DWARF costs only the bytes we use.
 *
 * Every offset and count that comes from the file is checked against the file's
 * size before it is used; a bad one raises KbloatInputError('bad-elf').
 *
 * Addresses are 64-bit in ELF64 and do not fit a JavaScript number exactly
 * (0xffffffff81000000 needs 64 bits), so sections keep their address as a bigint
 * and symbols keep an *offset into their section* as a number, which always fits.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { KbloatInputError } from '../common/errors';
import { SymbolTable, UNSAFE_HIGH } from './symbolTable';

export const SHT_NOBITS = 8;
const SHT_SYMTAB = 2;
const SHT_NOTE = 7;
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
const SHN_XINDEX = 0xffff;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

const MACHINES: Record<number, string> = {
  3: 'i386', 62: 'x86_64', 40: 'arm', 183: 'arm64', 8: 'mips', 20: 'powerpc', 21: 'powerpc64',
  22: 's390', 243: 'riscv', 2: 'sparc', 43: 'sparc64', 258: 'loongarch', 42: 'sh', 15: 'parisc',
};

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  align: number;
  entsize: number;
}

export interface ElfSymbol {
  name: string;
  /** Raw st_value (an address in an executable, an offset in a relocatable object). */
  value: bigint;
  size: number;
  type: number;
  bind: number;
  shndx: number;
  /** Index of the symbol in .symtab, which keeps the STT_FILE order of locals. */
  index: number;
}

export interface ElfHeader {
  elfClass: 32 | 64;
  littleEndian: boolean;
  type: number;
  machine: string;
  machineCode: number;
}

/** Anything that can hand out bytes at an offset: an open file or a buffer. */
interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Buffer;
  /** Reads into `into` (at least `length` long) instead of a new buffer. */
  readInto?(into: Buffer, offset: number, length: number): void;
  close(): void;
}

/**
 * Files up to this size are read whole at once: an object's headers, symbols
 * and names in one read instead of five (a defconfig object is 30 kB on
 * average). Larger ones, an object with DWARF or vmlinux, are read in pieces:
 * most of their bytes are never needed.
 */
const WHOLE_FILE_LIMIT = 128 << 10;

class FileSource implements ByteSource {
  readonly size: number;
  private fd: number;
  /** The whole file, for a small one (then the file is closed already). */
  private whole?: Buffer;
  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
      this.size = fstatSync(this.fd).size;
    } catch (e) {
      throw new KbloatInputError('io', (e as Error).message.replace(/^[A-Z]+: /, ''), path);
    }
    if (this.size <= WHOLE_FILE_LIMIT) {
      try {
        const buf = Buffer.allocUnsafe(this.size);
        this.readInto(buf, 0, this.size);
        this.whole = buf;
      } finally {
        this.close();
      }
    }
  }
  read(offset: number, length: number): Buffer {
    if (this.whole) return this.whole.subarray(offset, offset + length);
    const buf = Buffer.allocUnsafe(length);
    this.readInto(buf, offset, length);
    return buf;
  }
  readInto(buf: Buffer, offset: number, length: number): void {
    if (this.whole) {
      this.whole.copy(buf, 0, offset, offset + length);
      return;
    }
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, offset + done);
      if (n === 0) throw new KbloatInputError('build-changed', 'file shrank while it was read', this.path);
      done += n;
    }
  }
  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

class BufferSource implements ByteSource {
  constructor(private buf: Buffer) {}
  get size(): number {
    return this.buf.length;
  }
  read(offset: number, length: number): Buffer {
    return this.buf.subarray(offset, offset + length);
  }
  close(): void {}
}

/** Reads an ELF file. Call close() when done (or use readElfFile for one-shot use). */
export class ElfFile {
  readonly header: ElfHeader;
  readonly sections: ElfSection[];
  private symbolsCache?: ElfSymbol[];
  private tableCache?: SymbolTable;
  /** The file's first bytes, read once for the header and the section table's place. */
  private head?: Buffer;

  private constructor(private src: ByteSource, readonly path: string) {
    try {
      this.header = this.readHeader();
      this.sections = this.readSections();
    } catch (e) {
      src.close();
      throw e;
    }
  }

  static open(path: string): ElfFile {
    return new ElfFile(new FileSource(path), path);
  }

  static fromBuffer(buf: Buffer, name: string): ElfFile {
    return new ElfFile(new BufferSource(buf), name);
  }

  close(): void {
    this.src.close();
  }

  get size(): number {
    return this.src.size;
  }

  private fail(message: string): never {
    throw new KbloatInputError('bad-elf', message, this.path);
  }

  /** Reads `length` bytes at `offset`, refusing ranges outside the file. */
  bytes(offset: number, length: number, what: string): Buffer {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.src.size) {
      this.fail(`${what} lies outside the file (offset ${offset}, length ${length}, file size ${this.src.size}); the file is truncated or corrupt`);
    }
    return this.src.read(offset, length);
  }

  /**
   * Like bytes(), but into a caller's buffer when the file is read from disk
   * (one reused buffer for the units of a 150 MB .debug_info); the result may
   * be a view of `scratch`, valid until the next call.
   */
  bytesInto(scratch: Buffer, offset: number, length: number, what: string): Buffer {
    if (!this.src.readInto || length > scratch.length) return this.bytes(offset, length, what);
    this.bytes(offset, 0, what);
    if (offset + length > this.src.size) this.bytes(offset, length, what);
    this.src.readInto(scratch, offset, length);
    return scratch.subarray(0, length);
  }

  private readHeader(): ElfHeader {
    if (this.src.size < 16) this.fail('too short to be an ELF file');
    // One read for the identification and the header (64 bytes in ELF64, 52 in ELF32).
    this.head = this.src.read(0, Math.min(64, this.src.size));
    const ident = this.head;
    if (ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) {
      this.fail('not an ELF file (bad magic)');
    }
    const cls = ident[4];
    const data = ident[5];
    if (cls !== 1 && cls !== 2) this.fail(`unknown ELF class ${cls}`);
    if (data !== 1 && data !== 2) this.fail(`unknown ELF data encoding ${data}`);
    const elfClass = cls === 1 ? 32 : 64;
    const littleEndian = data === 1;
    if (this.head.length < (elfClass === 32 ? 52 : 64)) this.bytes(0, elfClass === 32 ? 52 : 64, 'ELF header');
    const r = new FieldReader(this.head, littleEndian);
    const machineCode = r.u16(18);
    return { elfClass, littleEndian, type: r.u16(16), machineCode, machine: MACHINES[machineCode] ?? `machine-${machineCode}` };
  }

  private readSections(): ElfSection[] {
    const { elfClass, littleEndian } = this.header;
    const r = new FieldReader(this.head!, littleEndian);
    this.head = undefined;
    const shoff = elfClass === 32 ? r.u32(32) : r.u64n(40, 'e_shoff');
    const shentsize = r.u16(elfClass === 32 ? 46 : 58);
    let shnum = r.u16(elfClass === 32 ? 48 : 60);
    let shstrndx = r.u16(elfClass === 32 ? 50 : 62);
    if (shoff === 0) return [];
    const minEnt = elfClass === 32 ? 40 : 64;
    if (shentsize < minEnt) this.fail(`section header entry size ${shentsize} is too small`);
    if (shnum === 0 || shstrndx === SHN_XINDEX) {
      // Extended numbering: the real counts live in section header 0.
      const first = new FieldReader(this.bytes(shoff, shentsize, 'section header 0'), littleEndian);
      if (shnum === 0) shnum = elfClass === 32 ? first.u32(20) : first.u64n(32, 'sh_size');
      if (shstrndx === SHN_XINDEX) shstrndx = first.u32(elfClass === 32 ? 24 : 40);
    } else if (shoff + shentsize > this.src.size) {
      // The usual case reads header 0 with the table; a table that starts past the end fails as header 0.
      this.bytes(shoff, shentsize, 'section header 0');
    }
    if (shnum * shentsize > this.src.size) this.fail(`section count ${shnum} cannot fit in the file`);
    const table = this.bytes(shoff, shnum * shentsize, 'section header table');
    const t = new FieldReader(table, littleEndian);
    const raw: ElfSection[] = new Array(shnum);
    const nameOffs = new Uint32Array(shnum);
    for (let i = 0; i < shnum; i++) {
      const b = i * shentsize;
      nameOffs[i] = t.u32(b);
      if (elfClass === 32) {
        raw[i] = {
          index: i, name: '', type: t.u32(b + 4), flags: t.u32(b + 8), addr: BigInt(t.u32(b + 12)),
          offset: t.u32(b + 16), size: t.u32(b + 20), link: t.u32(b + 24), info: t.u32(b + 28), align: t.u32(b + 32), entsize: t.u32(b + 36),
        };
      } else {
        raw[i] = {
          index: i, name: '', type: t.u32(b + 4), flags: t.u64n(b + 8, 'sh_flags'), addr: t.u64(b + 16),
          offset: t.u64n(b + 24, 'sh_offset'), size: t.u64n(b + 32, 'sh_size'), link: t.u32(b + 40), info: t.u32(b + 44),
          align: t.u64n(b + 48, 'sh_addralign'), entsize: t.u64n(b + 56, 'sh_entsize'),
        };
      }
    }
    if (shstrndx !== 0 && shstrndx < raw.length) {
      const strSec = raw[shstrndx];
      // One decode of the name table, sliced per section (an object has hundreds of sections).
      const strtab = this.bytes(strSec.offset, strSec.size, 'section name table').toString('latin1');
      for (let i = 0; i < shnum; i++) {
        const off = nameOffs[i];
        if (off >= strtab.length) {
          if (off !== 0) this.fail(`section ${i} name offset out of range`);
          continue;
        }
        let end = strtab.indexOf('\0', off);
        if (end < 0) end = strtab.length;
        raw[i].name = strtab.slice(off, end);
      }
    } else if (shstrndx !== 0) {
      this.fail(`section name table index ${shstrndx} is out of range`);
    }
    return raw;
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** Reads a section's bytes (empty for NOBITS). */
  sectionData(sec: ElfSection): Buffer {
    if (sec.type === SHT_NOBITS) return Buffer.alloc(0);
    return this.bytes(sec.offset, sec.size, `section ${sec.name}`);
  }

  /** All symbols of .symtab (or an empty list when the file has none), one object each. */
  symbols(): ElfSymbol[] {
    if (this.symbolsCache) return this.symbolsCache;
    const t = this.symbolTable();
    const out: ElfSymbol[] = new Array(t.count);
    for (let i = 0; i < t.count; i++) {
      const info = t.info(i);
      out[i] = { name: t.name(i), value: t.value(i), size: t.size(i), type: info & 0xf, bind: info >> 4, shndx: t.shndx(i), index: i };
    }
    return (this.symbolsCache = out);
  }

  /**
   * The symbol table of .symtab, read in place (empty when the file has none):
   * what the readers of every object and of vmlinux use, without an object per symbol.
   */
  symbolTable(): SymbolTable {
    if (this.tableCache) return this.tableCache;
    const { elfClass, littleEndian } = this.header;
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB);
    if (!symtab) return (this.tableCache = new SymbolTable(elfClass, littleEndian, new Uint8Array(0), 1, '', undefined, () => this.fail('empty')));
    const entsize = elfClass === 32 ? 16 : 24;
    if (symtab.entsize !== 0 && symtab.entsize < entsize) this.fail(`.symtab entry size ${symtab.entsize} is too small`);
    const step = symtab.entsize || entsize;
    if (symtab.link >= this.sections.length) this.fail(`.symtab names string table ${symtab.link}, which does not exist`);
    const strSec = this.sections[symtab.link];
    const data = this.sectionData(symtab);
    // Decoding the string table once and slicing it is much cheaper than one
    // Buffer decode per symbol (200,000 of them in a distro vmlinux).
    const strings = this.sectionData(strSec).toString('latin1');
    const xindexSec = this.sections.find((s) => s.type === 18 /* SHT_SYMTAB_SHNDX */ && s.link === symtab.index);
    const xindex = xindexSec ? new FieldReader(this.sectionData(xindexSec), littleEndian) : undefined;
    const table = new SymbolTable(elfClass, littleEndian, data, step, strings, xindex && ((i) => xindex.u32(i * 4)), (p) =>
      p.kind === 'name' ? this.fail(`symbol ${p.index} name offset ${p.offset} is outside .strtab`) : this.fail(`st_size value ${p.value} is impossibly large`),
    );
    return (this.tableCache = table);
  }

  /** The GNU build-id as lowercase hex, from any SHT_NOTE section. */
  buildId(): string | undefined {
    for (const sec of this.sections) {
      if (sec.type !== SHT_NOTE || sec.size > 1 << 20) continue;
      const data = this.sectionData(sec);
      const r = new FieldReader(data, this.header.littleEndian);
      let p = 0;
      while (p + 12 <= data.length) {
        const namesz = r.u32(p);
        const descsz = r.u32(p + 4);
        const type = r.u32(p + 8);
        const nameStart = p + 12;
        const descStart = nameStart + align4(namesz);
        const next = descStart + align4(descsz);
        if (namesz > data.length || descsz > data.length || next > data.length) break;
        const name = data.subarray(nameStart, nameStart + namesz).toString('latin1').replace(/\0+$/, '');
        if (name === 'GNU' && type === 3 /* NT_GNU_BUILD_ID */) return data.subarray(descStart, descStart + descsz).toString('hex');
        p = next;
      }
    }
    return undefined;
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Endian-aware field reads that turn an out-of-range read into a typed error. */
class FieldReader {
  constructor(private buf: Buffer, private le: boolean) {}
  private check(off: number, n: number): void {
    if (off + n > this.buf.length) throw new KbloatInputError('bad-elf', `read past the end of a table (offset ${off})`);
  }
  u16(off: number): number {
    this.check(off, 2);
    return this.le ? this.buf.readUInt16LE(off) : this.buf.readUInt16BE(off);
  }
  u32(off: number): number {
    this.check(off, 4);
    return this.le ? this.buf.readUInt32LE(off) : this.buf.readUInt32BE(off);
  }
  u64(off: number): bigint {
    this.check(off, 8);
    const [hi, lo] = this.halves(off);
    // Most addresses in an object are 0 and most sizes small: no bigint arithmetic for those.
    if (hi < UNSAFE_HIGH) return hi === 0 && lo === 0 ? 0n : BigInt(hi * 4294967296 + lo);
    return this.le ? this.buf.readBigUInt64LE(off) : this.buf.readBigUInt64BE(off);
  }
  /** A 64-bit field that must be a size or offset: it has to fit a safe integer. */
  u64n(off: number, what: string): number {
    this.check(off, 8);
    const [hi, lo] = this.halves(off);
    if (hi >= UNSAFE_HIGH) throw new KbloatInputError('bad-elf', `${what} value ${this.u64(off)} is impossibly large`);
    return hi * 4294967296 + lo;
  }
  /** A 64-bit field as its high and low 32-bit halves. */
  private halves(off: number): [number, number] {
    return this.le ? [this.buf.readUInt32LE(off + 4), this.buf.readUInt32LE(off)] : [this.buf.readUInt32BE(off), this.buf.readUInt32BE(off + 4)];
  }
}
