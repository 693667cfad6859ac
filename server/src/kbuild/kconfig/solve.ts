/**
 * What `make olddefconfig` makes of a configuration, as scripts/kconfig's
 * sym_calc_value() computes it, for the bool and tristate symbols:
 *
 * - a symbol is visible as far as one of its prompts is (the prompt's `if`,
 *   the `depends on` of its definition and of the enclosing blocks, the
 *   `visible if` of enclosing menus); a visible m is y for a bool;
 * - a visible symbol with a value in .config takes it, capped by its
 *   visibility; otherwise (invisible, or not in .config) the first `default`
 *   whose condition holds, capped by that condition and the definition's
 *   dependencies, then raised by what `imply` gives within `depends on`;
 * - then raised to what its selectors give (`select X if C` from S gives
 *   S && C); an m of a bool, or of a tristate implied at y, becomes y;
 * - without MODULES every tristate is a bool.
 *
 * String, int and hex symbols keep their .config values. An expression the
 * solver cannot evaluate (a `$(...)` macro: compiler probes) leaves its symbol
 * at its .config value, and so does a choice member unless its dependencies
 * fall to n (the choice itself is not re-decided).
 *
 * `whatIf()` answers for changed user values, and compares with the baseline
 * the same solver computes from the unchanged .config, so that a corner the
 * solver does not model shows up as no change rather than as a false one.
 */
import type { KernelConfig } from '../dotconfig';
import { compare } from './eval';
import { lexLine, KconfigToken } from './lexer';
import type { KconfigPos, KconfigSymbol, KconfigTree } from './parser';

export type Tri = 0 | 1 | 2;
export const TRI_TEXT = ['n', 'm', 'y'] as const;

/** A compiled expression: its value given a symbol-value lookup, or undefined when it cannot be evaluated. */
type Expr = (v: Values) => Tri | undefined;
/** What a computation reads user values from: the .config's, with a few changed on top. */
interface UserValues {
  get(name: string): Tri | undefined;
}
/**
 * Changed values over a base map, without copying the base: a what-if reads
 * the thousands of baseline values it does not change straight from them.
 */
class Overlay<V> {
  constructor(
    private readonly top: Map<string, V>,
    private readonly base: ReadonlyMap<string, V>,
    /** Names whose base value is hidden (to be computed again). */
    private readonly hidden?: Set<string>,
  ) {}
  get(name: string): V | undefined {
    if (this.top.has(name)) return this.top.get(name);
    return this.hidden?.has(name) ? undefined : this.base.get(name);
  }
  has(name: string): boolean {
    return this.top.has(name) || (!this.hidden?.has(name) && this.base.has(name));
  }
  set(name: string, v: V): void {
    this.top.set(name, v);
  }
}

/** Computed values: a plain map, or the baseline with a cone of symbols computed again on top. */
interface ValueMap {
  get(name: string): Tri | undefined;
  has(name: string): boolean;
  set(name: string, v: Tri | undefined): void;
}

interface Ctx extends Values {
  user: UserValues;
  /** Symbols just set by the caller: in a choice, the member set to y wins over the others. */
  preferred: Set<string>;
  /** The member each choice selects, once computed. */
  chosen: Map<string, string | undefined | null>;
}
interface Values {
  tri(name: string): Tri | undefined;
  text(name: string): string | undefined;
}

interface Prompt { visible: Expr; def: KconfigSymbol }
interface Default { value: Expr; cond: Expr; pos: KconfigPos; text: string }
interface Reverse { by: string; cond: Expr; pos: KconfigPos; condText?: string }

interface ChoiceRule {
  members: string[];
  tristate: boolean;
  defaults: { symbol: string; cond: Expr }[];
}

interface SymbolRule {
  name: string;
  tristate: boolean;
  prompts: Prompt[];
  defaults: Default[];
  dirDep: Expr;
  selects: Reverse[];
  implies: Reverse[];
  /** The choice block it is a member of. */
  choice?: string;
  /** The names its expressions read: a change to one of them may change this symbol. */
  reads: Set<string>;
}

/** Why a symbol has the value it has, for the user. */
export interface Explanation {
  value: string;
  visible: Tri;
  /** 'user' (from .config), 'default' (a default line), 'select', 'imply', 'none'. */
  source: 'user' | 'default' | 'select' | 'imply' | 'none' | 'unknown';
  /** The line that gave the value: the default, the select. */
  pos?: KconfigPos;
  /** The selector or implier, 'CONFIG_X'. */
  by?: string;
  /** The prompts of the symbol and what makes each (in)visible, as `file:line: depends on …`. */
  prompts: { pos: KconfigPos; condition: string }[];
}

const MAX_DEPTH = 400;

export class KconfigSolver {
  private readonly rules = new Map<string, SymbolRule>();
  private readonly choices = new Map<string, ChoiceRule>();
  private readonly readers = new Map<string, string[]>();
  private readonly user = new Map<string, Tri>();
  private readonly baseline: Map<string, Tri | undefined>;
  private modules: boolean;

  constructor(tree: KconfigTree, private readonly config: KernelConfig) {
    for (const [name, defs] of tree.symbols) {
      const type = defs.find((d) => d.type)?.type;
      if (type !== 'bool' && type !== 'tristate') continue;
      this.rules.set(name, this.compile(name, type === 'tristate', defs));
    }
    for (const [name, defs] of tree.symbols) {
      for (const d of defs) {
        for (const s of d.selects) this.rules.get(s.symbol)?.selects.push(this.reverse(d, s));
        for (const s of d.implies) this.rules.get(s.symbol)?.implies.push(this.reverse(d, s));
      }
      void name;
    }
    for (const [id, c] of tree.choices) {
      const reads = new Set<string>();
      const rule: ChoiceRule = {
        members: c.members.filter((m) => this.rules.has(m)),
        tristate: c.type === 'tristate',
        defaults: c.defaults.map((d) => ({ symbol: d.value, cond: compileAnd([...c.dependsOn, ...(d.condition ? [d.condition] : [])], reads) })),
      };
      this.choices.set(id, rule);
      // A member's value depends on every other member's visibility and user value.
      for (const m of rule.members) {
        const r = this.rules.get(m)!;
        for (const o of rule.members) if (o !== m) { r.reads.add(o); for (const w of this.rules.get(o)!.reads) r.reads.add(w); }
        for (const w of reads) r.reads.add(w);
      }
    }
    for (const r of this.rules.values()) {
      for (const s of [...r.selects, ...r.implies]) r.reads.add(s.by);
      for (const w of r.reads) {
        let list = this.readers.get(w);
        if (!list) this.readers.set(w, (list = []));
        list.push(r.name);
      }
    }
    for (const name of this.rules.keys()) {
      const full = 'CONFIG_' + name;
      const v = config.values.get(full);
      if (v === 'y' || v === 'm' || v === 'n') this.user.set(name, v === 'y' ? 2 : v === 'm' ? 1 : 0);
      else if (config.notSet.has(full)) this.user.set(name, 0);
    }
    this.modules = config.values.get('CONFIG_MODULES') === 'y';
    const baseline = new Map<string, Tri | undefined>();
    this.solveInto(this.user, baseline);
    this.baseline = baseline;
  }

  /** The value the solver computes for the unchanged .config ('y', 'm', 'n'), or undefined when it cannot tell. */
  baselineValue(symbol: string): string | undefined {
    const t = this.baseline.get(symbol.replace(/^CONFIG_/, ''));
    return t === undefined ? undefined : TRI_TEXT[t];
  }

  /**
   * What olddefconfig gives after setting user values ('CONFIG_X' -> 'y'|'m'|'n'):
   * every bool/tristate symbol whose value differs from the baseline, the
   * changed ones included when they do not end up as asked.
   */
  whatIf(changes: Map<string, string>): Map<string, { from: string; to: string }> {
    const user = this.userWith(changes);
    const seeds = [...changes.keys()].map((s) => s.replace(/^CONFIG_/, ''));
    const cone = this.cone(seeds);
    const values = this.solve(user, cone, new Set(seeds));
    const out = new Map<string, { from: string; to: string }>();
    for (const name of cone) {
      const before = this.baseline.get(name);
      const after = values.get(name);
      if (before === undefined || after === undefined || before === after) continue;
      out.set('CONFIG_' + name, { from: TRI_TEXT[before], to: TRI_TEXT[after] });
    }
    for (const [sym, v] of changes) {
      const name = sym.replace(/^CONFIG_/, '');
      const after = values.get(name);
      const before = this.baseline.get(name);
      if (after !== undefined && before !== undefined && TRI_TEXT[after] !== v && before !== after && !out.has(sym)) out.set('CONFIG_' + name, { from: TRI_TEXT[before], to: TRI_TEXT[after] });
    }
    return out;
  }

  /** Why a symbol would have its value after the given changes (the baseline without changes). */
  explain(symbol: string, changes: Map<string, string> = new Map()): Explanation | undefined {
    const name = symbol.replace(/^CONFIG_/, '');
    const rule = this.rules.get(name);
    if (!rule) return undefined;
    const user = this.userWith(changes);
    const values = this.solve(user, changes.size ? this.cone([...changes.keys()].map((s) => s.replace(/^CONFIG_/, ''))) : new Set());
    const ctx = this.context(user, values);
    const trace = this.compute(rule, ctx);
    return {
      value: trace.value === undefined ? 'unknown' : TRI_TEXT[trace.value],
      visible: trace.visible ?? 0,
      source: trace.source,
      ...(trace.pos ? { pos: trace.pos } : {}),
      ...(trace.by ? { by: 'CONFIG_' + trace.by } : {}),
      prompts: rule.prompts.map((p) => ({ pos: p.def.pos, condition: [...p.def.dependsOn, ...(p.def.promptIf ? [p.def.promptIf] : []), ...(p.def.visibleIf ?? [])].join(' && ') || 'y' })),
    };
  }

  /** The .config's user values with `changes` ('CONFIG_X' → 'y'|'m'|'n') on top. */
  private userWith(changes: Map<string, string>): UserValues {
    const top = new Map<string, Tri>();
    for (const [sym, v] of changes) top.set(sym.replace(/^CONFIG_/, ''), v === 'y' ? 2 : v === 'm' ? 1 : 0);
    return new Overlay(top, this.user);
  }

  /** The symbols that may change when the seeds change: the seeds and everything that reads them, transitively. */
  private cone(seeds: string[]): Set<string> {
    const out = new Set<string>(seeds);
    const queue = [...seeds];
    while (queue.length) {
      for (const r of this.readers.get(queue.pop()!) ?? []) {
        if (!out.has(r)) {
          out.add(r);
          queue.push(r);
        }
      }
    }
    return out;
  }

  /**
   * Values of all bool/tristate symbols (or, with `only`, the baseline for all
   * but those, which are computed again).
   */
  private solve(user: UserValues, only?: Set<string>, preferred: Set<string> = new Set()): ValueMap {
    // Outside `only`, the baseline's values, read through rather than copied.
    const values: ValueMap = only ? new Overlay<Tri | undefined>(new Map(), this.baseline, only) : new Map<string, Tri | undefined>();
    this.solveInto(user, values, only, preferred);
    return values;
  }

  private solveInto(user: UserValues, values: ValueMap, only?: Set<string>, preferred: Set<string> = new Set()): void {
    const ctx = this.context(user, values, preferred);
    for (const name of only ?? this.rules.keys()) ctx.tri(name);
  }

  private context(user: UserValues, values: ValueMap, preferred: Set<string> = new Set()): Ctx {
    const busy = new Set<string>();
    const ctx: Ctx = {
      user,
      preferred,
      chosen: new Map(),
      tri: (name: string): Tri | undefined => {
        if (values.has(name)) return values.get(name);
        const rule = this.rules.get(name);
        if (!rule) {
          const v = this.config.values.get('CONFIG_' + name);
          return v === 'y' ? 2 : v === 'm' ? 1 : 0;
        }
        // A dependency loop (kconfig refuses those) or a very deep chain: the .config value.
        if (busy.has(name) || busy.size > MAX_DEPTH) return this.configTri(name);
        busy.add(name);
        let v: Tri | undefined;
        try {
          v = this.compute(rule, ctx).value;
        } finally {
          busy.delete(name);
        }
        if (v === undefined) v = this.configTri(name);
        values.set(name, v);
        return v;
      },
      text: (name: string): string | undefined => {
        const rule = this.rules.get(name);
        if (rule) {
          const t = ctx.tri(name);
          return t === undefined ? undefined : TRI_TEXT[t];
        }
        const v = this.config.values.get('CONFIG_' + name);
        return v === undefined ? undefined : v.replace(/^"(.*)"$/, '$1');
      },
    };
    return ctx;
  }

  private configTri(name: string): Tri {
    const v = this.config.values.get('CONFIG_' + name);
    return v === 'y' ? 2 : v === 'm' ? 1 : 0;
  }

  /** sym_calc_value() for one bool/tristate symbol. */
  private compute(rule: SymbolRule, ctx: Ctx): {
    value: Tri | undefined; visible?: Tri; source: Explanation['source']; pos?: KconfigPos; by?: string;
  } {
    const tristate = rule.tristate && this.modules;
    const user = ctx.user;
    const visible = this.visibility(rule, ctx, tristate);
    if (visible === undefined) return { value: undefined, source: 'unknown' };
    const choice = rule.choice ? this.choices.get(rule.choice) : undefined;
    if (choice && choice.tristate) {
      // A tristate choice is not re-decided: a member keeps its value within its dependencies.
      const dep = rule.dirDep(ctx);
      if (dep === undefined) return { value: undefined, source: 'unknown' };
      return { value: Math.min(user.get(rule.name) ?? this.configTri(rule.name), dep) as Tri, source: 'user' };
    }
    if (choice && visible !== 0) {
      const chosen = this.chosen(rule.choice!, choice, ctx);
      if (chosen === undefined) return { value: undefined, source: 'unknown' };
      return { value: chosen === rule.name ? 2 : 0, visible, source: user.get(rule.name) === 2 && chosen === rule.name ? 'user' : 'default' };
    }
    let value: Tri = 0;
    let source: Explanation['source'] = 'none';
    let pos: KconfigPos | undefined;
    let by: string | undefined;
    const uv = user.get(rule.name);
    let implied: Tri = 0;
    if (visible !== 0 && uv !== undefined) {
      value = Math.min(uv === 1 && !tristate ? 2 : uv, visible) as Tri;
      source = 'user';
    } else {
      for (const d of rule.defaults) {
        const c = d.cond(ctx);
        if (c === undefined) return { value: undefined, source: 'unknown' };
        if (c === 0) continue;
        const e = d.value(ctx);
        if (e === undefined) return { value: undefined, source: 'unknown' };
        value = Math.min(e, c) as Tri;
        source = 'default';
        pos = d.pos;
        break;
      }
      for (const r of rule.implies) {
        const v = r.cond(ctx);
        if (v === undefined) return { value: undefined, source: 'unknown' };
        if (v > implied) implied = v;
      }
      if (implied !== 0) {
        const dep = rule.dirDep(ctx);
        if (dep === undefined) return { value: undefined, source: 'unknown' };
        const withImply = Math.min(Math.max(value, implied), dep) as Tri;
        if (withImply > value) {
          value = withImply;
          source = 'imply';
        }
      }
    }
    for (const r of rule.selects) {
      const v = r.cond(ctx);
      if (v === undefined) return { value: undefined, source: 'unknown' };
      if (v > value) {
        value = v;
        source = 'select';
        pos = r.pos;
        by = r.by;
      }
    }
    if (value === 1 && (!tristate || implied === 2)) value = 2;
    return { value, visible, source, ...(pos ? { pos } : {}), ...(by ? { by } : {}) };
  }

  private visibility(rule: SymbolRule, ctx: Values, tristate: boolean): Tri | undefined {
    let visible: Tri = 0;
    for (const p of rule.prompts) {
      const v = p.visible(ctx);
      if (v === undefined) return undefined;
      visible = Math.max(visible, v) as Tri;
    }
    return visible === 1 && !tristate ? 2 : visible;
  }

  /**
   * The member a bool choice selects (sym_calc_choice): the visible member the
   * user set to y (one just set wins), else the first default whose condition
   * holds and whose member is visible, else the first visible member; null for none.
   */
  private chosen(id: string, choice: ChoiceRule, ctx: Ctx): string | null | undefined {
    if (ctx.chosen.has(id)) return ctx.chosen.get(id);
    ctx.chosen.set(id, undefined);
    const vis = new Map<string, Tri>();
    for (const m of choice.members) {
      const v = this.visibility(this.rules.get(m)!, ctx, false);
      if (v === undefined) return undefined;
      vis.set(m, v);
    }
    const set = choice.members.filter((m) => vis.get(m) !== 0 && ctx.user.get(m) === 2);
    let pick: string | null | undefined = set.find((m) => ctx.preferred.has(m)) ?? set[set.length - 1];
    if (!pick) {
      for (const d of choice.defaults) {
        const c = d.cond(ctx);
        if (c === undefined) return undefined;
        if (c !== 0 && vis.get(d.symbol)) {
          pick = d.symbol;
          break;
        }
      }
    }
    pick ??= choice.members.find((m) => vis.get(m) !== 0) ?? null;
    ctx.chosen.set(id, pick);
    return pick;
  }

  private compile(name: string, tristate: boolean, defs: KconfigSymbol[]): SymbolRule {
    const reads = new Set<string>();
    const c = (texts: string[]): Expr => compileAnd(texts, reads);
    const prompts: Prompt[] = [];
    const defaults: Default[] = [];
    const deps: Expr[] = [];
    for (const d of defs) {
      deps.push(c(d.dependsOn));
      if (d.prompt !== undefined) prompts.push({ visible: c([...d.dependsOn, ...(d.promptIf ? [d.promptIf] : []), ...(d.visibleIf ?? [])]), def: d });
      for (const df of d.defaults) {
        defaults.push({ value: compileExpr(df.value, reads), cond: c([...d.dependsOn, ...(df.condition ? [df.condition] : [])]), pos: df.pos, text: df.value });
      }
    }
    const dirDep = combine(deps, 'or');
    return { name, tristate, prompts, defaults, dirDep, selects: [], implies: [], ...(defs.find((d) => d.choice)?.choice ? { choice: defs.find((d) => d.choice)!.choice } : {}), reads };
  }

  private reverse(def: KconfigSymbol, s: { symbol: string; condition?: string; pos: KconfigPos }): Reverse {
    const reads = this.rules.get(s.symbol)!.reads;
    const cond = compileAnd([def.name, ...(s.condition ? [s.condition] : [])], reads);
    return { by: def.name, cond, pos: s.pos, ...(s.condition ? { condText: s.condition } : {}) };
  }
}

/** The AND of several expressions; y for none. */
function compileAnd(texts: string[], reads: Set<string>): Expr {
  return combine(texts.map((t) => compileExpr(t, reads)), 'and', true);
}

/**
 * The AND (minimum, y for none) or OR (maximum, n for none) of expressions;
 * undefined when a part cannot be evaluated, unless `shortCircuit` and an
 * earlier part already decided (n for AND).
 */
function combine(parts: Expr[], op: 'and' | 'or', shortCircuit = false): Expr {
  if (parts.length === 1) return parts[0];
  const start: Tri = op === 'and' ? 2 : 0;
  if (parts.length === 0) return () => start;
  return (v) => {
    let r: Tri = start;
    for (const p of parts) {
      const x = p(v);
      if (x === undefined) return undefined;
      if (op === 'and' ? x < r : x > r) r = x;
      if (shortCircuit && r !== start && r === (op === 'and' ? 0 : 2)) return r;
    }
    return r;
  };
}

const UNKNOWN: Expr = () => undefined;

/** Compiled expressions by text: a tree repeats its block dependencies in every entry. */
const compiled = new Map<string, { expr: Expr; names: string[] }>();
const MAX_COMPILED = 200000;

/** Compiles a Kconfig expression (once per text); names it reads go into `reads`. */
export function compileExpr(text: string, reads: Set<string>): Expr {
  let c = compiled.get(text);
  if (!c) {
    const names = new Set<string>();
    c = { expr: compileOnce(text, names), names: [...names] };
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(text, c);
  }
  for (const n of c.names) reads.add(n);
  return c.expr;
}

function compileOnce(text: string, reads: Set<string>): Expr {
  const { tokens, problems } = lexLine(text);
  if (problems.length || tokens.length === 0) return UNKNOWN;
  let i = 0;
  const isOp = (t: KconfigToken | undefined, op: string) => t?.kind === 'op' && t.text === op;
  class Bad extends Error {}
  type Atom = { kind: 'const'; text: string } | { kind: 'sym'; name: string } | { kind: 'unknown' };
  const atom = (t: KconfigToken): Atom => {
    if (t.kind === 'string') return { kind: 'const', text: t.text };
    if (t.text.includes('$')) return { kind: 'unknown' };
    if (t.text === 'y' || t.text === 'm' || t.text === 'n' || /^-?(0x[0-9a-fA-F]+|\d+)$/.test(t.text)) return { kind: 'const', text: t.text };
    reads.add(t.text);
    return { kind: 'sym', name: t.text };
  };
  const textOf = (a: Atom, v: Values): string | undefined => (a.kind === 'const' ? a.text : a.kind === 'sym' ? v.text(a.name) ?? 'n' : undefined);
  const primary = (depth: number): Expr => {
    if (depth > MAX_DEPTH) throw new Bad();
    const t = tokens[i++];
    if (!t) throw new Bad();
    if (isOp(t, '!')) {
      const e = primary(depth + 1);
      return (v) => {
        const x = e(v);
        return x === undefined ? undefined : ((2 - x) as Tri);
      };
    }
    if (isOp(t, '(')) {
      const e = or(depth + 1);
      if (!isOp(tokens[i++], ')')) throw new Bad();
      return e;
    }
    if (t.kind === 'op') throw new Bad();
    const left = atom(t);
    const cmp = tokens[i];
    if (cmp?.kind === 'op' && ['=', '!=', '<', '>', '<=', '>='].includes(cmp.text)) {
      i++;
      const r = tokens[i++];
      if (!r || r.kind === 'op') throw new Bad();
      const right = atom(r);
      return (v) => {
        const a = textOf(left, v);
        const b = textOf(right, v);
        return a === undefined || b === undefined ? undefined : compare(a, cmp.text, b) ? 2 : 0;
      };
    }
    if (left.kind === 'unknown') return UNKNOWN;
    if (left.kind === 'const') {
      const x: Tri = left.text === 'y' ? 2 : left.text === 'm' ? 1 : 0;
      return () => x;
    }
    return (v) => v.tri(left.name);
  };
  const and = (depth: number): Expr => {
    const parts = [primary(depth)];
    while (isOp(tokens[i], '&&')) {
      i++;
      parts.push(primary(depth));
    }
    return combine(parts, 'and');
  };

  const or = (depth: number): Expr => {
    const parts = [and(depth)];
    while (isOp(tokens[i], '||')) {
      i++;
      parts.push(and(depth));
    }
    return combine(parts, 'or');
  };

  try {
    const e = or(0);
    return i === tokens.length ? e : UNKNOWN;
  } catch (e) {
    if (e instanceof Bad) return UNKNOWN;
    throw e;
  }
}
