/**
 * A model of which objects each directory of a kernel tree builds, and why,
 * read from its Kbuild Makefiles (`Kbuild` wins over `Makefile` in a folder, as
 * in scripts/Makefile.build).
 *
 * The Makefiles are evaluated by a small GNU make interpreter (the second half of
 * this file): assignments of every flavour, conditionals, `include`, `define`,
 * `$(eval)`, `$(call)` and the text functions. What cannot be known without running
 * the build (`$(shell)`, `$(wildcard)`, compiler probes, `$(call)` of helpers
 * defined outside the tree's Makefiles) evaluates to "unknown", and every object
 * line that depends on it says so instead of guessing.
 *
 * Descent: the top-level `Makefile` (with the arch Makefile it includes) names the
 * first folders through `init-y`, `core-y`, `drivers-y`, `net-y`, `libs-y`,
 * `virt-y` (and `head-y` objects) in kernels before 6.1, the top `Kbuild` through
 * `obj-y` from 6.1 on; each folder names its subfolders with `obj-y += dir/` or
 * `subdir-y`.
 */
import * as path from 'node:path';
import { configValue, KernelConfig, unquoteConfigString } from './dotconfig';
import { KbloatInputError } from './errors';

export type LineValue = 'y' | 'm' | 'n' | 'unknown';

export interface Guard {
  /** The directive as written, e.g. 'ifeq ($(CONFIG_X86_32),y)'. */
  text: string;
  /** True for the `else` branch of that directive. */
  negated: boolean;
  line: number;
  state: 'on' | 'off' | 'unknown';
}

export interface ObjLine {
  dir: string;
  file: string;
  line: number;
  kind: 'obj' | 'lib' | 'composite' | 'subdir';
  /** The list variable as written, e.g. 'obj-$(CONFIG_SERIAL_8250)' or '8250-y'. */
  listVar: string;
  /** The list variable after expansion, e.g. 'obj-y', 'obj-', '8250-y'; null when it could not be evaluated. */
  list: string | null;
  /** The Kconfig symbol in the list variable ('CONFIG_SERIAL_8250'), null for `obj-y` and friends. */
  condition: string | null;
  /** Every Kconfig symbol the line depends on: its list variable, its value's functions, its enclosing conditionals. */
  configRefs: string[];
  /** 'kernel/fork.o', 'drivers/tty/serial/8250/8250.o', or a folder 'kernel/sched/'. */
  target: string;
  /** For members of a composite object: the composite, e.g. 'drivers/tty/serial/8250/8250.o'. */
  composite?: string;
  guards: Guard[];
  /** What the line contributes under the configuration it was evaluated with. */
  value: LineValue;
  /** Why the value is what it is, when that is not plain from the list variable. */
  note?: string;
}

export interface UnknownForm {
  file: string;
  line: number;
  text: string;
  reason: string;
}

export interface KbuildDir {
  dir: string;
  /** The files read: the kbuild file first, then what it included. */
  files: string[];
  lines: ObjLine[];
  unknowns: UnknownForm[];
  /** False when no configuration was given: lines depending on Kconfig then have the value 'unknown'. */
  withConfig: boolean;
}

export interface Reason {
  status: 'built-in' | 'module' | 'not-built' | 'unknown';
  /** From the object's own line up through its composite parent and the directory descents. */
  chain: ObjLine[];
  configSymbols: { name: string; value: string }[];
  /** e.g. 'obj-y in kernel/Makefile' or 'CONFIG_SERIAL_8250=y in drivers/tty/serial/8250/Makefile'. */
  text: string;
}

export interface ParseOptions {
  config?: KernelConfig;
  /** Variables exported by the top-level Makefile (SRCARCH, BITS, ...). */
  env?: Map<string, string>;
  /** Variables given on make's command line; assignments in the Makefiles do not change them. */
  overrides?: Map<string, string>;
  /** Reads a tree-relative file for `include`; without it includes are noted as unknown. */
  readFile?: (relPath: string) => string | undefined;
  /** Classify the top-level lists (core-y, libs-y, ...) instead of obj-y: for the top Makefile and the arch Makefile. */
  topLevel?: boolean;
  /**
   * Whether make sees string options without their quotes, as it does from Linux 5.16 on
   * (auto.conf stopped quoting them). Default true.
   */
  unquoteStrings?: boolean;
}

const MAX_MAKEFILE = 8 << 20;
const MAX_DESCENT = 64;
const MAX_INDEX_DIRS = 20000;
const ROOT_LISTS = new Set(['init', 'core', 'drivers', 'net', 'libs', 'virt', 'head']);

/** Parse one Kbuild Makefile of folder `dir` ('' for the root) into its object lines. */
export function parseKbuildMakefile(text: string, dir: string, file: string, options: ParseOptions = {}): KbuildDir {
  const ev = newEvaluator(dir, options);
  ev.run(file, checkText(text, file));
  return finish(ev, dir, options.topLevel ?? false);
}

function checkText(text: string, file: string): string {
  if (text.length > MAX_MAKEFILE) throw new KbloatInputError('bad-makefile', `is too large (${text.length} bytes) for a Makefile`, file);
  if (text.includes('\0')) throw new KbloatInputError('bad-makefile', 'is not a text file (it contains NUL bytes)', file);
  return text;
}

function newEvaluator(dir: string, o: ParseOptions): MakeEvaluator {
  const overrides = new Map(o.overrides ?? []);
  if (!overrides.has('obj')) overrides.set('obj', dir === '' ? '.' : dir);
  if (!overrides.has('src')) overrides.set('src', dir === '' ? '.' : dir);
  for (const v of ['srctree', 'objtree']) if (!overrides.has(v)) overrides.set(v, '.');
  const readFile = o.readFile ? (p: string) => (p.length ? o.readFile!(p) : undefined) : undefined;
  return new MakeEvaluator({ config: o.config, env: o.env ?? new Map(), overrides, readFile, topLevel: o.topLevel ?? false, checkText, unquoteStrings: o.unquoteStrings ?? true });
}

/** Turn the evaluator's recorded assignments into object lines with their values. */
function finish(ev: MakeEvaluator, dir: string, topLevel: boolean): KbuildDir {
  const recs = ev.finalize();
  const lines: ObjLine[] = [];
  // A name is a composite when `name.o` appears in an object list and `name-y`/`-objs`/`-m`/`-<config>` is assigned.
  const objWords = new Set<string>();
  for (const r of recs) if (r.cls.kind === 'obj' || r.cls.kind === 'lib') for (const w of [...r.words, ...r.dropped]) if (w.endsWith('.o')) objWords.add(w.slice(0, -2));
  const finals = new Map<string, { words: Set<string>; tainted: boolean }>();
  const finalOf = (name: string) => {
    let f = finals.get(name);
    if (!f) {
      const v = ev.finalValue(name);
      const words = splitWords(v).filter((w) => !w.includes(UNK));
      f = { words: new Set(topLevel ? words.map(folderWord) : words), tainted: v.includes(UNK) };
      finals.set(name, f);
    }
    return f;
  };
  const rel = (w: string) => (topLevel ? normalize(w) : normalize(dir === '' ? w : `${dir}/${w}`));

  // `obj-y := $(filter-out x.o,$(obj-y))` names again what earlier lines named: keep the first line of each word
  // (among lines that are evaluated; a line in a branch not taken never hides one that is).
  const named = new Set<string>();
  for (const r of recs) {
    const c = r.cls;
    if (c.kind === 'comp' && !objWords.has(c.name)) continue;
    const listName = `${c.name}-${c.suffix}`;
    const selfRef = c.suffix !== null && (r.rhsRaw.includes(`$(${listName})`) || r.rhsRaw.includes(`\${${listName}}`));
    // A plain reassignment (`:=`, `=`) that repeats words is the same rewriting in another spelling.
    const dedupe = r.state === 'on' && (selfRef || (r.op !== '+=' && r.op !== '?='));
    const emit = (word: string, dropped: boolean) => {
      let kind: ObjLine['kind'];
      let target: string;
      if (c.kind === 'comp') kind = 'composite';
      else if (c.kind === 'subdir' || word.endsWith('/')) kind = 'subdir';
      else if (c.kind === 'lib' || (c.kind === 'root' && c.name === 'libs')) kind = 'lib';
      else kind = 'obj';
      if (kind === 'subdir') target = rel(word.replace(/\/+$/, '')) + '/';
      else target = rel(word);
      const value = dropped ? (r.actualUnknown ? 'unknown' : 'n') : valueOf(r, word, finalOf);
      const line: ObjLine = {
        dir,
        file: r.file,
        line: r.line,
        kind,
        listVar: r.lhsRaw,
        list: c.suffix === null ? null : `${c.name}-${c.suffix}`,
        condition: firstConfig(r.lhsRaw),
        configRefs: r.configRefs,
        target,
        guards: r.guards,
        value,
      };
      if (c.kind === 'comp') line.composite = rel(c.name + '.o');
      if (dropped && value === 'n') line.note = `left out by a $(if/filter) on ${r.configRefs.join(', ') || 'a condition'} in its value`;
      else if (dropped) line.note = `named only by a $(if/filter) on ${r.configRefs.join(', ') || 'a condition'} in its value`;
      else if (value === 'n' && r.state === 'on' && (c.suffix === 'y' || c.suffix === 'm' || c.suffix === 'objs'))
        line.note = `removed from ${c.name}-${c.suffix} further down the Makefile`;
      lines.push(line);
    };
    for (const w0 of r.words) {
      const w = topLevel ? folderWord(w0) : w0;
      if (w.includes(UNK) || (dedupe && named.has(`${listName}\0${w}`))) continue;
      if (r.state === 'on') named.add(`${listName}\0${w}`);
      emit(w, false);
    }
    for (const w of r.dropped) emit(w, true);
    if (r.words.some((w) => w.includes(UNK))) ev.noteUnknown(r.file, r.line, `${r.lhsRaw} ${r.op} ${r.rhsRaw}`, 'part of the value could not be evaluated');
  }
  return { dir, files: ev.filesRead, lines, unknowns: ev.unknowns, withConfig: ev.hasConfig };
}

/**
 * Before 6.1 the top Makefile rewrites its lists in place
 * (`core-y := $(patsubst %/, %/built-in.a, $(core-y))`; built-in.o before 4.13, lib.a for libs-y):
 * those name the same folders.
 */
function folderWord(w: string): string {
  return w.replace(/\/(built-in\.[ao]|lib\.a)$/, '/');
}

function valueOf(r: Rec, word: string, finalOf: (n: string) => { words: Set<string>; tainted: boolean }): LineValue {
  if (r.state === 'off') return 'n';
  if (r.state === 'unknown' || r.cls.suffix === null) return 'unknown';
  const s = r.cls.suffix;
  const accepted = s === 'y' || s === 'm' || (r.cls.kind === 'comp' && s === 'objs');
  if (!accepted) return 'n';
  const f = finalOf(`${r.cls.name}-${s}`);
  if (!f.words.has(word)) return f.tainted ? 'unknown' : 'n';
  // lib-m objects go into lib.a like lib-y ones; root lists and subdir-m name folders to enter.
  if (s === 'm' && r.cls.kind !== 'lib') return 'm';
  return 'y';
}

function firstConfig(s: string): string | null {
  const m = /CONFIG_[A-Za-z0-9_]+/.exec(s);
  return m ? m[0] : null;
}

/** Tree-relative, '/'-separated, without './'. */
function normalize(p: string): string {
  const n = path.posix.normalize(p);
  return n === '.' ? '' : n.replace(/^\.\//, '');
}

/** Which arch folder a configuration is for; the Kconfig symbol each arch selects for itself. */
const ARCH_SYMBOLS: [string, string][] = [
  ['CONFIG_UML', 'um'], ['CONFIG_X86', 'x86'], ['CONFIG_ARM64', 'arm64'], ['CONFIG_ARM', 'arm'], ['CONFIG_RISCV', 'riscv'],
  ['CONFIG_PPC', 'powerpc'], ['CONFIG_S390', 's390'], ['CONFIG_MIPS', 'mips'], ['CONFIG_LOONGARCH', 'loongarch'],
  ['CONFIG_SPARC', 'sparc'], ['CONFIG_PARISC', 'parisc'], ['CONFIG_M68K', 'm68k'], ['CONFIG_SUPERH', 'sh'],
  ['CONFIG_ALPHA', 'alpha'], ['CONFIG_ARC', 'arc'], ['CONFIG_CSKY', 'csky'], ['CONFIG_HEXAGON', 'hexagon'],
  ['CONFIG_MICROBLAZE', 'microblaze'], ['CONFIG_NIOS2', 'nios2'], ['CONFIG_OPENRISC', 'openrisc'],
  ['CONFIG_XTENSA', 'xtensa'], ['CONFIG_IA64', 'ia64'], ['CONFIG_NDS32', 'nds32'],
  ['CONFIG_H8300', 'h8300'], ['CONFIG_C6X', 'c6x'],
];

export function inferSrcArch(config: KernelConfig): string | undefined {
  for (const [sym, arch] of ARCH_SYMBOLS) if (config.values.get(sym) === 'y') return arch;
  return undefined;
}

export interface KbuildTreeOptions {
  /** The arch folder under arch/ (x86, arm64, ...); inferred from the configuration when absent. */
  srcArch?: string;
  /** make's ARCH=; defaults to srcArch. */
  arch?: string;
  /**
   * When an object or folder is not named by its own or an ancestor folder's
   * Makefile, parse every Makefile reachable from the root to find who names it
   * (`foo-y += ../bar/baz.o`). Exact but costs hundreds of milliseconds on a full
   * tree; the build index turns it off because those forms are rare. Default: on.
   */
  treeWideLookup?: boolean;
}

interface Resolution {
  status: Reason['status'];
  chain: ObjLine[];
  note?: string;
  /** Set when a loop of folders cut the walk short. */
  cut?: boolean;
}

interface Ctx {
  config?: KernelConfig;
  env?: Map<string, string>;
  dirs: Map<string, KbuildDir | null>;
  descents: Map<string, Resolution>;
  index?: Map<string, ObjLine[]>;
}

const RANK: Record<Reason['status'], number> = { 'built-in': 3, module: 2, unknown: 1, 'not-built': 0 };

export class KbuildTree {
  private readonly files = new Map<string, string | undefined>();
  private readonly byConfig = new WeakMap<KernelConfig, Ctx>();
  private readonly noConfig: Ctx = { dirs: new Map(), descents: new Map() };

  constructor(
    private readonly readFileRaw: (relPath: string) => string | undefined,
    private readonly options: KbuildTreeOptions = {},
  ) {}

  private read(rel: string): string | undefined {
    const key = normalize(rel);
    if (key === '' || key.startsWith('../') || path.posix.isAbsolute(key)) return undefined;
    if (!this.files.has(key)) {
      let text: string | undefined;
      try {
        text = this.readFileRaw(key);
      } catch {
        text = undefined;
      }
      this.files.set(key, text);
    }
    return this.files.get(key);
  }

  /** auto.conf writes strings unquoted from Linux 5.16 on; the top Makefile says which version the tree is. */
  private unquoteStrings(): boolean {
    const top = this.read('Makefile') ?? '';
    const v = /^VERSION\s*=\s*(\d+)/m.exec(top);
    const p = /^PATCHLEVEL\s*=\s*(\d+)/m.exec(top);
    if (!v || !p) return true;
    return Number(v[1]) > 5 || (Number(v[1]) === 5 && Number(p[1]) >= 16);
  }

  private ctx(config?: KernelConfig): Ctx {
    if (!config) return this.noConfig;
    let c = this.byConfig.get(config);
    if (!c) this.byConfig.set(config, (c = { config, dirs: new Map(), descents: new Map() }));
    return c;
  }

  private overrides(ctx: Ctx): Map<string, string> {
    const o = new Map<string, string>();
    const srcArch = this.options.srcArch ?? (ctx.config ? inferSrcArch(ctx.config) : undefined);
    if (srcArch) {
      o.set('SRCARCH', srcArch);
      o.set('ARCH', this.options.arch ?? srcArch);
    }
    return o;
  }

  /** The root: the top Makefile's lists (and the arch Makefile it includes), then the top Kbuild's obj-y. */
  private evalRoot(ctx: Ctx): KbuildDir {
    // The environment of a normal `make` run from the top: the sub-make is already done, no goals given.
    const env = new Map([['sub_make_done', '1'], ['MAKE_VERSION', '4.3'], ['CURDIR', '.'], ['abs_srctree', '.'], ['abs_objtree', '.'], ['MAKE', 'make'], ['MAKEFILE_LIST', 'Makefile']]);
    const overrides = this.overrides(ctx);
    const opts: ParseOptions = { config: ctx.config, env, overrides, readFile: (p) => this.read(p), topLevel: true, unquoteStrings: this.unquoteStrings() };
    const ev = newEvaluator('', opts);
    const unknowns: UnknownForm[] = [];
    const top = this.read('Makefile');
    try {
      if (top !== undefined) ev.run('Makefile', checkText(top, 'Makefile'));
      const arch = overrides.get('SRCARCH');
      const archMk = arch ? `arch/${arch}/Makefile` : undefined;
      const archText = archMk ? this.read(archMk) : undefined;
      if (archMk && archText !== undefined && !ev.filesRead.includes(archMk)) ev.run(archMk, checkText(archText, archMk));
    } catch (e) {
      if (!(e instanceof KbloatInputError)) throw e;
      unknowns.push({ file: e.file ?? 'Makefile', line: 0, text: '', reason: e.message });
    }
    const topDir = finish(ev, '', true);
    ctx.env = ev.exportedValues(env);
    // ARCH_CORE, ARCH_LIB and ARCH_DRIVERS (6.1+) only repeat the arch Makefile's lists, already recorded above.
    const kbOverrides = new Map(overrides);
    for (const v of ['ARCH_CORE', 'ARCH_LIB', 'ARCH_DRIVERS']) kbOverrides.set(v, '');
    const kb = this.read('Kbuild');
    let kbDir: KbuildDir | undefined;
    if (kb !== undefined) {
      try {
        kbDir = parseKbuildMakefile(kb, '', 'Kbuild', { config: ctx.config, env: ctx.env, overrides: kbOverrides, readFile: (p) => this.read(p), unquoteStrings: this.unquoteStrings() });
      } catch (e) {
        if (!(e instanceof KbloatInputError)) throw e;
        unknowns.push({ file: 'Kbuild', line: 0, text: '', reason: e.message });
      }
    }
    return {
      dir: '',
      files: [...(kbDir?.files ?? []), ...topDir.files],
      lines: [...(kbDir?.lines ?? []), ...topDir.lines],
      unknowns: [...unknowns, ...(kbDir?.unknowns ?? []), ...topDir.unknowns],
      withConfig: !!ctx.config,
    };
  }

  /** The parsed Kbuild file of a folder ('' for the root), evaluated with `config` when given. Lazy and cached. */
  dir(relDir: string, config?: KernelConfig): KbuildDir | undefined {
    const ctx = this.ctx(config);
    const rel = normalize(relDir.replace(/\/+$/, ''));
    const cached = ctx.dirs.get(rel);
    if (cached !== undefined) return cached ?? undefined;
    let result: KbuildDir | null = null;
    if (rel === '') {
      result = this.evalRoot(ctx);
    } else {
      if (!ctx.env) this.dir('', config);
      const file = this.read(`${rel}/Kbuild`) !== undefined ? `${rel}/Kbuild` : `${rel}/Makefile`;
      const text = this.read(file);
      if (text !== undefined) {
        try {
          result = parseKbuildMakefile(text, rel, file, { config, env: ctx.env, overrides: this.overrides(ctx), readFile: (p) => this.read(p), unquoteStrings: this.unquoteStrings() });
        } catch (e) {
          if (!(e instanceof KbloatInputError)) throw e;
          result = { dir: rel, files: [file], lines: [], unknowns: [{ file, line: 0, text: '', reason: e.message }], withConfig: !!config };
        }
      }
    }
    ctx.dirs.set(rel, result);
    return result ?? undefined;
  }

  /** Every object line of a folder, whatever its value: a caller finds the unbuilt sources among them. */
  objectsNamed(relDir: string, config?: KernelConfig): ObjLine[] {
    return this.dir(relDir, config)?.lines ?? [];
  }

  /** Why `objRelPath` (e.g. 'kernel/fork.o') is built in, a module, or not built under `config`. */
  explainObject(objRelPath: string, config: KernelConfig): Reason {
    const ctx = this.ctx(config);
    const obj = normalize(objRelPath);
    const found: ObjLine[] = [];
    for (const a of ancestors(path.posix.dirname(obj) === '.' ? '' : path.posix.dirname(obj), true)) {
      for (const l of this.dir(a, config)?.lines ?? []) if (l.kind !== 'subdir' && l.target === obj) found.push(l);
    }
    // Composite members may sit in a sibling folder (`foo-y += ../bar/baz.o`): look them up tree-wide.
    if (found.length === 0 && this.options.treeWideLookup !== false) found.push(...(this.index(ctx).get(obj) ?? []).filter((l) => l.kind !== 'subdir'));
    if (found.length === 0) return { status: 'unknown', chain: [], configSymbols: [], text: `no Kbuild Makefile names ${obj}` };
    const res = best(found.map((l) => this.resolveLine(ctx, l, 0, new Set())));
    return { status: res.status, chain: res.chain, configSymbols: symbolsOf(res.chain, config), text: describe(res, config) };
  }

  private resolveLine(ctx: Ctx, line: ObjLine, depth: number, visiting: Set<string>): Resolution {
    let up: Resolution;
    if (depth > MAX_DESCENT) up = { status: 'unknown', chain: [], note: 'the chain of folders is too deep' };
    else if (line.kind === 'composite') {
      const parents = (this.dir(line.dir, ctx.config)?.lines ?? []).filter((l) => (l.kind === 'obj' || l.kind === 'lib') && l.target === line.composite);
      up = parents.length
        ? best(parents.map((p) => this.resolveLine(ctx, p, depth + 1, visiting)))
        : { status: 'unknown', chain: [], note: `no object list names the composite ${line.composite}` };
    } else {
      up = this.descend(ctx, line.dir, depth + 1, visiting);
    }
    return combine(line, up);
  }

  /** How the build gets into folder `dir`: the best chain of `obj-y += dir/`-style lines up to the root. */
  private descend(ctx: Ctx, dir: string, depth: number, visiting: Set<string>): Resolution {
    if (dir === '') return { status: 'built-in', chain: [] };
    const memo = ctx.descents.get(dir);
    if (memo) return memo;
    if (visiting.has(dir) || depth > MAX_DESCENT) return { status: 'unknown', chain: [], note: `the folders that lead to ${dir}/ form a loop`, cut: true };
    visiting.add(dir);
    const cands: Resolution[] = [];
    for (const a of ancestors(dir, false)) {
      for (const l of this.dir(a, ctx.config)?.lines ?? []) if (l.kind === 'subdir' && l.target === dir + '/') cands.push(this.resolveLine(ctx, l, depth + 1, visiting));
    }
    // Rarely a folder is entered from a sibling (`obj-y += ../foo/`): look tree-wide, where loops are possible.
    if (!cands.length && this.options.treeWideLookup !== false) for (const l of this.index(ctx).get(dir + '/') ?? []) cands.push(this.resolveLine(ctx, l, depth + 1, visiting));
    visiting.delete(dir);
    const res = cands.length ? best(cands) : { status: 'unknown' as const, chain: [], note: `no Makefile descends into ${dir}/` };
    // A result cut short by a loop depends on where the walk started: not cached.
    if (!res.cut) ctx.descents.set(dir, res);
    return res;
  }

  /** target -> lines (objects and folders), over every folder reachable from the root whatever the values (bounded). */
  private index(ctx: Ctx): Map<string, ObjLine[]> {
    if (ctx.index) return ctx.index;
    const idx = new Map<string, ObjLine[]>();
    ctx.index = idx; // visible at once, so a descent asked for while indexing sees a partial index instead of recursing
    const seen = new Set<string>(['']);
    const queue = [''];
    for (let i = 0; i < queue.length && seen.size < MAX_INDEX_DIRS; i++) {
      for (const l of this.dir(queue[i], ctx.config)?.lines ?? []) {
        let list = idx.get(l.target);
        if (!list) idx.set(l.target, (list = []));
        list.push(l);
        const sub = l.target.replace(/\/$/, '');
        if (l.kind === 'subdir' && !seen.has(sub)) seen.add(sub), queue.push(sub);
      }
    }
    return idx;
  }
}

/** `a/b/c` -> ['a/b/c', 'a/b', 'a', ''] (self first when includeSelf), else ['a/b', 'a', '']. */
function ancestors(dir: string, includeSelf: boolean): string[] {
  const out: string[] = [];
  let d = dir;
  if (includeSelf) out.push(d);
  while (d !== '') {
    const i = d.lastIndexOf('/');
    d = i < 0 ? '' : d.slice(0, i);
    out.push(d);
  }
  return out;
}

function statusOf(line: ObjLine): Reason['status'] {
  // subdir-y enters a folder without linking what it builds there into vmlinux.
  if (line.kind === 'subdir' && line.list?.startsWith('subdir-') && line.value !== 'n') return 'unknown';
  return line.value === 'y' ? 'built-in' : line.value === 'm' ? 'module' : line.value === 'n' ? 'not-built' : 'unknown';
}

function combine(line: ObjLine, up: Resolution): Resolution {
  const chain = [line, ...up.chain];
  const own = statusOf(line);
  // `foo-m` members are linked only when foo.o itself is a module (multi-obj-m in scripts/Makefile.lib).
  if (line.kind === 'composite' && line.value === 'm' && up.status === 'built-in') return { status: 'not-built', chain, note: 'm-member' };
  const all = [own, up.status];
  const status = all.includes('not-built') ? 'not-built' : all.includes('unknown') ? 'unknown' : all.includes('module') ? 'module' : 'built-in';
  return { status, chain, note: up.note, cut: up.cut };
}

function best(rs: Resolution[]): Resolution {
  let b = rs[0];
  for (const r of rs) if (RANK[r.status] > RANK[b.status]) b = r;
  return rs.some((r) => r.cut) ? { ...b, cut: true } : b;
}

function symbolsOf(chain: ObjLine[], cfg: KernelConfig): Reason['configSymbols'] {
  const out: Reason['configSymbols'] = [];
  const seen = new Set<string>();
  for (const l of chain) for (const s of l.configRefs) if (!seen.has(s)) seen.add(s), out.push({ name: s, value: configValue(cfg, s) });
  return out;
}

function describe(res: Resolution, cfg: KernelConfig): string {
  const chain = res.chain;
  const at = (l: ObjLine) => `${l.file}:${l.line}`;
  const cfgGuard = (l: ObjLine) => l.guards.find((g) => g.state === 'on' && /CONFIG_/.test(g.text));
  const named = (l: ObjLine) => {
    if (l.condition) return `${l.condition}=${configValue(cfg, l.condition)} in ${l.file}`;
    const g = cfgGuard(l);
    const under = g ? ` under ${g.negated ? `the else branch of ${g.text}` : g.text}` : '';
    return `${l.list ?? l.listVar}${under} in ${l.file}`;
  };
  switch (res.status) {
    case 'built-in': {
      // The first option on the way up decides; an `ifeq ($(CONFIG_...))` around a plain obj-y counts too.
      const l = chain.find((x) => x.condition) ?? chain.find((x) => cfgGuard(x)) ?? chain[0];
      return named(l);
    }
    case 'module': {
      // The option that made it a module, when there is one (a `foo-m` member line names none).
      const l = chain.find((x) => x.value === 'm' && x.condition) ?? chain.find((x) => x.value === 'm') ?? chain[0];
      return named(l);
    }
    case 'not-built': {
      if (res.note === 'm-member') {
        const l = chain[0];
        return `${l.list ?? l.listVar} in ${l.file}: members of ${l.list ?? l.listVar} are linked only when ${path.posix.basename(l.composite ?? '')} is a module`;
      }
      const l = chain.find((x) => x.value === 'n') ?? chain[0];
      const g = l.guards.find((x) => x.state === 'off');
      if (g) return `${g.negated ? `the else branch of ${g.text}` : g.text} is not taken at ${l.file}:${g.line}`;
      if (l.note) return `${l.listVar} at ${at(l)}: ${l.note}`;
      if (l.condition) {
        const v = configValue(cfg, l.condition);
        return v === 'n' ? `${l.condition} is not set (${l.listVar} in ${l.file})` : `${l.condition}=${v} in ${l.file}`;
      }
      return `${l.list ?? l.listVar} in ${l.file} does not build it`;
    }
    default: {
      const l = chain.find((x) => statusOf(x) === 'unknown');
      if (!l) return res.note ?? 'unknown';
      const g = l.guards.find((x) => x.state === 'unknown');
      if (g) return `cannot evaluate ${g.text} at ${l.file}:${g.line}`;
      if (l.kind === 'subdir' && l.list?.startsWith('subdir-')) return `${l.target} is entered through ${l.list} at ${at(l)}, which does not link its objects`;
      return `cannot evaluate ${l.listVar} at ${at(l)}`;
    }
  }
}

// ---------------------------------------------------------------------------
// A small GNU make evaluator, just enough for Kbuild Makefiles.
// ---------------------------------------------------------------------------

/** Marks text that could not be evaluated; a word containing it is unknown, a condition containing it is undecidable. */
const UNK = '\u0000';

const MAX_LINE = 1 << 20; // one logical line
const MAX_TEXT = 4 << 20; // one expansion or variable value
const MAX_EXPAND_DEPTH = 100;
const MAX_CALL_DEPTH = 50;
const MAX_FOREACH = 20000;
const MAX_EVALS = 2000;
const MAX_EVAL_DEPTH = 10;
const MAX_INCLUDES = 64;
const MAX_INCLUDE_DEPTH = 8;
const MAX_RECS = 100000;
const MAX_UNKNOWNS = 200;
/** Variable references and function calls one evaluation may make (a folder of the 6.1 tree needs a few hundred). */
const MAX_STEPS = 2_000_000;

type GuardState = Guard['state'];

interface MakeVar {
  flavor: 'recursive' | 'simple';
  value: string;
  origin: 'file' | 'environment';
}

interface Frame {
  text: string;
  line: number;
  state: GuardState;
  /** Whether an earlier branch of this conditional was taken. */
  taken: 'yes' | 'no' | 'maybe';
  negated: boolean;
  /** Every condition of the conditional so far: an `else ifdef B` branch also depends on the `ifeq A` before it. */
  history: string;
}

interface LhsClass {
  kind: 'obj' | 'lib' | 'subdir' | 'root' | 'comp';
  /** 'obj', 'lib', 'subdir', 'core', ..., or the composite's name ('8250', 'sub/foo'). */
  name: string;
  /** What follows the last '-' after expansion ('y', 'm', '', 'objs'); null when unknown. */
  suffix: string | null;
}

/** One recorded assignment to an object list. */
interface Rec {
  file: string;
  line: number;
  lhsRaw: string;
  op: string;
  rhsRaw: string;
  cls: LhsClass;
  state: GuardState;
  guards: Guard[];
  configRefs: string[];
  words: string[];
  /** Words a `$(if $(CONFIG_X),...)`-style value would have had with every option on. */
  dropped: string[];
  actualUnknown: boolean;
  /** Recursive (`=`, `+=`) values are expanded when the file has been read, as make does when it uses them. */
  deferred: boolean;
}

interface EvalInit {
  config?: KernelConfig;
  env: Map<string, string>;
  overrides: Map<string, string>;
  readFile?: (p: string) => string | undefined;
  topLevel: boolean;
  checkText: (text: string, file: string) => string;
  unquoteStrings: boolean;
}

/** Function name -> how many arguments it splits into (the last one keeps further commas). */
const FUNCTIONS: Record<string, number> = {
  subst: 3, patsubst: 3, strip: 1, findstring: 2, filter: 2, 'filter-out': 2, sort: 1, word: 2, wordlist: 3,
  words: 1, firstword: 1, lastword: 1, dir: 1, notdir: 1, suffix: 1, basename: 1, addsuffix: 2, addprefix: 2,
  join: 2, wildcard: 1, realpath: 1, abspath: 1, if: 3, or: 1e9, and: 1e9, intcmp: 5, foreach: 3, let: 3,
  file: 2, call: 1e9, value: 1, eval: 1, origin: 1, flavor: 1, shell: 1, error: 1, warning: 1, info: 1, guile: 1,
};

/** For list functions: which argument is the list they work on word by word. */
const WORDWISE: Record<string, number> = {
  subst: 2, patsubst: 2, strip: 0, filter: 1, 'filter-out': 1, sort: 0, dir: 0, notdir: 0, suffix: 0,
  basename: 0, addsuffix: 1, addprefix: 1, realpath: 0, abspath: 0,
};

function splitWords(s: string): string[] {
  return s.split(/[ \t\n\r]+/).filter(Boolean);
}

/** Index of the parenthesis closing the one opened just before `from`, or -1. */
function findClose(s: string, from: number, open: string): number {
  const close = open === '(' ? ')' : '}';
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === open) depth++;
    else if (s[i] === close && --depth === 0) return i;
  }
  return -1;
}

/** Positions of `ch` outside any $(...)/${...}. */
function topLevelIndexes(s: string, ch: string, from = 0): number[] {
  const out: number[] = [];
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '{') depth++;
    else if ((c === ')' || c === '}') && depth > 0) depth--;
    else if (c === ch && depth === 0) out.push(i);
  }
  return out;
}

/** Split function arguments at top-level commas, at most `max` pieces. */
function splitArgs(s: string, max: number): string[] {
  const cuts = topLevelIndexes(s, ',').slice(0, max - 1);
  const out: string[] = [];
  let prev = 0;
  for (const c of cuts) out.push(s.slice(prev, c)), (prev = c + 1);
  out.push(s.slice(prev));
  return out;
}

/** Remove a `#` comment; `\#` is a literal '#', and so is a '#' inside $(...) (GNU make manual, "Makefile Contents"). */
function stripComment(s: string): string {
  if (!s.includes('#')) return s;
  let out = '';
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && s[i + 1] === '#') {
      out += '#';
      i++;
      continue;
    }
    if (c === '$' && (s[i + 1] === '(' || s[i + 1] === '{')) depth++;
    else if ((c === ')' || c === '}') && depth > 0) depth--;
    else if (c === '#' && depth === 0) break;
    out += c;
  }
  return out;
}

function endsWithContinuation(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

/** `lhs op rhs` of an assignment, 'rule' for a rule line (a ':' not part of ':='), or null. */
function findAssign(s: string): { lhs: string; op: string; rhs: string } | 'rule' | null {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '$') {
      if (s[i + 1] === '(' || s[i + 1] === '{') {
        const end = findClose(s, i + 2, s[i + 1]);
        if (end < 0) return null;
        i = end;
      } else i++;
    } else if (c === '=') {
      let j = i;
      const p = s[i - 1];
      if (p === '+' || p === '?' || p === '!') j = i - 1;
      else if (p === ':') while (j > 0 && s[j - 1] === ':') j--;
      const lhs = s.slice(0, j).trim();
      return lhs ? { lhs, op: s.slice(j, i + 1), rhs: s.slice(i + 1).replace(/^[ \t]+/, '') } : null;
    } else if (c === ':') {
      let k = i;
      while (s[k] === ':') k++;
      if (s[k] !== '=') return 'rule';
      i = k - 1;
    }
  }
  return null;
}

function matchPat(pat: string, w: string): boolean {
  const k = pat.indexOf('%');
  if (k < 0) return pat === w;
  const pre = pat.slice(0, k);
  const suf = pat.slice(k + 1);
  return w.length >= pre.length + suf.length && w.startsWith(pre) && w.endsWith(suf);
}

function patsubstWord(pat: string, rep: string, w: string): string {
  const k = pat.indexOf('%');
  if (k < 0) return w === pat ? rep : w;
  if (!matchPat(pat, w)) return w;
  const stem = w.slice(k, w.length - (pat.length - k - 1));
  return rep.includes('%') ? rep.replace('%', stem) : rep;
}

/** `ifeq (a,b)`, `ifeq "a" "b"`, `ifeq 'a' "b"` -> [a, b]. */
function parseEqArgs(rest: string): [string, string] | null {
  if (rest.startsWith('(')) {
    const end = findClose(rest, 1, '(');
    if (end < 0 || rest.slice(end + 1).trim() !== '') return null;
    const inner = rest.slice(1, end);
    const comma = topLevelIndexes(inner, ',')[0];
    return comma === undefined ? null : [inner.slice(0, comma), inner.slice(comma + 1)];
  }
  const m = /^(["'])(.*?)\1\s+(["'])(.*?)\3$/.exec(rest);
  return m ? [m[2], m[4]] : null;
}

function configRefsOf(...texts: string[]): string[] {
  const out: string[] = [];
  for (const t of texts) for (const m of t.matchAll(/CONFIG_[A-Za-z0-9_]+/g)) if (!out.includes(m[0])) out.push(m[0]);
  return out;
}

class MakeEvaluator {
  private readonly vars = new Map<string, MakeVar>();
  private readonly exported = new Set<string>();
  private readonly recs: Rec[] = [];
  readonly unknowns: UnknownForm[] = [];
  readonly filesRead: string[] = [];
  readonly hasConfig: boolean;
  private frames: Frame[] = [];
  private depth = 0;
  private readonly expanding = new Set<string>();
  private readonly callArgs: string[][] = [];
  /** Expand every `$(CONFIG_X)` as 'y', to see which words a $(if)/$(filter) on options can produce. */
  private allY = false;
  /** Above zero while text is expanded only to be recorded (an 'off' region): `$(eval)` then does nothing. */
  private quiet = 0;
  private includes = 0;
  private includeDepth = 0;
  private evals = 0;
  private evalDepth = 0;
  private inRule = false;
  private steps = 0;
  /** Where the evaluator is, for notes and for the lines `$(eval)` creates. */
  private curFile = '';
  private curLine = 0;

  constructor(private readonly init: EvalInit) {
    for (const [k, v] of init.env) this.vars.set(k, { flavor: 'simple', value: v, origin: 'environment' });
    this.hasConfig = !!init.config;
  }

  run(file: string, text: string): void {
    this.filesRead.push(file);
    this.processText(text, file);
  }

  noteUnknown(file: string, line: number, text: string, reason: string): void {
    if (this.unknowns.length < MAX_UNKNOWNS) this.unknowns.push({ file, line, text: text.replace(/\u0000/g, '?').slice(0, 200), reason });
  }

  /** Expand the deferred values and hand the recorded assignments over. */
  finalize(): Rec[] {
    for (const r of this.recs) {
      if (!r.deferred) continue;
      this.curFile = r.file;
      this.curLine = r.line;
      this.expandRec(r);
    }
    return this.recs;
  }

  finalValue(name: string): string {
    return this.lookup(name);
  }

  /** The environment a sub-make sees: `env` plus every exported variable, expanded. */
  exportedValues(env: Map<string, string>): Map<string, string> {
    const out = new Map(env);
    for (const [k, v] of this.vars) if (v.origin === 'environment' || this.exported.has(k)) out.set(k, this.lookup(k));
    for (const k of this.exported) if (!out.has(k) && this.init.overrides.has(k)) out.set(k, this.init.overrides.get(k)!);
    return out;
  }

  private state(): GuardState {
    let s: GuardState = 'on';
    for (const f of this.frames) {
      if (f.state === 'off') return 'off';
      if (f.state === 'unknown') s = 'unknown';
    }
    return s;
  }

  private processText(text: string, file: string, evalLine?: number): void {
    const frameBase = this.frames.length;
    const savedFile = this.curFile;
    this.curFile = file;
    const phys = text.split('\n');
    let define: { name: string; op: string; body: string[]; nest: number; line: number; state: GuardState; exp: boolean } | null = null;
    let i = 0;
    while (i < phys.length) {
      const lineNo = evalLine ?? i + 1;
      this.curLine = lineNo;
      if (define) {
        const p = phys[i++].replace(/\r$/, '');
        const w = stripComment(p).trim().split(/\s+/);
        if (w[0] === 'endef' && --define.nest === 0) {
          this.finishDefine(define);
          define = null;
          continue;
        }
        if (w.includes('define') && /^((export|override|private)\s+)*define(\s|$)/.test(p.trim())) define.nest++;
        define.body.push(p);
        continue;
      }
      let raw = phys[i++].replace(/\r$/, '');
      // make joins backslash-newline and the whitespace around it into one space.
      while (endsWithContinuation(raw) && i < phys.length && raw.length <= MAX_LINE)
        raw = raw.slice(0, -1).replace(/[ \t]+$/, '') + ' ' + phys[i++].replace(/\r$/, '').replace(/^[ \t]+/, '');
      if (raw.length > MAX_LINE) {
        this.noteUnknown(file, lineNo, raw.slice(0, 80), 'line too long to evaluate');
        continue;
      }
      if (raw.startsWith('\t') && this.inRule) continue; // a recipe line
      const t = stripComment(raw).trim();
      if (t === '') continue;
      const cm = /^(ifeq|ifneq|ifdef|ifndef|else|endif)(?=[\s(]|$)/.exec(t);
      if (cm) {
        this.conditional(cm[1], t.slice(cm[1].length).trim(), file, lineNo, frameBase);
        continue;
      }
      const state = this.state();
      const dm = /^((?:(?:export|override|private)\s+)*)define(?:\s+(.*))?$/.exec(t);
      if (dm) {
        const m2 = /^(.*?)\s*(:::=|::=|:=|\+=|\?=|!=|=)?$/.exec((dm[2] ?? '').trim())!;
        define = { name: m2[1], op: m2[2] ?? '=', body: [], nest: 1, line: lineNo, state, exp: dm[1].includes('export') };
        this.inRule = false;
        continue;
      }
      if (state === 'off') this.recordOnly(t, file, lineNo);
      else this.statement(t, file, lineNo, state);
    }
    if (define) this.noteUnknown(file, define.line, `define ${define.name}`, 'define without endef');
    if (this.frames.length > frameBase) {
      this.noteUnknown(file, this.frames[frameBase].line, this.frames[frameBase].text, 'conditional without endif');
      this.frames.length = frameBase;
    }
    this.curFile = savedFile;
  }

  private finishDefine(d: { name: string; op: string; body: string[]; state: GuardState; exp: boolean }): void {
    if (d.state === 'off') return;
    const name = this.expand(d.name).trim();
    if (!name || name.includes(UNK)) return;
    this.apply(name, d.op, d.body.join('\n'), d.exp, d.state);
  }

  private conditional(kind: string, rest: string, file: string, lineNo: number, frameBase: number): void {
    if (kind === 'endif') {
      if (this.frames.length > frameBase) this.frames.pop();
      else this.noteUnknown(file, lineNo, 'endif', 'endif without a conditional');
      return;
    }
    if (kind === 'else') {
      const f = this.frames[this.frames.length - 1];
      if (this.frames.length <= frameBase || !f) {
        this.noteUnknown(file, lineNo, 'else', 'else without a conditional');
        return;
      }
      const outerOff = this.frames.slice(0, -1).some((x) => x.state === 'off');
      let st: GuardState;
      if (f.taken === 'yes') st = 'off';
      else {
        let cond: GuardState = 'on';
        if (rest) {
          const m = /^(ifeq|ifneq|ifdef|ifndef)(?=[\s(]|$)/.exec(rest);
          cond = !m ? 'unknown' : outerOff ? 'off' : this.evalCond(m[1], rest.slice(m[1].length).trim(), file, lineNo);
        }
        st = f.taken === 'maybe' && cond !== 'off' ? 'unknown' : cond;
      }
      if (st === 'on') f.taken = 'yes';
      else if (st === 'unknown' && f.taken === 'no') f.taken = 'maybe';
      f.state = st;
      f.negated = !rest;
      if (rest) (f.text = rest), (f.history += ' ' + rest), (f.line = lineNo);
      return;
    }
    const st = this.state() === 'off' ? 'off' : this.evalCond(kind, rest, file, lineNo);
    const text = `${kind} ${rest}`;
    this.frames.push({ text, line: lineNo, state: st, taken: st === 'on' ? 'yes' : st === 'unknown' ? 'maybe' : 'no', negated: false, history: text });
  }

  private evalCond(kind: string, rest: string, file: string, lineNo: number): GuardState {
    if (kind === 'ifdef' || kind === 'ifndef') {
      const name = this.expand(rest).trim();
      if (name.includes(UNK)) return 'unknown';
      const d = this.definedNonEmpty(name);
      if (d === null) return 'unknown';
      return d === (kind === 'ifdef') ? 'on' : 'off';
    }
    const args = parseEqArgs(rest);
    if (!args) {
      this.noteUnknown(file, lineNo, `${kind} ${rest}`, 'cannot parse the conditional');
      return 'unknown';
    }
    const a = this.expand(args[0]);
    const b = this.expand(args[1]);
    if (a.includes(UNK) || b.includes(UNK)) return 'unknown';
    return (a.trim() === b.trim()) === (kind === 'ifeq') ? 'on' : 'off';
  }

  /** ifdef: is the variable's (unexpanded) value non-empty? null when unknowable. */
  private definedNonEmpty(name: string): boolean | null {
    const o = this.init.overrides.get(name);
    if (o !== undefined) return o.includes(UNK) ? null : o.trim() !== '';
    const v = this.vars.get(name);
    if (v) return v.value.includes(UNK) ? null : v.value.trim() !== '';
    if (name.startsWith('CONFIG_')) {
      const c = this.configLookup(name);
      return c === UNK ? null : c !== '';
    }
    return false;
  }

  /** A line in a region that is not evaluated: object list assignments are still recorded, as not built. */
  private recordOnly(t: string, file: string, lineNo: number): void {
    const s = t.replace(/^((export|override|private)\s+)+/, '');
    const a = findAssign(s);
    if (!a || a === 'rule') return;
    this.quiet++;
    try {
      this.record(a.lhs, this.expand(a.lhs).trim(), a.op, a.rhs, 'off', file, lineNo);
    } finally {
      this.quiet--;
    }
  }

  private statement(t: string, file: string, lineNo: number, state: GuardState): void {
    let s = t;
    let exp = false;
    for (;;) {
      const m = /^(export|override|private|unexport)(?:\s+|$)/.exec(s);
      if (!m) break;
      if (m[1] === 'unexport') return void (this.inRule = false);
      if (m[1] === 'export') exp = true;
      s = s.slice(m[0].length);
    }
    if (s === '') return void (this.inRule = false);
    const inc = /^(-include|sinclude|include)\s+(.*)$/.exec(s);
    if (inc && !exp) {
      this.inRule = false;
      this.include(inc[1] !== 'include', inc[2], file, lineNo);
      return;
    }
    const um = /^(vpath|undefine)(\s+(.*))?$/.exec(s);
    if (um) {
      if (um[1] === 'undefine' && state === 'on') for (const n of splitWords(this.expand(um[3] ?? ''))) this.vars.delete(n);
      return void (this.inRule = false);
    }
    const a = findAssign(s);
    if (a === 'rule') {
      this.inRule = true;
      return;
    }
    this.inRule = false;
    if (a) {
      const lhs = this.expand(a.lhs).trim();
      this.record(a.lhs, lhs, a.op, a.rhs, state, file, lineNo);
      if (lhs && !lhs.includes(UNK)) this.apply(lhs, a.op, a.rhs, exp, state);
      return;
    }
    if (exp) {
      for (const n of splitWords(this.expand(s))) this.exported.add(n);
      return;
    }
    // A line that is only a function call ($(eval ...), $(foreach ... $(eval ...))) is evaluated for its effect.
    this.expand(s);
  }

  private include(optional: boolean, arg: string, file: string, lineNo: number): void {
    for (const w of splitWords(this.expand(arg))) {
      if (w.includes(UNK)) {
        if (!optional) this.noteUnknown(file, lineNo, `include ${arg}`, 'the included file name could not be evaluated');
        continue;
      }
      const p = normalize(w);
      // The configuration is given to the evaluator; the build's own copy (auto.conf) is not read.
      if (p.startsWith('include/config/')) continue;
      if (!this.init.readFile || this.includeDepth >= MAX_INCLUDE_DEPTH || this.includes >= MAX_INCLUDES) {
        this.noteUnknown(file, lineNo, `include ${w}`, 'include not followed');
        continue;
      }
      const text = this.init.readFile(p);
      if (text === undefined) {
        if (!optional) this.noteUnknown(file, lineNo, `include ${w}`, 'the included file is not in the tree');
        continue;
      }
      this.includes++;
      this.includeDepth++;
      try {
        this.filesRead.push(p);
        this.processText(this.init.checkText(text, p), p);
      } finally {
        this.includeDepth--;
        this.inRule = false;
      }
    }
  }

  private apply(name: string, op: string, rhs: string, exp: boolean, state: GuardState): void {
    // Variables given on the command line win over the Makefile's assignments.
    if (this.init.overrides.has(name)) return;
    if (exp) this.exported.add(name);
    const v = this.vars.get(name);
    if (state === 'unknown') {
      // Under a condition we cannot decide, the variable may or may not have changed: it becomes unknown.
      if (op === '+=' && v) v.value = v.value + ' ' + UNK;
      else this.vars.set(name, { flavor: 'simple', value: UNK, origin: 'file' });
      return;
    }
    let nv: MakeVar;
    switch (op) {
      case '=':
        nv = { flavor: 'recursive', value: rhs, origin: 'file' };
        break;
      case '+=':
        if (!v) nv = { flavor: 'recursive', value: rhs, origin: 'file' };
        else if (v.flavor === 'recursive') nv = { ...v, value: v.value ? `${v.value} ${rhs}` : rhs };
        else {
          const e = this.expand(rhs);
          nv = { ...v, value: v.value ? `${v.value} ${e}` : e };
        }
        break;
      case '?=':
        if (v || this.definedNonEmpty(name) !== false) return;
        nv = { flavor: 'recursive', value: rhs, origin: 'file' };
        break;
      case '!=':
        nv = { flavor: 'simple', value: UNK, origin: 'file' };
        break;
      default: // := ::= :::=
        nv = { flavor: 'simple', value: this.expand(rhs), origin: 'file' };
    }
    if (nv.value.length > MAX_TEXT) nv.value = UNK;
    this.vars.set(name, nv);
  }

  private classify(lhsRaw: string, lhs: string): LhsClass | null {
    const isList = (n: string) => (this.init.topLevel ? ROOT_LISTS.has(n) : n === 'obj' || n === 'lib' || n === 'subdir');
    const kindOf = (n: string): LhsClass['kind'] => (this.init.topLevel ? 'root' : (n as 'obj' | 'lib' | 'subdir'));
    const literal = !lhsRaw.includes('$');
    if (lhs && !lhs.includes(UNK)) {
      const m = /^([A-Za-z0-9_]+)-(.*)$/.exec(lhs);
      if (m && isList(m[1])) {
        // obj-vdso, subdir-ccflags-y and the like are ordinary variables, not object lists.
        const ok = literal ? ['y', 'm', 'n', ''].includes(m[2]) : /^[^-/\s]*$/.test(m[2]);
        return ok ? { kind: kindOf(m[1]), name: m[1], suffix: m[2] } : null;
      }
      if (this.init.topLevel) return null;
      const k = lhs.lastIndexOf('-');
      if (k <= 0) return null;
      const suffix = lhs.slice(k + 1);
      const ok = literal ? ['y', 'm', 'objs', 'n', ''].includes(suffix) : /^[^/\s]*$/.test(suffix);
      return ok ? { kind: 'comp', name: lhs.slice(0, k), suffix } : null;
    }
    // The list name could not be evaluated (typically `obj-$(CONFIG_X)` without a configuration).
    const dashes = topLevelIndexes(lhsRaw, '-');
    if (!dashes.length) return null;
    const first = this.expand(lhsRaw.slice(0, dashes[0])).trim();
    if (isList(first)) return dashes.length === 1 ? { kind: kindOf(first), name: first, suffix: null } : null;
    if (this.init.topLevel) return null;
    const prefix = this.expand(lhsRaw.slice(0, dashes[dashes.length - 1])).trim();
    return prefix && !prefix.includes(UNK) ? { kind: 'comp', name: prefix, suffix: null } : null;
  }

  private record(lhsRaw: string, lhs: string, op: string, rhsRaw: string, state: GuardState, file: string, line: number): void {
    const cls = this.classify(lhsRaw, lhs);
    if (!cls) return;
    if (this.recs.length >= MAX_RECS) return this.noteUnknown(file, line, lhsRaw, 'too many object lines; the rest are ignored');
    const v = lhs && !lhs.includes(UNK) ? this.vars.get(lhs) : undefined;
    const deferred = this.evalDepth === 0 && (op === '=' || op === '?=' || (op === '+=' && (!v || v.flavor === 'recursive')));
    const guards: Guard[] = this.frames.map((f) => ({ text: f.text, negated: f.negated, line: f.line, state: f.state }));
    const rec: Rec = {
      file, line, lhsRaw, op, rhsRaw, cls, state, guards,
      configRefs: configRefsOf(lhsRaw, ...this.frames.map((f) => f.history), rhsRaw),
      words: [], dropped: [], actualUnknown: false, deferred,
    };
    if (op === '!=') rec.words = [UNK], (rec.deferred = false);
    else if (!deferred) this.expandRec(rec);
    this.recs.push(rec);
  }

  private expandRec(r: Rec): void {
    if (r.state === 'off') this.quiet++;
    try {
      const actual = this.expand(r.rhsRaw);
      r.words = splitWords(actual);
      r.actualUnknown = actual.includes(UNK);
      if (/CONFIG_/.test(r.rhsRaw) && /\$[({]/.test(r.rhsRaw)) {
        this.allY = true;
        this.quiet++;
        let all: string;
        try {
          all = this.expand(r.rhsRaw);
        } finally {
          this.allY = false;
          this.quiet--;
        }
        const have = new Set(r.words);
        r.dropped = [...new Set(splitWords(all))].filter((w) => !w.includes(UNK) && !have.has(w));
      }
    } finally {
      if (r.state === 'off') this.quiet--;
    }
  }

  private configLookup(name: string): string {
    if (this.allY) return 'y';
    if (!this.init.config) return UNK;
    const v = this.init.config.values.get(name);
    if (v === undefined || v === 'n') return '';
    return this.init.unquoteStrings ? unquoteConfigString(v) : v;
  }

  private lookup(name: string): string {
    if (name.includes(UNK)) return UNK;
    if (/^\d+$/.test(name) && this.callArgs.length) return this.callArgs[this.callArgs.length - 1][Number(name)] ?? '';
    const o = this.init.overrides.get(name);
    if (o !== undefined) return o;
    const v = this.vars.get(name);
    if (v) {
      if (v.flavor === 'simple') return v.value;
      // A recursive variable that refers to itself is an error in make; here it is simply unknown.
      if (this.expanding.has(name)) return UNK;
      this.expanding.add(name);
      try {
        return this.expand(v.value);
      } finally {
        this.expanding.delete(name);
      }
    }
    if (name.startsWith('CONFIG_')) return this.configLookup(name);
    return '';
  }

  private expand(s: string): string {
    if (!s.includes('$')) return s;
    if (this.depth >= MAX_EXPAND_DEPTH) return UNK;
    this.depth++;
    try {
      let out = '';
      let i = 0;
      while (i < s.length) {
        const d = s.indexOf('$', i);
        if (d < 0) {
          out += s.slice(i);
          break;
        }
        out += s.slice(i, d);
        const c = s[d + 1];
        if (c === undefined) break;
        if (c === '$') {
          out += '$';
          i = d + 2;
        } else if (c === '(' || c === '{') {
          const end = findClose(s, d + 2, c);
          if (end < 0) return out + UNK; // unterminated reference
          out += this.reference(s.slice(d + 2, end));
          i = end + 1;
        } else {
          out += this.lookup(c);
          i = d + 2;
        }
        if (out.length > MAX_TEXT) return UNK;
      }
      return out;
    } finally {
      this.depth--;
    }
  }

  private reference(content: string): string {
    // `A2 = $(A1)$(A1)`, `A3 = $(A2)$(A2)`, ... doubles the work at every level without growing the text.
    if (++this.steps > MAX_STEPS) {
      if (this.steps === MAX_STEPS + 1) this.noteUnknown(this.curFile, this.curLine, content, 'too much expansion work; the rest is unknown');
      return UNK;
    }
    const fm = /^([a-z-]+)[ \t]/.exec(content);
    if (fm && Object.prototype.hasOwnProperty.call(FUNCTIONS, fm[1])) {
      return this.callFunction(fm[1], content.slice(fm[1].length).replace(/^[ \t]+/, ''));
    }
    // Substitution reference $(var:a=b).
    const colon = topLevelIndexes(content, ':')[0];
    if (colon !== undefined) {
      const eq = topLevelIndexes(content, '=', colon + 1)[0];
      if (eq !== undefined) {
        const val = this.lookup(this.expand(content.slice(0, colon)).trim());
        const from = this.expand(content.slice(colon + 1, eq));
        const to = this.expand(content.slice(eq + 1));
        if ([val, from, to].some((x) => x.includes(UNK))) return UNK;
        const pat = from.includes('%') ? from : '%' + from;
        const rep = from.includes('%') ? to : '%' + to;
        return splitWords(val).map((w) => patsubstWord(pat, rep, w)).join(' ');
      }
    }
    return this.lookup(this.expand(content).trim());
  }

  private callFunction(fn: string, argText: string): string {
    const raw = splitArgs(argText, FUNCTIONS[fn]);
    // Functions whose arguments are expanded lazily.
    switch (fn) {
      case 'if': {
        const c = this.expand(raw[0]).trim();
        if (c.includes(UNK)) return UNK;
        return c !== '' ? this.expand(raw[1] ?? '') : this.expand(raw[2] ?? '');
      }
      case 'or':
      case 'and': {
        let last = '';
        for (const r of raw) {
          const e = this.expand(r).trim();
          if (e.includes(UNK)) return UNK;
          if (fn === 'or' && e !== '') return e;
          if (fn === 'and' && e === '') return '';
          last = e;
        }
        return fn === 'or' ? '' : last;
      }
      case 'foreach': {
        const v = this.expand(raw[0]).trim();
        const list = this.expand(raw[1] ?? '');
        if (v.includes(UNK) || list.includes(UNK)) return UNK;
        const words = splitWords(list);
        if (words.length > MAX_FOREACH) return UNK;
        const saved = this.vars.get(v);
        const out: string[] = [];
        try {
          for (const w of words) {
            this.vars.set(v, { flavor: 'simple', value: w, origin: 'file' });
            out.push(this.expand(raw[2] ?? ''));
          }
        } finally {
          if (saved) this.vars.set(v, saved);
          else this.vars.delete(v);
        }
        return out.join(' ');
      }
      case 'shell':
      case 'wildcard':
      case 'file':
      case 'guile':
      case 'let':
      case 'intcmp':
        // Their result depends on the machine or the file system at build time.
        return UNK;
      case 'info':
      case 'warning':
      case 'error':
        return '';
    }
    const a = raw.map((r) => this.expand(r));
    // List functions work word by word, so one unknown word (say from a line under an undecidable
    // condition) does not make the whole list unknown: it stays an unknown word in the result.
    const listArg = WORDWISE[fn];
    if (fn !== 'eval' && a.some((x, k) => x.includes(UNK) && k !== listArg)) return UNK;
    const w = (k: number) => splitWords(a[k] ?? '');
    const map = (k: number, f: (x: string) => string) => w(k).map((x) => (x.includes(UNK) ? UNK : f(x)));
    switch (fn) {
      case 'subst':
        return a[0] === '' ? a[2] ?? '' : (a[2] ?? '').split(a[0]).join(a[1] ?? '');
      case 'patsubst':
        return map(2, (x) => patsubstWord(a[0].trim(), (a[1] ?? '').trim(), x)).join(' ');
      case 'strip':
        return w(0).join(' ');
      case 'findstring':
        return (a[1] ?? '').includes(a[0]) ? a[0] : '';
      case 'filter':
      case 'filter-out': {
        const pats = w(0);
        return w(1).filter((x) => x.includes(UNK) || pats.some((p) => matchPat(p, x)) === (fn === 'filter')).join(' ');
      }
      case 'sort':
        return [...new Set(w(0))].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).join(' ');
      case 'word':
        return w(1)[Number(a[0].trim()) - 1] ?? '';
      case 'wordlist':
        return w(2).slice(Number(a[0].trim()) - 1, Number((a[1] ?? '').trim())).join(' ');
      case 'words':
        return String(w(0).length);
      case 'firstword':
        return w(0)[0] ?? '';
      case 'lastword':
        return w(0).slice(-1)[0] ?? '';
      case 'dir':
        return map(0, (x) => (x.includes('/') ? x.slice(0, x.lastIndexOf('/') + 1) : './')).join(' ');
      case 'notdir':
        return map(0, (x) => x.slice(x.lastIndexOf('/') + 1)).join(' ');
      case 'suffix':
      case 'basename':
        return map(0, (x) => {
          const dot = x.lastIndexOf('.');
          const has = dot > x.lastIndexOf('/');
          return fn === 'suffix' ? (has ? x.slice(dot) : '') : has ? x.slice(0, dot) : x;
        })
          .filter(Boolean)
          .join(' ');
      case 'addsuffix':
        return map(1, (x) => x + a[0].trim()).join(' ');
      case 'addprefix':
        return map(1, (x) => a[0].trim() + x).join(' ');
      case 'join': {
        const l = w(0);
        const r = w(1);
        return Array.from({ length: Math.max(l.length, r.length) }, (_, k) => (l[k] ?? '') + (r[k] ?? '')).join(' ');
      }
      case 'realpath':
      case 'abspath':
        return map(0, (x) => normalize(x) || '.').join(' ');
      case 'value': {
        const v = this.vars.get(a[0].trim());
        return v ? v.value : this.lookup(a[0].trim());
      }
      case 'origin':
      case 'flavor':
        return this.originOrFlavor(fn, a[0].trim());
      case 'call':
        return this.call(a);
      case 'eval':
        return this.evalFn(a[0] ?? '');
    }
    return UNK;
  }

  private originOrFlavor(fn: string, name: string): string {
    if (this.init.overrides.has(name)) return fn === 'origin' ? 'command line' : 'simple';
    const v = this.vars.get(name);
    if (v) return fn === 'origin' ? v.origin : v.flavor;
    if (name.startsWith('CONFIG_')) {
      const c = this.configLookup(name);
      if (c === UNK) return UNK;
      if (c !== '') return fn === 'origin' ? 'file' : 'simple';
    }
    return 'undefined';
  }

  private call(a: string[]): string {
    const name = a[0].trim();
    const v = this.vars.get(name);
    // Kbuild's helpers (cc-option, ld-ifversion, ...) live in scripts/ files we do not always have: unknown, not empty.
    if (!v || this.callArgs.length >= MAX_CALL_DEPTH) return UNK;
    this.callArgs.push([name, ...a.slice(1)]);
    try {
      return v.flavor === 'simple' ? v.value : this.expand(v.value);
    } finally {
      this.callArgs.pop();
    }
  }

  private evalFn(text: string): string {
    if (this.quiet > 0) return '';
    if (text.includes(UNK)) {
      this.noteUnknown(this.curFile, this.curLine, text, '$(eval) of text that could not be evaluated');
      return '';
    }
    if (this.evals >= MAX_EVALS || this.evalDepth >= MAX_EVAL_DEPTH) return UNK;
    this.evals++;
    this.evalDepth++;
    const savedRule = this.inRule;
    const line = this.curLine;
    try {
      this.inRule = false;
      this.processText(text, this.curFile, line);
    } finally {
      this.evalDepth--;
      this.inRule = savedRule;
      this.curLine = line;
    }
    return '';
  }
}
