/**
 * What the editor says where options are written: above a Kconfig entry, on a
 * `.config` line, on a Makefile object line, on an `#if` line of a C file and
 * on a trace event. Pure functions of the index's option lookups
 * (index/optionLookups.ts) and of what the readers found in the text; no LSP
 * types, so they are tested directly (test/optionLens.test.ts).
 */
import * as path from 'node:path';
import type { FileEntry } from '../index/model';
import type { OptionLookups, TraceSymbol } from '../index/optionLookups';
import { TRACE_PREFIXES } from '../index/optionLookups';
import { residentBytes, sumBytes } from '../binary/sections';
import { Branch, Conditional, evaluate } from '../kbuild/preproc';
import type { ObjectListLine } from '../kbuild/makefileLines';
import type { TraceEventDecl } from '../kbuild/traceEvents';
import { exactBytes, grouped, humanSize } from '../shared/units';

export interface OptionLens {
  title: string;
  /** The bytes the title shows, when it shows some. */
  bytes?: number;
}

const bytesOf = (files: FileEntry[]): number => files.reduce((a, f) => a + sumBytes(f.bytes), 0);
const plural = (n: number, one: string, many = `${one}s`): string => `${grouped(n)} ${n === 1 ? one : many}`;
const bare = (symbol: string): string => symbol.replace(/^CONFIG_/, '');

/** What Kconfig would change along with a symbol turned off, as a solver answers it. */
export type TakeAlong = Map<string, { from: string; to: string }>;

export interface SymbolFacts {
  /** `CONFIG_X`. */
  symbol: string;
  /** Its value in the build's configuration: 'y', 'm', 'n', or the text of an int/hex/string. */
  value: string;
  type?: string;
  /** The symbols its Kconfig entry selects (`CONFIG_` names). */
  selects?: string[];
  /** What turning it off takes along, when the Kconfig tree has been read. */
  takeAlong?: TakeAlong;
}

/** The built-in files that go with the symbol beyond its own: nested ones, and those of symbols Kconfig turns off with it. */
export function takenAlong(opt: OptionLookups, facts: SymbolFacts): { files: FileEntry[]; symbols: string[] } {
  const own = new Set(opt.symbol(facts.symbol).own);
  const files = new Set<FileEntry>();
  for (const f of opt.symbol(facts.symbol).nested) if (!own.has(f)) files.add(f);
  const symbols: string[] = [];
  for (const [s, change] of facts.takeAlong ?? []) {
    if (s === facts.symbol || change.to !== 'n' || change.from !== 'y') continue;
    let adds = false;
    for (const f of [...opt.symbol(s).own, ...opt.symbol(s).nested]) if (!own.has(f) && !files.has(f)) files.add(f), (adds = true);
    if (adds || opt.symbol(s).own.length) symbols.push(s);
  }
  return { files: [...files], symbols };
}

/** The lens above a Kconfig entry, and on its `.config` line. */
export function symbolLens(opt: OptionLookups, facts: SymbolFacts): OptionLens {
  const { symbol, value } = facts;
  const s = opt.symbol(symbol);
  if (value === 'n' || value === '') return { title: 'not set' };
  if (value === 'm') {
    const mods = [...s.modules];
    if (!mods.length) return { title: '=m · no module of its own in this build' };
    const files = mods.flatMap(([, fs]) => fs);
    const bytes = bytesOf(files);
    const names = mods.map(([m]) => m);
    return { title: `=m · ${humanSize(bytes)} in ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`, bytes };
  }
  if (value !== 'y') return { title: `=${value}` };
  const parts: string[] = ['=y'];
  const own = bytesOf(s.own);
  let bytes: number | undefined;
  if (s.own.length) {
    parts.push(`${humanSize(own)} in vmlinux (${plural(s.own.length, 'file')})`);
    bytes = own;
  } else {
    parts.push('no code of its own');
    const selected = (facts.selects ?? []).map((x) => ({ x, b: bytesOf(opt.symbol(x).own) })).filter((e) => e.b > 0).sort((a, b) => b.b - a.b);
    if (selected.length) parts.push(`selects ${selected.slice(0, 2).map((e) => `${bare(e.x)} (${humanSize(e.b)})`).join(', ')}${selected.length > 2 ? ` +${selected.length - 2}` : ''}`);
  }
  const along = takenAlong(opt, facts);
  if (along.files.length) parts.push(`off takes ${humanSize(bytesOf(along.files))} more along`);
  if (s.own.some((f) => f.builtinModule) || facts.type === 'tristate') parts.push('could be a module');
  return { title: parts.join(' · '), ...(bytes !== undefined ? { bytes } : {}) };
}

/** Markdown for hovering a Kconfig entry or a `.config` line. */
export function symbolHover(opt: OptionLookups, facts: SymbolFacts, extra: { blockers?: string[]; holders?: string[]; treeProblem?: string } = {}): string {
  const lens = symbolLens(opt, facts);
  const s = opt.symbol(facts.symbol);
  const out = [`**${facts.symbol}** ${lens.title}`];
  const table = (title: string, files: FileEntry[], where: (f: FileEntry) => string) => {
    if (!files.length) return;
    out.push('', `| ${title} | bytes | |`, '|---|---:|---|');
    for (const f of [...files].sort((a, b) => sumBytes(b.bytes) - sumBytes(a.bytes)).slice(0, 25)) out.push(`| ${f.path} | ${exactBytes(sumBytes(f.bytes))} | ${where(f)} |`);
    if (files.length > 25) out.push(`| … ${files.length - 25} more | | |`);
    out.push(`| total | ${exactBytes(bytesOf(files))} | resident ${exactBytes(files.reduce((a, f) => a + residentBytes(f.bytes), 0))} |`);
  };
  if (facts.value === 'y') table('its own files in vmlinux', s.own, (f) => (f.builtinModule ? `could be ${f.builtinModule}` : ''));
  const mods = [...s.modules].flatMap(([, fs]) => fs);
  table('in modules', mods, (f) => f.module ?? '');
  if (facts.value === 'y') {
    const along = takenAlong(opt, facts);
    table('turning it off also takes out', along.files, (f) => (f.config?.[0] ? `\`${f.config[0].name}\`` : ''));
    if (along.symbols.length) out.push('', `Kconfig turns off with it: ${along.symbols.slice(0, 30).map((x) => `\`${x}\``).join(', ')}${along.symbols.length > 30 ? ` and ${along.symbols.length - 30} more` : ''}.`);
    else if (!facts.takeAlong) out.push('', extra.treeProblem ? `_What depends on it is not known: ${extra.treeProblem}._` : '_What depends on it is shown once the Kconfig tree has been read._');
  }
  if (extra.holders?.length) out.push('', 'Held at its value by:', ...extra.holders.map((h) => `- ${h}`));
  if (extra.blockers?.length) out.push('', 'Modularize blockers:', ...extra.blockers.slice(0, 10).map((b) => `- ${b}`));
  return out.join('\n');
}

/** The lens of a Kconfig `choice`: the member the build chose, and its bytes. */
export function choiceLens(opt: OptionLookups, members: string[], valueOf: (symbol: string) => string): OptionLens {
  const chosen = members.filter((m) => valueOf(m) === 'y' || valueOf(m) === 'm');
  if (!chosen.length) return { title: 'choice · none of its members is set' };
  const files = chosen.flatMap((m) => opt.symbol(m).own);
  const bytes = bytesOf(files);
  return { title: `choice · ${chosen.map((m) => `${bare(m)}=${valueOf(m)}`).join(', ')}${files.length ? ` · ${humanSize(bytes)} in vmlinux` : ''}`, ...(files.length ? { bytes } : {}) };
}

/** One word of a Makefile object line, as built. */
export interface WordFigure {
  word: string;
  /** Built-in bytes, when it puts some into vmlinux. */
  bytes?: number;
  /** Modules it goes into. */
  modules: string[];
  /** Why it is not built, when it is not. */
  notBuilt?: string;
}

/**
 * The objects (or folder) a word of a Makefile line in folder `dir` names, with
 * a composite (`8250.o` of `8250-y := 8250_core.o`) read through its member
 * lines in the same file.
 */
export function wordFigure(opt: OptionLookups, dir: string, word: string, lines: ObjectListLine[], valueOf: (symbol: string) => string, depth = 0): WordFigure {
  const rel = path.posix.normalize(dir ? `${dir}/${word}` : word);
  if (word.endsWith('/')) {
    const folder = opt.folderBytes(rel);
    if (!folder || (!folder.files && !folder.modules.size)) return { word, modules: [], notBuilt: 'nothing under it is built' };
    return { word, ...(folder.files ? { bytes: folder.bytes } : {}), modules: [...folder.modules] };
  }
  const entry = opt.object(rel);
  if (entry) {
    if (entry.status === 'built-in') return { word, bytes: sumBytes(entry.bytes), modules: [] };
    if (entry.status === 'module') return { word, modules: [entry.module ?? '(module)'] };
    return { word, modules: [], notBuilt: entry.reason ?? 'not built' };
  }
  const stem = word.replace(/\.o$/, '');
  const members = compositesOf(lines).get(stem) ?? [];
  if (members.length && depth < 4) {
    let bytes = 0;
    let built = false;
    const modules = new Set<string>();
    for (const l of members) {
      for (const w of l.words) {
        const f = wordFigure(opt, dir, w.text, lines, valueOf, depth + 1);
        if (f.bytes !== undefined) (bytes += f.bytes), (built = true);
        for (const m of f.modules) modules.add(m);
      }
    }
    if (built || modules.size) return { word, ...(built ? { bytes } : {}), modules: [...modules] };
  }
  return { word, modules: [], notBuilt: 'not in this build' };
}

const composites = new WeakMap<ObjectListLine[], Map<string, ObjectListLine[]>>();

/** A file's composite member lines by composite name, made once per reading of the file. */
function compositesOf(lines: ObjectListLine[]): Map<string, ObjectListLine[]> {
  let m = composites.get(lines);
  if (!m) {
    m = new Map();
    for (const l of lines) if (l.kind === 'composite' && l.composite) m.set(l.composite, [...(m.get(l.composite) ?? []), l]);
    composites.set(lines, m);
  }
  return m;
}

/** The lens of a Makefile object line in folder `dir` (tree-relative, '' for the top). */
export function makefileLineLens(opt: OptionLookups, dir: string, line: ObjectListLine, lines: ObjectListLine[], valueOf: (symbol: string) => string): OptionLens {
  const cond = line.condition;
  const value = cond ? valueOf(cond) : undefined;
  const figures = line.words.map((w) => wordFigure(opt, dir, w.text, lines, valueOf));
  const built = figures.filter((f) => f.bytes !== undefined || f.modules.length);
  if (!built.length) {
    if (cond && (value === 'n' || value === '')) return { title: `not built: ${cond} is not set` };
    if (line.suffix === 'n' || line.suffix === '') return { title: 'not built: the list is not linked' };
    if (!figures.length) return { title: line.unresolved ? 'its objects are named by make functions: see the lines that define them' : 'names no object' };
    if (line.kind === 'lib') return { title: 'not linked: nothing in vmlinux uses these library objects' };
    return { title: `not built${figures[0].notBuilt && figures.length === 1 ? `: ${figures[0].notBuilt}` : ''}` };
  }
  const total = built.reduce((a, f) => a + (f.bytes ?? 0), 0);
  const text = (f: WordFigure) => {
    if (f.bytes !== undefined) return `${f.word} ${humanSize(f.bytes)}${f.modules.length ? ` + ${plural(f.modules.length, 'module')}` : ''}`;
    if (f.modules.length) return `${f.word} in ${f.modules.length === 1 ? f.modules[0] : plural(f.modules.length, 'module')}`;
    return `${f.word} not built`;
  };
  const prefix = cond ? `${cond.replace(/^CONFIG_/, '')}=${value === '' ? 'n' : value} · ` : '';
  if (figures.length <= 4) return { title: prefix + figures.map(text).join(' · '), bytes: total };
  const largest = [...built].sort((a, b) => (b.bytes ?? 0) - (a.bytes ?? 0)).slice(0, 3);
  return { title: `${prefix}${plural(built.length, 'object')} · ${humanSize(total)} in vmlinux · largest ${largest.map(text).join(', ')}`, bytes: total };
}

/** Markdown for hovering a Makefile object line: every word with its figure. */
export function makefileLineHover(opt: OptionLookups, dir: string, line: ObjectListLine, lines: ObjectListLine[], valueOf: (symbol: string) => string): string {
  const lens = makefileLineLens(opt, dir, line, lines, valueOf);
  const out = [`**${line.listVar}** — ${lens.title}`, '', '| object | in vmlinux | modules | |', '|---|---:|---|---|'];
  for (const w of line.words) {
    const f = wordFigure(opt, dir, w.text, lines, valueOf);
    out.push(`| ${f.word} | ${f.bytes !== undefined ? exactBytes(f.bytes) : ''} | ${f.modules.join(', ')} | ${f.notBuilt ?? ''} |`);
  }
  return out.join('\n');
}

/** A function or variable definition as the branch lens needs it. */
export interface Definition {
  name: string;
  /** Zero-based line of its name. */
  line: number;
  /** Zero-based first and last line of the whole definition. */
  startLine: number;
  endLine: number;
}

/** Why a conditional is false under the configuration: `CONFIG_X is not set`, or the symbols it names with their values. */
export function offReason(c: Conditional, valueOf: (symbol: string) => string): string {
  const one = /^(?:!?\s*defined\s*\(?\s*|IS_ENABLED\s*\(\s*|IS_BUILTIN\s*\(\s*|IS_MODULE\s*\(\s*)?(CONFIG_\w+)\s*\)?$/.exec(c.text.trim());
  if (one && c.kind !== 'ifndef' && !c.text.trim().startsWith('!')) {
    const v = valueOf(one[1]);
    return v === 'n' || v === '' ? `${one[1]} is not set` : `${one[1]}=${v}`;
  }
  const names = [...new Set(c.text.match(/CONFIG_\w+/g) ?? [])].map((n) => (n.endsWith('_MODULE') && valueOf(n) === 'n' ? n.replace(/_MODULE$/, '') : n));
  const set = [...new Set(names)].map((n) => (valueOf(n) === 'n' || valueOf(n) === '' ? `${n} is not set` : `${n}=${valueOf(n)}`));
  return set.length ? set.join(', ') : `#if ${c.text} is false in this build`;
}

export type DefinitionFate = { built: true } | { built: false; why: string };

/** The conditional branches of a text with their values under a configuration, and the innermost branch of each line. */
export interface BranchMap {
  branches: Branch[];
  /** evaluate() of each branch's own condition. */
  values: (boolean | undefined)[];
  /** Per zero-based line: the index of the innermost branch holding it, or -1. */
  innermost: Int32Array;
  valueOf: (symbol: string) => string;
}

export function branchMap(branches: Branch[], lineCount: number, valueOf: (symbol: string) => string): BranchMap {
  const innermost = new Int32Array(lineCount).fill(-1);
  // In line order an inner branch comes after the one around it, so it overwrites its lines.
  branches.forEach((b, i) => innermost.fill(i, Math.min(b.line + 1, lineCount), Math.min(b.end, lineCount)));
  return { branches, values: branches.map((b) => evaluate(b.condition, valueOf)), innermost, valueOf };
}

/** The outermost-first chain of branches around a line that is known false, innermost first; undefined when none is. */
function offBranchAt(map: BranchMap, line: number): number | undefined {
  for (let k = map.innermost[line] ?? -1; k >= 0; k = map.branches[k].parent ?? -1) if (map.values[k] === false) return k;
  return undefined;
}

/**
 * Which of a file's function definitions the build has, when the same name is
 * defined in exclusive `#if` branches (kernel/fork.c's three
 * `thread_stack_free_rcu`): the one on the line DWARF names, else the one whose
 * branches the configuration does not turn off, else every one that may be. A
 * definition the configuration turns off is not built, unless it is the only
 * one of a name the build has (then the evaluation is not trusted).
 */
export function builtDefinitions(defs: { name: string; line: number }[], map: BranchMap, file: FileEntry | undefined): DefinitionFate[] {
  const fates: DefinitionFate[] = defs.map(() => ({ built: true }));
  const byName = new Map<string, number[]>();
  defs.forEach((d, i) => {
    const list = byName.get(d.name);
    if (list) list.push(i);
    else byName.set(d.name, [i]);
  });
  const entries = new Map((file?.functions ?? []).map((f) => [f.name, f]));
  const offAt = (i: number) => offBranchAt(map, defs[i].line);
  const why = (k: number) => branchOffReason(map, k);
  for (const [name, idx] of byName) {
    const entry = entries.get(name);
    if (!entry) {
      for (const i of idx) {
        const k = offAt(i);
        if (k !== undefined) fates[i] = { built: false, why: why(k) };
      }
      continue;
    }
    if (idx.length === 1) continue;
    const off = idx.map(offAt);
    const atLine = entry.line !== undefined && !entry.declFile ? idx.find((i) => defs[i].line + 1 === entry.line) : undefined;
    const possible = idx.filter((_, n) => off[n] === undefined);
    const chosen = atLine !== undefined ? [atLine] : possible.length ? possible : idx;
    idx.forEach((i, n) => {
      if (chosen.includes(i)) return;
      fates[i] = { built: false, why: off[n] !== undefined ? why(off[n]!) : `the definition at line ${defs[chosen[0]].line + 1} is the one built` };
    });
  }
  return fates;
}

/** The lens of one `#if`-family line: what the branch it opens puts into the build, or why it is configured out. */
export interface BranchFigure {
  branch: Branch;
  title: string;
  bytes?: number;
  functions: { name: string; bytes: number }[];
  variables: { name: string; bytes: number }[];
}

/** Whether a branch's condition (or, for #else/#elif, its group's) names a Kconfig symbol. */
export function namesConfig(b: Branch): boolean {
  return /\bCONFIG_\w+/.test(b.written) || b.earlier.some((e) => /\bCONFIG_\w+/.test(e.condition.text));
}

/**
 * The lenses of the file-scope conditional branches of a C file that name a
 * Kconfig symbol. `functions` are the parser's definitions (their fates from
 * builtDefinitions); variables are found as file-scope lines that name a
 * variable the index lists for the file.
 */
export function branchFigures(text: string, map: BranchMap, functions: Definition[], fates: DefinitionFate[], file: FileEntry | undefined): BranchFigure[] {
  const { branches, values } = map;
  const fnRanges = functions.map((f) => [f.startLine, f.endLine] as const).sort((a, b) => a[0] - b[0]);
  const insideFunction = (line: number) => fnRanges.some(([a, b]) => line > a && line <= b);
  const variables = file ? variableLines(text, functions, new Set(file.variables.map((v) => v.name.split('.')[0])), map) : new Map<string, number>();
  const fnSize = new Map<string, number>();
  for (const f of file?.functions ?? []) fnSize.set(f.name, f.size);
  const varSize = new Map<string, number>();
  for (const v of file?.variables ?? []) if (!v.name.includes('.')) varSize.set(v.name, (varSize.get(v.name) ?? 0) + v.size);
  // A branch is out when it or a branch around it is known false.
  const outBy = (i: number): number | undefined => {
    for (let k: number | undefined = i; k !== undefined; k = branches[k].parent) if (values[k] === false) return k;
    return undefined;
  };
  const out: BranchFigure[] = [];
  branches.forEach((b, i) => {
    if (!namesConfig(b) || insideFunction(b.line)) return;
    const off = outBy(i);
    if (off !== undefined) {
      const by = branches[off];
      const why = off === i ? branchOffReason(map, off) : `inside the ${by.directive === 'else' ? '#else' : `#${by.directive}`} at line ${by.line + 1}, which is configured out`;
      out.push({ branch: b, title: `configured out: ${why}`, functions: [], variables: [] });
      return;
    }
    const inside = (line: number) => line > b.line && line < b.end;
    const fns = functions.map((f, k) => ({ f, k })).filter(({ f, k }) => inside(f.line) && fates[k].built && fnSize.has(f.name)).map(({ f }) => ({ name: f.name, bytes: fnSize.get(f.name)! }));
    const vars = [...variables].filter(([name, line]) => inside(line) && varSize.has(name)).map(([name]) => ({ name, bytes: varSize.get(name)! }));
    const notBuiltHere = functions.filter((f, k) => inside(f.line) && !fates[k].built);
    if (!file || file.status === 'not-built') {
      out.push({ branch: b, title: 'the file is not built', functions: [], variables: [] });
      return;
    }
    if (!fns.length && !vars.length) {
      if (values[i] === undefined && notBuiltHere.length) {
        const k = functions.indexOf(notBuiltHere[0]);
        const fate = fates[k];
        out.push({ branch: b, title: `not taken: ${fate.built ? 'its definitions are not the ones built' : fate.why}`, functions: [], variables: [] });
        return;
      }
      const taken = values[i] === true ? 'taken' : `taken if ${b.written || 'the earlier branches fail'}`;
      out.push({ branch: b, title: `${taken} · no functions or variables of its own in the build`, functions: [], variables: [] });
      return;
    }
    const bytes = [...fns, ...vars].reduce((a, x) => a + x.bytes, 0);
    const what = [fns.length ? plural(fns.length, 'function') : '', vars.length ? plural(vars.length, 'variable') : ''].filter(Boolean).join(', ');
    const where = file.status === 'module' ? `in ${file.module}` : 'in vmlinux';
    out.push({ branch: b, title: `${humanSize(bytes)} ${where} · ${what}`, bytes, functions: fns, variables: vars });
  });
  return out;
}

/** Why a branch that is known false is so: its own condition, or an earlier branch of its group that is taken. */
function branchOffReason(map: BranchMap, k: number): string {
  const b = map.branches[k];
  const valueOf = map.valueOf;
  if (b.directive === 'if' || b.directive === 'ifdef' || b.directive === 'ifndef') return offReason(b.condition, valueOf);
  const taken = b.earlier.find((e) => evaluate(e.condition, valueOf) === true);
  if (taken) {
    const names = [...new Set(taken.condition.text.match(/CONFIG_\w+/g) ?? [])].map((n) => (valueOf(n) === 'n' || valueOf(n) === '' ? `${n} is not set` : `${n}=${valueOf(n)}`)).join(', ');
    return `the branch at line ${taken.line + 1} is taken${names ? ` (${names})` : ''}`;
  }
  return offReason({ text: b.written, kind: 'if', inElse: false, line: b.line }, valueOf);
}

/**
 * Where each of the file's variables is defined: the first file-scope line that
 * starts a declaration naming it (outside every function, not an `extern`),
 * preferring one the configuration does not turn off.
 */
function variableLines(text: string, functions: Definition[], names: Set<string>, map: BranchMap): Map<string, number> {
  const lines = text.split(/\r?\n/);
  const inFn = new Uint8Array(lines.length);
  for (const f of functions) for (let l = Math.max(f.startLine, 0); l <= f.endLine && l < lines.length; l++) inFn[l] = 1;
  const offLine = (line: number) => offBranchAt(map, line) !== undefined;
  const found = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (inFn[i] || !/^[A-Za-z_]/.test(l) || /^(extern|typedef|struct\s+\w+\s*;|#)/.test(l)) continue;
    for (const m of l.matchAll(/[A-Za-z_]\w*/g)) {
      const n = m[0];
      if (!names.has(n)) continue;
      const seen = found.get(n);
      if (seen === undefined || (offLine(seen) && !offLine(i))) found.set(n, i);
    }
  }
  return found;
}

/** What the generated code and data of trace events cost, as found in the index. */
export interface TraceFigure {
  events: TraceEventDecl[];
  code: number;
  data: number;
  /** The files the generated symbols are in. */
  files: string[];
  symbols: { name: string; size: number; kind: 'function' | 'variable' }[];
}

/** The generated symbols of a list of declarations (an event's own, its class's code once). */
export function traceFigure(opt: OptionLookups, decls: TraceEventDecl[], inFile?: string): TraceFigure {
  const names = new Set<string>();
  for (const d of decls) {
    if (d.kind !== 'class') for (const p of [...TRACE_PREFIXES.eventCode, ...TRACE_PREFIXES.eventData]) names.add(p + d.name);
    if (d.kind !== 'class-event') for (const p of [...TRACE_PREFIXES.classCode, ...TRACE_PREFIXES.classData]) names.add(p + d.eventClass);
    // DEFINE_EVENT_PRINT gives the event an output function, format and funcs of its own.
    else if (d.ownOutput) for (const p of ['trace_raw_output_', 'print_fmt_', 'trace_event_type_funcs_']) names.add(p + d.name);
  }
  const symbols: TraceFigure['symbols'] = [];
  const files = new Set<string>();
  let code = 0;
  let data = 0;
  for (const n of names) {
    const at: TraceSymbol[] = opt.traceSymbol(n).filter((t) => !inFile || t.file.path === inFile);
    for (const t of at) {
      symbols.push({ name: n, size: t.entry.size, kind: t.kind });
      files.add(t.file.path);
      if (t.kind === 'function') code += t.entry.size;
      else data += t.entry.size;
    }
  }
  return { events: decls, code, data, files: [...files], symbols };
}

/** `2 trace events · 1,234 B code · 512 B data`, on the instantiating #include. */
export function traceIncludeLens(figure: TraceFigure, header: string): OptionLens {
  const events = figure.events.filter((d) => d.kind !== 'class').length;
  if (!figure.symbols.length) return { title: `${plural(events, 'trace event')} (${path.posix.basename(header)}) · none in this build` };
  return { title: `${plural(events, 'trace event')} · ${humanSize(figure.code + figure.data)} (${humanSize(figure.code)} code, ${humanSize(figure.data)} data)`, bytes: figure.code + figure.data };
}

/** The lens on one declaration of a trace header; a class's code is shared by its events. */
export function traceDeclLens(opt: OptionLookups, decl: TraceEventDecl, all: TraceEventDecl[]): OptionLens {
  const f = traceFigure(opt, [decl]);
  if (!f.symbols.length) return { title: decl.kind === 'class' ? 'event class · no code in this build' : 'trace event · not in this build' };
  const total = f.code + f.data;
  const where = f.files.length === 1 ? ` · in ${path.posix.basename(f.files[0])}` : f.files.length > 1 ? ` · in ${f.files.length} files` : '';
  if (decl.kind === 'class') {
    const users = all.filter((d) => d.kind === 'class-event' && d.eventClass === decl.name).length;
    return { title: `event class · ${humanSize(total)} (${humanSize(f.code)} code) shared by its ${plural(users, 'event')}${where}`, bytes: total };
  }
  const shared = decl.kind === 'class-event' ? ` · uses the code of class ${decl.eventClass}` : '';
  return { title: `trace event · ${humanSize(total)} (${humanSize(f.code)} code)${shared}${where}`, bytes: total };
}

/** Markdown for a trace include or declaration: every generated symbol with its bytes. */
export function traceHover(title: string, figure: TraceFigure): string {
  const out = [`**${title}**`];
  if (figure.symbols.length) {
    out.push('', '| generated symbol | kind | bytes |', '|---|---|---:|');
    for (const s of [...figure.symbols].sort((a, b) => b.size - a.size)) out.push(`| \`${s.name}\` | ${s.kind === 'function' ? 'code' : 'data'} | ${exactBytes(s.size)} |`);
    out.push(`| total | | ${exactBytes(figure.code + figure.data)} |`);
  }
  return out.join('\n');
}
