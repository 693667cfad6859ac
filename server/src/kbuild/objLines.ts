/**
 * The reading of one Kbuild Makefile into its object lines: every `obj-y`,
 * `obj-$(CONFIG_X)`, `lib-y`, `subdir-y`, composite `foo-y` and (in the top
 * Makefile) `core-y`-style assignment, with the value it has under a
 * configuration and the conditionals around it.
 *
 * The Makefiles are evaluated by the GNU make interpreter of make/, which knows
 * nothing of Kbuild: this file gives it the `.config` options as make variables,
 * has it skip the build's own copy of them (include/config/), and through its
 * `onAssign` hook records every assignment to an object list with the
 * conditionals around it. What cannot be known without running the build
 * (`$(shell)`, `$(wildcard)`, compiler probes, `$(call)` of helpers defined
 * outside the tree's Makefiles) evaluates to "unknown", and every object line
 * that depends on it says so instead of guessing.
 *
 * It is separate from makefiles.ts because reading one file needs nothing of the
 * tree: makefiles.ts walks the folders and explains why each object is (not)
 * built from the lines read here, and this file never looks back at it.
 */
import { KernelConfig, unquoteConfigString } from './dotconfig';
import { KbloatInputError } from '../common/errors';
import { Assignment, Guard, GuardState, MakeEvaluator } from './make/evaluator';
import { UNK, UnknownForm } from './make/expand';
import { normalize, splitWords, topLevelIndexes } from './make/text';

type LineValue = 'y' | 'm' | 'n' | 'unknown';

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

export interface KbuildDir {
  dir: string;
  /** The files read: the kbuild file first, then what it included. */
  files: string[];
  lines: ObjLine[];
  unknowns: UnknownForm[];
  /** False when no configuration was given: lines depending on Kconfig then have the value 'unknown'. */
  withConfig: boolean;
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

/** The list variables of the top-level Makefile that name the first folders (before 6.1). */
const ROOT_LISTS = new Set(['init', 'core', 'drivers', 'net', 'libs', 'virt', 'head']);

const MAX_MAKEFILE = 8 << 20;
const MAX_RECS = 100000;

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

/** Parse one Kbuild Makefile of folder `dir` ('' for the root) into its object lines. */
export function parseKbuildMakefile(text: string, dir: string, file: string, options: ParseOptions = {}): KbuildDir {
  const reader = new ObjListReader(dir, options);
  reader.make.run(file, checkText(text, file));
  return finish(reader, dir, options.topLevel ?? false);
}

export function checkText(text: string, file: string): string {
  if (text.length > MAX_MAKEFILE) throw new KbloatInputError('bad-makefile', `is too large (${text.length} bytes) for a Makefile`, file);
  if (text.includes('\0')) throw new KbloatInputError('bad-makefile', 'is not a text file (it contains NUL bytes)', file);
  return text;
}

/**
 * One evaluation of a Kbuild Makefile and what it includes: the make interpreter,
 * given the configuration as variables, and the object-list assignments it reports.
 */
export class ObjListReader {
  readonly make: MakeEvaluator;
  readonly withConfig: boolean;
  private readonly recs: Rec[] = [];
  /** Expand every `$(CONFIG_X)` as 'y', to see which words a $(if)/$(filter) on options can produce. */
  private allY = false;

  constructor(dir: string, private readonly o: ParseOptions) {
    const overrides = new Map(o.overrides ?? []);
    if (!overrides.has('obj')) overrides.set('obj', dir === '' ? '.' : dir);
    if (!overrides.has('src')) overrides.set('src', dir === '' ? '.' : dir);
    for (const v of ['srctree', 'objtree']) if (!overrides.has(v)) overrides.set(v, '.');
    const readFile = o.readFile ? (p: string) => (p.length ? o.readFile!(p) : undefined) : undefined;
    this.withConfig = !!o.config;
    this.make = new MakeEvaluator({
      env: o.env ?? new Map(),
      overrides,
      outside: (name) => (name.startsWith('CONFIG_') ? this.configLookup(name) : undefined),
      readFile,
      checkText,
      // The configuration is given as variables; the build's own copy (auto.conf) is not read.
      skipInclude: (p) => p.startsWith('include/config/'),
      onAssign: (a) => this.record(a),
    });
  }

  /** Expand the deferred values and hand the recorded assignments over. */
  finalize(): Rec[] {
    for (const r of this.recs) {
      if (!r.deferred) continue;
      this.make.moveTo(r.file, r.line);
      this.expandRec(r);
    }
    return this.recs;
  }

  /** An option as make sees it from auto.conf: '' when it is not set, unknown without a configuration. */
  private configLookup(name: string): string {
    if (this.allY) return 'y';
    if (!this.o.config) return UNK;
    const v = this.o.config.values.get(name);
    if (v === undefined || v === 'n') return '';
    return (this.o.unquoteStrings ?? true) ? unquoteConfigString(v) : v;
  }

  private classify(lhsRaw: string, lhs: string): LhsClass | null {
    const topLevel = this.o.topLevel ?? false;
    const isList = (n: string) => (topLevel ? ROOT_LISTS.has(n) : n === 'obj' || n === 'lib' || n === 'subdir');
    const kindOf = (n: string): LhsClass['kind'] => (topLevel ? 'root' : (n as 'obj' | 'lib' | 'subdir'));
    const literal = !lhsRaw.includes('$');
    if (lhs && !lhs.includes(UNK)) {
      const m = /^([A-Za-z0-9_]+)-(.*)$/.exec(lhs);
      if (m && isList(m[1])) {
        // obj-vdso, subdir-ccflags-y and the like are ordinary variables, not object lists.
        const ok = literal ? ['y', 'm', 'n', ''].includes(m[2]) : /^[^-/\s]*$/.test(m[2]);
        return ok ? { kind: kindOf(m[1]), name: m[1], suffix: m[2] } : null;
      }
      if (topLevel) return null;
      const k = lhs.lastIndexOf('-');
      if (k <= 0) return null;
      const suffix = lhs.slice(k + 1);
      const ok = literal ? ['y', 'm', 'objs', 'n', ''].includes(suffix) : /^[^/\s]*$/.test(suffix);
      return ok ? { kind: 'comp', name: lhs.slice(0, k), suffix } : null;
    }
    // The list name could not be evaluated (typically `obj-$(CONFIG_X)` without a configuration).
    const dashes = topLevelIndexes(lhsRaw, '-');
    if (!dashes.length) return null;
    const first = this.make.evaluate(lhsRaw.slice(0, dashes[0])).trim();
    if (isList(first)) return dashes.length === 1 ? { kind: kindOf(first), name: first, suffix: null } : null;
    if (topLevel) return null;
    const prefix = this.make.evaluate(lhsRaw.slice(0, dashes[dashes.length - 1])).trim();
    return prefix && !prefix.includes(UNK) ? { kind: 'comp', name: prefix, suffix: null } : null;
  }

  /** The `onAssign` hook: keep the assignments to object lists, with their conditionals. */
  private record(a: Assignment): void {
    const cls = this.classify(a.nameRaw, a.name);
    if (!cls) return;
    if (this.recs.length >= MAX_RECS) return this.make.noteUnknown(a.file, a.line, a.nameRaw, 'too many object lines; the rest are ignored');
    const deferred = !a.inEval && a.recursive;
    const rec: Rec = {
      file: a.file, line: a.line, lhsRaw: a.nameRaw, op: a.op, rhsRaw: a.valueRaw, cls, state: a.state, guards: a.guards,
      configRefs: configRefsOf(a.nameRaw, ...a.conditions, a.valueRaw),
      words: [], dropped: [], actualUnknown: false, deferred,
    };
    if (a.op === '!=') rec.words = [UNK], (rec.deferred = false);
    else if (!deferred) this.expandRec(rec);
    this.recs.push(rec);
  }

  private expandRec(r: Rec): void {
    // A line make does not read is expanded only to be recorded: its `$(eval)`s must not run.
    const quiet = r.state === 'off';
    const actual = this.make.evaluate(r.rhsRaw, quiet);
    r.words = splitWords(actual);
    r.actualUnknown = actual.includes(UNK);
    if (/CONFIG_/.test(r.rhsRaw) && /\$[({]/.test(r.rhsRaw)) {
      this.allY = true;
      let all: string;
      try {
        all = this.make.evaluate(r.rhsRaw, true);
      } finally {
        this.allY = false;
      }
      const have = new Set(r.words);
      r.dropped = [...new Set(splitWords(all))].filter((w) => !w.includes(UNK) && !have.has(w));
    }
  }
}

/** Every Kconfig symbol the texts name, in order of first appearance. */
function configRefsOf(...texts: string[]): string[] {
  const out: string[] = [];
  for (const t of texts) for (const m of t.matchAll(/CONFIG_[A-Za-z0-9_]+/g)) if (!out.includes(m[0])) out.push(m[0]);
  return out;
}

/** Turn the evaluator's recorded assignments into object lines with their values. */
export function finish(reader: ObjListReader, dir: string, topLevel: boolean): KbuildDir {
  const ev = reader.make;
  const recs = reader.finalize();
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
  return { dir, files: ev.filesRead, lines, unknowns: ev.unknowns, withConfig: reader.withConfig };
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
