/**
 * The symbol table of an LLVM bitcode object, as an LTO build (`make LLVM=1`
 * with CONFIG_LTO_CLANG_THIN or _FULL) leaves one per `.o`. Such an object has
 * no machine code yet, so no sections and no sizes; what it does have is the
 * "irsymtab" clang writes for linkers: every symbol the object defines or needs,
 * global or local, executable or not, with its section when one was named.
 * That is what tells two `core.c` apart and says which object defined a global,
 * without running llvm-nm.
 *
 * The file is an LLVM bitstream (llvm/docs/BitCodeFormat.rst): top-level blocks,
 * each with its length, so all but two are skipped unread. The STRTAB block
 * holds one blob of names; the SYMTAB block one blob laid out as
 * llvm/include/llvm/Object/IRSymtab.h's `storage::Header`, little-endian 32-bit
 * words throughout.
 */
import { KbloatInputError } from '../common/errors';

export interface BitcodeSymbol {
  name: string;
  defined: boolean;
  /** Not a local (static) symbol. */
  global: boolean;
  weak: boolean;
  /** A function (or other code), as opposed to data. */
  executable: boolean;
  common: boolean;
  /** The section the source put it in (`__attribute__((section))`: `.init.text`), when it did. */
  section?: string;
}

export interface BitcodeSymtab {
  /** The irsymtab format version. */
  version: number;
  /** The LLVM that wrote it (`14.0.6`). */
  producer: string;
  targetTriple: string;
  /** The source file the object was compiled from, as given to the compiler. */
  sourceFileName: string;
  symbols: BitcodeSymbol[];
}

const RAW_MAGIC = 0xdec04342; // 'BC' 0xC0DE, read as a little-endian word
const WRAPPER_MAGIC = 0x0b17c0de;
const STRTAB_BLOCK_ID = 23;
const SYMTAB_BLOCK_ID = 25;
const BLOB_RECORD = 1;

/** True when the bytes start like LLVM bitcode (raw, or in the wrapper some targets use). */
export function isBitcode(head: Buffer): boolean {
  if (head.length < 4) return false;
  const magic = head.readUInt32LE(0);
  return magic === RAW_MAGIC || magic === WRAPPER_MAGIC;
}

/** Reads the irsymtab of a bitcode object. */
export function readBitcodeSymtab(buf: Buffer, file: string): BitcodeSymtab {
  const fail = (msg: string): never => {
    throw new KbloatInputError('bad-bitcode', msg, file);
  };
  let start = 0;
  let end = buf.length;
  if (buf.length >= 20 && buf.readUInt32LE(0) === WRAPPER_MAGIC) {
    start = buf.readUInt32LE(8);
    end = start + buf.readUInt32LE(12);
    if (end > buf.length || start < 20) fail('has a bitcode wrapper that points outside the file');
  }
  if (end - start < 8 || buf.readUInt32LE(start) !== RAW_MAGIC) fail('is not LLVM bitcode (bad magic)');
  const blobs = topLevelBlobs(new BitReader(buf, start + 4, end, fail), fail);
  if (!blobs.symtab || !blobs.strtab) fail('has no symbol table (SYMTAB/STRTAB blocks): it was written by an LLVM older than 5; rebuild it');
  return parseIrSymtab(blobs.symtab!, blobs.strtab!, fail);
}

/** LSB-first bit reader over 32-bit little-endian words, as the bitstream is written. */
class BitReader {
  private bit: number;
  constructor(
    private readonly buf: Buffer,
    start: number,
    private readonly end: number,
    private readonly fail: (msg: string) => never,
  ) {
    this.bit = start * 8;
  }

  atEnd(): boolean {
    return this.bit + 32 > this.end * 8;
  }

  read(width: number): number {
    if (width === 0) return 0;
    if (width > 32) this.fail(`has a ${width}-bit field, wider than the format allows`);
    if (this.bit + width > this.end * 8) this.fail('ends inside a record (truncated bitcode)');
    let value = 0;
    let got = 0;
    while (got < width) {
      const byte = this.buf[this.bit >>> 3];
      const offset = this.bit & 7;
      const take = Math.min(8 - offset, width - got);
      value += ((byte >>> offset) & ((1 << take) - 1)) * 2 ** got;
      got += take;
      this.bit += take;
    }
    return value;
  }

  /** A variable-width integer in chunks of `width` bits, the top bit of each saying that more follow. */
  vbr(width: number): number {
    const more = 2 ** (width - 1);
    let value = 0;
    for (let shift = 0; ; shift += width - 1) {
      if (shift > 64) this.fail('has a variable-width number longer than 64 bits');
      const chunk = this.read(width);
      value += (chunk % more) * 2 ** shift;
      if (chunk < more) return value;
    }
  }

  align32(): void {
    this.bit = Math.ceil(this.bit / 32) * 32;
  }

  skipWords(n: number): void {
    this.bit += n * 32;
    if (this.bit > this.end * 8) this.fail('has a block that runs past the end of the file');
  }

  bytes(n: number): Buffer {
    const at = this.bit >>> 3;
    if (at + n > this.end) this.fail('has a blob that runs past the end of the file');
    this.bit += n * 8;
    return this.buf.subarray(at, at + n);
  }
}

/** One operand of an abbreviation: a literal value, or how the value is encoded. */
type AbbrevOp = { literal: number } | { encoding: 'fixed' | 'vbr'; width: number } | { encoding: 'array' | 'char6' | 'blob' };

const END_BLOCK = 0;
const ENTER_SUBBLOCK = 1;
const DEFINE_ABBREV = 2;
const UNABBREV_RECORD = 3;

/** The blobs of the top-level STRTAB and SYMTAB blocks; every other block is skipped by its length. */
function topLevelBlobs(r: BitReader, fail: (msg: string) => never): { strtab?: Buffer; symtab?: Buffer } {
  const out: { strtab?: Buffer; symtab?: Buffer } = {};
  while (!r.atEnd()) {
    const id = r.read(2);
    if (id !== ENTER_SUBBLOCK) {
      // Only blocks live at the top level; what follows the last one is padding.
      break;
    }
    const blockId = r.vbr(8);
    const width = r.vbr(4);
    r.align32();
    const words = r.read(32);
    if (blockId === STRTAB_BLOCK_ID || blockId === SYMTAB_BLOCK_ID) {
      const blob = blockBlob(r, width, fail);
      if (blockId === STRTAB_BLOCK_ID) out.strtab ??= blob;
      else out.symtab ??= blob;
    } else {
      r.skipWords(words);
    }
  }
  return out;
}

/** Reads one block up to its end and returns the blob of its BLOB record. */
function blockBlob(r: BitReader, width: number, fail: (msg: string) => never): Buffer | undefined {
  if (width < 2 || width > 32) fail(`has a block with ${width}-bit abbreviation ids`);
  const abbrevs: AbbrevOp[][] = [];
  let blob: Buffer | undefined;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const id = r.read(width);
    if (id === END_BLOCK) {
      r.align32();
      return blob;
    }
    if (id === ENTER_SUBBLOCK) {
      r.vbr(8);
      r.vbr(4);
      r.align32();
      r.skipWords(r.read(32));
    } else if (id === DEFINE_ABBREV) {
      const ops: AbbrevOp[] = [];
      const n = r.vbr(5);
      for (let i = 0; i < n; i++) {
        if (r.read(1)) ops.push({ literal: r.vbr(8) });
        else {
          const e = r.read(3);
          if (e === 1 || e === 2) ops.push({ encoding: e === 1 ? 'fixed' : 'vbr', width: r.vbr(5) });
          else if (e === 3) ops.push({ encoding: 'array' });
          else if (e === 4) ops.push({ encoding: 'char6' });
          else if (e === 5) ops.push({ encoding: 'blob' });
          else fail(`has an abbreviation with unknown encoding ${e}`);
        }
      }
      abbrevs.push(ops);
    } else if (id === UNABBREV_RECORD) {
      const code = r.vbr(6);
      const n = r.vbr(6);
      const values: number[] = [];
      for (let i = 0; i < n; i++) values.push(r.vbr(6));
      // A blob written without an abbreviation is an array of byte values.
      if (code === BLOB_RECORD && !blob) blob = Buffer.from(values);
    } else {
      const ops = abbrevs[id - 4] ?? fail(`uses abbreviation ${id}, which its block does not define`);
      const fields = readAbbreviated(r, ops, fail);
      if (fields.code === BLOB_RECORD && fields.blob && !blob) blob = fields.blob;
    }
  }
  return fail('has a block that does not end');
}

function readAbbreviated(r: BitReader, ops: AbbrevOp[], fail: (msg: string) => never): { code?: number; blob?: Buffer } {
  const scalar = (op: AbbrevOp): number => {
    if ('literal' in op) return op.literal;
    if (op.encoding === 'fixed') return r.read(op.width);
    if (op.encoding === 'vbr') return r.vbr(op.width);
    if (op.encoding === 'char6') return r.read(6);
    return fail('has an array or blob where a single value belongs');
  };
  let code: number | undefined;
  let blob: Buffer | undefined;
  const take = (v: number): void => {
    if (code === undefined) code = v;
  };
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if ('literal' in op || op.encoding === 'fixed' || op.encoding === 'vbr' || op.encoding === 'char6') take(scalar(op));
    else if (op.encoding === 'array') {
      const element = ops[++i] ?? fail('has an array abbreviation without an element type');
      const n = r.vbr(6);
      for (let k = 0; k < n; k++) take(scalar(element));
    } else {
      const n = r.vbr(6);
      r.align32();
      blob = r.bytes(n);
      r.align32();
    }
  }
  return { code, blob };
}

const FB_HAS_UNCOMMON = 2;
const FB_UNDEFINED = 3;
const FB_WEAK = 4;
const FB_COMMON = 5;
const FB_GLOBAL = 10;
const FB_FORMAT_SPECIFIC = 11;
const FB_EXECUTABLE = 13;

/** `storage::Header` and the arrays it points to (IRSymtab.h). */
function parseIrSymtab(symtab: Buffer, strtab: Buffer, fail: (msg: string) => never): BitcodeSymtab {
  const word = (at: number): number => {
    if (at + 4 > symtab.length) fail('has a symbol table that is cut short');
    return symtab.readUInt32LE(at);
  };
  const str = (at: number): string => {
    const offset = word(at);
    const size = word(at + 4);
    if (offset + size > strtab.length) fail('has a symbol name outside its string table');
    return strtab.toString('utf8', offset, offset + size);
  };
  const version = word(0);
  if (version < 1 || version > 64) fail(`has a symbol table of format version ${version}, which this reader does not know`);
  const symbolsAt = word(28);
  const symbolCount = word(32);
  const uncommonsAt = word(36);
  // `Uncommon` is CommonSize, CommonAlign and the COFF fallback name; version 2
  // added the section name, and version 4 widened CommonSize to 64 bits.
  const uncommonSize = version >= 4 ? 28 : version >= 2 ? 24 : 16;
  const sectionAt = version >= 4 ? 20 : 16;
  if (symbolsAt + symbolCount * 24 > symtab.length) fail('has more symbols than its symbol table holds');
  const symbols: BitcodeSymbol[] = [];
  let uncommon = 0;
  for (let i = 0; i < symbolCount; i++) {
    const at = symbolsAt + i * 24;
    const flags = word(at + 20);
    const bit = (b: number): boolean => ((flags >>> b) & 1) === 1;
    const s: BitcodeSymbol = {
      name: str(at),
      defined: !bit(FB_UNDEFINED),
      global: bit(FB_GLOBAL),
      weak: bit(FB_WEAK),
      executable: bit(FB_EXECUTABLE),
      common: bit(FB_COMMON),
    };
    if (bit(FB_HAS_UNCOMMON)) {
      if (version >= 2) {
        const section = str(uncommonsAt + uncommon * uncommonSize + sectionAt);
        if (section) s.section = section;
      }
      uncommon++;
    }
    // LLVM's own bookkeeping (`llvm.used`, `llvm.global_ctors`) is no symbol of the program.
    if (!bit(FB_FORMAT_SPECIFIC)) symbols.push(s);
  }
  return { version, producer: str(4), targetTriple: str(44), sourceFileName: str(52), symbols };
}
