/**
 * The line and token level of the Kconfig language, below the statements that
 * kconfig.ts understands: reading a file as logical lines (continuations,
 * comments, help text), splitting a line into words, quoted strings and
 * operators, turning a run of tokens back into expression text, and expanding
 * the `$(...)` macros of the Kconfig preprocessor where that is needed (the
 * paths of `source` statements).
 *
 * Macros are never executed: `$(shell,...)` and friends are "unknown", which
 * callers treat as "cannot tell" rather than guessing a value.
 */
import * as path from 'node:path';

export type KconfigTokenKind = 'word' | 'string' | 'op';

export interface KconfigToken {
  kind: KconfigTokenKind;
  /** The word or operator as written, or a string's value without quotes and escapes. */
  text: string;
  /** Offsets into the logical line: `line.slice(start, end)` is the token as written. */
  start: number;
  end: number;
}

export interface LexedLine {
  tokens: KconfigToken[];
  problems: string[];
}

// Characters of Kconfig words: the lexer's `[A-Za-z0-9_-]` plus `/`, `.` and `$`,
// which it accepts so that macro references and paths form single words.
function isWordChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)
    || c === 0x5f /* _ */ || c === 0x2d /* - */ || c === 0x2f /* / */ || c === 0x2e /* . */ || c === 0x24 /* $ */;
}

const TWO_CHAR_OPS = new Set(['&&', '||', '!=', '<=', '>=', ':=', '+=']);
const ONE_CHAR_OPS = new Set(['!', '(', ')', '=', '<', '>']);

/**
 * Index of the `)` that closes the `(` at `open`, or -1. Only parentheses
 * count, as in the kernel's preprocessor: quotes inside a macro call are text.
 */
function closingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x28) depth++;
    else if (c === 0x29 && --depth === 0) return i;
  }
  return -1;
}

/**
 * For each `(` of a line, the index of its `)` (-1 when unclosed), found in one
 * pass, so that a line full of unclosed `$(` costs linear time, not quadratic.
 */
function parenMatches(s: string): Int32Array {
  const match = new Int32Array(s.length).fill(-1);
  const open: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x28) open.push(i);
    else if (c === 0x29 && open.length) match[open.pop()!] = i;
  }
  return match;
}

/**
 * Splits one logical line (continuations already joined) into tokens. A `#`
 * outside a string starts a comment. A `$(...)` reference is kept whole inside
 * the word or string that holds it, so commas, quotes and spaces inside a
 * `$(cc-option,...)` call do not split anything.
 */
export function lexLine(line: string): LexedLine {
  const tokens: KconfigToken[] = [];
  const problems: string[] = [];
  const n = line.length;
  const parens = line.includes('$(') ? parenMatches(line) : undefined;
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0c || c === 0x0b) { i++; continue; }
    if (c === 0x23 /* # */) break;
    if (c === 0x22 || c === 0x27) {
      let j = i + 1;
      let value = '';
      let closed = false;
      while (j < n) {
        const d = line.charCodeAt(j);
        if (d === c) { closed = true; j++; break; }
        if (d === 0x5c /* \ */) { value += line[j + 1] ?? ''; j += 2; continue; }
        if (d === 0x24 && line.charCodeAt(j + 1) === 0x28) {
          const k = parens![j + 1];
          if (k >= 0) { value += line.slice(j, k + 1); j = k + 1; continue; }
        }
        value += line[j];
        j++;
      }
      if (!closed) problems.push('unterminated string');
      tokens.push({ kind: 'string', text: value, start: i, end: Math.min(j, n) });
      i = j;
      continue;
    }
    if (isWordChar(c)) {
      let j = i;
      while (j < n && isWordChar(line.charCodeAt(j))) {
        if (line.charCodeAt(j) === 0x24 && line.charCodeAt(j + 1) === 0x28) {
          const k = parens![j + 1];
          if (k < 0) { problems.push('unterminated $( reference'); j = n; break; }
          j = k + 1;
        } else {
          j++;
        }
      }
      tokens.push({ kind: 'word', text: line.slice(i, j), start: i, end: j });
      i = j;
      continue;
    }
    const two = line.charCodeAt(i + 1) === 0x3d /* = */ || c === 0x26 /* & */ || c === 0x7c /* | */ ? line.slice(i, i + 2) : '';
    if (two && TWO_CHAR_OPS.has(two)) { tokens.push({ kind: 'op', text: two, start: i, end: i + 2 }); i += 2; continue; }
    if (ONE_CHAR_OPS.has(line[i])) { tokens.push({ kind: 'op', text: line[i], start: i, end: i + 1 }); i++; continue; }
    problems.push(`ignoring unsupported character '${line[i]}'`);
    i++;
  }
  return { tokens, problems };
}

/**
 * The source text of tokens `[from, to)`, with every run of blanks between two
 * tokens (including a joined line continuation) shown as one space, so that
 * `A && \<newline>\t\tB` reads `A && B` while `!(A||B)` stays as written.
 */
function tokenText(line: string, tokens: KconfigToken[], from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) {
    if (i > from && tokens[i].start > tokens[i - 1].end) out += ' ';
    out += line.slice(tokens[i].start, tokens[i].end);
  }
  return out;
}

interface MacroVar { value: string; recursive: boolean }

const MAX_EXPAND_DEPTH = 32;
const MAX_EXPAND_LENGTH = 1 << 16;
const MAX_EXPAND_STEPS = 10_000;

/**
 * The variables of the Kconfig preprocessor (`VAR := value`, `VAR = value`,
 * `VAR += value`, all global as in the kernel) and an expander for them.
 */
export class KconfigMacros {
  private readonly vars = new Map<string, MacroVar>();
  /** References expanded for the current `expand`: variables that each use another twice grow exponentially. */
  private steps = 0;

  /** `env` stands for the environment the kernel's make would pass (SRCARCH, ARCH, srctree, ...). */
  constructor(private readonly env: Readonly<Record<string, string>> = {}) {}

  /** Defines a variable; returns false when a `:=` value could not be expanded (it is then unknown). */
  assign(name: string, op: '=' | ':=' | '+=', value: string, file: string, line: number): boolean {
    const old = this.vars.get(name);
    // As in the kernel, `+=` on a variable that does not exist yet behaves like `=`.
    if (op === '=' || (op === '+=' && !old)) { this.vars.set(name, { value, recursive: true }); return true; }
    if (op === '+=' && old) {
      const add = old.recursive ? value : this.expand(value, file, line);
      const joined = add === undefined ? undefined : old.value + (old.value && add ? ' ' : '') + add;
      this.vars.set(name, { value: joined ?? '$(shell,unknown)', recursive: old.recursive || joined === undefined });
      return joined !== undefined;
    }
    const expanded = this.expand(value, file, line);
    // An unknown value is stored as an unknown call, so every later use of it is unknown too.
    this.vars.set(name, { value: expanded ?? '$(shell,unknown)', recursive: expanded === undefined });
    return expanded !== undefined;
  }

  /** Expands every `$(...)` in `text`; undefined when the result would depend on running something. */
  expand(text: string, file: string, line: number): string | undefined {
    this.steps = 0;
    return this.expandWith(text, [], file, line, 0);
  }

  private expandWith(s: string, args: string[], file: string, line: number, depth: number): string | undefined {
    if (depth > MAX_EXPAND_DEPTH) return undefined;
    let out = '';
    let i = 0;
    while (i < s.length) {
      const d = s.indexOf('$(', i);
      if (d < 0) { out += s.slice(i); break; }
      out += s.slice(i, d);
      const close = closingParen(s, d + 1);
      if (close < 0) return undefined;
      const value = this.call(splitArgs(s.slice(d + 2, close)), args, file, line, depth + 1);
      if (value === undefined) return undefined;
      out += value;
      if (out.length > MAX_EXPAND_LENGTH) return undefined;
      i = close + 1;
    }
    return out;
  }

  private call(parts: string[], args: string[], file: string, line: number, depth: number): string | undefined {
    if (++this.steps > MAX_EXPAND_STEPS) return undefined;
    const ex = (t: string) => this.expandWith(t, args, file, line, depth);
    const name = ex(parts[0]);
    if (name === undefined) return undefined;
    const params: string[] = [];
    for (const p of parts.slice(1)) {
      const v = ex(p);
      if (v === undefined) return undefined;
      params.push(v);
    }
    if (params.length === 0 && /^[1-9][0-9]*$/.test(name)) return args[Number(name) - 1] ?? '';
    const v = this.vars.get(name);
    if (v) return v.recursive || params.length ? this.expandWith(v.value, params, file, line, depth) : v.value;
    switch (name) {
      case 'filename': return file;
      case 'lineno': return String(line);
      // These only print or stop the build; as values they are empty.
      case 'info': case 'warning-if': case 'error-if': return '';
    }
    if (params.length === 0 && Object.prototype.hasOwnProperty.call(this.env, name)) return this.env[name];
    // `shell`, an undefined variable, or an environment variable we were not given.
    return undefined;
  }
}

/**
 * The tree-relative path a `source` statement names, or undefined when a macro
 * in it cannot be expanded. `relative` is for `rsource`/`orsource`, whose paths
 * start at the folder of the file holding them.
 */
export function resolveSourcePath(macros: KconfigMacros, written: string, relative: boolean, file: string, line: number): string | undefined {
  // Before Linux 4.18 paths named variables as `$SRCARCH`; those are expanded from the same table.
  const legacy = written.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, v: string) => `$(${v})`);
  const expanded = macros.expand(legacy, file, line);
  if (expanded === undefined) return undefined;
  const joined = relative ? path.posix.join(path.posix.dirname(file), expanded) : expanded;
  return path.posix.normalize(joined).replace(/^(\.\/)+/, '');
}

/** Splits the inside of `$(...)` at the commas that are not inside nested parentheses. */
function splitArgs(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) { parts.push(s.slice(start, i)); start = i + 1; }
  }
  parts.push(s.slice(start));
  return parts;
}

/** Width of a line's leading blanks, tabs advancing to the next multiple of 8 as in the kernel's lexer. */
function indentWidth(l: string): number {
  let ts = 0;
  for (let i = 0; i < l.length; i++) {
    if (l[i] === '\t') ts = (ts & ~7) + 8;
    else if (l[i] === ' ') ts++;
    else break;
  }
  return ts;
}

/** Whether a physical line ends in a `\` that joins it to the next (not one inside a comment or string). */
function continues(l: string): boolean {
  if (!l.endsWith('\\')) return false;
  let quote = '';
  for (let i = 0; i < l.length - 1; i++) {
    const c = l[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return false;
  }
  return quote === '';
}

const BLANK = /^[ \t]*$/;
const FIRST_CHAR = /[^ \t\f\v]/;
const ASSIGNMENT = /^[ \t]*([A-Za-z0-9_-]+)[ \t]*(:=|\+=|=)[ \t]*(.*)$/;
const MAX_LINE = 1 << 16;

export type LogicalLine = { first: number; last: number } & (
  | { kind: 'line'; line: KconfigLine }
  | { kind: 'assign'; name: string; op: '=' | ':=' | '+='; value: string }
  | { kind: 'too-long' });

/** Reads a file as logical lines: continuations joined, blank and comment lines skipped, help text on request. */
export class KconfigReader {
  private readonly lines: string[];
  private i = 0;

  constructor(text: string, private readonly isKeyword: (word: string) => boolean) {
    this.lines = text.split('\n');
    for (let k = 0; k < this.lines.length; k++) if (this.lines[k].endsWith('\r')) this.lines[k] = this.lines[k].slice(0, -1);
  }

  get lineCount(): number { return this.lines.length; }

  /** The next statement; `first` and `last` are its 1-based physical lines. */
  next(): LogicalLine | undefined {
    const lines = this.lines;
    while (this.i < lines.length) {
      const first = this.i + 1;
      let raw = lines[this.i++];
      while (continues(raw) && this.i < lines.length && raw.length <= MAX_LINE) raw = raw.slice(0, -1) + lines[this.i++];
      const last = this.i;
      if (raw.length > MAX_LINE) return { kind: 'too-long', first, last };
      const lead = FIRST_CHAR.exec(raw);
      // Most lines outside help text are blank or comments; skip them before any tokenizing.
      if (!lead || raw.charCodeAt(lead.index) === 0x23) continue;
      const assign = raw.includes('=') ? ASSIGNMENT.exec(raw) : null;
      // The value is taken raw, as the kernel does: `quote := "` is legal.
      if (assign && !this.isKeyword(assign[1])) return { kind: 'assign', name: assign[1], op: assign[2] as '=' | ':=' | '+=', value: assign[3], first, last };
      return { kind: 'line', line: new KconfigLine(raw), first, last };
    }
    return undefined;
  }

  /**
   * Reads help text after a `help` line. As in the kernel's lexer, it runs
   * while lines are blank or indented at least as deep as its first line, and
   * deeper indentation is kept as spaces. One difference: a line at column 0
   * always ends it, even right after `help`, where the kernel would swallow it.
   * `lastLine` is the last line with text (0 when there is none).
   */
  readHelp(): { text: string; lastLine: number } {
    const out: string[] = [];
    let firstTs = -1;
    let lastLine = 0;
    for (; this.i < this.lines.length; this.i++) {
      const l = this.lines[this.i];
      if (BLANK.test(l)) { out.push(''); continue; }
      const ts = indentWidth(l);
      if (ts === 0 || (firstTs >= 0 && ts < firstTs)) break;
      if (firstTs < 0) firstTs = ts;
      out.push(' '.repeat(ts - firstTs) + l.trim());
      lastLine = this.i + 1;
    }
    while (out.length && out[out.length - 1] === '') out.pop();
    return { text: out.join('\n'), lastLine };
  }
}

/** One logical line and its tokens, with the helpers that statements use to take it apart. */
export class KconfigLine {
  readonly tokens: KconfigToken[];
  readonly problems: string[];
  constructor(readonly raw: string) {
    const lexed = lexLine(raw);
    this.tokens = lexed.tokens;
    this.problems = lexed.problems;
  }

  /** Expression text of tokens `[from, to)`. */
  text(from: number, to = this.tokens.length): string {
    return tokenText(this.raw, this.tokens, from, to);
  }

  /** Index of the first `if` word at or after `from`, or -1. */
  ifAt(from: number): number {
    for (let k = from; k < this.tokens.length; k++) {
      const t = this.tokens[k];
      if (t.kind === 'word' && t.text === 'if') return k;
    }
    return -1;
  }

  /** `X [if COND]` from token `from` on: the value before the first `if`, the condition after it. */
  split(from: number): { value: string; condition?: string } {
    const at = this.ifAt(from);
    if (at < 0) return { value: this.text(from) };
    const condition = at + 1 < this.tokens.length ? this.text(at + 1) : undefined;
    return condition === undefined ? { value: this.text(from, at) } : { value: this.text(from, at), condition };
  }

  /** The word or string at token `k`, if there is one. */
  word(k: number): string | undefined {
    const t = this.tokens[k];
    return t && (t.kind === 'word' || t.kind === 'string') ? t.text : undefined;
  }
}
