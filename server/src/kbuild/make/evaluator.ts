/**
 * A small GNU make evaluator: it reads a Makefile's lines as make does (continued
 * lines, comments, recipes), follows conditionals, `define`, `include` and the
 * text `$(eval)` creates, and keeps the variables (through expand.ts). It runs no
 * rule and no command. It knows no build system: a caller learns what it needs
 * through hooks, `onAssign` for every assignment line with the conditionals
 * around it, and gives the values of variables defined elsewhere through
 * `outside`.
 */
import { MakeExpander, UNK, VariableSources } from './expand';
import { endsWithContinuation, findAssign, normalize, parseEqArgs, splitWords, stripComment } from './text';

/** One logical line. */
const MAX_LINE = 1 << 20;
const MAX_INCLUDES = 64;
const MAX_INCLUDE_DEPTH = 8;

/** Whether make reads a line: 'unknown' when a conditional around it cannot be decided. */
export type GuardState = 'on' | 'off' | 'unknown';

/** One conditional around a line. */
export interface Guard {
  /** The directive as written, e.g. 'ifeq ($(X),y)'. */
  text: string;
  /** True for the `else` branch of that directive. */
  negated: boolean;
  line: number;
  state: GuardState;
}

/** One assignment line, as the evaluator meets it. */
export interface Assignment {
  file: string;
  line: number;
  /** The variable as written, e.g. 'x-$(Y)'. */
  nameRaw: string;
  /** The variable after expansion: '' or a text containing UNK when it could not be evaluated. */
  name: string;
  op: string;
  /** The value as written; the caller expands it (`evaluate`) now or, as make does for recursive values, when the file has been read. */
  valueRaw: string;
  /** Whether make reads the line: lines of a branch not taken are reported too, as 'off'. */
  state: GuardState;
  /** The conditionals around the line, outermost first. */
  guards: Guard[];
  /** For each of them, every condition it has tested so far: an `else ifdef B` branch also depends on the `ifeq A` before it. */
  conditions: string[];
  /** Whether the value is expanded only when the variable is used: `=`, `?=`, or `+=` to a recursive or new variable. */
  recursive: boolean;
  /** Whether the line is text `$(eval)` created, whose `$(1)` and friends hold only while it is read. */
  inEval: boolean;
}

interface MakeOptions extends VariableSources {
  /** Reads a file for `include`; without it every include is noted as not followed. */
  readFile?: (p: string) => string | undefined;
  /** Checks the text of an included file before it is read, throwing when it cannot be a Makefile. */
  checkText: (text: string, file: string) => string;
  /** Files whose content the caller gives otherwise (through `outside`): their `include` is skipped without a note. */
  skipInclude?: (p: string) => boolean;
  /** Told of every one-line assignment (a `define` is not one), in every branch, before make assigns it. */
  onAssign?: (a: Assignment) => void;
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

interface Define {
  name: string;
  op: string;
  body: string[];
  nest: number;
  line: number;
  state: GuardState;
  exp: boolean;
}

export class MakeEvaluator extends MakeExpander {
  readonly filesRead: string[] = [];
  private frames: Frame[] = [];
  private includes = 0;
  private includeDepth = 0;
  private inRule = false;

  constructor(private readonly options: MakeOptions) {
    super(options);
  }

  run(file: string, text: string): void {
    this.filesRead.push(file);
    this.processText(text, file);
  }

  protected override readEvalText(text: string, line: number): void {
    const savedRule = this.inRule;
    try {
      this.inRule = false;
      this.processText(text, this.curFile, line);
    } finally {
      this.inRule = savedRule;
    }
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
    let define: Define | null = null;
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
      if (state === 'off') this.reportOnly(t, file, lineNo);
      else this.statement(t, file, lineNo, state);
    }
    if (define) this.noteUnknown(file, define.line, `define ${define.name}`, 'define without endef');
    if (this.frames.length > frameBase) {
      this.noteUnknown(file, this.frames[frameBase].line, this.frames[frameBase].text, 'conditional without endif');
      this.frames.length = frameBase;
    }
    this.curFile = savedFile;
  }

  private finishDefine(d: Define): void {
    if (d.state === 'off') return;
    const name = this.expand(d.name).trim();
    if (!name || name.includes(UNK)) return;
    this.assign(name, d.op, d.body.join('\n'), d.exp, d.state === 'unknown');
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

  /** Tell `onAssign` of an assignment, before make makes it. */
  private report(nameRaw: string, name: string, op: string, valueRaw: string, state: GuardState, file: string, line: number): void {
    const v = name && !name.includes(UNK) ? this.getVar(name) : undefined;
    this.options.onAssign?.({
      file, line, nameRaw, name, op, valueRaw, state,
      guards: this.frames.map((f) => ({ text: f.text, negated: f.negated, line: f.line, state: f.state })),
      conditions: this.frames.map((f) => f.history),
      recursive: op === '=' || op === '?=' || (op === '+=' && (!v || v.flavor === 'recursive')),
      inEval: this.evalDepth > 0,
    });
  }

  /** A line in a region that is not evaluated: its assignments are still reported, as 'off'. */
  private reportOnly(t: string, file: string, lineNo: number): void {
    if (!this.options.onAssign) return;
    const s = t.replace(/^((export|override|private)\s+)+/, '');
    const a = findAssign(s);
    if (!a || a === 'rule') return;
    this.quiet++;
    try {
      this.report(a.lhs, this.expand(a.lhs).trim(), a.op, a.rhs, 'off', file, lineNo);
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
      if (um[1] === 'undefine' && state === 'on') for (const n of splitWords(this.expand(um[3] ?? ''))) this.deleteVar(n);
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
      this.report(a.lhs, lhs, a.op, a.rhs, state, file, lineNo);
      if (lhs && !lhs.includes(UNK)) this.assign(lhs, a.op, a.rhs, exp, state === 'unknown');
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
      if (this.options.skipInclude?.(p)) continue;
      if (!this.options.readFile || this.includeDepth >= MAX_INCLUDE_DEPTH || this.includes >= MAX_INCLUDES) {
        this.noteUnknown(file, lineNo, `include ${w}`, 'include not followed');
        continue;
      }
      const text = this.options.readFile(p);
      if (text === undefined) {
        if (!optional) this.noteUnknown(file, lineNo, `include ${w}`, 'the included file is not in the tree');
        continue;
      }
      this.includes++;
      this.includeDepth++;
      try {
        this.filesRead.push(p);
        this.processText(this.options.checkText(text, p), p);
      } finally {
        this.includeDepth--;
        this.inRule = false;
      }
    }
  }
}
