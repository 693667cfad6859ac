/**
 * The function definitions of a kernel C file or header, found in its
 * tree-sitter parse tree. Positions are LSP-shaped (zero-based line, character
 * in UTF-16 code units), which is what web-tree-sitter counts columns in.
 */
import type { Node, ParseOptions, Tree } from 'web-tree-sitter';
import { blankCommentsAndStrings } from './blank';
import { INLINE_WORDS, MaskSpan, maskAnnotations, maskSpans } from './mask';
import type { CParser } from './wasm';

export interface Pos {
  line: number;
  character: number;
}

export interface TextRange {
  start: Pos;
  end: Pos;
}

export interface CFunction {
  /** The symbol name: `vfs_read`, or `sys_read` for `SYSCALL_DEFINE3(read, ...)`. */
  name: string;
  /** Zero-based line/character (UTF-16) of the name token. */
  nameRange: TextRange;
  /** The whole definition including leading annotations/attributes and body. */
  range: TextRange;
  isStatic: boolean;
  /** `inline`, `__inline__`, `__always_inline` or `__attribute__((always_inline))`. */
  isInline: boolean;
  /**
   * Storage classes and kernel annotation macros of the declaration, in source
   * order: `static`, `inline`, `__init`, `noinline`, `asmlinkage`, `__cold`,
   * `__printf`, `__attribute__((weak))`. Sparse markers such as `__user` are left out.
   */
  annotations: string[];
  /** For `SYSCALL_DEFINEn(name, ...)` and `COMPAT_SYSCALL_DEFINEn`: `name` is `read` for `SYSCALL_DEFINE3(read, ...)`. */
  syscall?: { args: number; name: string };
}

/**
 * Parses C source for findFunctions: the kernel's annotation macros are masked
 * first (see mask.ts), which keeps every offset and position of the original.
 * The tree's own `node.text` is therefore the masked text; findFunctions reads
 * names and annotations from the original. Returns null when `options`'
 * progress callback cancelled the parse.
 */
export function parseC(parser: CParser, text: string, oldTree?: Tree | null, options?: ParseOptions): Tree | null {
  return parser.parse(maskAnnotations(text), oldTree, options);
}

const SYSCALL_MACRO = /^(COMPAT_)?SYSCALL_DEFINE(\d)$/;
/** Address-space markers describe pointers, not the function: not annotations. */
const SPARSE = new Set(['__user', '__kernel', '__iomem', '__percpu', '__rcu', '__force', '__nocast', '__bitwise', '__private']);
/** Nodes whose children are top-level code: conditional blocks and error recovery. */
const CONTAINERS = new Set([
  'translation_unit', 'preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'preproc_elifdef',
  'ERROR', 'linkage_specification', 'declaration_list',
]);
const PREPROC_CONDITIONALS = new Set(['preproc_if', 'preproc_ifdef']);
const C_KEYWORDS = new Set(['if', 'else', 'for', 'while', 'do', 'switch', 'case', 'return', 'goto', 'sizeof', 'typeof', '__typeof__', 'default']);
/** What a return type and its storage classes are made of. */
const TYPE_PARTS = new Set([
  'primitive_type', 'type_identifier', 'sized_type_specifier', 'struct_specifier', 'union_specifier', 'enum_specifier',
  'storage_class_specifier', 'type_qualifier', 'macro_type_specifier',
]);
/** Declarators that wrap the one naming the function. */
const WRAPPERS = new Set(['pointer_declarator', 'parenthesized_declarator', 'attributed_declarator']);
/** What a parenthesized declarator (which has no `declarator` field) may wrap. */
const DECLARATOR_PARTS = new Set(['identifier', 'function_declarator', ...WRAPPERS]);

/** Every function definition of `tree` (from parseC over `sourceText`), in source order. */
export function findFunctions(tree: Tree, sourceText: string): CFunction[] {
  const finder = new Finder(sourceText);
  finder.visit(tree.rootNode);
  return finder.found.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

class Finder {
  readonly found: CFunction[] = [];
  private readonly spans: MaskSpan[];
  /** Masked spans by their end offset, to walk back over leading annotations. */
  private readonly spanByEnd = new Map<number, MaskSpan>();
  private lineStarts?: number[];

  constructor(private readonly text: string) {
    this.spans = maskSpans(text);
    // Masked directives and renamed iterators sit in expressions and bodies, never before a definition.
    for (const s of this.spans) if (isAnnotation(s)) this.spanByEnd.set(s.end, s);
  }

  visit(container: Node): void {
    const children = container.namedChildren;
    for (let i = 0; i < children.length; i++) {
      const node = children[i];
      if (!node) continue;
      if (node.type === 'function_definition') {
        const declarator = node.childForFieldName('declarator');
        const body = node.childForFieldName('body');
        if (!declarator || !body) continue;
        // Declarations between declarator and body would be K&R parameter
        // declarations, which the kernel never uses: the grammar took a macro
        // call (`BTF_ID(struct, x)` in kernel/kallsyms.c) for the declarator,
        // and the last declaration, missing its `;`, is the real header.
        const knr = node.namedChildren.filter((c): c is Node => c?.type === 'declaration');
        const header = knr[knr.length - 1];
        const headerDeclarator = header?.childForFieldName('declarator');
        if (header && headerDeclarator) this.definition(header, headerDeclarator, body);
        else if (!this.syscall0(node, declarator, body)) this.definition(node, declarator, body);
      } else if (CONTAINERS.has(node.type)) {
        this.visit(node);
      } else if (node.type === 'compound_statement') {
        // A body with no function before it: its header is the last statement
        // before it, or the last one of each branch of the `#if` before it
        // (headers that differ by configuration, as `SYSCALL_DEFINE5(clone,
        // ...)` in kernel/fork.c). The grammar took that header for a statement
        // or a declaration missing its `;`.
        const before = previousNamed(children, i);
        const headers = before && PREPROC_CONDITIONALS.has(before.type) ? branchEnds(before) : [before];
        const names = new Set<string>();
        for (const header of headers) {
          const count = this.found.length;
          if (header?.type === 'expression_statement' || header?.type === 'call_expression') this.syscallStatement(header, node);
          else if (header?.type === 'declaration') {
            const declarator = header.childForFieldName('declarator');
            if (declarator && header.lastChild?.isMissing) this.definition(header, declarator, node);
          } else if (header?.type === 'ERROR') {
            this.definitionAfterError(header, node);
          }
          // Branches that differ only in linkage or parameters name one function, reported once.
          if (this.found.length > count && names.has(this.found[this.found.length - 1].name)) this.found.pop();
          else if (this.found.length > count) names.add(this.found[this.found.length - 1].name);
        }
      }
    }
  }

  /**
   * A definition from its header (a `function_definition`, or a `declaration`
   * the body follows) and body; declarators that do not declare a function,
   * and so name none, are skipped.
   */
  private definition(header: Node, declarator: Node, body: Node, headerStart = header.startIndex): void {
    const named = functionDeclarator(declarator);
    if (!named) return;
    const { fn } = named;
    let nameNode = named.name;
    let start = this.extendStart(headerStart);
    const hidden = this.headerAfterMacro(fn);
    if (hidden) ({ name: nameNode, start } = hidden);
    const raw = this.text.slice(nameNode.startIndex, nameNode.endIndex);
    // Half-typed code can make `if (x) {` look like a definition.
    if (C_KEYWORDS.has(raw)) return;
    const annotations = this.annotations(start, nameNode.startIndex, declarator.endIndex, body.startIndex);
    const m = SYSCALL_MACRO.exec(raw);
    if (m) {
      // `static long SYSCALL_DEFINE1(...)`-like misparses: the macro became the declarator.
      const first = fn.childForFieldName('parameters')?.namedChildren[0];
      if (first) this.pushSyscall(m, first, start, body.endIndex, annotations);
      return;
    }
    this.found.push({
      name: raw,
      nameRange: this.range(nameNode.startIndex, nameNode.endIndex),
      range: this.range(start, body.endIndex),
      isStatic: annotations.includes('static'),
      isInline: annotations.some((a) => INLINE_WORDS.has(a) || /^__attribute__\(\(.*always_inline/.test(a)),
      annotations,
    });
    // C has no nested functions: a definition inside this body means the
    // parser lost a closing brace and took the functions after it for part
    // of this one. Those are still functions of the file.
    if (body.hasError && body.namedChildren.some((c) => c?.type === 'function_definition')) this.visit(body);
  }

  /**
   * A body after an ERROR node that ends in a function's declarator: lines of
   * macros without `;` before a header (`DEFINE_BATCHED_ENTROPY(u8)` in
   * drivers/char/random.c) spoil the header's parse. The definition starts at
   * the return type and storage classes just before the declarator.
   */
  private definitionAfterError(error: Node, body: Node): void {
    const parts = error.children;
    let i = parts.length - 1;
    const declarator = parts[i];
    if (!declarator || !functionDeclarator(declarator)) return;
    let start = declarator.startIndex;
    for (i--; i >= 0; i--) {
      const part = parts[i];
      if (!part || !(TYPE_PARTS.has(part.type) || part.type === 'static' || part.type === 'inline')) break;
      // The return type is on the declarator's line or the one before; macro lines further up are not.
      if (this.text.slice(part.endIndex, start).split('\n').length > 2) break;
      start = part.startIndex;
    }
    this.definition(error, declarator, body, start);
  }

  /**
   * A function whose header follows a function-defining macro written without
   * `;` (`DEFINE_BATCHED_ENTROPY(u8)` then `u32 __get_random_u32_below(u32
   * ceil) {` in drivers/char/random.c): the grammar reads the macro as the
   * declarator and the real header as trailing annotations of it, the last
   * being the call `__get_random_u32_below(u32 ceil)`. That call is the header
   * when it starts a later line, at its start or after its return type; an
   * annotation the masks do not know would be indented alone on its line.
   */
  private headerAfterMacro(fn: Node): { name: Node; start: number } | undefined {
    const params = fn.childForFieldName('parameters');
    const last = fn.lastNamedChild;
    if (!params || last?.type !== 'call_expression' || last.startIndex < params.endIndex) return undefined;
    const callee = last.childForFieldName('function');
    if (callee?.type !== 'identifier' || !this.text.slice(params.endIndex, callee.startIndex).includes('\n')) return undefined;
    const lineStart = this.text.lastIndexOf('\n', callee.startIndex - 1) + 1;
    const prefix = this.text.slice(lineStart, callee.startIndex);
    if (prefix !== '' && !/^\s*[A-Za-z_][\w\s*]*[\s*]$/.test(prefix)) return undefined;
    // With the name at the line's start, the return type is on the line before.
    const above = this.text.lastIndexOf('\n', lineStart - 2) + 1;
    const start = prefix === '' && /^[A-Za-z_][\w\s*]*\n$/.test(this.text.slice(above, lineStart)) ? above : lineStart + (/^\s*/.exec(prefix)?.[0].length ?? 0);
    return { name: callee, start };
  }

  /**
   * `SYSCALL_DEFINE0(fork) { ... }` reads to the grammar as a function whose
   * return type is `SYSCALL_DEFINE0` and whose declarator is `(fork)`.
   */
  private syscall0(node: Node, declarator: Node, body: Node): boolean {
    const type = node.childForFieldName('type');
    if (type?.type !== 'type_identifier' || declarator.type !== 'parenthesized_declarator') return false;
    const m = SYSCALL_MACRO.exec(this.text.slice(type.startIndex, type.endIndex));
    const inner = declarator.namedChildren[0];
    if (!m || inner?.type !== 'identifier') return false;
    const start = this.extendStart(node.startIndex);
    this.pushSyscall(m, inner, start, body.endIndex, this.annotations(start, type.startIndex, type.endIndex, type.endIndex));
    return true;
  }

  /** `SYSCALL_DEFINEn(name, ...)` as a call statement followed by its body. */
  private syscallStatement(node: Node, body: Node): boolean {
    const call = node.type === 'call_expression' ? node : node.namedChildren[0];
    if (call?.type !== 'call_expression') return false;
    const callee = call.childForFieldName('function');
    if (callee?.type !== 'identifier') return false;
    const m = SYSCALL_MACRO.exec(this.text.slice(callee.startIndex, callee.endIndex));
    const first = call.childForFieldName('arguments')?.namedChildren[0];
    if (!m || !first) return false;
    const start = this.extendStart(node.startIndex);
    this.pushSyscall(m, first, start, body.endIndex, this.annotations(start, callee.startIndex, callee.endIndex, callee.endIndex));
    return true;
  }

  private pushSyscall(m: RegExpExecArray, nameNode: Node, start: number, end: number, annotations: string[]): void {
    // The first argument is the bare name; a parameter node may wrap it in a type.
    const raw = /^\s*([A-Za-z_]\w*)\s*$/.exec(this.text.slice(nameNode.startIndex, nameNode.endIndex))?.[1];
    if (!raw) return;
    const at = nameNode.startIndex + this.text.slice(nameNode.startIndex, nameNode.endIndex).indexOf(raw);
    this.found.push({
      name: `${m[1] ? 'compat_' : ''}sys_${raw}`,
      nameRange: this.range(at, at + raw.length),
      range: this.range(start, end),
      isStatic: false,
      isInline: false,
      annotations,
      syscall: { args: Number(m[2]), name: raw },
    });
  }

  /**
   * The start of a definition moved back over annotation macros that precede
   * it (`asmlinkage __visible void f(void)`): masked, they are blanks to the
   * parser, so the node begins after them.
   */
  private extendStart(start: number): number {
    for (;;) {
      let j = start;
      while (j > 0 && /\s/.test(this.text[j - 1])) j--;
      const span = this.spanByEnd.get(j);
      if (!span) return start;
      start = span.start;
    }
  }

  /**
   * Storage classes and annotation macros between the definition's start and
   * the name, and annotation macros after the declarator (`__acquires(lock)`
   * before the body), in source order. Storage classes are read from the text
   * rather than the tree, which loses them when an unknown macro comes first.
   */
  private annotations(start: number, nameStart: number, declEnd: number, bodyStart: number): string[] {
    const out: { at: number; word: string }[] = [];
    const head = blankCommentsAndStrings(this.text.slice(start, nameStart));
    for (const m of head.matchAll(/\b(?:static|extern|inline|__inline|__inline__|__forceinline)\b/g)) out.push({ at: start + m.index, word: m[0] });
    for (const s of this.spansIn(start, bodyStart)) {
      if (s.start >= nameStart && s.start < declEnd) continue;
      if (SPARSE.has(s.word) || !isAnnotation(s)) continue;
      const word = s.word.startsWith('__attribute') ? this.text.slice(s.start, s.end).replace(/\s+/g, ' ').replace(/\s*([()])\s*/g, '$1') : s.word;
      out.push({ at: s.start, word });
    }
    return out.sort((a, b) => a.at - b.at).map((w) => w.word);
  }

  /** Masked spans starting in `[from, to)`, found by binary search. */
  private spansIn(from: number, to: number): MaskSpan[] {
    let lo = 0;
    let hi = this.spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.spans[mid].start < from) lo = mid + 1;
      else hi = mid;
    }
    const out: MaskSpan[] = [];
    for (let i = lo; i < this.spans.length && this.spans[i].start < to; i++) out.push(this.spans[i]);
    return out;
  }

  private range(start: number, end: number): TextRange {
    return { start: this.pos(start), end: this.pos(end) };
  }

  /** Offset to position. Rows break at `\n` only, as tree-sitter's do. */
  private pos(offset: number): Pos {
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    }
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - starts[lo] };
  }
}

/** The named sibling before `children[i]`, comments skipped. */
function previousNamed(children: (Node | null)[], i: number): Node | null {
  for (let j = i - 1; j >= 0; j--) if (children[j] && children[j]!.type !== 'comment') return children[j];
  return null;
}

/**
 * The last statement of each branch of an `#if` (`#elif`, `#else`), comments
 * skipped, first branch first; a branch's nested `#if` gives its own.
 */
function branchEnds(node: Node): (Node | null)[] {
  const out: (Node | null)[] = [];
  for (let branch: Node | null = node; branch; ) {
    const alternative: Node | null = branch.childForFieldName('alternative');
    const condition = branch.childForFieldName('condition') ?? branch.childForFieldName('name');
    const own = branch.namedChildren.filter((c) => c && c.id !== alternative?.id && c.id !== condition?.id);
    const last = previousNamed(own, own.length);
    if (last && PREPROC_CONDITIONALS.has(last.type)) out.push(...branchEnds(last));
    else out.push(last);
    branch = alternative;
  }
  return out;
}

function isAnnotation(span: MaskSpan): boolean {
  return span.word !== '#' && span.replacement === undefined;
}

/**
 * The identifier naming the function and the function_declarator closest to
 * it, under the pointer and parenthesis wrappers of its return type: for
 * `void (*signal(int, ...))(int)` the inner declarator, whose identifier is
 * `signal`; for `int (foo)(int)` the only one. Null when the declarator is not
 * a function's (an object defined with a macro-made initializer, a misparse).
 */
function functionDeclarator(node: Node): { fn: Node; name: Node } | null {
  let fn: Node | null = null;
  for (let cur: Node | null = node; cur; ) {
    if (cur.type === 'identifier') return fn ? { fn, name: cur } : null;
    if (cur.type === 'function_declarator') {
      fn = cur;
      cur = cur.childForFieldName('declarator');
    } else if (WRAPPERS.has(cur.type)) {
      cur = cur.childForFieldName('declarator') ?? cur.namedChildren.find((c) => c && DECLARATOR_PARTS.has(c.type)) ?? null;
    } else {
      return null;
    }
  }
  return null;
}
