/**
 * The index of a build folder with a vmlinux: every allocated byte placed on
 * an object (from the linker map, else the objects' own sections anchored by
 * their symbols, else symbols alone), the objects' sources and reasons from
 * Kbuild (read in a worker meanwhile), modules and not-built files, handed to
 * the assembler. Without a vmlinux, System.map alone (systemMap.ts).
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { ElfFile } from '../binary/elf';
import type { SymbolTable } from '../binary/symbolTable';
import { LinkerMap, parseLinkerMap } from '../binary/linkerMap';
import { checkSystemMapMatches, parseSystemMap } from '../binary/systemMap';
import { KbloatInputError } from '../common/errors';
import { readText } from '../common/fsRead';
import { addMapObjects, builtInObjects, libArchiveMembers, ModuleInfo, readBuiltinModules, readModules } from '../kbuild/buildObjects';
import { BuildLayout, locateBuild } from '../kbuild/layout';
import { isBitcodeFile, objectSource } from '../kbuild/objects';
import { isGeneratedObject, SourceFacts, startSourceFacts } from '../kbuild/sourceFacts';
import { computeTotals, FileDescription, IndexAssembler, objectBytes, readModuleObjects } from './assemble';
import { attribute, LocalGroup, PlacedSymbol } from './attribution';
import { ObjectTable, ObjectTables } from './objectTables';
import { addDwarfFacts } from './dwarfFacts';
import { functionBaseName } from '../binary/symbolNames';
import type { BuildIndex, BuildInfo, IndexOptions } from './model';
import { indexFromSystemMap } from './systemMap';
import { Warning, warningOf } from '../common/warnings';

/** Builds the index of the kernel build in `dir` (no cache; see cache.ts). */
export function buildIndex(dir: string, options: IndexOptions = {}): BuildIndex {
  const layout = locateBuild(dir);
  if (!layout.vmlinux) return indexFromSystemMap(layout, options);
  const before = fileStamp(layout.vmlinux);
  const elf = ElfFile.open(layout.vmlinux);
  try {
    const index = options.dwarf && options.base ? structuredClone(options.base) : indexFromElf(layout, elf, options);
    if (options.dwarf) {
      options.onProgress?.('reading DWARF');
      addDwarfFacts(elf, index);
    }
    const after = fileStamp(layout.vmlinux);
    if (before !== after) {
      throw new KbloatInputError('build-changed', 'vmlinux changed while it was read (a build is running?); try again when make has finished', layout.vmlinux);
    }
    return index;
  } finally {
    elf.close();
  }
}

function fileStamp(file: string): string {
  const st = statSync(file);
  return `${st.size}:${st.mtimeMs}`;
}



/**
 * Without a linker map, a lib.a member counts as linked when vmlinux defines one
 * of the global symbols the member defines (that is why the linker pulled it in).
 * An LTO link makes hidden globals local in vmlinux: there, any definition counts.
 */
function addLinkedLibMembers(elf: ElfFile, builtIn: Set<string>, libMembers: Map<string, string>, tables: ObjectTables, lto: boolean): void {
  if (libMembers.size === 0) return;
  const globals = new Set<string>();
  const t = elf.symbolTable();
  for (let i = 0; i < t.count; i++) if ((lto || t.bind(i) !== 0) && t.shndx(i) !== 0 && t.hasName(i)) globals.add(t.name(i));
  for (const obj of libMembers.keys()) {
    if (builtIn.has(obj)) continue;
    if (tables.get(obj)?.definedGlobals.some((g) => globals.has(g))) builtIn.add(obj);
  }
}

/** An LTO build: how many of the built-in objects are bitcode (undefined when none is). */
function ltoBuild(layout: BuildLayout, objects: Set<string>): { bitcode: number; objects: number } | undefined {
  let bitcode = 0;
  for (const obj of objects) if (isBitcodeFile(path.join(layout.buildDir, obj))) bitcode++;
  return bitcode > 0 ? { bitcode, objects: objects.size } : undefined;
}

/** Refuses ELF files that are not a linked kernel image, with a reason the user can act on. */
function checkIsKernel(elf: ElfFile): void {
  const fail = (msg: string): never => {
    throw new KbloatInputError('bad-elf', msg, elf.path);
  };
  if (elf.header.type === 1) fail('is a relocatable object (.o), not a linked vmlinux');
  if (elf.header.type !== 2 && elf.header.type !== 3) fail(`is an ELF file of type ${elf.header.type}, not a linked kernel image`);
  const syms = elf.symbolTable();
  if (syms.count === 0) fail('has no symbol table (it was stripped); use the unstripped vmlinux from the build folder');
  const kernelMarkers = new Set(['_stext', '_text', 'start_kernel', 'linux_banner']);
  let found = false;
  for (let i = 0; i < syms.count && !found; i++) found = (syms.nameStartsWith(i, '_') || syms.nameStartsWith(i, 's') || syms.nameStartsWith(i, 'l')) && kernelMarkers.has(syms.name(i));
  if (!found) fail('is not a Linux kernel image (no _text, _stext or start_kernel symbol)');
}

/**
 * A System.map from another build than vmlinux misleads everyone who reads it:
 * refuse it. Checking a sample of lines (the well-known boundary symbols and a
 * few hundred spread over the file) against vmlinux's global symbols finds a
 * stale map without parsing all of it. A distro's stub map next to a real
 * vmlinux is only worth a warning.
 */
function checkSystemMap(layout: BuildLayout, elf: ElfFile, warnings: Warning[]): void {
  const text = readText(layout.systemMap);
  if (text === undefined) return;
  const file = layout.systemMap!;
  if (text.length < 4096) {
    try {
      parseSystemMap(text, file);
    } catch (e) {
      if (e instanceof KbloatInputError) {
        warnings.push(warningOf(e));
        return;
      }
      throw e;
    }
  }
  const wellKnown = ['_text', '_stext', '_etext', '__init_begin', '__init_end', '_end'];
  const lines = text.split('\n');
  const sample: string[] = [];
  const stride = Math.max(1, Math.floor(lines.length / 400));
  for (let i = 0; i < lines.length; i += stride) sample.push(lines[i]);
  for (const n of wellKnown) {
    const at = text.indexOf(` ${n}\n`);
    if (at >= 0) sample.push(text.slice(text.lastIndexOf('\n', at) + 1, at + n.length + 1));
  }
  const sampleMap = parseSystemMap(sample.filter((l) => l.trim()).join('\n') + '\n', file);
  // vmlinux's addresses of the sampled names only: global symbols, and the well-known ones whatever their binding.
  const wanted = new Set(sampleMap.symbols.map((s) => s.name));
  const elfAddrs = new Map<string, bigint>();
  const t = elf.symbolTable();
  for (let i = 0; i < t.count; i++) if (t.bind(i) !== 0 && t.hasName(i) && wanted.has(t.name(i))) elfAddrs.set(t.name(i), t.value(i));
  for (let i = 0; i < t.count; i++) if (wellKnown.includes(t.name(i))) elfAddrs.set(t.name(i), t.value(i));
  const check = checkSystemMapMatches(sampleMap, elfAddrs);
  if (!check.matches) {
    const m = check.mismatches[0];
    const detail = m ? ` (${m.name} is at 0x${m.mapAddr.toString(16)} in System.map but 0x${m.elfAddr.toString(16)} in vmlinux)` : '';
    throw new KbloatInputError('bad-system-map', `does not match vmlinux${detail}; it is stale: rebuild, or delete it`, file);
  }
}

function indexFromElf(layout: BuildLayout, elf: ElfFile, options: IndexOptions): BuildIndex {
  const warnings: Warning[] = [];
  const progress = options.onProgress ?? (() => {});
  // Sources, reasons and not-built files come from the tree's text files: a worker
  // reads them while this thread reads vmlinux and the linker map.
  const sourceFacts = startSourceFacts({ layout, ...(options.factsCache ? { cacheDir: options.factsCache } : {}) });
  try {
    const modules = readModules(layout, warnings);
    const libMembers = libArchiveMembers(layout, warnings);
    return indexFromElfWith(layout, elf, progress, warnings, modules, libMembers, sourceFacts.join);
  } finally {
    sourceFacts.cancel();
  }
}

function indexFromElfWith(
  layout: BuildLayout,
  elf: ElfFile,
  progress: (message: string) => void,
  warnings: Warning[],
  modules: ModuleInfo[],
  libMembers: Map<string, string>,
  joinSourceFacts: () => SourceFacts,
): BuildIndex {
  checkIsKernel(elf);
  checkSystemMap(layout, elf, warnings);
  progress('reading the linker map');
  let map: LinkerMap | undefined;
  const mapText = readText(layout.linkerMap);
  if (mapText !== undefined) {
    try {
      map = parseLinkerMap(mapText, layout.linkerMap!);
    } catch (e) {
      if (!(e instanceof KbloatInputError)) throw e;
      warnings.push(warningOf(e, 'attribution falls back to symbols'));
    }
  }
  const builtIn = builtInObjects(layout, undefined);
  const lto = ltoBuild(layout, builtIn);
  if (lto) {
    warnings.push({
      message:
        `${lto.bitcode} of ${lto.objects} built-in objects are LLVM bitcode (a clang LTO build): their code is attributed from vmlinux's symbols, ` +
        `its STT_FILE markers and the objects' own symbol tables${map ? '; the linker map names no objects in an LTO link and was not used' : ''}`,
    });
    map = undefined;
  }
  const tables = new ObjectTables(layout.buildDir, warnings);
  if (map) addMapObjects(builtIn, map, layout.buildDir);
  else addLinkedLibMembers(elf, builtIn, libMembers, tables, lto !== undefined);

  progress('attributing sections');
  const resolver = new OwnerResolver(builtIn, tables, elf.symbolTable(), lto !== undefined);
  const att = attribute(elf, {
    map,
    buildDir: layout.buildDir,
    // In an LTO link the few native objects (assembly) cannot anchor sections that LTO's output fills.
    objects: () => (lto ? new Map() : resolver.allTables()),
    resolveOwner: (syms, i, group) => resolver.resolve(i, group),
    padToNext: lto !== undefined,
  });
  warnings.push(...att.warnings);

  progress('reading modules');
  const moduleObjects = readModuleObjects(layout, modules, warnings);

  progress('reading sources and Kbuild files');
  const { facts, notBuilt } = joinSourceFacts();
  const builtinModules = readBuiltinModules(layout);
  const describe = (obj: string): FileDescription => {
    // Objects only the linker map names were linked by the kernel's link script itself.
    const f = facts[obj] ?? (isGeneratedObject(obj) ? { reason: 'generated by the kernel build' } : { source: objectSource(layout, obj), reason: 'linked by the kernel link script (not in vmlinux.a)' });
    const asModule = [f.composite, obj].map((o) => o?.replace(/\.o$/, '.ko')).find((ko) => ko && builtinModules.has(ko));
    return {
      path: f.source ?? obj,
      ...(f.reason ? { reason: f.reason } : {}),
      ...(f.config ? { config: f.config } : {}),
      ...(isGeneratedObject(obj) ? { generated: true } : {}),
      ...(asModule ? { builtinModule: path.basename(asModule) } : {}),
    };
  };

  const files = new IndexAssembler();
  // Built-in objects: every owner of attributed bytes, and every archive member.
  const symbolsByOwner = groupSymbols(att.symbols);
  const owners = new Set<string>([...builtIn, ...att.owners.keys()]);
  const syms = elf.symbolTable();
  for (const obj of owners) {
    const ob = att.owners.get(obj) ?? { bytes: {}, bySection: {} };
    const placed = symbolsByOwner.get(obj) ?? [];
    // Only functions use `at` (to tell aliases): variables skip the hex.
    files.builtIn(obj, describe(obj), {
      bytes: ob.bytes,
      sections: ob.bySection,
      symbols: placed.map((p) => ({ name: p.name, size: p.size, section: p.section.name, kind: p.kind, at: p.kind === 'function' ? syms.hexValue(p.index) : undefined })),
    });
  }
  for (const m of moduleObjects) if (m.contents) files.module(m.object, m.moduleFile, describe(m.object), objectBytes(m.contents));
  for (const nb of notBuilt) files.notBuilt(nb.object, nb);
  // lib-y objects are linked only when something references them.
  for (const [obj, archive] of libMembers) {
    if (owners.has(obj)) continue;
    files.notBuilt(obj, { ...describe(obj), reason: `compiled into ${archive} (lib-y), but nothing in vmlinux references it, so the linker left it out` });
  }

  const totals = computeTotals(att.sections);
  const build: BuildInfo = {
    dir: layout.buildDir,
    sourceDir: layout.sourceDir,
    vmlinux: layout.vmlinux,
    arch: elf.header.machine,
    elfClass: elf.header.elfClass,
    endian: elf.header.littleEndian ? 'little' : 'big',
    buildId: elf.buildId(),
    kernelVersion: kernelVersion(layout, elf),
    attribution: att.sections.some((s) => s.attribution === 'linker-map') ? 'linker-map' : att.sections.some((s) => s.attribution === 'objects') ? 'objects' : 'symbols',
    estimated: false,
  };
  return files.finish({ build, totals, sections: att.sections, unattributed: att.unattributed, warnings });
}

function groupSymbols(symbols: PlacedSymbol[]): Map<string, PlacedSymbol[]> {
  const out = new Map<string, PlacedSymbol[]>();
  for (const p of symbols) {
    if (p.owner === undefined || p.size === 0) continue;
    let list = out.get(p.owner);
    if (!list) out.set(p.owner, (list = []));
    list.push(p);
  }
  return out;
}

/** `Linux version 6.1.0 (...)`: read linux_banner from the image, else the release file. */
function kernelVersion(layout: BuildLayout, elf: ElfFile): string | undefined {
  const release = readText(path.join(layout.buildDir, 'include/config/kernel.release'));
  if (release) return release.trim();
  const t = elf.symbolTable();
  let banner = -1;
  for (let i = 0; i < t.count && banner < 0; i++) if (t.nameStartsWith(i, 'linux_banner') && t.name(i) === 'linux_banner' && t.size(i) > 0 && t.size(i) < 4096) banner = i;
  if (banner < 0) return undefined;
  const sec = elf.sections[t.shndx(banner)];
  if (!sec || sec.type === 8) return undefined;
  const off = sec.offset + Number(t.value(banner) - sec.addr);
  try {
    const text = elf.bytes(off, t.size(banner), 'linux_banner').toString('latin1');
    return /^Linux version (\S+)/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Finds the object of a symbol when no linker map says: locals through their
 * STT_FILE marker (a basename such as `core.c`, shared by many files, told apart
 * by the objects' own symbol tables), globals through the objects' defined globals.
 */
class OwnerResolver {
  private byBasename?: Map<string, string[]>;
  private globals?: Map<string, string>;
  /** Bitcode objects' local names: an LTO build promotes some to globals named `name.llvm.<hash>`. */
  private locals?: Map<string, string[]>;
  private promoted?: Map<string, string | undefined>;
  private groupOwner = new Map<LocalGroup, string | undefined>();
  /** Per object, the keys its locals are matched by (name and size; for bitcode, name). */
  private localKeys = new Map<string, Set<string>>();

  constructor(
    private builtIn: Set<string>,
    private tables: ObjectTables,
    private syms: SymbolTable,
    /**
     * An LTO link: its STT_FILE markers name LTO modules, not always source
     * files (full LTO has one, `ld-temp.o`), and it makes globals local; a symbol
     * no marker places is found by its name in the objects' own tables.
     */
    private lto: boolean,
  ) {}

  resolve(i: number, group: LocalGroup | undefined): string | undefined {
    const name = this.syms.name(i);
    const local = this.syms.bind(i) === 0;
    let groupOwner: string | undefined;
    if (local && group !== undefined) {
      if (!this.groupOwner.has(group)) this.groupOwner.set(group, this.ownerOfGroup(group));
      groupOwner = this.groupOwner.get(group);
      // An LTO link emits the globals it made local after the last marker: the
      // marker's object has a say only over the names its own table has.
      if (!this.lto || (groupOwner !== undefined && this.defines(groupOwner, name))) return groupOwner;
    }
    const owner = this.globalOwners().get(name) ?? (this.lto && local ? this.localOwner(name) ?? groupOwner : undefined);
    if (owner !== undefined) return owner;
    const promoted = PROMOTED.exec(name);
    if (promoted) return this.promotedOwner(promoted[2]);
    // Names the compiler derives from a function (`__cfi_foo`, `foo.cold`) belong where the function does.
    const base = functionBaseName(name);
    return base !== name ? this.globalOwners().get(base) : undefined;
  }

  private names = new Map<string, Set<string>>();

  /** Whether an object's own table defines this name (a promoted or renamed copy by its base name). */
  private defines(obj: string, name: string): boolean {
    let names = this.names.get(obj);
    if (!names) this.names.set(obj, (names = new Set(this.tables.get(obj)?.symbols.names ?? [])));
    return names.has(name) || names.has(name.replace(/\.(llvm\.)?\d+$/, ''));
  }

  /** Every built-in object's own sections and symbols (read once). */
  allTables(): Map<string, ObjectTable> {
    const out = new Map<string, ObjectTable>();
    for (const obj of this.builtIn) {
      const t = this.tables.get(obj);
      if (t) out.set(obj, t);
    }
    return out;
  }

  private globalOwners(): Map<string, string> {
    if (this.globals) return this.globals;
    this.globals = new Map();
    for (const obj of this.builtIn) {
      for (const g of this.tables.get(obj)?.definedGlobals ?? []) if (!this.globals.has(g)) this.globals.set(g, obj);
    }
    return this.globals;
  }

  /**
   * In an LTO build, the one object whose own table has a local of this name
   * (full LTO renames a clash `name.NN`); undefined when several have it.
   */
  private localOwner(name: string): string | undefined {
    const exact = this.localNames().get(name);
    if (exact && new Set(exact).size === 1) return exact[0];
    // Full LTO links the modules in link order into one and renames a clash in
    // each later module `name.N`, N growing: the plain name is the first
    // object's (in vmlinux.a's order), the renamed ones the others' in turn.
    const m = /^(.+)\.(\d+)$/.exec(name);
    const base = m ? m[1] : name;
    const owners = [...new Set(this.localNames().get(base) ?? [])];
    if (owners.length === 0) return undefined;
    if (!m) return owners[0];
    const renamed = this.renamedLocals().get(base) ?? [];
    const at = renamed.indexOf(name);
    return at >= 0 && renamed.length === owners.length - 1 ? owners[at + 1] : undefined;
  }

  private renamed?: Map<string, string[]>;

  /** vmlinux's locals renamed `name.N` by full LTO, by name, in the order of N. */
  private renamedLocals(): Map<string, string[]> {
    if (this.renamed) return this.renamed;
    this.renamed = new Map();
    const t = this.syms;
    for (let i = 0; i < t.count; i++) {
      const name = t.name(i);
      const m = /^(.+)\.(\d+)$/.exec(name);
      if (!m || t.bind(i) !== 0 || PROMOTED.test(name)) continue;
      const list = this.renamed.get(m[1]);
      if (list) list.push(name);
      else this.renamed.set(m[1], [name]);
    }
    for (const list of this.renamed.values()) list.sort((a, b) => Number(a.slice(a.lastIndexOf('.') + 1)) - Number(b.slice(b.lastIndexOf('.') + 1)));
    return this.renamed;
  }

  private localNames(): Map<string, string[]> {
    if (this.locals) return this.locals;
    this.locals = new Map();
    for (const obj of this.builtIn) {
      const own = this.tables.get(obj)?.symbols;
      if (!own) continue;
      for (let k = 0; k < own.names.length; k++) {
        if (!own.local[k]) continue;
        const list = this.locals.get(own.names[k]);
        if (list) list.push(obj);
        else this.locals.set(own.names[k], [obj]);
      }
    }
    return this.locals;
  }

  /**
   * The object of the module whose statics ThinLTO promoted with this hash: one
   * hash per module, so every `name.llvm.<hash>` of vmlinux with it is a local
   * of that one object; the object whose own locals hold most of those names.
   */
  private promotedOwner(hash: string): string | undefined {
    if (!this.promoted) {
      this.promoted = new Map();
      const locals = this.localNames();
      const byHash = new Map<string, string[]>();
      const t = this.syms;
      for (let i = 0; i < t.count; i++) {
        const m = PROMOTED.exec(t.name(i));
        if (!m) continue;
        const names = byHash.get(m[2]);
        if (names) names.push(m[1]);
        else byHash.set(m[2], [m[1]]);
      }
      for (const [h, names] of byHash) {
        const score = new Map<string, number>();
        for (const n of names) for (const obj of locals.get(n) ?? []) score.set(obj, (score.get(obj) ?? 0) + 1);
        const ranked = [...score].sort((a, b) => b[1] - a[1]);
        // A tie is two objects that could both be it: say nothing rather than guess.
        this.promoted.set(h, ranked.length && (ranked.length === 1 || ranked[0][1] > ranked[1][1]) ? ranked[0][0] : undefined);
      }
    }
    return this.promoted.get(hash);
  }

  private ownerOfGroup(group: LocalGroup): string | undefined {
    if (!this.byBasename) {
      this.byBasename = new Map();
      for (const obj of this.builtIn) {
        const stem = path.basename(obj).replace(/\.o$/, '');
        for (const key of [stem + '.c', stem + '.S', stem + '.o', stem + '.s', stem + '.rs']) {
          let list = this.byBasename.get(key);
          if (!list) this.byBasename.set(key, (list = []));
          list.push(obj);
        }
      }
    }
    const candidates = this.byBasename.get(group.fileSym) ?? [];
    if (candidates.length <= 1) return candidates[0];
    // Many objects share the basename: pick the one whose own local symbols match
    // (by name and size; a bitcode object knows no sizes, so by name alone).
    const t = this.syms;
    let best: string | undefined;
    let bestScore = 0;
    for (const obj of candidates) {
      const own = this.tables.get(obj);
      if (!own) continue;
      const keys = this.keysOf(obj, own);
      let score = 0;
      for (const l of group.locals) if (t.size(l) > 0 && keys.has(own.bitcode ? t.name(l) : `${t.name(l)}\0${t.size(l)}`)) score++;
      if (score > bestScore) {
        bestScore = score;
        best = obj;
      }
    }
    return best;
  }

  /** An object's locals as ownerOfGroup matches them (an LTO link also makes hidden globals local: in bitcode every defined name counts). */
  private keysOf(obj: string, own: ObjectTable): Set<string> {
    let keys = this.localKeys.get(obj);
    if (keys) return keys;
    keys = new Set();
    const { names, sizes, local } = own.symbols;
    for (let k = 0; k < names.length; k++) if (local[k] || own.bitcode) keys.add(own.bitcode ? names[k] : `${names[k]}\0${sizes[k]}`);
    this.localKeys.set(obj, keys);
    return keys;
  }
}

/** A static ThinLTO promoted to a global: `name.llvm.<module hash>`. */
const PROMOTED = /^(.+)\.llvm\.(\d+)$/;
