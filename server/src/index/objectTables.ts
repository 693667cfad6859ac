/**
 * What the attribution of a build without a linker map needs of each built-in
 * object, read in one pass over its section headers and symbol table: its
 * input sections, the symbols that anchor them in vmlinux, the globals it
 * defines and its sized symbols. The same facts as kbuild/objects.ts's
 * `ObjectContents` (which a module's bytes and Modularize use), without an
 * object per symbol: a defconfig build has 2,800 built-in objects and half a
 * million symbols, read on every cold index.
 */
import * as path from 'node:path';
import { ElfFile, SHF_ALLOC, STT_FILE, STT_FUNC, STT_NOTYPE, STT_OBJECT, STT_SECTION, SHN_UNDEF, SHN_LORESERVE } from '../binary/elf';
import { KbloatInputError } from '../common/errors';
import { isBitcodeFile, readObjectContents } from '../kbuild/objects';
import { Warning, warningOf } from '../common/warnings';

/** Named symbols as columns. */
export interface SymbolColumns {
  names: string[];
  sizes: number[];
}

export interface ObjectTable {
  /** LLVM bitcode (an LTO build): names only, no sections, every size 0. */
  bitcode: boolean;
  /** The allocated sections with bytes the link keeps: the object's input sections. */
  allocSections: { name: string; size: number }[];
  /** Named symbols of those sections (`.L` labels aside), with their offset in the section and the section's place in allocSections. */
  anchors: SymbolColumns & { offsets: number[]; sections: number[] };
  /** Global symbols this object defines, in symbol-table order. */
  definedGlobals: string[];
  /** Defined functions and variables with bytes (for bitcode: every defined name), and whether each is local. */
  symbols: SymbolColumns & { local: boolean[] };
}

/** Sections the kernel's module loader and linker script drop (as kbuild/objects.ts leaves them out). */
const DROPPED_SECTION = /^\.(discard|modinfo|gnu\.linkonce\.this_module|note\.GNU-stack|comment|eh_frame)/;

/** Reads one object's table; a missing or broken object is a KbloatInputError. */
export function readObjectTable(file: string): ObjectTable {
  let elf: ElfFile;
  try {
    elf = ElfFile.open(file);
  } catch (e) {
    // Bitcode is not ELF: its own symbol table has the names (kbuild/objects.ts reads it).
    if (e instanceof KbloatInputError && e.code === 'bad-elf' && isBitcodeFile(file)) return bitcodeTable(file);
    throw e;
  }
  try {
    const allocSections: { name: string; size: number }[] = [];
    const allocIndex = new Int32Array(elf.sections.length).fill(-1);
    for (const s of elf.sections) {
      if ((s.flags & SHF_ALLOC) === 0 || s.size === 0 || DROPPED_SECTION.test(s.name)) continue;
      allocIndex[s.index] = allocSections.length;
      allocSections.push({ name: s.name, size: s.size });
    }
    const anchors: ObjectTable['anchors'] = { names: [], sizes: [], offsets: [], sections: [] };
    const symbols: ObjectTable['symbols'] = { names: [], sizes: [], local: [] };
    const definedGlobals: string[] = [];
    const t = elf.symbolTable();
    const sectionCount = elf.sections.length;
    for (let i = 0; i < t.count; i++) {
      const type = t.type(i);
      const shndx = t.shndx(i);
      if (type === STT_FILE || type === STT_SECTION || shndx === SHN_UNDEF || shndx >= SHN_LORESERVE || shndx >= sectionCount) continue;
      if (!t.hasName(i)) continue;
      const name = t.name(i);
      const local = t.bind(i) === 0;
      if (!local) definedGlobals.push(name);
      const size = t.size(i);
      const ai = allocIndex[shndx];
      if (ai >= 0 && !name.startsWith('.L')) {
        anchors.names.push(name);
        anchors.sizes.push(size);
        anchors.offsets.push(t.valueNumber(i));
        anchors.sections.push(ai);
      }
      if (size !== 0 && (type === STT_FUNC || type === STT_OBJECT || type === STT_NOTYPE)) {
        symbols.names.push(name);
        symbols.sizes.push(size);
        symbols.local.push(local);
      }
    }
    return { bitcode: false, allocSections, anchors, definedGlobals, symbols };
  } finally {
    elf.close();
  }
}

function bitcodeTable(file: string): ObjectTable {
  const c = readObjectContents(file);
  return {
    bitcode: true,
    allocSections: [],
    anchors: { names: [], sizes: [], offsets: [], sections: [] },
    definedGlobals: c.definedGlobals,
    symbols: { names: c.symbols.map((s) => s.name), sizes: c.symbols.map((s) => s.size), local: c.symbols.map((s) => s.local) },
  };
}

/**
 * The tables of a build's objects, each read at most once, in the order they
 * are first asked for; an object that cannot be read is a warning, once.
 */
export class ObjectTables {
  private tables = new Map<string, ObjectTable | undefined>();

  constructor(
    private buildDir: string,
    private warnings: Warning[],
  ) {}

  get(obj: string): ObjectTable | undefined {
    if (this.tables.has(obj)) return this.tables.get(obj);
    let table: ObjectTable | undefined;
    try {
      table = readObjectTable(path.join(this.buildDir, obj));
    } catch (e) {
      if (!(e instanceof KbloatInputError)) throw e;
      this.warnings.push(warningOf(e));
    }
    this.tables.set(obj, table);
    return table;
  }
}
