/**
 * The variables of a make run and their expansion: assignments of every flavour,
 * variable and substitution references, `$(call)`, `$(eval)` and the text
 * functions, each bounded. What cannot be known without running the build
 * (`$(shell)`, `$(wildcard)`, a `$(call)` of a helper defined in a file not read)
 * evaluates to "unknown" (see UNK), so that nothing built on it is a guess.
 * Reading the lines of a Makefile is the evaluator's part (evaluator.ts), which
 * extends this class and reads the text `$(eval)` hands it.
 */
import { findClose, matchPat, normalize, patsubstWord, splitArgs, splitWords, topLevelIndexes } from './text';

/** Marks text that could not be evaluated; a word containing it is unknown, a condition containing it is undecidable. */
export const UNK = '\u0000';

/** One expansion or one variable's value. */
const MAX_TEXT = 4 << 20;
const MAX_EXPAND_DEPTH = 100;
const MAX_CALL_DEPTH = 50;
const MAX_FOREACH = 20000;
const MAX_EVALS = 2000;
const MAX_EVAL_DEPTH = 10;
const MAX_UNKNOWNS = 200;
/** Variable references and function calls one evaluation may make (a folder of the Linux 6.1 tree needs a few hundred). */
const MAX_STEPS = 2_000_000;

interface MakeVar {
  flavor: 'recursive' | 'simple';
  value: string;
  origin: 'file' | 'environment';
}

/** A form the evaluator could not follow, and why: shown to the user instead of a guess. */
export interface UnknownForm {
  file: string;
  line: number;
  text: string;
  reason: string;
}

/** What the variables start from. */
export interface VariableSources {
  /** The environment make is run in: variables of origin 'environment'. */
  env: Map<string, string>;
  /** Variables given on make's command line; assignments in the Makefiles do not change them. */
  overrides: Map<string, string>;
  /**
   * The value of a variable that no Makefile read defines, as if it came from a
   * file the evaluator does not read: '' (or undefined) when it is undefined
   * there too, UNK when it cannot be known.
   */
  outside?: (name: string) => string | undefined;
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

export abstract class MakeExpander {
  /**
   * The variables set so far; the environment's are added when first used
   * (`getVar`), not copied in up front: a Kbuild Makefile is evaluated with the
   * hundred-odd variables the top Makefile exports, and uses a few of them.
   */
  private readonly vars = new Map<string, MakeVar>();
  /** Environment variables `undefine`d (or dropped by `$(foreach)`), which the environment no longer supplies. */
  private readonly dropped = new Set<string>();
  protected readonly exported = new Set<string>();
  readonly unknowns: UnknownForm[] = [];
  private depth = 0;
  private readonly expanding = new Set<string>();
  private readonly callArgs: string[][] = [];
  /** Above zero while text is expanded only to be looked at (a region not taken): `$(eval)` then does nothing. */
  protected quiet = 0;
  private evals = 0;
  /** How many `$(eval)`s the text being read is nested in. */
  protected evalDepth = 0;
  private steps = 0;
  /** Where the evaluator is, for notes and for the lines `$(eval)` creates. */
  protected curFile = '';
  protected curLine = 0;

  constructor(protected readonly sources: VariableSources) {}

  /** A variable as make has it now: set here, else from the environment (its own copy, which an assignment may change). */
  protected getVar(name: string): MakeVar | undefined {
    const v = this.vars.get(name);
    if (v !== undefined || this.dropped.has(name)) return v;
    const env = this.sources.env.get(name);
    if (env === undefined) return undefined;
    const fromEnv: MakeVar = { flavor: 'simple', value: env, origin: 'environment' };
    this.vars.set(name, fromEnv);
    return fromEnv;
  }

  protected setVar(name: string, v: MakeVar): void {
    this.vars.set(name, v);
  }

  protected deleteVar(name: string): void {
    this.vars.delete(name);
    if (this.sources.env.has(name)) this.dropped.add(name);
  }

  /** Read the text `$(eval)` creates, as lines of the file at `line`. */
  protected abstract readEvalText(text: string, line: number): void;

  noteUnknown(file: string, line: number, text: string, reason: string): void {
    if (this.unknowns.length < MAX_UNKNOWNS) this.unknowns.push({ file, line, text: text.replace(/\u0000/g, '?').slice(0, 200), reason });
  }

  /**
   * Expand `text` where the evaluator stands; a quiet expansion only looks at the
   * text, so that a `$(eval)` in it creates nothing.
   */
  evaluate(text: string, quiet = false): string {
    if (quiet) this.quiet++;
    try {
      return this.expand(text);
    } finally {
      if (quiet) this.quiet--;
    }
  }

  /** Stand at `file:line`: a value expanded after its file was read is expanded, and noted, as at its own line. */
  moveTo(file: string, line: number): void {
    this.curFile = file;
    this.curLine = line;
  }

  /** The value of a variable as a use of it would expand now. */
  finalValue(name: string): string {
    return this.lookup(name);
  }

  /** The environment a sub-make sees: `env` plus every exported variable, expanded. */
  exportedValues(env: Map<string, string>): Map<string, string> {
    const out = new Map(env);
    // The environment's variables not used here are as they came in (a command-line override still wins).
    for (const k of this.sources.env.keys()) if (!this.vars.has(k) && !this.dropped.has(k)) out.set(k, this.lookup(k));
    for (const [k, v] of this.vars) if (v.origin === 'environment' || this.exported.has(k)) out.set(k, this.lookup(k));
    for (const k of this.exported) if (!out.has(k) && this.sources.overrides.has(k)) out.set(k, this.sources.overrides.get(k)!);
    return out;
  }

  /** One assignment; `undecided` when it stands under a condition that cannot be decided. */
  protected assign(name: string, op: string, rhs: string, exp: boolean, undecided: boolean): void {
    // Variables given on the command line win over the Makefile's assignments.
    if (this.sources.overrides.has(name)) return;
    if (exp) this.exported.add(name);
    const v = this.getVar(name);
    if (undecided) {
      // Under a condition we cannot decide, the variable may or may not have changed: it becomes unknown.
      if (op === '+=' && v) v.value = v.value + ' ' + UNK;
      else this.setVar(name, { flavor: 'simple', value: UNK, origin: 'file' });
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
    this.setVar(name, nv);
  }

  /** ifdef: is the variable's (unexpanded) value non-empty? null when unknowable. */
  protected definedNonEmpty(name: string): boolean | null {
    const o = this.sources.overrides.get(name);
    if (o !== undefined) return o.includes(UNK) ? null : o.trim() !== '';
    const v = this.getVar(name);
    if (v) return v.value.includes(UNK) ? null : v.value.trim() !== '';
    const c = this.sources.outside?.(name) ?? '';
    return c === UNK ? null : c !== '';
  }

  private lookup(name: string): string {
    if (name.includes(UNK)) return UNK;
    if (/^\d+$/.test(name) && this.callArgs.length) return this.callArgs[this.callArgs.length - 1][Number(name)] ?? '';
    const o = this.sources.overrides.get(name);
    if (o !== undefined) return o;
    const v = this.getVar(name);
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
    return this.sources.outside?.(name) ?? '';
  }

  protected expand(s: string): string {
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
        const saved = this.getVar(v);
        const out: string[] = [];
        try {
          for (const w of words) {
            this.setVar(v, { flavor: 'simple', value: w, origin: 'file' });
            out.push(this.expand(raw[2] ?? ''));
          }
        } finally {
          if (saved) this.setVar(v, saved);
          else this.deleteVar(v);
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
    switch (fn) {
      case 'value': {
        const v = this.getVar(a[0].trim());
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
    return textFunction(fn, a);
  }

  private originOrFlavor(fn: string, name: string): string {
    if (this.sources.overrides.has(name)) return fn === 'origin' ? 'command line' : 'simple';
    const v = this.getVar(name);
    if (v) return fn === 'origin' ? v.origin : v.flavor;
    const c = this.sources.outside?.(name) ?? '';
    if (c === UNK) return UNK;
    if (c !== '') return fn === 'origin' ? 'file' : 'simple';
    return 'undefined';
  }

  private call(a: string[]): string {
    const name = a[0].trim();
    const v = this.getVar(name);
    // A helper not defined here lives in a file we did not read (a compiler probe, say): unknown, not empty.
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
    const line = this.curLine;
    try {
      this.readEvalText(text, line);
    } finally {
      this.evalDepth--;
      this.curLine = line;
    }
    return '';
  }
}

/**
 * The text functions, whose arguments are all expanded first and which read no
 * variable; a word containing UNK in the list they work on stays unknown.
 */
function textFunction(fn: string, a: string[]): string {
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
  }
  return UNK;
}
