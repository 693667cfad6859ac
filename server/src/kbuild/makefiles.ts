/**
 * A model of which objects each directory of a kernel tree builds, and why,
 * from its Kbuild Makefiles (`Kbuild` wins over `Makefile` in a folder, as in
 * scripts/Makefile.build).
 *
 * Each file is read into object lines by objLines.ts; this file owns the tree
 * around them: which file a folder uses, the environment the top Makefile
 * exports to the others, the cache of folders per configuration, and the walk
 * from an object up through its composite parent and the folder descents to the
 * root that says why it is built in, a module, or not built. It is separate from
 * objLines.ts because that walk and its explanations are about the tree, not
 * about reading one Makefile.
 *
 * Descent: the top-level `Makefile` (with the arch Makefile it includes) names the
 * first folders through `init-y`, `core-y`, `drivers-y`, `net-y`, `libs-y`,
 * `virt-y` (and `head-y` objects) in kernels before 6.1, the top `Kbuild` through
 * `obj-y` from 6.1 on; each folder names its subfolders with `obj-y += dir/` or
 * `subdir-y`.
 */
import * as path from 'node:path';
import { configValue, KernelConfig } from './dotconfig';
import { KbloatInputError } from '../common/errors';
import { UnknownForm } from './make/expand';
import { normalize } from './make/text';
import { checkText, finish, KbuildDir, ObjLine, ObjListReader, ParseOptions, parseKbuildMakefile } from './objLines';

interface Reason {
  status: 'built-in' | 'module' | 'not-built' | 'unknown';
  /** From the object's own line up through its composite parent and the directory descents. */
  chain: ObjLine[];
  configSymbols: { name: string; value: string }[];
  /** e.g. 'obj-y in kernel/Makefile' or 'CONFIG_SERIAL_8250=y in drivers/tty/serial/8250/Makefile'. */
  text: string;
}

const MAX_DESCENT = 64;
const MAX_INDEX_DIRS = 20000;

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

interface KbuildTreeOptions {
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
    const reader = new ObjListReader('', opts);
    const ev = reader.make;
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
    const topDir = finish(reader, '', true);
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

  /** A folder's lines by target, in file order: an explanation looks up one target among hundreds of lines per folder. */
  private readonly byTarget = new WeakMap<KbuildDir, Map<string, ObjLine[]>>();

  /** The lines of `kdir` whose target is `target`, in file order. */
  private linesFor(kdir: KbuildDir | undefined, target: string): ObjLine[] {
    if (!kdir) return [];
    let map = this.byTarget.get(kdir);
    if (!map) {
      map = new Map();
      for (const l of kdir.lines) {
        const list = map.get(l.target);
        if (list) list.push(l);
        else map.set(l.target, [l]);
      }
      this.byTarget.set(kdir, map);
    }
    return map.get(target) ?? [];
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
      for (const l of this.linesFor(this.dir(a, config), obj)) if (l.kind !== 'subdir') found.push(l);
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
      const parents = this.linesFor(this.dir(line.dir, ctx.config), line.composite!).filter((l) => l.kind === 'obj' || l.kind === 'lib');
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
      for (const l of this.linesFor(this.dir(a, ctx.config), dir + '/')) if (l.kind === 'subdir') cands.push(this.resolveLine(ctx, l, depth + 1, visiting));
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
