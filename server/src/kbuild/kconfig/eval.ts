/**
 * Evaluates Kconfig expressions (`A && (B || !C)`, `X=y`, `FOO != "bar"`) under
 * a configuration, as the kernel's kconfig does: tristate logic with n=0, m=1,
 * y=2, `&&` the minimum, `||` the maximum, `!` the complement. Used to tell
 * whether a `select X if COND` applies and what a `depends on` allows once a
 * symbol changes from y to m.
 *
 * Macros (`$(...)`) are never run: an expression that holds one is unknown.
 */
import { KconfigToken, lexLine } from './lexer';

export type Tristate = 0 | 1 | 2;

/** The value a symbol has: 'y', 'm', 'n' or its string/number value, undefined for a symbol that is not set. */
export type SymbolValue = (name: string) => string | undefined;

const MAX_DEPTH = 200;

function tristateOf(v: string | undefined): Tristate {
  return v === 'y' ? 2 : v === 'm' ? 1 : 0;
}

/** The tristate value of an expression, or undefined when it cannot be told (a macro, a syntax error). */
export function evalKconfigExpr(expr: string, value: SymbolValue): Tristate | undefined {
  const { tokens, problems } = lexLine(expr);
  if (problems.length || tokens.length === 0) return undefined;
  let i = 0;
  let depth = 0;
  const peek = (): KconfigToken | undefined => tokens[i];
  const isOp = (t: KconfigToken | undefined, op: string) => t?.kind === 'op' && t.text === op;
  const fail = (): never => {
    throw new ExprError();
  };
  const atomValue = (t: KconfigToken): string => {
    if (t.kind === 'string') return t.text;
    if (t.text.includes('$')) fail();
    if (t.text === 'y' || t.text === 'm' || t.text === 'n') return t.text;
    return value(t.text) ?? (/^-?(0x[0-9a-fA-F]+|\d+)$/.test(t.text) ? t.text : 'n');
  };
  const primary = (): Tristate => {
    if (++depth > MAX_DEPTH) fail();
    try {
      const t = tokens[i++];
      if (!t) return fail();
      if (isOp(t, '!')) return (2 - primary()) as Tristate;
      if (isOp(t, '(')) {
        const v = or();
        if (!isOp(tokens[i++], ')')) fail();
        return v;
      }
      if (t.kind === 'op') return fail();
      const left = atomValue(t);
      const cmp = peek();
      if (cmp?.kind === 'op' && ['=', '!=', '<', '>', '<=', '>='].includes(cmp.text)) {
        i++;
        const r = tokens[i++];
        if (!r || r.kind === 'op') fail();
        return compare(left, cmp.text, atomValue(r!)) ? 2 : 0;
      }
      // A string or number on its own is n, as in kconfig.
      return tristateOf(left);
    } finally {
      depth--;
    }
  };
  const and = (): Tristate => {
    let v = primary();
    while (isOp(peek(), '&&')) {
      i++;
      v = Math.min(v, primary()) as Tristate;
    }
    return v;
  };
  const or = (): Tristate => {
    let v = and();
    while (isOp(peek(), '||')) {
      i++;
      v = Math.max(v, and()) as Tristate;
    }
    return v;
  };
  try {
    const v = or();
    return i === tokens.length ? v : undefined;
  } catch (e) {
    if (e instanceof ExprError) return undefined;
    throw e;
  }
}

class ExprError extends Error {}

/** A Kconfig comparison of two values as text (numbers when both are numbers). */
export function compare(a: string, op: string, b: string): boolean {
  if (op === '=') return a === b;
  if (op === '!=') return a !== b;
  // Ordering compares numbers when both sides are numbers, else strings, as kconfig does.
  const na = Number(a), nb = Number(b);
  const c = Number.isFinite(na) && Number.isFinite(nb) && a !== '' && b !== '' ? Math.sign(na - nb) : a < b ? -1 : a > b ? 1 : 0;
  return op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0;
}
