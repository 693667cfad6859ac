/**
 * A small GNU make evaluator, just enough for Kbuild Makefiles: assignments of
 * every flavour, conditionals, `include`, `define`, `$(eval)`, `$(call)` and the
 * text functions, each bounded. What cannot be known without running the build
 * evaluates to "unknown" (see UNK). kbuild.ts turns its records into object lines.
 */
import * as path from 'node:path';
import { KernelConfig, unquoteConfigString } from '../dotconfig';
import type { Guard, UnknownForm } from '../makefiles';

/** The list variables of the top-level Makefile that name the first folders (before 6.1). */
export const ROOT_LISTS = new Set(['init', 'core', 'drivers', 'net', 'libs', 'virt', 'head']);

/** Marks text that could not be evaluated; a word containing it is unknown, a condition containing it is undecidable. */
export const UNK = '\u0000';

export const MAX_LINE = 1 << 20; // one logical line
export const MAX_TEXT = 4 << 20; // one expansion or variable value
export const MAX_EXPAND_DEPTH = 100;
export const MAX_CALL_DEPTH = 50;
export const MAX_FOREACH = 20000;
export const MAX_EVALS = 2000;
export const MAX_EVAL_DEPTH = 10;
export const MAX_INCLUDES = 64;
export const MAX_INCLUDE_DEPTH = 8;
export const MAX_RECS = 100000;
export const MAX_UNKNOWNS = 200;
/** Variable references and function calls one evaluation may make (a folder of the 6.1 tree needs a few hundred). */
export const MAX_STEPS = 2_000_000;

export type GuardState = Guard['state'];

export interface MakeVar {
  flavor: 'recursive' | 'simple';
  value: string;
  origin: 'file' | 'environment';
}

export interface Frame {
  text: string;
  line: number;
  state: GuardState;
  /** Whether an earlier branch of this conditional was taken. */
  taken: 'yes' | 'no' | 'maybe';
  negated: boolean;
  /** Every condition of the conditional so far: an `else ifdef B` branch also depends on the `ifeq A` before it. */
  history: string;
}

export interface LhsClass {
  kind: 'obj' | 'lib' | 'subdir' | 'root' | 'comp';
  /** 'obj', 'lib', 'subdir', 'core', ..., or the composite's name ('8250', 'sub/foo'). */
  name: string;
  /** What follows the last '-' after expansion ('y', 'm', '', 'objs'); null when unknown. */
  suffix: string | null;
}

/** One recorded assignment to an object list. */
export interface Rec {
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

export interface EvalInit {
  config?: KernelConfig;
  env: Map<string, string>;
  overrides: Map<string, string>;
  readFile?: (p: string) => string | undefined;
  topLevel: boolean;
  checkText: (text: string, file: string) => string;
  unquoteStrings: boolean;
}

/** Function name -> how many arguments it splits into (the last one keeps further commas). */
export const FUNCTIONS: Record<string, number> = {
  subst: 3, patsubst: 3, strip: 1, findstring: 2, filter: 2, 'filter-out': 2, sort: 1, word: 2, wordlist: 3,
  words: 1, firstword: 1, lastword: 1, dir: 1, notdir: 1, suffix: 1, basename: 1, addsuffix: 2, addprefix: 2,
  join: 2, wildcard: 1, realpath: 1, abspath: 1, if: 3, or: 1e9, and: 1e9, intcmp: 5, foreach: 3, let: 3,
  file: 2, call: 1e9, value: 1, eval: 1, origin: 1, flavor: 1, shell: 1, error: 1, warning: 1, info: 1, guile: 1,
};

/** For list functions: which argument is the list they work on word by word. */
export const WORDWISE: Record<string, number> = {
  subst: 2, patsubst: 2, strip: 0, filter: 1, 'filter-out': 1, sort: 0, dir: 0, notdir: 0, suffix: 0,
  basename: 0, addsuffix: 1, addprefix: 1, realpath: 0, abspath: 0,
};

export function splitWords(s: string): string[] {
  return s.split(/[ \t\n\r]+/).filter(Boolean);
}

/** Index of the parenthesis closing the one opened just before `from`, or -1. */
export function findClose(s: string, from: number, open: string): number {
  const close = open === '(' ? ')' : '}';
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === open) depth++;
    else if (s[i] === close && --depth === 0) return i;
  }
  return -1;
}

/** Positions of `ch` outside any $(...)/${...}. */
export function topLevelIndexes(s: string, ch: string, from = 0): number[] {
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
export function splitArgs(s: string, max: number): string[] {
  const cuts = topLevelIndexes(s, ',').slice(0, max - 1);
  const out: string[] = [];
  let prev = 0;
  for (const c of cuts) out.push(s.slice(prev, c)), (prev = c + 1);
  out.push(s.slice(prev));
  return out;
}

/** Remove a `#` comment; `\#` is a literal '#', and so is a '#' inside $(...) (GNU make manual, "Makefile Contents"). */
export function stripComment(s: string): string {
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

export function endsWithContinuation(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

/** `lhs op rhs` of an assignment, 'rule' for a rule line (a ':' not part of ':='), or null. */
export function findAssign(s: string): { lhs: string; op: string; rhs: string } | 'rule' | null {
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

export function matchPat(pat: string, w: string): boolean {
  const k = pat.indexOf('%');
  if (k < 0) return pat === w;
  const pre = pat.slice(0, k);
  const suf = pat.slice(k + 1);
  return w.length >= pre.length + suf.length && w.startsWith(pre) && w.endsWith(suf);
}

export function patsubstWord(pat: string, rep: string, w: string): string {
  const k = pat.indexOf('%');
  if (k < 0) return w === pat ? rep : w;
  if (!matchPat(pat, w)) return w;
  const stem = w.slice(k, w.length - (pat.length - k - 1));
  return rep.includes('%') ? rep.replace('%', stem) : rep;
}

/** `ifeq (a,b)`, `ifeq "a" "b"`, `ifeq 'a' "b"` -> [a, b]. */
export function parseEqArgs(rest: string): [string, string] | null {
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

export function configRefsOf(...texts: string[]): string[] {
  const out: string[] = [];
  for (const t of texts) for (const m of t.matchAll(/CONFIG_[A-Za-z0-9_]+/g)) if (!out.includes(m[0])) out.push(m[0]);
  return out;
}

export class MakeEvaluator {
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

export function normalize(p: string): string {
  const n = path.posix.normalize(p);
  return n === '.' ? '' : n.replace(/^\.\//, '');
}
