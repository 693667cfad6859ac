/**
 * What Kconfig turns off along with one symbol set to n, read from the tree
 * without solving the whole configuration: the symbols that are on and whose
 * `depends on` (their own and their blocks') then fails, and the invisible
 * symbols (no prompt the user could answer) that it selects and that nothing
 * else that stays on selects or defaults on, repeated until nothing more
 * moves. That is what `make olddefconfig` takes out for the common shapes of
 * Kconfig; solve.ts computes it exactly, at the price of solving everything.
 * A symbol that a symbol still on selects cannot be turned off: nothing moves.
 * It answers in milliseconds, so the editor can ask per symbol.
 */
import { evalKconfigExpr } from './eval';
import type { KconfigTree } from './parser';

/** Symbol (without CONFIG_) → symbols whose dependencies name it. */
export class KconfigDependents {
  private readonly dependents = new Map<string, string[]>();

  constructor(readonly tree: KconfigTree) {
    for (const [name, defs] of tree.symbols) {
      const words = new Set<string>();
      for (const d of defs) for (const e of [...d.dependsOn, ...(d.promptIf ? [d.promptIf] : [])]) for (const w of e.match(/[A-Za-z0-9_]+/g) ?? []) words.add(w);
      for (const w of words) {
        const list = this.dependents.get(w);
        if (list) list.push(name);
        else this.dependents.set(w, [name]);
      }
    }
  }

  /** The symbols whose dependencies name `name`. */
  of(name: string): string[] {
    return this.dependents.get(name) ?? [];
  }
}

/** Steps of the propagation at most (real trees need a handful of rounds). */
const MAX_STEPS = 20000;

/**
 * `CONFIG_X` → what it turns off when set to n, as `CONFIG_Y` → { from, to }.
 * `value(name)` is the build's value of a symbol without CONFIG_ ('y', 'm', 'n', or text).
 */
export function takeAlongOff(deps: KconfigDependents, symbol: string, value: (name: string) => string | undefined): Map<string, { from: string; to: string }> {
  const tree = deps.tree;
  const start = symbol.replace(/^CONFIG_/, '');
  const off = new Set<string>([start]);
  const now = (n: string): string | undefined => (off.has(n) ? 'n' : value(n));
  const on = (n: string) => {
    const v = value(n);
    return v === 'y' || v === 'm';
  };
  const out = new Map<string, { from: string; to: string }>();
  // A symbol that something on selects stays on whatever .config says: nothing moves.
  if (heldBySelect(tree, start, new Set(), value)) return out;
  const queue = [start];
  const turnOff = (n: string) => {
    off.add(n);
    out.set(`CONFIG_${n}`, { from: value(n) ?? 'n', to: 'n' });
    queue.push(n);
  };
  for (let steps = 0; queue.length && steps < MAX_STEPS; steps++) {
    const name = queue.shift()!;
    // Dependents: off when every definition's dependencies fail.
    for (const dep of deps.of(name)) {
      if (off.has(dep) || !on(dep)) continue;
      const defs = tree.symbols.get(dep) ?? [];
      const fails = defs.length > 0 && defs.every((d) => d.dependsOn.some((e) => evalKconfigExpr(e, now) === 0));
      if (fails && !heldBySelect(tree, dep, off, now)) turnOff(dep);
    }
    // What it selects: off when invisible and nothing still on selects it or defaults it on.
    for (const def of tree.symbols.get(name) ?? []) {
      for (const sel of def.selects) {
        const target = sel.symbol;
        if (off.has(target) || !on(target)) continue;
        const tdefs = tree.symbols.get(target) ?? [];
        const visible = tdefs.some((d) => d.prompt !== undefined && (d.promptIf === undefined || evalKconfigExpr(d.promptIf, now) !== 0) && !d.dependsOn.some((e) => evalKconfigExpr(e, now) === 0));
        if (visible || heldBySelect(tree, target, off, now)) continue;
        const defaultOn = tdefs.some((d) => d.defaults.some((df) => evalKconfigExpr(df.value, now) !== 0 && (df.condition === undefined || evalKconfigExpr(df.condition, now) !== 0)));
        if (!defaultOn) turnOff(target);
      }
    }
  }
  return out;
}

/** Whether a symbol that stays on selects `name` (with its condition holding or unknown). */
function heldBySelect(tree: KconfigTree, name: string, off: Set<string>, now: (n: string) => string | undefined): boolean {
  return (tree.selectedBy.get(name) ?? []).some((s) => {
    if (off.has(s.by)) return false;
    const v = now(s.by);
    if (v !== 'y' && v !== 'm') return false;
    return s.condition === undefined || evalKconfigExpr(s.condition, now) !== 0;
  });
}
