/**
 * Which preprocessor conditionals enclose a line of C, and whether the build's
 * configuration turns that line off. Only the forms whose value the config
 * decides are evaluated (`#ifdef CONFIG_X`, `#ifndef`, `defined()`,
 * `IS_ENABLED()`, `IS_BUILTIN()`, `IS_MODULE()`, `IS_REACHABLE()`, with `!`,
 * `&&`, `||`, parentheses); anything else is unknown, and unknown never turns
 * code off. Directives are read from the text with comments blanked by the one
 * C blanker, so that an `#if` inside a comment opens nothing and a comment
 * after a condition is not part of it.
 */
import { blankCommentsAndStrings } from '../c/blank';

export interface Conditional {
  /** The directive's condition as written (`CONFIG_X` for #ifdef). */
  text: string;
  kind: 'if' | 'ifdef' | 'ifndef';
  /** True when the line is in an #else / #elif branch of it. */
  inElse: boolean;
  line: number;
}

/** The conditionals enclosing each line, computed in one pass over the text. */
export function enclosingConditionals(text: string): (line: number) => Conditional[] {
  // Split at CRLF too: `(.*)$` below would not match across a `\r`.
  const lines = blankCommentsAndStrings(text).split(/\r?\n/);
  const snapshots: Conditional[][] = new Array(lines.length);
  // Each open conditional keeps the conditions of its earlier branches, as expressions.
  const stack: { current: Conditional; earlier: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    snapshots[i] = stack.map((e) => e.current);
    const m = /^\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b(.*)$/.exec(lines[i]);
    if (!m) continue;
    const [, directive, rest] = m;
    // A comment inside the condition left a run of blanks: one space reads as the author wrote it.
    const cond = rest.trim().replace(/\s+/g, ' ');
    if (directive === 'ifdef' || directive === 'ifndef' || directive === 'if') {
      stack.push({ current: { text: cond, kind: directive, inElse: false, line: i }, earlier: [asExpression(directive, cond)] });
    } else if (directive === 'endif') {
      stack.pop();
    } else if (stack.length) {
      // #elif and #else hold when every earlier branch failed (and, for #elif, its own condition holds).
      const top = stack[stack.length - 1];
      const none = top.earlier.map((e) => `!(${e})`).join(' && ');
      top.current = { text: directive === 'else' ? none : `${none} && (${cond})`, kind: 'if', inElse: false, line: i };
      if (directive === 'elif') top.earlier.push(cond);
    }
  }
  return (line) => snapshots[Math.min(Math.max(line, 0), snapshots.length - 1)] ?? [];
}

/**
 * One branch of a conditional group as written: the `#if`/`#ifdef`/`#ifndef`
 * line that opens the group, or one of its `#elif`/`#else` lines, with the
 * lines it covers. `condition` is the branch's own condition in the form
 * evaluate() takes (an `#else` holds when every earlier branch failed).
 */
export interface Branch {
  /** Zero-based line of the directive. */
  line: number;
  directive: 'if' | 'ifdef' | 'ifndef' | 'elif' | 'else';
  /** The condition as written after the directive ('' for #else). */
  written: string;
  condition: Conditional;
  /** The earlier branches of the same group (for #elif and #else), as conditions of their own. */
  earlier: { line: number; condition: Conditional }[];
  /** Zero-based line of the directive that ends the branch (#elif, #else, #endif); the last line + 1 when the group is left open. */
  end: number;
  /** Index in the list of the branch that encloses this one, if any. */
  parent?: number;
}

/** Every branch of every conditional group in the text, in order of their lines. */
export function conditionalBranches(text: string): Branch[] {
  const lines = blankCommentsAndStrings(text).split(/\r?\n/);
  const out: Branch[] = [];
  // The branch open at each depth: index in `out`, and the group's earlier branches.
  const stack: { index: number; earlier: { line: number; condition: Conditional }[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b(.*)$/.exec(lines[i]);
    if (!m) continue;
    const directive = m[1] as Branch['directive'] | 'endif';
    const written = m[2].trim().replace(/\s+/g, ' ');
    if (directive === 'if' || directive === 'ifdef' || directive === 'ifndef') {
      const condition: Conditional = { text: written, kind: directive, inElse: false, line: i };
      const parent = stack.length ? stack[stack.length - 1].index : undefined;
      out.push({ line: i, directive, written, condition, earlier: [], end: lines.length, ...(parent !== undefined ? { parent } : {}) });
      stack.push({ index: out.length - 1, earlier: [{ line: i, condition }] });
      continue;
    }
    const top = stack[stack.length - 1];
    if (!top) continue;
    out[top.index].end = i;
    if (directive === 'endif') {
      stack.pop();
      continue;
    }
    const none = top.earlier.map((e) => `!(${asExpression(e.condition.kind, e.condition.text)})`).join(' && ');
    const own: Conditional = { text: directive === 'else' ? none : `${none} && (${written})`, kind: 'if', inElse: false, line: i };
    const parent = out[top.index].parent;
    out.push({ line: i, directive, written: directive === 'else' ? '' : written, condition: own, earlier: [...top.earlier], end: lines.length, ...(parent !== undefined ? { parent } : {}) });
    top.index = out.length - 1;
    if (directive === 'elif') top.earlier.push({ line: i, condition: { text: written, kind: 'if', inElse: false, line: i } });
  }
  return out;
}

function asExpression(kind: string, cond: string): string {
  const name = cond.split(/\s+/)[0];
  if (kind === 'ifdef') return `defined(${name})`;
  if (kind === 'ifndef') return `!defined(${name})`;
  return cond;
}

type Value = boolean | undefined;

/**
 * The replacement text of a configuration macro as include/generated/autoconf.h
 * defines it, or undefined when it is not defined: `CONFIG_X` is `1` for y and
 * the value itself for int, hex and string options; for m only `CONFIG_X_MODULE`
 * is defined (as `1`), and `CONFIG_X` is not.
 */
function macroOf(name: string, valueOf: (symbol: string) => string): string | undefined {
  const v = valueOf(name);
  if (v === 'y') return '1';
  if (v !== 'm' && v !== 'n' && v !== '') return v;
  const base = /^(CONFIG_\w+)_MODULE$/.exec(name)?.[1];
  return base !== undefined && valueOf(base) === 'm' ? '1' : undefined;
}

/** include/linux/kconfig.h's macros of a CONFIG_ name; IS_REACHABLE of an m option depends on whether the file is built as a module, which this does not know. */
function kconfigMacro(fn: string, name: string, valueOf: (symbol: string) => string): Value {
  const builtIn = macroOf(name, valueOf) === '1';
  const module = macroOf(`${name}_MODULE`, valueOf) === '1';
  switch (fn) {
    case 'defined': return macroOf(name, valueOf) !== undefined;
    case 'IS_BUILTIN': return builtIn;
    case 'IS_MODULE': return module;
    case 'IS_ENABLED': return builtIn || module;
    default: return builtIn ? true : module ? undefined : false; // IS_REACHABLE
  }
}

/** Evaluates a conditional with `valueOf('CONFIG_X')` → 'y' | 'm' | 'n'. */
export function evaluate(c: Conditional, valueOf: (symbol: string) => string): Value {
  let v: Value;
  if (c.kind === 'ifdef' || c.kind === 'ifndef') {
    const name = c.text.split(/\s+/)[0];
    v = /^CONFIG_\w+$/.test(name) ? kconfigMacro('defined', name, valueOf) : undefined;
    if (c.kind === 'ifndef' && v !== undefined) v = !v;
  } else {
    v = evalExpr(c.text, valueOf);
  }
  if (v !== undefined && c.inElse) v = !v;
  return v;
}

/** True when some enclosing conditional is known to be off under the config. */
export function isConfiguredOut(conditionals: Conditional[], valueOf: (symbol: string) => string): Conditional | undefined {
  return conditionals.find((c) => evaluate(c, valueOf) === false);
}

function evalExpr(src: string, valueOf: (symbol: string) => string): Value {
  const tokens = src.match(/\|\||&&|!|\(|\)|[A-Za-z_]\w*|\S/g) ?? [];
  let p = 0;
  const peek = () => tokens[p];
  const or = (): Value => {
    let a = and();
    while (peek() === '||') {
      p++;
      const b = and();
      a = a === true || b === true ? true : a === false && b === false ? false : undefined;
    }
    return a;
  };
  const and = (): Value => {
    let a = unary();
    while (peek() === '&&') {
      p++;
      const b = unary();
      a = a === false || b === false ? false : a === true && b === true ? true : undefined;
    }
    return a;
  };
  const unary = (): Value => {
    if (peek() === '!') {
      p++;
      const v = unary();
      return v === undefined ? undefined : !v;
    }
    if (peek() === '(') {
      p++;
      const v = or();
      if (peek() === ')') p++;
      return v;
    }
    const t = tokens[p++];
    if (t === undefined) return undefined;
    const fn = /^(defined|IS_ENABLED|IS_BUILTIN|IS_MODULE|IS_REACHABLE)$/.exec(t);
    if (fn && peek() === '(') {
      p++;
      const name = tokens[p++];
      if (peek() === ')') p++;
      if (!name || !/^CONFIG_\w+$/.test(name)) return undefined;
      return kconfigMacro(fn[1], name, valueOf);
    }
    if (t === 'defined' && /^CONFIG_\w+$/.test(peek() ?? '')) return kconfigMacro('defined', tokens[p++], valueOf);
    if (/^[01]$/.test(t)) return t === '1';
    return undefined;
  };
  const v = or();
  return p === tokens.length ? v : undefined;
}
