/**
 * What we learn about one object file of the build: its source (from its `.cmd`
 * file), and, when asked, its own sections and symbols. Reads are small and
 * bounded: a `.cmd` file is read only up to its `source_` line (the dependency
 * list after it can be tens of kilobytes and is not needed for sizes).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import * as path from 'node:path';
import { parseCmdFile, cmdFilePathFor, readCmdHead } from './cmdfile';
import { BitcodeSymtab, isBitcode, readBitcodeSymtab } from '../binary/bitcode';
import { ElfFile, SHF_ALLOC, SHF_EXECINSTR, STT_FILE, STT_FUNC, STT_OBJECT, STT_NOTYPE, STT_SECTION, SHN_UNDEF, SHN_LORESERVE } from '../binary/elf';
import { KbloatInputError } from '../common/errors';
import { BuildLayout, sourceRelative } from './layout';
import { ClassBytes, addBytes, classifySection, elfSectionFacts } from '../binary/sections';
import { Warning, warningOf } from '../common/warnings';



/** The source file an object was built from, relative to the source tree. */
/** `inputs`, when given, collects every file the answer was read from (or would be, had it existed). */
export function objectSource(layout: BuildLayout, obj: string, inputs?: Set<string>): string | undefined {
  const cmdPath = path.join(layout.buildDir, cmdFilePathFor(obj));
  inputs?.add(cmdPath);
  const head = readCmdHead(cmdPath);
  if (head !== undefined) {
    try {
      const cmd = parseCmdFile(head, cmdPath);
      if (cmd.source) return sourceRelative(layout, cmd.source);
    } catch {
      // A .cmd file we cannot read tells us nothing; fall through to guessing.
    }
  }
  const stem = obj.replace(/\.o$/, '');
  for (const ext of ['.c', '.S', '.s', '.rs']) {
    inputs?.add(path.join(layout.sourceDir, stem + ext));
    if (existsSync(path.join(layout.sourceDir, stem + ext))) return stem + ext;
  }
  return undefined;
}

export interface ObjectSymbol {
  name: string;
  size: number;
  section: string;
  kind: 'function' | 'variable';
  local: boolean;
  /** Section index and offset: where its bytes start (aliases share it). */
  at: string;
}

/** A named symbol with its offset inside its own section: where an input section can be anchored in vmlinux. */
export interface ObjectAnchor {
  name: string;
  /** Offset in the object's section (st_value of a relocatable object). */
  offset: number;
  size: number;
  /** Index into ObjectContents.allocSections. */
  section: number;
}

export interface ObjectContents {
  bytes: ClassBytes;
  bySection: Record<string, number>;
  symbols: ObjectSymbol[];
  /** Global symbols this object defines. */
  definedGlobals: string[];
  /** The object's allocated sections with bytes (its input sections for the link). */
  allocSections: { name: string; size: number }[];
  anchors: ObjectAnchor[];
  /**
   * The object is LLVM bitcode (an LTO build): it has no sections and no sizes
   * yet, only names; its symbols have size 0 and its code is in vmlinux.o.
   */
  bitcode?: true;
}

/** The first bytes of a file say whether it is LLVM bitcode; a missing file is not. */
export function isBitcodeFile(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && isBitcode(head);
  } finally {
    closeSync(fd);
  }
}

function readBitcodeObject(file: string): BitcodeSymtab {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new KbloatInputError('io', (e as Error).message, file);
  }
  return readBitcodeSymtab(buf, file);
}

/** What a bitcode object tells of itself: the names it defines, none of them sized. */
function bitcodeContents(file: string): ObjectContents {
  const symbols: ObjectSymbol[] = [];
  const definedGlobals: string[] = [];
  for (const s of readBitcodeObject(file).symbols) {
    if (!s.defined) continue;
    if (s.global) definedGlobals.push(s.name);
    symbols.push({ name: s.name, size: 0, section: s.section ?? '', kind: s.executable ? 'function' : 'variable', local: !s.global, at: '' });
  }
  return { bytes: {}, bySection: {}, symbols, definedGlobals, allocSections: [], anchors: [], bitcode: true };
}

/** Reads an object's allocated sections and sized symbols from its own ELF (or, for bitcode, its names). */
export function readObjectContents(file: string): ObjectContents {
  if (isBitcodeFile(file)) return bitcodeContents(file);
  const elf = ElfFile.open(file);
  try {
    const bytes: ClassBytes = {};
    const bySection: Record<string, number> = {};
    const allocSections: { name: string; size: number }[] = [];
    const allocIndex = new Map<number, number>();
    for (const s of elf.sections) {
      if ((s.flags & SHF_ALLOC) === 0 || s.size === 0) continue;
      // Sections the kernel's module loader and linker script drop.
      if (/^\.(discard|modinfo|gnu\.linkonce\.this_module|note\.GNU-stack|comment|eh_frame)/.test(s.name)) continue;
      const cls = classifySection(elfSectionFacts(s));
      addBytes(bytes, cls, s.size);
      bySection[s.name] = (bySection[s.name] ?? 0) + s.size;
      allocIndex.set(s.index, allocSections.length);
      allocSections.push({ name: s.name, size: s.size });
    }
    const symbols: ObjectSymbol[] = [];
    const definedGlobals: string[] = [];
    const anchors: ObjectAnchor[] = [];
    for (const sym of elf.symbols()) {
      if (sym.type === STT_FILE || sym.type === STT_SECTION || sym.shndx === SHN_UNDEF || sym.shndx >= SHN_LORESERVE) continue;
      const sec = elf.sections[sym.shndx];
      if (!sec) continue;
      if (sym.bind !== 0 && sym.name) definedGlobals.push(sym.name);
      const ai = allocIndex.get(sym.shndx);
      if (ai !== undefined && sym.name && !sym.name.startsWith('.L')) anchors.push({ name: sym.name, offset: Number(sym.value), size: sym.size, section: ai });
      if (sym.size === 0 || !sym.name) continue;
      const exec = (sec.flags & SHF_EXECINSTR) !== 0;
      if (sym.type === STT_FUNC || (sym.type === STT_NOTYPE && exec)) symbols.push({ name: sym.name, size: sym.size, section: sec.name, kind: 'function', local: sym.bind === 0, at: `${sym.shndx}:${sym.value.toString(16)}` });
      else if (sym.type === STT_OBJECT || sym.type === STT_NOTYPE) symbols.push({ name: sym.name, size: sym.size, section: sec.name, kind: 'variable', local: sym.bind === 0, at: `${sym.shndx}:${sym.value.toString(16)}` });
    }
    return { bytes, bySection, symbols, definedGlobals, allocSections, anchors };
  } finally {
    elf.close();
  }
}

/**
 * An LTO module's objects are bitcode; its code is in the `.ko` the module link
 * made. This splits the `.ko`'s bytes back onto its objects: a module of one
 * object gets them all; otherwise each sized symbol goes to the object whose own
 * symbol table names it (a promoted static by its name without `.llvm.<hash>`),
 * and bytes no symbol covers stay with the module's first object.
 */
export function splitModuleImage(koFile: string, objects: { object: string; contents: ObjectContents }[]): Map<string, ObjectContents> {
  const image = readObjectContents(koFile);
  const out = new Map<string, ObjectContents>();
  if (objects.length === 1) {
    out.set(objects[0].object, image);
    return out;
  }
  const ownerOf = new Map<string, string>();
  for (const o of objects) for (const sym of o.contents.symbols) if (!ownerOf.has(sym.name)) ownerOf.set(sym.name, o.object);
  const parts = new Map<string, ObjectContents>(objects.map((o) => [o.object, { bytes: {}, bySection: {}, symbols: [], definedGlobals: [], allocSections: [], anchors: [] }]));
  const classOf = new Map<string, ReturnType<typeof classifySection>>();
  const elf = ElfFile.open(koFile);
  try {
    for (const sec of elf.sections) {
      if ((sec.flags & SHF_ALLOC) === 0) continue;
      classOf.set(sec.name, classifySection(elfSectionFacts(sec)));
    }
  } finally {
    elf.close();
  }
  const charged: Record<string, number> = {};
  for (const sym of image.symbols) {
    // Symbols of the sections the loader drops (`.modinfo` strings) are no module bytes.
    if (!(sym.section in image.bySection)) continue;
    const owner = ownerOf.get(sym.name) ?? ownerOf.get(sym.name.replace(/\.llvm\.\d+$/, ''));
    if (!owner) continue;
    const part = parts.get(owner)!;
    part.symbols.push(sym);
    if (!sym.local) part.definedGlobals.push(sym.name);
    const cls = classOf.get(sym.section);
    if (cls) addBytes(part.bytes, cls, sym.size);
    part.bySection[sym.section] = (part.bySection[sym.section] ?? 0) + sym.size;
    charged[sym.section] = (charged[sym.section] ?? 0) + sym.size;
  }
  // What no symbol covers (alignment, unnamed constants): the first object's, so that the module's total stays whole.
  const first = parts.get(objects[0].object)!;
  for (const [section, size] of Object.entries(image.bySection)) {
    const rest = size - (charged[section] ?? 0);
    const cls = classOf.get(section);
    if (rest <= 0 || !cls) continue;
    addBytes(first.bytes, cls, rest);
    first.bySection[section] = (first.bySection[section] ?? 0) + rest;
  }
  for (const [object, part] of parts) out.set(object, part);
  return out;
}

/** Like readObjectContents, but a missing or broken object yields undefined and a warning. */
export function tryReadObjectContents(file: string, warnings: Warning[]): ObjectContents | undefined {
  try {
    return readObjectContents(file);
  } catch (e) {
    if (e instanceof KbloatInputError) {
      warnings.push(warningOf(e));
      return undefined;
    }
    throw e;
  }
}

/** What an object links against: the globals it defines and needs, and its section names. */
export interface ObjectLinkage {
  /** Global symbols defined here; weak ones separately, since a strong definition elsewhere wins. */
  defined: string[];
  weak: string[];
  /** Symbols this object uses but does not define (nm -u). */
  undefined: string[];
  /** Names of the allocated sections with bytes (`.initcall1.init`, `.init.setup`, ...). */
  sections: string[];
  /** Symbols this object exports with EXPORT_SYMBOL*: `__ksymtab_<name>` symbols and `___ksymtab+<name>` sections. */
  exports: string[];
}

const KSYMTAB_SECTION = /^___ksymtab(?:_gpl|_unused|_unused_gpl|_gpl_future)?\+(.+)$/;
const KSYMTAB_SYMBOL = /^__ksymtab_(.+)$/;

/**
 * Reads only an object's section headers and symbol table: cheap enough for
 * every built-in object of a distro kernel (thousands of files).
 */
export function readObjectLinkage(file: string): ObjectLinkage {
  if (isBitcodeFile(file)) return bitcodeLinkage(readBitcodeObject(file));
  const elf = ElfFile.open(file);
  try {
    const sections: string[] = [];
    const exports = new Set<string>();
    for (const s of elf.sections) {
      if ((s.flags & SHF_ALLOC) === 0 || s.size === 0) continue;
      sections.push(s.name);
      const m = KSYMTAB_SECTION.exec(s.name);
      if (m) exports.add(m[1]);
    }
    const defined: string[] = [];
    const weak: string[] = [];
    const undef: string[] = [];
    for (const sym of elf.symbols()) {
      if (!sym.name || sym.type === STT_FILE || sym.type === STT_SECTION) continue;
      const m = KSYMTAB_SYMBOL.exec(sym.name);
      // __ksymtab_strings and the per-kind table sections are not exports.
      if (m && sym.shndx !== SHN_UNDEF && !/^(strings|gpl)$/.test(m[1])) exports.add(m[1]);
      if (sym.bind === 0) continue;
      if (sym.shndx === SHN_UNDEF) undef.push(sym.name);
      else (sym.bind === 2 ? weak : defined).push(sym.name);
    }
    return { defined, weak, undefined: undef, sections, exports: [...exports] };
  } finally {
    elf.close();
  }
}

/**
 * The same from a bitcode object's symbol table: its sections are the ones its
 * symbols name (initcalls, `.init.setup`), and its exports the `__ksymtab_`
 * symbols EXPORT_SYMBOL's assembly defines.
 */
function bitcodeLinkage(symtab: BitcodeSymtab): ObjectLinkage {
  const defined: string[] = [];
  const weak: string[] = [];
  const undef: string[] = [];
  const sections = new Set<string>();
  const exports = new Set<string>();
  for (const s of symtab.symbols) {
    if (s.section && s.defined) sections.add(s.section);
    const m = KSYMTAB_SYMBOL.exec(s.name);
    if (m && s.defined && !/^(strings|gpl)$/.test(m[1])) exports.add(m[1]);
    if (!s.global) continue;
    if (!s.defined) undef.push(s.name);
    else (s.weak ? weak : defined).push(s.name);
  }
  return { defined, weak, undefined: undef, sections: [...sections], exports: [...exports] };
}
