/**
 * A Kconfig parser good enough for a whole real kernel tree: it follows
 * `source` statements, keeps the position of every symbol definition and of
 * the line holding its type, and records what each symbol depends on, selects
 * and implies, so that "make this a module" fixes can find and edit entries.
 *
 * It is a reader, not an evaluator: expressions are kept as text, and macros
 * such as `$(shell,...)` or `$(cc-option,...)` are never run. Only the paths of
 * `source` statements are expanded, from the variables of the Kconfig files and
 * the few that make passes in (`SRCARCH`, `ARCH`, `srctree`).
 *
 * Problems are warnings (`{ file, line, message }`, see common/warnings.ts),
 * never exceptions, because a file open in an editor is often half-written and
 * one bad file must not hide the rest of the tree. Blocks (`if`, `menu`, `choice`) left open at the end of a
 * file are closed there with a warning: the kernel's own tool would refuse the
 * file, while we keep what it defines and say what is wrong. The one error
 * thrown is KbloatInputError('bad-config') for a top `Kconfig` that cannot be
 * read at all, since then there is no tree.
 */
import { KbloatInputError } from '../../common/errors';
import type { Warning } from '../../common/warnings';
import { KconfigLine, KconfigMacros, KconfigReader, resolveSourcePath } from './lexer';

export interface KconfigPos {
  file: string;
  /** 1-based line number. */
  line: number;
  /** 0-based column, given where an edit needs it (the type keyword). */
  col?: number;
}

export type KconfigType = 'bool' | 'tristate' | 'string' | 'hex' | 'int';

export interface KconfigDefault { value: string; condition?: string; pos: KconfigPos }
export interface KconfigReverse { symbol: string; condition?: string; pos: KconfigPos }

export interface KconfigSymbol {
  /** The name without `CONFIG_`. */
  name: string;
  kind: 'config' | 'menuconfig';
  type?: KconfigType;
  prompt?: string;
  /** The `if` condition of the prompt, when it has one. */
  promptIf?: string;
  defaults: KconfigDefault[];
  /** Every dependency: first those of enclosing `if`, `menu` and `choice` blocks (outermost first), then the entry's own. */
  dependsOn: string[];
  /** Only the entry's own `depends on` lines, with their positions, for edits. */
  ownDepends: { expr: string; pos: KconfigPos }[];
  selects: KconfigReverse[];
  implies: KconfigReverse[];
  /** `visible if` conditions of enclosing menus (symbols have none of their own). */
  visibleIf?: string[];
  help?: string;
  /** Id of the enclosing choice block (its name, or `file:line` for an unnamed one). */
  choice?: string;
  /** The `config X` line. */
  pos: KconfigPos;
  /** The line and column of the type keyword (`bool`, `def_bool`, ...), where `bool` would become `tristate`. */
  typePos?: KconfigPos;
  /** Last line of the entry, including help text but not trailing blank or comment lines. */
  endLine: number;
}

export interface KconfigChoice {
  id: string;
  name?: string;
  type?: KconfigType;
  prompt?: string;
  promptIf?: string;
  defaults: KconfigDefault[];
  /** The choice's own `depends on` lines; its members inherit them. */
  dependsOn: string[];
  optional: boolean;
  help?: string;
  members: string[];
  pos: KconfigPos;
  /** The `endchoice` line (or the last line of the file when it is missing). */
  endLine: number;
}

export interface KconfigSource {
  kind: 'source' | 'rsource' | 'osource' | 'orsource';
  /** The path as written, macros unexpanded. */
  written: string;
  /** The path relative to the tree root, when the macros in it could be expanded. */
  resolved?: string;
  pos: KconfigPos;
}

export interface KconfigFileResult {
  file: string;
  symbols: KconfigSymbol[];
  choices: KconfigChoice[];
  sources: KconfigSource[];
  warnings: Warning[];
}

export interface KconfigTree {
  /** All definitions of each symbol, in reading order (arch Kconfigs often add to a generic one). */
  symbols: Map<string, KconfigSymbol[]>;
  choices: Map<string, KconfigChoice>;
  /** Files read, each once, in the order first read. */
  files: string[];
  /** For each symbol, the symbols that `select` it. */
  selectedBy: Map<string, { by: string; condition?: string; pos: KconfigPos }[]>;
  /** For each symbol, the symbols that `imply` it. */
  impliedBy: Map<string, { by: string; condition?: string; pos: KconfigPos }[]>;
  warnings: Warning[];
}

export interface KconfigTreeOptions {
  /** The kernel's `SRCARCH` (`x86`, `arm64`, ...). */
  srcArch: string;
  /** `ARCH` as given to make (`i386`, `x86_64`); defaults to `srcArch`. */
  arch?: string;
  /** The top file, relative to the tree root; defaults to `Kconfig`. */
  root?: string;
  /** Further variables make would export, such as `HEADER_ARCH` for arch/um. */
  env?: Record<string, string>;
  maxDepth?: number;
  maxFiles?: number;
}

/** The type of a symbol: the first definition that gives one wins, as in the kernel. */
export function symbolType(tree: KconfigTree, name: string): KconfigType | undefined {
  return tree.symbols.get(name)?.find((s) => s.type)?.type;
}

const MAX_WARNINGS = 1000;
const TYPES = new Map<string, KconfigType>([
  ['bool', 'bool'], ['boolean', 'bool'], ['tristate', 'tristate'], ['string', 'string'], ['hex', 'hex'], ['int', 'int'],
  ['def_bool', 'bool'], ['def_tristate', 'tristate'],
]);
const BLOCKS = new Set([
  'config', 'menuconfig', 'choice', 'endchoice', 'menu', 'endmenu', 'if', 'endif', 'comment', 'mainmenu',
  'source', 'rsource', 'osource', 'orsource',
]);
const KEYWORDS = new Set([
  ...BLOCKS, ...TYPES.keys(), 'prompt', 'default', 'depends', 'select', 'imply', 'visible', 'range', 'option',
  'modules', 'optional', 'transitional', 'help', '---help---',
]);

interface Frame {
  kind: 'if' | 'menu' | 'choice';
  deps: string[];
  visible: string[];
  /** The file parse that opened the block: blocks must close in the same file. */
  owner: number;
  line: number;
  choice?: KconfigChoice;
}

type Entry =
  | { kind: 'symbol'; sym: KconfigSymbol }
  | { kind: 'choice'; choice: KconfigChoice; frame: Frame }
  | { kind: 'menu'; frame: Frame }
  | { kind: 'comment' };

interface FileState {
  /** Identifies this reading of the file: blocks must close in the file that opened them. */
  owner: number;
  entry?: Entry;
  /** Last line of the current entry so far. */
  entryEnd: number;
}

class KconfigParser {
  readonly symbols: KconfigSymbol[] = [];
  readonly choices: KconfigChoice[] = [];
  readonly sources: KconfigSource[] = [];
  readonly warnings: Warning[] = [];
  private readonly frames: Frame[] = [];
  private nextOwner = 0;

  constructor(
    readonly macros: KconfigMacros,
    /** Called for each `source`-like statement, at its place, so that blocks around it apply to what it reads. */
    private readonly onSource: (src: KconfigSource) => void,
  ) {}

  warn(file: string, line: number, message: string): void {
    // A broken or hostile tree can repeat one mistake endlessly; the first ones say enough.
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push({ file, line, message });
    else if (this.warnings.length === MAX_WARNINGS) this.warnings.push({ message: 'further warnings left out' });
  }

  parseFile(text: string, file: string): void {
    const st: FileState = { owner: ++this.nextOwner, entryEnd: 0 };
    const reader = new KconfigReader(text, (w) => KEYWORDS.has(w));
    for (let l = reader.next(); l; l = reader.next()) {
      const { first, last } = l;
      if (l.kind === 'too-long') { this.warn(file, first, 'line too long: ignored'); continue; }
      if (l.kind === 'assign') {
        // A value that needs a command run (`$(shell,...)`) just stays unknown; that is no syntax problem.
        this.macros.assign(l.name, l.op, l.value, file, first);
        continue;
      }
      const { line } = l;
      for (const p of line.problems) this.warn(file, first, p);
      if (line.tokens.length === 0) continue;
      const kw = line.tokens[0].kind === 'word' ? line.tokens[0].text : '';
      // A bare macro call such as `$(error-if,...)` matters only for its side effects, and we run none.
      if (kw.startsWith('$')) continue;
      if (kw === 'help' || kw === '---help---') {
        const help = reader.readHelp();
        if (st.entry?.kind === 'symbol') st.entry.sym.help = help.text;
        else if (st.entry?.kind === 'choice') st.entry.choice.help = help.text;
        else this.warn(file, first, 'help text outside of a config or choice entry');
        st.entryEnd = help.lastLine || last;
      } else if (BLOCKS.has(kw)) {
        this.endEntry(st);
        this.block(st, kw, line, { file, line: first }, last);
      } else if (!st.entry) {
        this.warn(file, first, KEYWORDS.has(kw) ? `'${kw}' outside of an entry` : `unknown statement '${line.raw.trim().slice(0, 60)}'`);
      } else if (this.attribute(st.entry, kw, line, { file, line: first })) {
        st.entryEnd = last;
      }
    }
    this.endEntry(st);
    while (this.frames.length && this.frames[this.frames.length - 1].owner === st.owner) {
      const f = this.frames.pop()!;
      this.warn(file, f.line, `'${f.kind}' is not closed at the end of the file`);
      if (f.choice) f.choice.endLine = reader.lineCount;
    }
  }

  private endEntry(st: FileState): void {
    if (st.entry?.kind === 'symbol') st.entry.sym.endLine = st.entryEnd;
    st.entry = undefined;
  }

  private need(line: KconfigLine, k: number, what: string, pos: KconfigPos): string | undefined {
    const w = line.word(k);
    if (w === undefined) this.warn(pos.file, pos.line, `'${line.tokens[0].text}' needs ${what}`);
    return w;
  }

  /** A statement that opens or closes a block or an entry. */
  private block(st: FileState, kw: string, line: KconfigLine, pos: KconfigPos, last: number): void {
    switch (kw) {
      case 'config': case 'menuconfig': {
        const name = this.need(line, 1, 'a symbol name', pos);
        if (name === undefined) return;
        let choice: KconfigChoice | undefined;
        for (let k = this.frames.length - 1; k >= 0 && !choice; k--) choice = this.frames[k].choice;
        const dependsOn: string[] = [];
        const visible: string[] = [];
        for (const f of this.frames) { dependsOn.push(...f.deps); visible.push(...f.visible); }
        const sym: KconfigSymbol = {
          name, kind: kw, defaults: [], dependsOn, ownDepends: [], selects: [], implies: [], pos, endLine: last,
          ...(visible.length ? { visibleIf: visible } : {}), ...(choice ? { choice: choice.id } : {}),
        };
        choice?.members.push(name);
        this.symbols.push(sym);
        st.entry = { kind: 'symbol', sym };
        st.entryEnd = last;
        return;
      }
      case 'choice': {
        const name = line.tokens[1]?.kind === 'word' ? line.tokens[1].text : undefined;
        const choice: KconfigChoice = {
          id: name ?? `${pos.file}:${pos.line}`, ...(name ? { name } : {}), defaults: [], dependsOn: [],
          optional: false, members: [], pos, endLine: last,
        };
        this.choices.push(choice);
        st.entry = { kind: 'choice', choice, frame: this.push(st, pos, 'choice', [], choice) };
        return;
      }
      case 'menu': case 'comment': case 'mainmenu':
        this.need(line, 1, 'a prompt', pos);
        // A menu opens a block its `depends on` and `visible if` apply to; a comment takes only `depends on`.
        if (kw === 'menu') st.entry = { kind: 'menu', frame: this.push(st, pos, 'menu', []) };
        else if (kw === 'comment') st.entry = { kind: 'comment' };
        return;
      case 'if':
        if (line.tokens.length < 2) this.warn(pos.file, pos.line, `'if' without a condition`);
        this.push(st, pos, 'if', line.tokens.length > 1 ? [line.text(1)] : []);
        return;
      case 'endchoice': case 'endmenu': case 'endif':
        this.close(kw.slice(3) as Frame['kind'], st.owner, pos);
        return;
      default: {
        const written = this.need(line, 1, 'a file name', pos);
        if (written !== undefined) this.source(kw as KconfigSource['kind'], written, pos);
      }
    }
  }

  private push(st: FileState, pos: KconfigPos, kind: Frame['kind'], deps: string[], choice?: KconfigChoice): Frame {
    const f: Frame = { kind, deps, visible: [], owner: st.owner, line: pos.line, ...(choice ? { choice } : {}) };
    this.frames.push(f);
    return f;
  }

  /** Applies one attribute line to the current entry; false (with a warning) when it does not belong there. */
  private attribute(entry: Entry, kw: string, line: KconfigLine, pos: KconfigPos): boolean {
    const sym = entry.kind === 'symbol' ? entry.sym : undefined;
    const target = sym ?? (entry.kind === 'choice' ? entry.choice : undefined);
    const n = line.tokens.length;
    const type = TYPES.get(kw);
    if (type) {
      if (!target || (!sym && kw.startsWith('def_'))) return this.misplaced(pos, kw, entry);
      if (target.type && target.type !== type) this.fail(pos, `type '${type}' ignored: already ${target.type}`);
      else if (!target.type) {
        target.type = type;
        if (sym) sym.typePos = { file: pos.file, line: pos.line, col: line.tokens[0].start };
      }
      if (sym && kw.startsWith('def_')) this.addDefault(sym, line, pos);
      else if (n > 1) this.setPrompt(target, line);
      return true;
    }
    switch (kw) {
      case 'prompt':
        if (!target) return this.misplaced(pos, kw, entry);
        if (this.need(line, 1, 'a prompt', pos) !== undefined) this.setPrompt(target, line);
        return true;
      case 'default':
        if (!target) return this.misplaced(pos, kw, entry);
        this.addDefault(target, line, pos);
        return true;
      case 'depends': {
        if (line.tokens[1]?.text !== 'on' || n < 3) return this.fail(pos, `expected 'depends on <expression>'`);
        const expr = line.text(2);
        if (sym) { sym.dependsOn.push(expr); sym.ownDepends.push({ expr, pos }); }
        else if (entry.kind === 'choice') { entry.choice.dependsOn.push(expr); entry.frame.deps.push(expr); }
        else if (entry.kind === 'menu') entry.frame.deps.push(expr);
        // A comment's dependencies only hide the comment; nothing else inherits them.
        return true;
      }
      case 'select': case 'imply': {
        if (!sym) return this.misplaced(pos, kw, entry);
        const symbol = this.need(line, 1, 'a symbol', pos);
        if (symbol === undefined) return false;
        const { value, ...condition } = line.split(2);
        if (value || (n > 2 && !condition.condition)) this.fail(pos, `unexpected text after '${kw} ${symbol}'`);
        (kw === 'select' ? sym.selects : sym.implies).push({ symbol, ...condition, pos });
        return true;
      }
      case 'visible':
        if (entry.kind !== 'menu') return this.misplaced(pos, kw, entry);
        if (line.tokens[1]?.text !== 'if' || n < 3) return this.fail(pos, `expected 'visible if <expression>'`);
        entry.frame.visible.push(line.text(2));
        return true;
      case 'optional':
        if (entry.kind !== 'choice') return this.misplaced(pos, kw, entry);
        entry.choice.optional = true;
        return true;
      // Accepted and not recorded: ranges only bound int/hex values; `option`, `modules` and
      // `transitional` mark special symbols that modularization does not need to know about.
      case 'range': case 'option': case 'modules': case 'transitional':
        return sym ? true : this.misplaced(pos, kw, entry);
    }
    return this.fail(pos, KEYWORDS.has(kw) ? `'${kw}' does not belong here` : `unknown attribute '${line.raw.trim().slice(0, 60)}'`);
  }

  private misplaced(pos: KconfigPos, kw: string, entry: Entry): false {
    return this.fail(pos, `'${kw}' does not belong to this ${entry.kind}`);
  }

  private fail(pos: KconfigPos, message: string): false {
    this.warn(pos.file, pos.line, message);
    return false;
  }

  private setPrompt(target: { prompt?: string; promptIf?: string }, line: KconfigLine): void {
    if (line.ifAt(1) !== 1) target.prompt = line.word(1);
    const { condition } = line.split(1);
    if (condition !== undefined) target.promptIf = condition;
  }

  private addDefault(target: { defaults: KconfigDefault[] }, line: KconfigLine, pos: KconfigPos): void {
    const d = line.split(1);
    if (!d.value) this.warn(pos.file, pos.line, `'${line.tokens[0].text}' needs a value`);
    target.defaults.push({ ...d, pos });
  }

  /** Closes the innermost block of `kind` opened in this file, warning about blocks left open inside it. */
  private close(kind: Frame['kind'], owner: number, pos: KconfigPos): void {
    let at = this.frames.length - 1;
    while (at >= 0 && this.frames[at].owner === owner && this.frames[at].kind !== kind) at--;
    if (at < 0 || this.frames[at].owner !== owner) {
      this.warn(pos.file, pos.line, `'end${kind}' without a matching '${kind}' in this file`);
      return;
    }
    for (const f of this.frames.splice(at)) {
      if (f.kind !== kind) this.warn(pos.file, f.line, `'${f.kind}' is not closed before 'end${kind}' at line ${pos.line}`);
      if (f.choice) f.choice.endLine = pos.line;
    }
  }

  private source(kind: KconfigSource['kind'], written: string, pos: KconfigPos): void {
    const resolved = resolveSourcePath(this.macros, written, kind === 'rsource' || kind === 'orsource', pos.file, pos.line);
    if (resolved === undefined) this.warn(pos.file, pos.line, `cannot expand the file name '${written}'`);
    const src: KconfigSource = { kind, written, ...(resolved === undefined ? {} : { resolved }), pos };
    this.sources.push(src);
    this.onSource(src);
  }
}

/**
 * Parses one file on its own, without following `source` statements (for tests
 * and editors). `env` gives `SRCARCH` and the like, so that the paths of its
 * `source` statements can be resolved; without it they are left unresolved.
 */
export function parseKconfigFile(text: string, file: string, env: Record<string, string> = {}): KconfigFileResult {
  const p = new KconfigParser(new KconfigMacros(env), () => {});
  p.parseFile(text, file);
  return { file, symbols: p.symbols, choices: p.choices, sources: p.sources, warnings: p.warnings };
}

/**
 * Parses a tree from its top file, reading each sourced file through `readFile`
 * (a path relative to the tree root; undefined when the file is missing).
 */
export function parseKconfigTree(readFile: (rel: string) => string | undefined, options: KconfigTreeOptions): KconfigTree {
  const maxDepth = options.maxDepth ?? 64;
  const maxFiles = options.maxFiles ?? 20000;
  const root = options.root ?? 'Kconfig';
  const env = { SRCARCH: options.srcArch, ARCH: options.arch ?? options.srcArch, srctree: '.', ...options.env };
  const files: string[] = [];
  const texts = new Map<string, string | undefined>();
  const stack: string[] = [];
  let parsed = 0;
  const read = (rel: string) => {
    if (!texts.has(rel)) {
      const t = readFile(rel);
      texts.set(rel, t);
      if (t !== undefined) files.push(rel);
    }
    return texts.get(rel);
  };
  const parseOne = (text: string, rel: string) => {
    parsed++;
    stack.push(rel);
    try { parser.parseFile(text, rel); } finally { stack.pop(); }
  };
  const parser: KconfigParser = new KconfigParser(new KconfigMacros(env), (src) => {
    if (src.resolved === undefined) return;
    // The callback reads below the tree root; a path that climbs out of it is refused rather than followed.
    if (src.resolved.startsWith('../') || src.resolved === '..' || src.resolved.startsWith('/')) {
      parser.warn(src.pos.file, src.pos.line, `'${src.written}' is outside the source tree: not read`);
      return;
    }
    if (stack.includes(src.resolved)) { parser.warn(src.pos.file, src.pos.line, `'${src.resolved}' is already being read (source cycle): not read again`); return; }
    if (stack.length >= maxDepth) { parser.warn(src.pos.file, src.pos.line, `sources nested deeper than ${maxDepth}: '${src.resolved}' not read`); return; }
    if (parsed >= maxFiles) {
      if (parsed++ === maxFiles) parser.warn(src.pos.file, src.pos.line, `more than ${maxFiles} files sourced: '${src.resolved}' and later ones not read`);
      return;
    }
    const text = read(src.resolved);
    if (text === undefined) {
      // `osource` and `orsource` exist for files that may be absent.
      if (src.kind === 'source' || src.kind === 'rsource') parser.warn(src.pos.file, src.pos.line, `cannot open '${src.resolved}'`);
      return;
    }
    parseOne(text, src.resolved);
  });
  const top = read(root);
  if (top === undefined) throw new KbloatInputError('bad-config', 'cannot read the top Kconfig file', root);
  parseOne(top, root);

  const symbols = new Map<string, KconfigSymbol[]>();
  const selectedBy: KconfigTree['selectedBy'] = new Map();
  const impliedBy: KconfigTree['impliedBy'] = new Map();
  for (const s of parser.symbols) {
    add(symbols, s.name, s);
    for (const r of s.selects) add(selectedBy, r.symbol, { by: s.name, ...(r.condition === undefined ? {} : { condition: r.condition }), pos: r.pos });
    for (const r of s.implies) add(impliedBy, r.symbol, { by: s.name, ...(r.condition === undefined ? {} : { condition: r.condition }), pos: r.pos });
  }
  const choices = new Map(parser.choices.map((c) => [c.id, c]));
  return { symbols, choices, files, selectedBy, impliedBy, warnings: parser.warnings };
}

function add<T>(m: Map<string, T[]>, key: string, value: T): void {
  const list = m.get(key);
  if (list) list.push(value); else m.set(key, [value]);
}
