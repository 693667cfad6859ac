/**
 * The build index of a kernel nobody here built: a distribution's debug vmlinux
 * (`/usr/lib/debug/boot/vmlinux-<release>`) with its DWARF, next to
 * `System.map-<release>`, `/boot/config-<release>` and
 * `/lib/modules/<release>/modules.builtin`. DWARF says which source file each
 * function and variable came from (its compile unit), where functions are
 * declared, and what inlining costs; the symbol table gives the sizes, exactly as
 * for a build folder. Damaged DWARF is reported as a warning and the index falls
 * back to the symbol table's STT_FILE names.
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { attribute, PlacedSymbol } from './attribution';
import { computeTotals, IndexAssembler } from './assemble';
import { BuildIndex, INDEX_FORMAT, IndexOptions } from './model';
import { DwarfIndex } from '../binary/dwarf/index';
import { PrefixMap } from '../binary/dwarf/paths';
import { ElfFile, STT_OBJECT } from '../binary/elf';
import { KbloatInputError } from '../common/errors';
import { isFile, readText } from '../common/fsRead';
import type { BuildLayout } from '../kbuild/layout';
import { parseModulesBuiltin } from '../kbuild/modules';
import { startSourceFacts } from '../kbuild/sourceFacts';
import { checkSystemMapMatches, parseSystemMap } from '../binary/systemMap';
import { annotate, SourceLines } from './dwarfFacts';
import { cachedIndex, LoadedIndex, LoadOptions } from './cache';
import { Warning, warningOf } from '../common/warnings';

export interface DistroOptions extends IndexOptions {
  vmlinux: string;
  /** Default: System.map-<release> or System.map next to vmlinux, else <root>/boot/System.map-<release>. */
  systemMap?: string;
  /** Default: <root>/boot/config-<release>. */
  config?: string;
  /** Default: <root>/lib/modules/<release>/modules.builtin. */
  modulesBuiltin?: string;
  /** The kernel source tree (for paths DWARF leaves absolute, and to check lines). */
  source?: string;
  prefixMaps?: PrefixMap[];
  /** Where /boot and /lib/modules are looked for; default '/'. */
  root?: string;
}

/** The files that go with a distro vmlinux, found as the distributions lay them out. */
export interface DistroFiles {
  release?: string;
  systemMap?: string;
  config?: string;
  modulesBuiltin?: string;
}

function findDistroFiles(elf: ElfFile, o: DistroOptions): DistroFiles {
  const release = kernelRelease(elf);
  const root = o.root ?? '/';
  const dir = path.dirname(o.vmlinux);
  const first = (...c: (string | undefined)[]): string | undefined => c.find((f) => f !== undefined && isFile(f));
  const r = release ?? '\0';
  return {
    release,
    systemMap: o.systemMap ?? first(path.join(dir, `System.map-${r}`), path.join(dir, 'System.map'), path.join(root, 'boot', `System.map-${r}`)),
    config: o.config ?? first(path.join(root, 'boot', `config-${r}`), path.join(dir, `config-${r}`)),
    modulesBuiltin: o.modulesBuiltin ?? first(path.join(root, 'lib/modules', r, 'modules.builtin')),
  };
}

/** `Linux version 6.1.0-50-cloud-amd64 (...)`, from linux_banner. */
function kernelRelease(elf: ElfFile): string | undefined {
  const t = elf.symbolTable();
  let banner = -1;
  for (let i = 0; i < t.count && banner < 0; i++) if (t.nameStartsWith(i, 'linux_banner') && t.name(i) === 'linux_banner' && t.size(i) > 0 && t.size(i) < 4096) banner = i;
  const sec = banner >= 0 ? elf.sections[t.shndx(banner)] : undefined;
  if (banner < 0 || !sec || sec.type === 8) return undefined;
  try {
    const text = elf.bytes(sec.offset + Number(t.value(banner) - sec.addr), t.size(banner), 'linux_banner').toString('latin1');
    return /^Linux version (\S+)/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

/** The index of a distro vmlinux, from the cache when vmlinux and its companions are unchanged. */
export function loadDistroIndex(o: DistroOptions & LoadOptions): LoadedIndex {
  if (o.noCache) return { index: indexFromDwarf(o), fromCache: false };
  return cachedIndex(() => distroCacheKey(o), o, () => indexFromDwarf(o));
}

function distroCacheKey(o: DistroOptions): string {
  const elf = ElfFile.open(o.vmlinux);
  let files: DistroFiles;
  const parts = [`format=${INDEX_FORMAT}`, 'dwarf'];
  try {
    parts.push(`buildid=${elf.buildId() ?? 'none'}`);
    files = findDistroFiles(elf, o);
  } finally {
    elf.close();
  }
  const stamp = (f: string | undefined, label: string): void => {
    if (!f) return;
    try {
      const st = statSync(f);
      parts.push(`${label}=${realpathSync(f)}:${st.size}:${st.mtimeMs}`);
    } catch {
      parts.push(`${label}=missing`);
    }
  };
  stamp(o.vmlinux, 'vmlinux');
  stamp(files.systemMap, 'sysmap');
  stamp(files.config, 'config');
  stamp(files.modulesBuiltin, 'builtin');
  parts.push(`source=${o.source ? path.resolve(o.source) : ''}`, `maps=${JSON.stringify(o.prefixMaps ?? [])}`);
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

export function indexFromDwarf(o: DistroOptions): BuildIndex {
  const elf = ElfFile.open(o.vmlinux);
  try {
    return indexWith(elf, o);
  } finally {
    elf.close();
  }
}

function indexWith(elf: ElfFile, o: DistroOptions): BuildIndex {
  const progress = o.onProgress ?? (() => {});
  const warnings: Warning[] = [];
  if (elf.header.type !== 2 && elf.header.type !== 3) throw new KbloatInputError('bad-elf', 'is not a linked kernel image (give the debug vmlinux, e.g. /usr/lib/debug/boot/vmlinux-<release>)', elf.path);
  if (elf.symbolTable().count === 0) throw new KbloatInputError('bad-elf', 'has no symbol table; give the debug vmlinux from the -dbg/-debuginfo package', elf.path);
  const files = findDistroFiles(elf, o);
  checkSystemMap(elf, files.systemMap, warnings);
  const config = readText(files.config);
  if (files.config && config === undefined) warnings.push({ file: files.config, message: 'cannot be read' });

  progress('reading DWARF');
  let dwarf: DwarfIndex | undefined;
  try {
    dwarf = DwarfIndex.read(elf, { prefixMaps: o.prefixMaps, sourceDir: o.source });
    if (!dwarf) warnings.push({ file: elf.path, message: "has no DWARF (.debug_info): files come from the symbol table's STT_FILE names only; use the vmlinux of the -dbg/-debuginfo package" });
  } catch (e) {
    if (!(e instanceof KbloatInputError) || e.code !== 'bad-dwarf') throw e;
    warnings.push(warningOf(e, 'attribution falls back to the symbol table (STT_FILE names)'));
  }

  progress('attributing sections');
  const att = attribute(elf, {
    buildDir: '',
    objects: () => new Map(),
    resolveOwner: (syms, i, group) => {
      if (!dwarf) return syms.bind(i) === 0 ? group?.fileSym : undefined;
      const value = syms.value(i);
      return syms.type(i) === STT_OBJECT ? dwarf.variableUnitAt(value) ?? dwarf.unitAt(value) : dwarf.unitAt(value) ?? dwarf.variableUnitAt(value);
    },
  });
  warnings.push(...att.warnings);

  const builtinModules = new Set(parseModulesBuiltin(readText(files.modulesBuiltin) ?? ''));
  const lines = new SourceLines(o.source);
  const syms = elf.symbolTable();
  const bySource = new Map<string, PlacedSymbol[]>();
  for (const p of att.symbols) {
    if (p.owner === undefined || p.size === 0) continue;
    let list = bySource.get(p.owner);
    if (!list) bySource.set(p.owner, (list = []));
    list.push(p);
  }
  const entries = new IndexAssembler();
  for (const [source, ob] of att.owners) {
    const placed = bySource.get(source) ?? [];
    const object = source.replace(/\.[^./]+$/, '') + '.o';
    const ko = object.replace(/\.o$/, '.ko');
    entries.builtIn(object, { path: source, ...(builtinModules.has(ko) ? { builtinModule: path.basename(ko) } : {}) }, {
      bytes: ob.bytes,
      sections: ob.bySection,
      symbols: placed.map((p) => ({ name: p.name, size: p.size, section: p.section.name, kind: p.kind, at: p.kind === 'function' ? syms.hexValue(p.index) : undefined })),
    });
  }
  if (dwarf) {
    // Declaration lines for each file's functions: the symbols are found by name within the file's own.
    for (const f of entries.builtInFiles()) {
      const decls = new Map<string, bigint>();
      for (const p of bySource.get(f.path) ?? []) if (p.kind === 'function') decls.set(p.name, syms.value(p.index));
      for (const fn of f.functions) annotate(fn, f.path, dwarf, decls, lines);
    }
  }
  if (o.source && files.config) addReasons(entries, path.resolve(o.source), files.config, warnings, progress);
  const dir = path.dirname(path.resolve(o.vmlinux));
  return entries.finish({
    build: {
      dir,
      sourceDir: o.source ? path.resolve(o.source) : dir,
      vmlinux: path.resolve(o.vmlinux),
      arch: elf.header.machine,
      elfClass: elf.header.elfClass,
      endian: elf.header.littleEndian ? 'little' : 'big',
      buildId: elf.buildId(),
      kernelVersion: files.release,
      attribution: dwarf ? 'dwarf' : 'symbols',
      estimated: false,
    },
    totals: computeTotals(att.sections),
    sections: att.sections,
    unattributed: att.unattributed,
    ...(dwarf ? { inlined: dwarf.inlinedFunctions() } : {}),
    warnings,
  });
}

/**
 * With the source tree and the config, Kbuild's Makefiles say why each file is
 * built in (and which files next to them are not), as for a build folder.
 */
function addReasons(entries: IndexAssembler, source: string, config: string, warnings: Warning[], progress: (m: string) => void): void {
  progress('reading Kbuild files');
  const layout: BuildLayout = { buildDir: source, sourceDir: source, sourceRoots: [source], config };
  try {
    const builtIn = entries.builtInFiles();
    const { facts, notBuilt } = startSourceFacts({ layout, objects: builtIn.map((f) => f.object) }).join();
    for (const f of builtIn) {
      const x = facts[f.object];
      if (x?.reason) f.reason = x.reason;
      if (x?.config) f.config = x.config;
    }
    const known = entries.paths();
    for (const nb of notBuilt) if (!known.has(nb.path)) entries.notBuilt(nb.object, nb);
  } catch (e) {
    if (!(e instanceof KbloatInputError)) throw e;
    warnings.push(warningOf(e, 'files are listed without the reason they are built'));
  }
}


/** A System.map that does not describe this vmlinux is worth a warning (it is not used for sizes). */
function checkSystemMap(elf: ElfFile, file: string | undefined, warnings: Warning[]): void {
  if (!file) return;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    warnings.push({ file, message: (e as Error).message });
    return;
  }
  try {
    // A sample is enough to tell another kernel's map (as the build index does).
    const lines = text.split('\n');
    const stride = Math.max(1, Math.floor(lines.length / 400));
    const sample = lines.filter((l, i) => i % stride === 0 && l.trim() !== '');
    const map = parseSystemMap(sample.length ? sample.join('\n') + '\n' : text, file);
    const addrs = new Map<string, bigint>();
    const t = elf.symbolTable();
    for (let i = 0; i < t.count; i++) if (t.bind(i) !== 0 && t.hasName(i)) addrs.set(t.name(i), t.value(i));
    const check = checkSystemMapMatches(map, addrs);
    if (!check.matches) warnings.push({ file, message: `does not match ${elf.path} (another kernel release?); it was ignored` });
  } catch (e) {
    if (!(e instanceof KbloatInputError)) throw e;
    warnings.push(warningOf(e));
  }
}
