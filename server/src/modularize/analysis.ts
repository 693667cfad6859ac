/**
 * "Modularize this": which Kconfig symbols put code into vmlinux that could be
 * a loadable module instead, how many resident bytes would leave the kernel
 * proper, and what blocks it (see blockers.ts).
 *
 * How objects are counted. An object belongs to every symbol on its Makefile
 * chain that is y (`obj-$(CONFIG_A) += a/` in the parent folder, then
 * `obj-$(CONFIG_B) += b.o`: b.o is under both A and B), except the conditions
 * of composite members (`psmouse-$(CONFIG_MOUSE_PS2_ALPS) += alps.o` adds a
 * part to psmouse.o; it is psmouse.o's own line that decides where it goes).
 * A candidate also takes along the objects of the symbols whose `depends on`
 * drops to m or n once it is m (CONFIG_HID=m makes CONFIG_HID_GENERIC at most
 * m): Kconfig moves them together. So a candidate's objects are exactly what
 * `make olddefconfig` after setting it to m would take out of vmlinux.
 *
 * Bytes: `resident` is the object's bytes in vmlinux (from the build index,
 * which reads the linker map: merged strings counted once, as linked), all
 * section classes except init; `init` is apart, since it is freed after boot
 * anyway. residentIfModularized takes the union of the objects of all
 * unblocked candidates out of today's resident size, so nested candidates
 * (CONFIG_INPUT and CONFIG_KEYBOARD_ATKBD) never count an object twice. It does
 * not add what modules cost elsewhere (the module loader, page rounding).
 *
 * Ranking: unblocked candidates first, then by resident bytes, largest first.
 */
import * as path from 'node:path';
import type { BuildIndex, FileEntry } from '../index/model';
import { configValue, KernelConfig, parseDotConfig } from '../kbuild/dotconfig';
import { KbloatInputError } from '../common/errors';
import { readText } from '../common/fsRead';
import { Warning, warningText } from '../common/warnings';
import { inferSrcArch, KbuildTree } from '../kbuild/makefiles';
import { ObjLine } from '../kbuild/objLines';
import { KconfigPos, KconfigTree, parseKconfigTree, symbolType } from '../kbuild/kconfig/parser';
import { evalKconfigExpr } from '../kbuild/kconfig/eval';
import { KconfigSolver } from '../kbuild/kconfig/solve';
import type { Prediction, SymbolChange, UndoneChange } from './prediction';
import { applyRemoval, Layout, readLayout, removalsOf } from './alignment';
import { BuildLayout, locateBuild, sourceRelative } from '../kbuild/layout';
import { Blocker, BlockerFinder, CORE_PATH } from './blockers';
import { residentBytes } from '../binary/sections';
import { isGeneratedObject } from '../kbuild/sourceFacts';

export type { Blocker, BlockerKind } from './blockers';

export interface Candidate {
  /** 'CONFIG_X'. */
  symbol: string;
  type: 'bool' | 'tristate';
  /** The value today ('y'). */
  value: string;
  /** Build-relative object paths that would leave vmlinux. */
  objects: string[];
  /** Tree-relative source paths of those objects. */
  files: string[];
  /** Resident bytes of those objects in vmlinux (everything but init). */
  resident: number;
  /** Init bytes of those objects (freed after boot already). */
  init: number;
  blockers: Blocker[];
  /** The `config X` line: the first definition with a prompt, else the first. */
  definition?: KconfigPos;
  /** Other symbols that Kconfig changes along with this one (their `depends on` drops), with their new values. */
  alsoChanges?: { symbol: string; value: 'm' | 'n' }[];
  /** How many built-in files use this code's symbols (the reference blockers are capped). */
  referringFiles?: number;
}

/**
 * Candidates blocked alone but not together: every blocker of each one is
 * lifted by another member (the built-in file that uses its code leaves with
 * that member; the symbol that selects it can itself become m).
 */
export interface CandidateGroup {
  /** 'CONFIG_X' of each member; the first is the blocked candidate the group was found from. */
  symbols: string[];
  /** Members that are bool: each needs its `bool` made `tristate` in Kconfig first. */
  bools: string[];
  /** Build-relative objects that leave vmlinux, all members together. */
  objects: string[];
  /** Their resident bytes (each object once). */
  resident: number;
  /** What each member lifts for another ("drivers/input/serio/i8042.c (CONFIG_SERIO_I8042) uses CONFIG_SERIO's code"). */
  because: string[];
}

/** The smallest kernel proper the analysis can reach, as `predict()` counts it. */
export interface ModularizeFloor {
  /** By `.config` changes alone: every tristate candidate that can go to m, alone or in a group. */
  config: number;
  configSymbols: string[];
  /** With bool→tristate edits on top (a Kconfig edit each): unblocked bool candidates and groups with bool members too. */
  withTristate: number;
  tristateEdits: string[];
}

/**
 * The headline of a report, the essay's number: the kernel proper today,
 * without every unblocked candidate, and the floor (see ModularizeFloor).
 * The status bar shows it (shared/protocol.ts has the same shape).
 */
export interface ModularizeHeadline {
  resident: number;
  residentIfModularized: number;
  unblocked: number;
  /** The smallest kernel proper reached: `.config` changes, groups, and bools made tristate. */
  floor?: number;
  /** The smallest by `.config` changes alone. */
  floorByConfig?: number;
  /** How many bools `floor` makes tristate. */
  tristateEdits?: number;
}

export interface ModularizeReport {
  /** The kernel proper today: vmlinux minus init. */
  resident: number;
  /** Resident size if every unblocked candidate were a module. */
  residentIfModularized: number;
  /** The floor: today's kernel proper with every move the analysis finds possible, as a rebuild would give it. */
  floor?: ModularizeFloor;
  /** Blocked candidates that can move together, largest first. */
  groups: CandidateGroup[];
  /** Unblocked first, then by resident bytes, largest first; `top` limits the list, not the figures. */
  candidates: Candidate[];
  /** All candidates (before `top`) and the unblocked ones. */
  candidateCount: number;
  unblockedCount: number;
  warnings: Warning[];
}

export interface FileModularization {
  file: string;
  object: string;
  /** The innermost Kconfig symbol on the object's Makefile chain that is y; undefined for a plain obj-y chain. */
  candidate?: Candidate;
  /** The Makefile line naming the object itself, with its ObjLine. */
  makefileLine?: { file: string; line: number; listVar: string; kind: ObjLine['kind']; objLine: ObjLine };
  /** The Kconfig file a new option for this folder goes into: the folder's own if the tree reads it, else the nearest ancestor's. */
  kconfigFile?: string;
  /** Why the file cannot be modularized at all. */
  unavailable?: string;
  /**
   * Problems the Kconfig parser found in the files an action would edit (the
   * candidate's definition and kconfigFile), as `file:line: message`: an edit
   * there is unsafe until they are fixed.
   */
  kconfigProblems?: Warning[];
  /**
   * For an object no option builds (plain obj-y): what would break if it alone
   * became a module behind a new option — references from the rest of the
   * built-in code, boot-only initcalls and parameters, a core path.
   */
  objectBlockers?: Blocker[];
}

/** Bytes of kallsyms' tables per name besides the name itself: its offset and its length byte. */
const KALLSYMS_FIXED = 5;

/** The names an object puts into kallsyms: its functions (and their clones' parts), and its variables with KALLSYMS_ALL. */
function* kallsymsNames(f: FileEntry, all: boolean): Iterable<string> {
  for (const fn of f.functions ?? []) {
    if (fn.parts) for (const p of fn.parts) yield p.name;
    else yield fn.name;
  }
  if (all) for (const v of f.variables ?? []) yield v.name;
}

/** What-ifs kept for groups and predictions (each a few hundred changed symbols at most). */
const MAX_WHATIFS = 2048;
/** A group has at most this many members: past that it is a plan, not a move. */
const MAX_GROUP = 6;
/** Candidates used by more built-in files than this are not tried as groups. */
const MAX_GROUP_REFERRERS = 10;

interface Chain {
  lines: ObjLine[];
  /** Symbols that are y on the chain, innermost first (composite member conditions left out). */
  symbols: string[];
}


export class ModularizeAnalysis {
  readonly warnings: Warning[] = [];
  private readonly builtIn = new Map<string, FileEntry>();
  private readonly bySource = new Map<string, FileEntry[]>();
  private readonly chains = new Map<string, Chain>();
  private readonly candidates = new Map<string, Candidate | null>();
  private kconfig?: KconfigTree | null;
  private kconfigProblem?: string;
  private kbuild?: KbuildTree;
  private allChains = false;
  /** Symbol -> objects with it on their chain. */
  private readonly objectsBySymbol = new Map<string, Set<string>>();
  private kconfigSolver?: KconfigSolver;
  private layoutCache?: Layout;
  private readonly whatIfs = new Map<string, ReturnType<KconfigSolver['whatIf']>>();
  private readonly blockers: BlockerFinder;

  private constructor(
    readonly index: BuildIndex,
    readonly layout: BuildLayout,
    readonly config: KernelConfig | undefined,
    /** Why nothing can be analysed (no .config), when that is so. */
    readonly problem: string | undefined,
    private readonly progress: (m: string) => void,
  ) {
    for (const f of index.files) {
      let list = this.bySource.get(f.path);
      if (!list) this.bySource.set(f.path, (list = []));
      list.push(f);
      if (f.status === 'built-in' && !f.generated && !isGeneratedObject(f.object)) this.builtIn.set(f.object, f);
    }
    this.blockers = new BlockerFinder(layout, this.builtIn, this.warnings, progress);
  }

  /**
   * Prepares the analysis of a build. Reads only the configuration here; the
   * Kconfig tree, the Makefile chains and the symbol tables are read when first
   * needed. Never throws for a missing .config or Kconfig tree: forFile() then
   * says why, and report() throws a KbloatInputError.
   */
  static load(index: BuildIndex, options: { onProgress?: (m: string) => void } = {}): ModularizeAnalysis {
    const layout = locateBuild(index.build.dir);
    let config: KernelConfig | undefined;
    let problem: string | undefined;
    const text = readText(layout.config);
    if (text === undefined) problem = `no .config in ${layout.buildDir}: modularize needs the configuration the kernel was built with`;
    else {
      try {
        config = parseDotConfig(text, layout.config);
      } catch (e) {
        if (!(e instanceof KbloatInputError)) throw e;
        problem = e.message;
      }
    }
    return new ModularizeAnalysis(index, layout, config, problem, options.onProgress ?? (() => {}));
  }

  /** The Kconfig tree of the build's sources, or undefined (with kconfigProblem set). */
  private tree(): KconfigTree | undefined {
    if (this.kconfig !== undefined) return this.kconfig ?? undefined;
    const srcArch = this.srcArch();
    if (!srcArch) {
      this.kconfigProblem = `cannot tell the architecture of ${this.layout.buildDir} (no CONFIG_<ARCH>=y and no "Linux/<arch>" header in .config), so the Kconfig tree cannot be read`;
      this.kconfig = null;
      return undefined;
    }
    this.progress('reading the Kconfig tree');
    try {
      const arch = this.configArch() ?? srcArch;
      this.kconfig = parseKconfigTree((rel) => readText(path.join(this.layout.sourceDir, rel)), { srcArch, arch });
    } catch (e) {
      if (!(e instanceof KbloatInputError)) throw e;
      this.kconfigProblem = `no Kconfig sources in ${this.layout.sourceDir} (${e.message}): modularize needs the kernel source tree the build was made from`;
      this.kconfig = null;
      return undefined;
    }
    if (this.kconfig.warnings.length) this.warnings.push({ message: `the Kconfig tree has ${this.kconfig.warnings.length} problems, e.g. ${warningText(this.kconfig.warnings[0])}` });
    return this.kconfig;
  }

  /** ARCH as the configuration's header names it (`# Linux/i386 6.1.0 Kernel Configuration`). */
  private configArch(): string | undefined {
    const text = readText(path.join(this.layout.buildDir, '.config'))?.slice(0, 4096);
    return text ? /^#\s*Linux\/(\S+)\s/m.exec(text)?.[1] : undefined;
  }

  private srcArch(): string | undefined {
    const fromConfig = this.config ? inferSrcArch(this.config) : undefined;
    if (fromConfig) return fromConfig;
    const arch = this.configArch();
    if (!arch) return undefined;
    // The ARCH values whose folder under arch/ has another name.
    const folder: Record<string, string> = { i386: 'x86', x86_64: 'x86', sparc32: 'sparc', sparc64: 'sparc', sh64: 'sh', parisc64: 'parisc', ppc: 'powerpc', ppc64: 'powerpc', ppc32: 'powerpc' };
    return folder[arch] ?? arch;
  }

  /** Why nothing can be said about modularization, or undefined when the analysis can run. */
  unavailableReason(): string | undefined {
    if (this.problem) return this.problem;
    this.tree();
    return this.kconfigProblem;
  }

  private kbuildTree(): KbuildTree {
    // The same lookups as the build index's reasons, so both name the same lines.
    this.kbuild ??= new KbuildTree((rel) => readText(path.join(this.layout.sourceDir, rel)), { treeWideLookup: false });
    return this.kbuild;
  }

  private chainOf(obj: string): Chain {
    let c = this.chains.get(obj);
    if (c) return c;
    let lines: ObjLine[] = [];
    try {
      lines = this.kbuildTree().explainObject(obj, this.config!).chain;
    } catch (e) {
      if (!(e instanceof KbloatInputError)) throw e;
      this.warnings.push({ file: obj, message: e.message });
    }
    const symbols: string[] = [];
    for (const l of lines) {
      // A composite member's condition only adds a part to its composite object.
      if (l.kind === 'composite' || !l.condition || symbols.includes(l.condition)) continue;
      if (configValue(this.config!, l.condition) === 'y') symbols.push(l.condition);
    }
    c = { lines, symbols };
    this.chains.set(obj, c);
    return c;
  }

  /** Every built-in object's chain, once: the candidates' object sets need all of them. */
  private loadChains(): void {
    if (this.allChains) return;
    this.progress(`reading the Makefile chains of ${this.builtIn.size} built-in objects`);
    for (const obj of this.builtIn.keys()) {
      for (const s of this.chainOf(obj).symbols) {
        let set = this.objectsBySymbol.get(s);
        if (!set) this.objectsBySymbol.set(s, (set = new Set()));
        set.add(obj);
      }
    }
    this.allChains = true;
  }

  /** Whether a symbol can be a candidate: known to Kconfig as bool or tristate, and y. */
  private candidateType(symbol: string): 'bool' | 'tristate' | undefined {
    const tree = this.tree();
    if (!tree || configValue(this.config!, symbol) !== 'y') return undefined;
    const t = symbolType(tree, symbol.replace(/^CONFIG_/, ''));
    return t === 'bool' || t === 'tristate' ? t : undefined;
  }

  /** The build's configuration as make olddefconfig evaluates it (kbuild/kconfig/solve.ts). */
  private solver(): KconfigSolver {
    this.kconfigSolver ??= new KconfigSolver(this.tree()!, this.config!);
    return this.kconfigSolver;
  }

  /**
   * What make olddefconfig changes along with `symbols` going to m: the
   * symbols whose `depends on` then allows only m or n (`depends on X=y` drops
   * to n), invisible symbols that only they selected, choices re-decided.
   * `undone` lists the asked-for symbols olddefconfig would not leave at m.
   */
  private propagateAll(symbols: string[], options: { undoneOf?: (symbol: string) => boolean } = {}): { changed: Map<string, 'm' | 'n' | 'y'>; undone: UndoneChange[] } {
    const solver = this.solver();
    const asked = new Map(symbols.map((s) => [s, 'm']));
    // Groups grown from different candidates meet at the same sets: each set is solved once.
    const key = [...asked.keys()].sort().join(' ');
    let result = this.whatIfs.get(key);
    if (!result) {
      result = solver.whatIf(asked);
      if (this.whatIfs.size >= MAX_WHATIFS) this.whatIfs.delete(this.whatIfs.keys().next().value!);
      this.whatIfs.set(key, result);
    }
    const changed = new Map<string, 'm' | 'n' | 'y'>();
    for (const [s, c] of result) if (!asked.has(s) && (c.to === 'm' || c.to === 'n' || c.to === 'y')) changed.set(s, c.to);
    const undone: UndoneChange[] = [];
    for (const s of symbols) {
      // A bool asked to be m is always undone (it needs its Kconfig type edited first); its reason is not worth the search.
      if (options.undoneOf && !options.undoneOf(s)) continue;
      const c = result.get(s);
      const to = c ? c.to : solver.baselineValue(s) === 'y' ? 'y' : undefined;
      if (to === 'm' || to === undefined) continue;
      const why = solver.explain(s, asked);
      let reason = `make olddefconfig gives it ${to}`;
      if (why) {
        const at = why.pos ? ` at ${why.pos.file}:${why.pos.line}` : '';
        if (why.source === 'select') reason = `${why.by} selects it${at}, which keeps it ${to}`;
        else if (why.visible === 0) {
          const prompts = why.prompts.map((p) => `${p.pos.file}:${p.pos.line} (needs ${p.condition})`).join(', ');
          reason = `no prompt of ${s} is visible${prompts ? ` — ${prompts}` : ''}, so its value comes from ${why.source === 'default' ? `the default${at}` : why.source}: ${to}`;
        } else if (why.source === 'imply') reason = `it is implied at y, which keeps it ${to}`;
      }
      undone.push({ symbol: s, value: to, why: reason });
    }
    return { changed, undone };
  }

  private propagate(symbol: string, type: 'bool' | 'tristate'): { changed: Map<string, 'm' | 'n' | 'y'>; undone: UndoneChange[] } {
    return this.propagateAll([symbol], { undoneOf: () => type === 'tristate' });
  }

  /** Every symbol that is y on some built-in object's Makefile chain: what candidate() can answer for. */
  candidateSymbols(): string[] {
    if (this.unavailableReason()) return [];
    this.loadChains();
    return [...this.objectsBySymbol.keys()];
  }

  /** Every symbol the Kconfig tree defines (without CONFIG_). */
  kconfigSymbolNames(): string[] {
    return [...(this.tree()?.symbols.keys() ?? [])];
  }

  /** The candidate for a symbol ('CONFIG_X'), with its blockers; undefined when it is not one. */
  candidate(symbol: string): Candidate | undefined {
    if (this.candidates.has(symbol)) return this.candidates.get(symbol) ?? undefined;
    let c: Candidate | undefined;
    const type = this.unavailableReason() ? undefined : this.candidateType(symbol);
    if (type) {
      this.loadChains();
      c = this.buildCandidate(symbol, type);
    }
    this.candidates.set(symbol, c ?? null);
    return c;
  }

  private buildCandidate(symbol: string, type: 'bool' | 'tristate'): Candidate | undefined {
    const tree = this.tree()!;
    // A bool cannot be m: olddefconfig has nothing to move until a Kconfig edit makes it tristate.
    const { changed: alsoChanges, undone } = type === 'tristate' ? this.propagate(symbol, type) : { changed: new Map<string, 'm' | 'n' | 'y'>(), undone: [] };
    const moving = new Set<string>(this.objectsBySymbol.get(symbol) ?? []);
    const dropped = new Set<string>();
    for (const [s, v] of alsoChanges) {
      if (v === 'y') continue;
      for (const o of this.objectsBySymbol.get(s) ?? []) {
        moving.add(o);
        if (v === 'n') dropped.add(o);
      }
    }
    if (moving.size === 0) return undefined;
    const objects = [...moving].sort();
    let resident = 0;
    let init = 0;
    for (const o of objects) {
      const f = this.builtIn.get(o)!;
      resident += residentBytes(f.bytes);
      init += f.bytes.init ?? 0;
    }
    const name = symbol.replace(/^CONFIG_/, '');
    const defs = tree.symbols.get(name) ?? [];
    const def = defs.find((d) => d.prompt !== undefined) ?? defs[0];
    const refs = this.blockers.references(moving);
    const blockers: Blocker[] = [
      ...this.selectBlockers(symbol, alsoChanges),
      ...(type === 'tristate' ? undone.filter((u) => !/ selects it/.test(u.why)).map((u) => this.keepsBlocker(u, def?.pos)) : []),
      ...refs.blockers,
      // Objects whose option drops to n are not built at all: their boot-time parameters go with them.
      ...this.blockers.bootOnly(objects.filter((o) => !dropped.has(o))),
      ...(type === 'bool' ? this.corePathBlockers(symbol, objects) : []),
    ];
    return {
      symbol,
      type,
      value: configValue(this.config!, symbol),
      objects,
      files: [...new Set(objects.map((o) => this.builtIn.get(o)!.path))],
      resident,
      init,
      blockers,
      ...(def ? { definition: def.pos } : {}),
      ...(alsoChanges.size ? { alsoChanges: [...alsoChanges].filter((e): e is [string, 'm' | 'n'] => e[1] !== 'y').map(([s, value]) => ({ symbol: s, value })) } : {}),
      referringFiles: refs.referringFiles,
    };
  }

  /**
   * `select` forces a symbol to the selector's value: a selector that is y and
   * stays y keeps the symbol (or a dependent that moves with it) built in.
   */
  private keepsBlocker(u: UndoneChange, pos: KconfigPos | undefined): Blocker {
    return { kind: 'kconfig-keeps', file: pos?.file ?? 'Kconfig', ...(pos ? { line: pos.line } : {}), detail: `${u.symbol}=m would not stay: ${u.why}` };
  }

  private selectBlockers(symbols: string | string[], alsoChanges: Map<string, 'm' | 'n' | 'y'>): Blocker[] {
    const tree = this.tree()!;
    const cfg = this.config!;
    const out: Blocker[] = [];
    const asked = typeof symbols === 'string' ? [symbols] : symbols;
    const symbol = asked.join(', ');
    const value = (n: string) => cfg.values.get('CONFIG_' + n)?.replace(/^"(.*)"$/, '$1');
    for (const target of [...asked, ...[...alsoChanges].filter(([, v]) => v === 'm').map(([s]) => s)]) {
      for (const sel of tree.selectedBy.get(target.replace(/^CONFIG_/, '')) ?? []) {
        const by = 'CONFIG_' + sel.by;
        if (asked.includes(by) || alsoChanges.has(by) || configValue(cfg, by) !== 'y') continue;
        if (sel.condition !== undefined && evalKconfigExpr(sel.condition, value) === 0) continue;
        const byType = symbolType(tree, sel.by) ?? 'unknown';
        const via = asked.includes(target) ? '' : ` (${target} depends on ${symbol}, so it would have to move too)`;
        const could = byType === 'tristate' ? `; ${by} could itself become m` : '';
        out.push({
          kind: 'selected-by-bool',
          file: sel.pos.file,
          line: sel.pos.line,
          by,
          byType,
          detail: `${by} (${byType}, =y) selects ${target.replace(/^CONFIG_/, '')}${sel.condition ? ` if ${sel.condition}` : ''} at ${sel.pos.file}:${sel.pos.line}, which forces it to y${via}${could}`,
        });
      }
    }
    return out;
  }

  private corePathBlockers(symbol: string, objects: string[]): Blocker[] {
    const core = objects.filter((o) => CORE_PATH.test(o));
    if (!core.length) return [];
    const file = this.builtIn.get(core[0])!.path;
    const dirs = [...new Set(core.map((o) => CORE_PATH.exec(o)![0]))];
    return [{
      kind: 'core-path',
      file,
      detail: `${symbol} is a bool whose code is in ${dirs.join(', ')} (${file}${core.length > 1 ? ` and ${core.length - 1} more` : ''}): core code the boot needs before modules can load`,
    }];
  }

  /** What can be done for one source file (tree-relative or absolute path); undefined when the build does not know the file. */
  forFile(sourcePath: string): FileModularization | undefined {
    const rel = path.isAbsolute(sourcePath) ? sourceRelative(this.layout, sourcePath) : sourcePath.replace(/^\.\//, '');
    const entries = this.bySource.get(rel);
    if (!entries?.length) return undefined;
    const f = entries.find((e) => e.status === 'built-in') ?? entries[0];
    const base = { file: f.path, object: f.object };
    if (f.status === 'module') return { ...base, unavailable: `already built as a module (${f.module ?? 'a .ko'})` };
    if (f.status === 'not-built') return { ...base, unavailable: `not built${f.reason ? ` (${f.reason})` : ''}` };
    if (f.generated || isGeneratedObject(f.object)) return { ...base, unavailable: 'generated by the kernel build' };
    const why = this.unavailableReason();
    if (why) return { ...base, unavailable: why };
    const chain = this.chainOf(f.object);
    const own = chain.lines[0];
    const symbol = chain.symbols.find((s) => this.candidateType(s));
    const candidate = symbol ? this.candidate(symbol) : undefined;
    const kconfigFile = this.kconfigFileFor(own?.dir ?? path.posix.dirname(f.object));
    const edited = new Set([candidate?.definition?.file, kconfigFile].filter((x): x is string => !!x));
    const kconfigProblems = (this.tree()?.warnings ?? []).filter((w) => w.file !== undefined && edited.has(w.file));
    const alone = !candidate && own?.listVar === 'obj-y' ? this.objectBlockers(f.object) : undefined;
    return {
      ...base,
      ...(kconfigProblems.length ? { kconfigProblems } : {}),
      ...(candidate ? { candidate } : {}),
      ...(alone ? { objectBlockers: alone } : {}),
      ...(own ? { makefileLine: { file: own.file, line: own.line, listVar: own.listVar, kind: own.kind, objLine: own } } : {}),
      ...(kconfigFile ? { kconfigFile } : {}),
    };
  }

  private readonly aloneBlockers = new Map<string, Blocker[]>();

  /** What blocks one object from becoming a module on its own (cached: lenses ask on every refresh). */
  private objectBlockers(obj: string): Blocker[] {
    let b = this.aloneBlockers.get(obj);
    if (b) return b;
    const file = this.builtIn.get(obj)?.path ?? obj;
    const core = CORE_PATH.exec(obj)?.[0];
    b = [
      ...this.blockers.references(new Set([obj])).blockers,
      ...this.blockers.bootOnly([obj]),
      ...(core ? [{ kind: 'core-path' as const, file, detail: `${file} is in ${core}: core code the boot needs before modules can load` }] : []),
    ];
    this.aloneBlockers.set(obj, b);
    return b;
  }

  /** The folder's own Kconfig when the tree reads it, else the nearest ancestor's. */
  private kconfigFileFor(dir: string): string | undefined {
    const files = new Set(this.tree()?.files ?? []);
    for (let d = dir === '.' ? '' : dir; ; d = d.includes('/') ? d.slice(0, d.lastIndexOf('/')) : '') {
      const k = d ? `${d}/Kconfig` : 'Kconfig';
      if (files.has(k)) return k;
      if (d === '') return undefined;
    }
  }

  /**
   * What setting `symbols` ('CONFIG_X') to m at once does, as make
   * olddefconfig and the rebuild give it: every symbol that changes with its
   * bytes, the ones olddefconfig puts back, the code and data that leave.
   * Throws KbloatInputError when the build cannot be analysed.
   */
  predict(symbols: string[], options: { reasons?: boolean } = {}): Prediction {
    const why = this.unavailableReason();
    if (why) throw new KbloatInputError('bad-config', why);
    this.loadChains();
    const requested = symbols.map((s) => (s.startsWith('CONFIG_') ? s : 'CONFIG_' + s));
    const { changed, undone } = this.propagateAll(requested);
    const undoneSet = new Set(undone.map((u) => u.symbol));
    const solver = this.solver();
    const taken = new Set<string>();
    const bytesOf = (s: string): number => {
      let n = 0;
      for (const o of this.objectsBySymbol.get(s) ?? []) {
        if (taken.has(o)) continue;
        taken.add(o);
        n += residentBytes(this.builtIn.get(o)!.bytes);
      }
      return n;
    };
    const changes: SymbolChange[] = [];
    for (const s of requested) {
      if (undoneSet.has(s)) continue;
      changes.push({ symbol: s, from: configValue(this.config!, s), to: 'm', bytes: bytesOf(s) });
    }
    for (const [s, to] of changed) {
      const from = solver.baselineValue(s) ?? configValue(this.config!, s);
      // Why each one moves costs a solve of its own: only when someone reads it.
      const e = options.reasons === false ? undefined : solver.explain(s, new Map(requested.filter((r) => !undoneSet.has(r)).map((r) => [r, 'm'])));
      const why = e?.source === 'select' ? `selected by ${e.by}` : to === 'n' ? 'its dependencies no longer allow it' : to === 'm' ? 'its dependencies or selectors now give m' : 'a default or choice now gives y';
      changes.push({ symbol: s, from, to, bytes: to === 'y' ? 0 : bytesOf(s), why });
    }
    const code = changes.reduce((t, c) => t + c.bytes, 0);
    const residentBefore = this.index.totals.resident;
    const notes = ['code and data: the resident bytes of the objects whose Makefile chain names a symbol that leaves y'];
    const kallsyms = this.kallsymsCost();
    let tables = 0;
    if (kallsyms) {
      let names = 0;
      let bytes = 0;
      for (const o of taken) {
        const f = this.builtIn.get(o)!;
        for (const n of kallsymsNames(f, kallsyms.all)) {
          names++;
          bytes += kallsyms.perName + n.length * kallsyms.perChar;
        }
      }
      tables = Math.round(bytes);
      notes.push(`kallsyms: ${KALLSYMS_FIXED} B per name and ${kallsyms.perChar.toFixed(2)} B per character of it (this build's ${kallsyms.bytes} B table over ${kallsyms.names} names), ${names} names leave`);
    }
    if (changes.some((c) => c.to === 'y')) notes.push(`${changes.filter((c) => c.to === 'y').map((c) => c.symbol).join(', ')} would become y: code not built today, not counted`);
    const aligned = this.aligned([...taken].map((o) => this.builtIn.get(o)!), kallsyms ? { bytes: tables, of: kallsyms.bytes } : undefined);
    notes.push(...aligned.notes);
    const lost = aligned.lost ?? code + tables;
    return { requested, changes, undone, residentBefore, code, tables, residentAfter: residentBefore - lost, ...(aligned.toNextBoundary !== undefined ? { toNextBoundary: aligned.toNextBoundary } : {}), notes };
  }

  /**
   * What the kernel proper loses when `files` leave and the kallsyms table
   * shrinks by `kallsyms.bytes` (of its `kallsyms.of`), once the linker script
   * has laid out what is left (alignment.ts); undefined `lost` when the layout
   * cannot be read (no vmlinux, a System.map-only build).
   */
  private aligned(files: FileEntry[], kallsyms: { bytes: number; of: number } | undefined): { lost?: number; toNextBoundary?: number; notes: string[] } {
    const vmlinux = this.index.build.vmlinux;
    if (!vmlinux) return { notes: ['alignment not modelled: the build has no vmlinux'] };
    try {
      this.layoutCache ??= readLayout(vmlinux);
      const removals = removalsOf(vmlinux, files);
      const table = kallsyms && kallsyms.bytes > 0 ? this.index.files.find((f) => f.generated && /kallsyms/.test(f.object)) : undefined;
      if (table && kallsyms) {
        // The table shrinks in each of its sections in proportion, where its symbols are.
        const share = kallsyms.bytes / kallsyms.of;
        const sections = Object.fromEntries(Object.entries(table.sections).map(([name, n]) => [name, Math.round(n * share)]));
        removals.push(...removalsOf(vmlinux, [{ ...table, sections }]));
      }
      const effect = applyRemoval(this.layoutCache, removals);
      const lost = effect.residentBefore - effect.residentAfter;
      const notes = [...effect.notes];
      if (effect.paddingGrowth > 0) notes.unshift(`alignment: ${effect.paddingGrowth} B of the ${effect.codeLeaving} B that leave go to the linker script's padding`);
      else if (effect.paddingGrowth < 0) notes.unshift(`alignment: the ${effect.codeLeaving} B that leave cross a boundary of the linker script, and its padding shrinks by ${-effect.paddingGrowth} B more`);
      return { lost, ...(effect.toNextBoundary !== undefined ? { toNextBoundary: effect.toNextBoundary } : {}), notes };
    } catch (e) {
      // The saving without alignment is still worth giving: say why it is all there is.
      return { notes: [`alignment not modelled: ${e instanceof Error ? e.message : String(e)}`] };
    }
  }

  /**
   * What one name costs in the kallsyms tables, measured on this build: the
   * bytes of the generated kallsyms object over the names it lists (functions,
   * and variables with CONFIG_KALLSYMS_ALL). Undefined without kallsyms.
   */
  private kallsymsCost(): { perName: number; perChar: number; bytes: number; names: number; all: boolean } | undefined {
    if (configValue(this.config!, 'CONFIG_KALLSYMS') !== 'y') return undefined;
    const table = this.index.files.find((f) => f.generated && /kallsyms/.test(f.object));
    if (!table) return undefined;
    const bytes = residentBytes(table.bytes);
    const all = configValue(this.config!, 'CONFIG_KALLSYMS_ALL') === 'y';
    let names = 0;
    let chars = 0;
    for (const f of this.index.files) {
      if (f.status !== 'built-in' || f.generated) continue;
      for (const n of kallsymsNames(f, all)) {
        names++;
        chars += n.length;
      }
    }
    if (bytes <= 0 || names === 0 || chars === 0) return undefined;
    // scripts/kallsyms: per name an offset and a length byte (and, since 6.2, a 3-byte sorted
    // index), then the name compressed by a token table: what is left, per character.
    const perChar = Math.max(0, bytes - KALLSYMS_FIXED * names) / chars;
    return { perName: KALLSYMS_FIXED, perChar, bytes, names, all };
  }

  /**
   * The groups among blocked candidates (see CandidateGroup), each member set
   * once, largest first. Only candidates whose every blocker is a reference
   * from a file another candidate takes out, or a select by a tristate
   * candidate, are tried.
   */
  private groups(all: Candidate[]): CandidateGroup[] {
    const ownerOf = new Map<string, Candidate>();
    // The smallest candidate that takes an object out is the move that costs least.
    for (const c of [...all].sort((a, b) => a.objects.length - b.objects.length || Number(a.type === 'bool') - Number(b.type === 'bool'))) {
      for (const o of c.objects) if (!ownerOf.has(o)) ownerOf.set(o, c);
    }
    const found = new Map<string, CandidateGroup>();
    for (const c of all) {
      if (c.blockers.length === 0) continue;
      const liftable = c.blockers.every((b) =>
        (b.kind === 'reference' && b.object !== undefined && ownerOf.has(b.object) && (c.referringFiles ?? 0) <= MAX_GROUP_REFERRERS) ||
        (b.kind === 'selected-by-bool' && b.byType === 'tristate' && b.by !== undefined && this.candidate(b.by) !== undefined));
      if (!liftable) continue;
      const g = this.groupFrom(c, ownerOf);
      if (!g) continue;
      // Not a group when one member that can move alone already takes everything out (SERIAL_8250 takes SERIAL_CORE).
      if (g.symbols.some((s) => { const m = this.candidate(s); return m && m.blockers.length === 0 && g.objects.every((o) => m.objects.includes(o)); })) continue;
      // Of groups that take out the same objects, the one with fewest members.
      const key = g.objects.join(' ');
      const same = found.get(key);
      if (!same || g.symbols.length < same.symbols.length) found.set(key, g);
    }
    return [...found.values()].sort((a, b) => b.resident - a.resident || a.symbols.join().localeCompare(b.symbols.join()));
  }

  /** Grows a group from a blocked candidate until nothing blocks it, or gives up (a blocker no candidate lifts, too many members). */
  private groupFrom(start: Candidate, ownerOf: Map<string, Candidate>): CandidateGroup | undefined {
    const members = new Map<string, Candidate>([[start.symbol, start]]);
    const because: string[] = [];
    for (let round = 0; round < MAX_GROUP; round++) {
      const symbols = [...members.keys()];
      const { changed, undone } = this.propagateAll(symbols, { undoneOf: (x) => members.get(x)?.type === 'tristate' });
      if (undone.some((u) => !/ selects it/.test(u.why))) return undefined;
      const partOf = new Map<string, string>();
      const dropped = new Set<string>();
      for (const s of symbols) for (const o of this.objectsBySymbol.get(s) ?? []) if (!partOf.has(o)) partOf.set(o, s);
      for (const [s, v] of changed) {
        if (v === 'y') continue;
        for (const o of this.objectsBySymbol.get(s) ?? []) {
          if (!partOf.has(o)) partOf.set(o, s);
          if (v === 'n') dropped.add(o);
        }
      }
      const moving = new Set(partOf.keys());
      const hard = [
        ...this.blockers.bootOnly([...moving].filter((o) => !dropped.has(o))),
        ...[...members.values()].filter((m) => m.type === 'bool').flatMap((m) => this.corePathBlockers(m.symbol, m.objects)),
      ];
      if (hard.length) return undefined;
      const add = new Map<string, Candidate>();
      for (const b of this.selectBlockers(symbols, changed)) {
        const by = b.by ? this.candidate(b.by) : undefined;
        if (!by || by.type !== 'tristate') return undefined;
        add.set(by.symbol, by);
        because.push(`${by.symbol} selects ${b.detail.split(' selects ')[1]?.split(' ')[0] ?? 'it'} (${b.file}:${b.line}): it goes to m with it`);
      }
      for (const from of this.blockers.referrers(moving)) {
        const owner = ownerOf.get(from);
        if (!owner) return undefined;
        if (!members.has(owner.symbol)) because.push(`${this.builtIn.get(from)?.path ?? from} (${owner.symbol}) uses code that leaves: it leaves too`);
        add.set(owner.symbol, owner);
      }
      for (const k of members.keys()) add.delete(k);
      if (add.size === 0) {
        if (members.size < 2) return undefined;
        // Two modules can share only exported symbols.
        if (this.blockers.unexportedAcross(moving, (o) => partOf.get(o)!).length) return undefined;
        let resident = 0;
        for (const o of moving) resident += residentBytes(this.builtIn.get(o)!.bytes);
        const list = [...members.values()];
        return { symbols: symbols, bools: list.filter((m) => m.type === 'bool').map((m) => m.symbol), objects: [...moving].sort(), resident, because: [...new Set(because)] };
      }
      if (members.size + add.size > MAX_GROUP) return undefined;
      for (const [k, v] of add) members.set(k, v);
    }
    return undefined;
  }

  /**
   * The floor: every tristate that can go to m, alone or in a group, as
   * predict() counts it (olddefconfig's changes, kallsyms); then the bool
   * candidates and groups that need a bool made tristate, their objects'
   * bytes and kallsyms names on top.
   */
  private floor(all: Candidate[], groups: CandidateGroup[]): ModularizeFloor {
    const configOnly = new Set<string>();
    const withEdits = new Set<string>();
    for (const c of all) if (c.blockers.length === 0) (c.type === 'tristate' ? configOnly : withEdits).add(c.symbol);
    for (const g of groups) for (const s of g.symbols) (g.bools.length === 0 ? configOnly : withEdits).add(s);
    for (const s of configOnly) withEdits.delete(s);
    const p = this.predict([...configOnly], { reasons: false });
    const leaving = new Set<string>();
    for (const c of p.changes) if (c.to !== 'y') for (const o of this.objectsBySymbol.get(c.symbol) ?? []) leaving.add(o);
    let extra = 0;
    for (const s of withEdits) {
      for (const o of this.candidate(s)?.objects ?? []) {
        if (leaving.has(o)) continue;
        leaving.add(o);
        extra += residentBytes(this.builtIn.get(o)!.bytes) + this.kallsymsBytes(this.builtIn.get(o)!);
      }
    }
    const bools = [...withEdits].filter((s) => this.candidate(s)?.type === 'bool').sort();
    return { config: p.residentAfter, configSymbols: [...configOnly].sort(), withTristate: p.residentAfter - extra, tristateEdits: bools };
  }

  /** What one object's names cost in the kallsyms tables (0 without kallsyms). */
  private kallsymsBytes(f: FileEntry): number {
    const k = this.kallsymsCost();
    if (!k) return 0;
    let n = 0;
    for (const name of kallsymsNames(f, k.all)) n += k.perName + name.length * k.perChar;
    return Math.round(n);
  }

  /** Every candidate, ranked, with the headline figures. Throws KbloatInputError when the build cannot be analysed. */
  report(options: { top?: number } = {}): ModularizeReport {
    const why = this.unavailableReason();
    if (why) throw new KbloatInputError('bad-config', why);
    this.loadChains();
    const found: Candidate[] = [];
    for (const s of [...this.objectsBySymbol.keys()].sort()) {
      const c = this.candidate(s);
      if (c) found.push(c);
      else if (!this.tree()!.symbols.has(s.replace(/^CONFIG_/, ''))) this.warnings.push({ message: `${s} is on a Makefile line but no Kconfig file defines it` });
    }
    // A bool menu switch (CONFIG_INPUT_MOUSE) whose objects all belong to tristate
    // candidates (CONFIG_MOUSE_PS2) is not a candidate of its own: those are.
    const inTristate = new Set(found.filter((c) => c.type === 'tristate').flatMap((c) => c.objects));
    const all = found.filter((c) => c.type === 'tristate' || !c.objects.every((o) => inTristate.has(o)));
    all.sort((a, b) => Number(a.blockers.length > 0) - Number(b.blockers.length > 0) || b.resident - a.resident || a.symbol.localeCompare(b.symbol));
    const leaving = new Set<string>();
    for (const c of all) if (c.blockers.length === 0) for (const o of c.objects) leaving.add(o);
    let saved = 0;
    for (const o of leaving) saved += residentBytes(this.builtIn.get(o)!.bytes);
    if (configValue(this.config!, 'CONFIG_MODULES') !== 'y') this.warnings.push({ message: 'CONFIG_MODULES is not set: no candidate can be a module until it is (it adds the module loader)' });
    const resident = this.index.totals.resident;
    const groups = this.groups(all);
    return {
      resident,
      residentIfModularized: resident - saved,
      ...(configValue(this.config!, 'CONFIG_MODULES') === 'y' ? { floor: this.floor(all, groups) } : {}),
      groups,
      candidates: options.top === undefined ? all : all.slice(0, options.top),
      candidateCount: all.length,
      unblockedCount: all.filter((c) => c.blockers.length === 0).length,
      warnings: [...this.warnings],
    };
  }
}
