/**
 * The one place a `BuildIndex` is put together. Every producer (a build tree,
 * System.map alone, a distribution's debug vmlinux) finds bytes its own way and
 * then hands them here as files: built-in, in a module, or not built. The
 * assembler folds compiler clones into their functions, orders the files and
 * stamps the format, so that the three producers cannot drift apart in what an
 * index looks like.
 */
import * as path from 'node:path';
import { ClassBytes, addBytes } from '../binary/sections';
import { functionBaseName } from '../binary/symbolNames';
import type { ModuleInfo } from '../kbuild/buildObjects';
import type { BuildLayout } from '../kbuild/layout';
import { ObjectContents, splitModuleImage, tryReadObjectContents } from '../kbuild/objects';
import { KbloatInputError } from '../common/errors';
import { BuildIndex, BuildInfo, FileEntry, FunctionEntry, INDEX_FORMAT, InlinedEntry, SectionInfo, SymbolPart, Totals } from './model';
import { Warning, warningOf } from '../common/warnings';

/**
 * A sized symbol as a producer found it, before clones are folded. `at` says
 * where its bytes start, when the producer knows (an address, or section and
 * offset in an object): symbols at one place with one size are aliases.
 */
export type FoundSymbol = SymbolPart & { kind: 'function' | 'variable'; at?: string };

/** Where a file comes from and why it is (not) built: what a producer knows of it besides bytes. */
export type FileDescription = Pick<FileEntry, 'path' | 'reason' | 'config' | 'generated' | 'builtinModule'>;

/** An object's bytes: per section class and per section, and its sized symbols. */
export interface FileBytes {
  bytes: ClassBytes;
  sections: Record<string, number>;
  symbols: FoundSymbol[];
}

/** The whole-image facts that are not files. */
export interface ImageFacts {
  build: BuildInfo;
  totals: Totals;
  sections: SectionInfo[];
  unattributed: Record<string, number>;
  inlined?: InlinedEntry[];
  warnings: Warning[];
}

export class IndexAssembler {
  private readonly files: FileEntry[] = [];

  builtIn(object: string, description: FileDescription, found: FileBytes): void {
    this.files.push({ ...description, object, status: 'built-in', bytes: found.bytes, sections: found.sections, ...foldSymbols(found.symbols) });
  }

  module(object: string, moduleFile: string, description: FileDescription, found: FileBytes): void {
    this.files.push({ ...description, object, status: 'module', module: moduleFile, bytes: found.bytes, sections: found.sections, ...foldSymbols(found.symbols) });
  }

  notBuilt(object: string, description: FileDescription): void {
    this.files.push({ ...description, object, status: 'not-built', bytes: {}, sections: {}, functions: [], variables: [] });
  }

  /** The source paths of the files so far. */
  paths(): Set<string> {
    return new Set(this.files.map((f) => f.path));
  }

  /** The built-in files so far, for a producer that adds facts to them before finishing. */
  builtInFiles(): FileEntry[] {
    return this.files.filter((f) => f.status === 'built-in');
  }

  finish(image: ImageFacts): BuildIndex {
    const files = this.files.sort((a, b) => a.path.localeCompare(b.path) || a.object.localeCompare(b.object));
    return {
      format: INDEX_FORMAT,
      build: image.build,
      totals: image.totals,
      sections: image.sections,
      files,
      unattributed: image.unattributed,
      ...(image.inlined ? { inlined: image.inlined } : {}),
      warnings: image.warnings,
    };
  }
}

/** An object of a module, read from the build folder (undefined when it could not be read: a warning says why). */
export interface ModuleObject {
  object: string;
  /** `ext2.ko`. */
  moduleFile: string;
  contents?: ObjectContents;
}

/**
 * Reads every object of every module the build made (modules.order and the
 * `*.mod` files); an LTO module's objects are bitcode, so their bytes come
 * from the `.ko`.
 */
export function readModuleObjects(layout: BuildLayout, modules: ModuleInfo[], warnings: Warning[]): ModuleObject[] {
  return modules.flatMap((mod) => {
    const objects: ModuleObject[] = mod.objects.map((object) => ({ object, moduleFile: `${mod.name}.ko`, contents: tryReadObjectContents(path.join(layout.buildDir, object), warnings) }));
    const bitcode = objects.filter((o): o is ModuleObject & { contents: ObjectContents } => o.contents?.bitcode === true);
    if (bitcode.length === 0) return objects;
    try {
      const split = splitModuleImage(path.join(layout.buildDir, mod.ko), bitcode);
      for (const o of objects) o.contents = split.get(o.object) ?? o.contents;
    } catch (e) {
      if (!(e instanceof KbloatInputError)) throw e;
      warnings.push(warningOf(e, `the bytes of ${mod.name}.ko's objects are not known`));
    }
    return objects;
  });
}

/** An object's own contents as the bytes of a module file. */
export function objectBytes(c: ObjectContents): FileBytes {
  return { bytes: c.bytes, sections: c.bySection, symbols: c.symbols };
}

/** The image's totals from its allocated sections. */
export function computeTotals(sections: SectionInfo[]): Totals {
  const byClass: ClassBytes = {};
  let image = 0;
  for (const s of sections) {
    addBytes(byClass, s.cls, s.size);
    image += s.size;
  }
  const init = byClass.init ?? 0;
  return { image, resident: image - init, init, sections: byClass };
}

/** Folds compiler clones into their function; functions and variables are listed largest first. */
function foldSymbols(syms: FoundSymbol[]): { functions: FunctionEntry[]; variables: FunctionEntry[] } {
  const functions = new Map<string, FunctionEntry>();
  const variables: FunctionEntry[] = [];
  const places = new Set<string>();
  for (const s of syms) {
    if (s.kind === 'variable') {
      variables.push({ name: s.name, size: s.size, section: s.section });
      continue;
    }
    const base = functionBaseName(s.name);
    const f = functions.get(base);
    const place = s.at === undefined ? undefined : `${base}\0${s.at}\0${s.size}`;
    const alias = place !== undefined && places.has(place);
    if (place !== undefined) places.add(place);
    const part: SymbolPart = { name: s.name, size: s.size, section: s.section, ...(alias ? { alias: true as const } : {}) };
    if (!f) {
      functions.set(base, { name: base, size: s.size, section: s.section, parts: [part] });
    } else {
      f.parts!.push(part);
      if (!alias) f.size += s.size;
      // The function's section is where its main body is: the part named like the function.
      if (s.name === base) f.section = s.section;
    }
  }
  const fns = [...functions.values()];
  for (const f of fns) if (f.parts!.length === 1 && f.parts![0].name === f.name) delete f.parts;
  fns.sort((a, b) => b.size - a.size || a.name.localeCompare(b.name));
  variables.sort((a, b) => b.size - a.size || a.name.localeCompare(b.name));
  return { functions: fns, variables };
}
