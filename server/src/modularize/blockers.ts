/**
 * What stops code from leaving vmlinux for a module, found in the build itself:
 * - references: objects that stay built in and use a global symbol the code
 *   defines (their UNDEFINED symbols). Built-in code cannot call into a module,
 *   exported or not; the symbol's export status is given because it tells how
 *   the code is meant to be used.
 * - `select` by a symbol that is y: select forces the value to y.
 * - initcalls of the levels that run before modules can be loaded, and command
 *   line parameters (`__setup`, `early_param`), which a module silently ignores.
 * - bool code under the core folders the boot needs (init/, mm/, kernel/).
 *
 * Only symbol tables and section headers are read (no relocations), so that the
 * thousands of objects of a distro kernel cost well under a second.
 */
import * as path from 'node:path';
import type { FileEntry } from '../index/model';
import { KbloatInputError } from '../common/errors';
import { readText } from '../common/fsRead';
import type { BuildLayout } from '../kbuild/layout';
import { blankCommentsAndStrings } from '../c/blank';
import { ObjectLinkage, readObjectLinkage } from '../kbuild/objects';
import { Warning, warningOf } from '../common/warnings';

export type BlockerKind = 'reference' | 'selected-by-bool' | 'kconfig-keeps' | 'initcall' | 'param' | 'core-path';

export interface Blocker {
  kind: BlockerKind;
  /** Tree-relative source file where the problem is (the referring file, the Kconfig file of the select, ...). */
  file: string;
  /** 1-based line, when it could be found. */
  line?: number;
  /** One sentence for the user. */
  detail: string;
  /** For 'reference': the first symbol referred to (all of them in `symbols`). */
  symbol?: string;
  /** For 'reference': whether `symbol` is exported (EXPORT_SYMBOL*). */
  exported?: boolean;
  /** For 'reference': every symbol this file uses from the code, with its export status (at most MAX_SYMBOLS_LISTED). */
  symbols?: { name: string; exported: boolean }[];
  /** For 'reference': the object that refers. */
  object?: string;
  /** For 'selected-by-bool': the Kconfig symbol that selects ('CONFIG_Y'). */
  by?: string;
  /** For 'selected-by-bool': the selecting symbol's type; a tristate could itself become m. */
  byType?: string;
  /** For 'initcall' and 'param': the section that shows it. */
  section?: string;
}

/** Referring files listed per candidate; the rest are counted in one last blocker. */
const MAX_REFERENCE_BLOCKERS = 20;
const MAX_SYMBOLS_LISTED = 8;
/** Sources bigger than this are not searched for a line. */
const MAX_SOURCE_SEARCH = 4 << 20;
/** Sources kept blanked for the line search: enough for a distro tree's referring files (each kept as one string). */
const SOURCE_CACHE = 4096;

/** Initcall levels that run before any module can be loaded, by section, with the macros that put code there. */
const EARLY_INITCALLS: [RegExp, string, string[]][] = [
  [/^\.initcallearly\.init/, 'early', ['early_initcall']],
  [/^\.initcall0s?\.init/, 'pure', ['pure_initcall']],
  [/^\.initcall1s?\.init/, 'core', ['core_initcall', 'core_initcall_sync']],
  [/^\.initcall2s?\.init/, 'postcore', ['postcore_initcall', 'postcore_initcall_sync']],
  [/^\.initcall3s?\.init/, 'arch', ['arch_initcall', 'arch_initcall_sync']],
];
const SETUP_SECTION = /^\.init\.setup/;
const SETUP_MACROS = ['early_param', '__setup', '__setup_param'];

/**
 * Folders of the code the boot needs before modules can load: the generic core
 * and, with the same reasoning, each architecture's own kernel/ and mm/ (CPU
 * vendor support, for one, is found through linker-script tables, not calls).
 */
export const CORE_PATH = /^(init|mm|kernel)\/|^arch\/[^/]+\/(kernel|mm)\//;

interface Ref {
  from: string;
  symbol: string;
}

export class BlockerFinder {
  private linkage?: Map<string, ObjectLinkage>;
  /** Defining object of each global symbol (a strong definition wins over a weak one). */
  private owners = new Map<string, string>();
  /** For each object, the references other built-in objects make to its globals. */
  private refsInto = new Map<string, Ref[]>();
  private exported = new Set<string>();
  /** Comment-free lines of the sources searched lately. */
  private sources = new Map<string, CodeText | null>();
  private bootOnlyByObject = new Map<string, Blocker[]>();

  constructor(
    private readonly layout: BuildLayout,
    /** Built-in objects made from sources (generated ones are not code anyone writes). */
    private readonly builtIn: Map<string, FileEntry>,
    private readonly warnings: Warning[],
    private readonly progress: (m: string) => void,
  ) {}

  /** Reads every built-in object's symbol table once. */
  private load(): Map<string, ObjectLinkage> {
    if (this.linkage) return this.linkage;
    this.progress(`reading the symbol tables of ${this.builtIn.size} built-in objects`);
    const linkage = new Map<string, ObjectLinkage>();
    let failed = 0;
    for (const obj of this.builtIn.keys()) {
      try {
        linkage.set(obj, readObjectLinkage(path.join(this.layout.buildDir, obj)));
      } catch (e) {
        if (!(e instanceof KbloatInputError)) throw e;
        if (failed++ < 5) this.warnings.push(warningOf(e, 'its references are not checked'));
      }
    }
    if (failed > 5) this.warnings.push({ message: `${failed - 5} more objects could not be read` });
    const weakOwners = new Map<string, string>();
    for (const [obj, l] of linkage) {
      for (const s of l.defined) if (!this.owners.has(s)) this.owners.set(s, obj);
      for (const s of l.weak) if (!weakOwners.has(s)) weakOwners.set(s, obj);
      for (const s of l.exports) this.exported.add(s);
    }
    for (const [s, obj] of weakOwners) if (!this.owners.has(s)) this.owners.set(s, obj);
    for (const [obj, l] of linkage) {
      for (const s of l.undefined) {
        const owner = this.owners.get(s);
        if (owner === undefined || owner === obj) continue;
        let list = this.refsInto.get(owner);
        if (!list) this.refsInto.set(owner, (list = []));
        list.push({ from: obj, symbol: s });
      }
    }
    this.readSymvers();
    return (this.linkage = linkage);
  }

  /** Module.symvers lists vmlinux's exports too (older kernels keep no per-symbol sections). */
  private readSymvers(): void {
    const text = readText(path.join(this.layout.buildDir, 'Module.symvers'));
    if (text === undefined) return;
    for (const line of text.split('\n')) {
      const f = line.split('\t');
      if (f.length >= 3 && f[2] === 'vmlinux' && f[1]) this.exported.add(f[1]);
    }
  }

  isExported(symbol: string): boolean {
    this.load();
    return this.exported.has(symbol);
  }

  /** The object defining a global symbol, when it is built in. */
  ownerOf(symbol: string): string | undefined {
    this.load();
    return this.owners.get(symbol);
  }

  /**
   * References from objects outside `moving` (they stay built in) to globals
   * defined inside it: one blocker per referring object, the biggest users first.
   */
  references(moving: Set<string>): { blockers: Blocker[]; referringFiles: number } {
    this.load();
    const byFrom = new Map<string, Map<string, string>>();
    for (const obj of moving) {
      for (const r of this.refsInto.get(obj) ?? []) {
        if (moving.has(r.from)) continue;
        let syms = byFrom.get(r.from);
        if (!syms) byFrom.set(r.from, (syms = new Map()));
        syms.set(r.symbol, obj);
      }
    }
    const rows = [...byFrom].sort((a, b) => b[1].size - a[1].size || a[0].localeCompare(b[0]));
    const blockers: Blocker[] = [];
    for (const [from, syms] of rows.slice(0, MAX_REFERENCE_BLOCKERS)) {
      const file = this.sourceOf(from);
      const names = [...syms.keys()].sort((a, b) => Number(this.exported.has(a)) - Number(this.exported.has(b)) || a.localeCompare(b));
      const listed = names.slice(0, MAX_SYMBOLS_LISTED).map((name) => ({ name, exported: this.exported.has(name) }));
      const first = listed[0];
      const definedIn = [...new Set(names.map((n) => this.sourceOf(syms.get(n)!)))];
      const what = listed.map((s) => `${s.name} (${s.exported ? 'exported' : 'not exported'})`).join(', ') + (names.length > listed.length ? ` and ${names.length - listed.length} more` : '');
      blockers.push({
        kind: 'reference',
        file,
        ...this.lineOf(file, names.slice(0, MAX_SYMBOLS_LISTED).map(escapeRegExp)),
        detail: `${file} stays built in and uses ${what} from ${definedIn.slice(0, 3).join(', ')}${definedIn.length > 3 ? ' and others' : ''}; built-in code cannot call into a module`,
        symbol: first.name,
        exported: first.exported,
        symbols: listed,
        object: from,
      });
    }
    if (rows.length > MAX_REFERENCE_BLOCKERS) {
      const rest = rows.slice(MAX_REFERENCE_BLOCKERS);
      const file = this.sourceOf(rest[0][0]);
      blockers.push({
        kind: 'reference',
        file,
        detail: `and ${rest.length} more built-in files use its symbols (${rest.slice(0, 3).map(([o]) => this.sourceOf(o)).join(', ')}, ...)`,
        object: rest[0][0],
      });
    }
    return { blockers, referringFiles: rows.length };
  }

  /** Every object outside `moving` (it stays built in) that uses a global defined inside it: references() without its cap. */
  referrers(moving: Set<string>): Set<string> {
    this.load();
    const out = new Set<string>();
    for (const obj of moving) for (const r of this.refsInto.get(obj) ?? []) if (!moving.has(r.from)) out.add(r.from);
    return out;
  }

  /**
   * References between objects that would become different modules (`partOf`
   * names each object's module-to-be) to symbols that are not exported: one
   * module can use another's symbol only through EXPORT_SYMBOL, which the
   * build's code does not have for these.
   */
  unexportedAcross(objects: Iterable<string>, partOf: (obj: string) => string): { from: string; symbol: string; owner: string }[] {
    this.load();
    const out: { from: string; symbol: string; owner: string }[] = [];
    const set = new Set(objects);
    for (const owner of set) {
      for (const r of this.refsInto.get(owner) ?? []) {
        if (set.has(r.from) && partOf(r.from) !== partOf(owner) && !this.exported.has(r.symbol)) out.push({ from: r.from, symbol: r.symbol, owner });
      }
    }
    return out;
  }

  /** Initcalls that run before modules can load, and command-line parameters, in the moving objects. */
  bootOnly(moving: Iterable<string>): Blocker[] {
    const out: Blocker[] = [];
    for (const obj of moving) {
      let found = this.bootOnlyByObject.get(obj);
      if (!found) this.bootOnlyByObject.set(obj, (found = this.bootOnlyIn(obj)));
      out.push(...found);
    }
    return out;
  }

  private bootOnlyIn(obj: string): Blocker[] {
    const linkage = this.load();
    const out: Blocker[] = [];
    const sections = linkage.get(obj)?.sections ?? [];
    const file = this.sourceOf(obj);
    for (const [re, level, macros] of EARLY_INITCALLS) {
      const section = sections.find((s) => re.test(s));
      if (!section) continue;
      out.push({
        kind: 'initcall',
        file,
        ...this.lineOf(file, macros),
        section,
        detail: `${file} has a ${level} initcall (${section}), which runs before modules can be loaded; in a module it would run at module_init time, too late for what needs it`,
      });
    }
    const setup = sections.find((s) => SETUP_SECTION.test(s));
    if (setup) {
      out.push({
        kind: 'param',
        file,
        ...this.lineOf(file, SETUP_MACROS),
        section: setup,
        detail: `${file} takes a kernel command-line parameter (__setup/early_param, ${setup}); a module ignores these, so the parameter would stop working`,
      });
    }
    return out;
  }

  /** The tree-relative source of a built-in object (the object itself when unknown). */
  sourceOf(obj: string): string {
    return this.builtIn.get(obj)?.path ?? obj;
  }

  /**
   * The first line of `file` that names one of `words` outside comments and
   * preprocessor lines, preferring a use followed by `(` (a call or a macro)
   * over any mention: a cheap text search, not a C parser — the line to look
   * at, not proof of a call.
   */
  private lineOf(file: string, words: string[]): { line?: number } {
    if (!words.length) return {};
    const code = this.sourceCode(file);
    if (!code) return {};
    const name = `(?<![A-Za-z0-9_])(?:${words.join('|')})(?![A-Za-z0-9_])`;
    // The whole text at once (one regex scan), then the line of the first match.
    for (const re of [new RegExp(name + '\\s*\\(', 'g'), new RegExp(name, 'g')]) {
      const m = re.exec(code.text);
      if (m) return { line: code.lineAt(m.index) };
    }
    return {};
  }

  private sourceCode(file: string): CodeText | undefined {
    let code = this.sources.get(file);
    if (code === undefined) {
      if (this.sources.size >= SOURCE_CACHE) this.sources.delete(this.sources.keys().next().value!);
      const abs = path.isAbsolute(file) ? file : path.join(this.layout.sourceDir, file);
      const text = readText(abs);
      code = text === undefined || text.length > MAX_SOURCE_SEARCH ? null : new CodeText(blankCommentsAndStrings(text, { directiveLines: true }));
      this.sources.set(file, code);
    }
    return code ?? undefined;
  }
}

/** A source with comments, string literals and preprocessor directive lines blanked (offsets and line numbers kept). */
class CodeText {
  private starts?: number[];
  constructor(readonly text: string) {}

  /** The 1-based line of an offset. */
  lineAt(offset: number): number {
    if (!this.starts) {
      this.starts = [0];
      for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) this.starts.push(i + 1);
    }
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
