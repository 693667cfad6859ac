/**
 * Derived lookups over one build index, built once when the index is loaded:
 * files by source path, function ranks, out-of-line copies of inline functions
 * and DWARF's inlined copies. What the editor says with them is in
 * render/lensText.ts.
 */
import type { BuildIndex, FileEntry, FunctionEntry, InlinedEntry } from './model';
import type { KernelConfig } from '../kbuild/dotconfig';
import { classifySection, SectionClass } from '../binary/sections';
/** A function definition as the parser saw it (the subset the lens needs). */
export interface SourceFunction {
  name: string;
  /** Zero-based line of the function's name. */
  line: number;
  isInline: boolean;
  isStatic: boolean;
  annotations: string[];
}

/** Derived lookups over one index, built once when the index is loaded. */
export class IndexLookups {
  private readonly byPath = new Map<string, FileEntry[]>();
  /** Sizes of every function linked into vmlinux, largest first (for ranks). */
  private readonly builtInSizes: Float64Array;
  /**
   * Function name → the built-in files that have a local copy of it (static
   * inline emitted out of line); made when first asked, since few lenses need it
   * and an index is replaced by a fuller one (with DWARF) moments after the first.
   */
  private copies?: Map<string, { file: FileEntry; fn: FunctionEntry }[]>;
  private readonly sectionClass = new Map<string, SectionClass>();
  /** From DWARF: inlined copies by declaring file and function name. */
  private readonly inlined = new Map<string, InlinedEntry>();

  constructor(
    readonly index: BuildIndex,
    /** The build's configuration, when it could be read. */
    readonly config?: KernelConfig,
  ) {
    for (const f of index.files) {
      const list = this.byPath.get(f.path);
      if (list) list.push(f);
      else this.byPath.set(f.path, [f]);
    }
    const sizes: number[] = [];
    for (const f of index.files) {
      if (f.status !== 'built-in') continue;
      for (const fn of f.functions) sizes.push(fn.size);
    }
    // A typed array sorts numbers natively; reversed, largest first.
    this.builtInSizes = Float64Array.from(sizes).sort().reverse();
    for (const s of index.sections) this.sectionClass.set(s.name, s.cls);
    for (const i of index.inlined ?? []) {
      const key = `${i.file}\0${i.name}`;
      const seen = this.inlined.get(key);
      // The same name declared twice in one file (under #ifdef): the copies add up.
      if (seen) this.inlined.set(key, { ...seen, callers: seen.callers + i.callers, copies: seen.copies + i.copies, bytes: seen.bytes + i.bytes });
      else this.inlined.set(key, i);
    }
  }

  /** DWARF's inlined functions declared in a file (empty without DWARF). */
  inlinedIn(sourcePath: string): InlinedEntry[] {
    if (!this.inlinedByFile) {
      this.inlinedByFile = new Map();
      for (const i of this.inlined.values()) {
        const list = this.inlinedByFile.get(i.file);
        if (list) list.push(i);
        else this.inlinedByFile.set(i.file, [i]);
      }
    }
    return this.inlinedByFile.get(sourcePath) ?? [];
  }
  private inlinedByFile?: Map<string, InlinedEntry[]>;

  /** What the inlined copies of a function cost, when the index has DWARF. */
  inlinedCopies(sourcePath: string, name: string): InlinedEntry | undefined {
    return this.inlined.get(`${sourcePath}\0${name}`);
  }

  /** The entry that best describes a source path: built in over module over not built. */
  file(sourcePath: string): FileEntry | undefined {
    const list = this.byPath.get(sourcePath);
    if (!list) return undefined;
    const rank = { 'built-in': 0, module: 1, 'not-built': 2 } as const;
    return [...list].sort((a, b) => rank[a.status] - rank[b.status])[0];
  }

  classOf(file: FileEntry, section: string): SectionClass {
    if (file.status === 'built-in') {
      const c = this.sectionClass.get(section);
      if (c) return c;
    }
    return classifySection({ name: section, executable: /^\.(text|init\.text|exit\.text)/.test(section), writable: false, nobits: /^\.bss/.test(section), inInitRegion: false });
  }

  /** 1-based rank of a function of this size among vmlinux's functions. */
  rank(size: number): { rank: number; of: number } {
    let lo = 0;
    let hi = this.builtInSizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.builtInSizes[mid] > size) lo = mid + 1;
      else hi = mid;
    }
    return { rank: lo + 1, of: this.builtInSizes.length };
  }

  outOfLineCopies(name: string): { file: FileEntry; fn: FunctionEntry }[] {
    if (!this.copies) {
      this.copies = new Map();
      for (const f of this.index.files) {
        if (f.status !== 'built-in') continue;
        for (const fn of f.functions) {
          let c = this.copies.get(fn.name);
          if (!c) this.copies.set(fn.name, (c = []));
          c.push({ file: f, fn });
        }
      }
    }
    return this.copies.get(name) ?? [];
  }
}
