/**
 * Kernel macros hidden from the parser.
 *
 * tree-sitter's C grammar knows nothing of the kernel's macros, so
 * `static int __init foo(void)` parses as a declaration of `__init` followed by
 * a broken definition, and `char __user *buf` puts an ERROR node into every
 * parameter list that has it. Expanding macros would need the headers, which a
 * source tree being edited may not have built, so instead the text is adjusted
 * before parsing: known annotation macros (and GNU `__attribute__((...))`,
 * which appears in places the grammar does not accept) become spaces, and a
 * few constructs the grammar cannot follow are blanked or renamed (see
 * maskSpans). Every other character, newlines included, is kept at its
 * position, so a node's offsets and line/column positions in the masked text
 * are the same in the original text.
 *
 * The scan reads the text with comments and literals blanked by the one C
 * blanker (blank.ts), so that what a comment or a string says never opens a
 * parenthesis, masks a word or starts a directive.
 */
import { blankCommentsAndStrings } from './blank';

/**
 * Annotation macros without arguments. Each expands to attributes, section
 * placement, sparse address-space markers or `inline`, and none is ever used
 * as a variable, field or function name in the kernel: masking one never hides
 * code. Names that are (`__unused`, `__head`, `__safe`, `__free`) are left out.
 */
const ANNOTATION_WORDS: ReadonlySet<string> = new Set([
  // Section placement.
  '__init', '__exit', '__meminit', '__ref', '__refdata', '__sched', '__cpuidle', '__kprobes', '__irq_entry',
  '__softirq_entry', '__exception_irq_entry', '__init_or_module', '__init_memblock', '__lockfunc', '__devinit',
  '__devexit', '__initdata', '__initconst', '__exitdata', '__meminitdata', '__meminitconst', '__read_mostly',
  '__ro_after_init', '__page_aligned_data', '__page_aligned_bss', '__cacheline_aligned', '__cacheline_aligned_in_smp',
  '____cacheline_aligned', '____cacheline_aligned_in_smp', '__entry_text', 'noinstr', '__noinstr',
  // Code generation attributes.
  'asmlinkage', '__visible', '__weak', '__cold', '__hot', 'noinline', '__noinline', 'noinline_for_stack',
  '__always_inline', '__no_kasan_or_inline', '__no_sanitize_or_inline', 'notrace', '__used', '__maybe_unused',
  '__always_unused', '__must_check', '__noreturn', '__pure', '__attribute_const__', '__malloc', '__flatten',
  '__naked', '__noclone', '__nocfi', '__noscs', '__latent_entropy', '__no_kcsan', '__no_sanitize_address',
  '__no_sanitize_thread', '__no_sanitize_undefined', '__no_sanitize_memory', '__no_sanitize_coverage', '__no_kmsan_checks',
  '__no_profile', '__nostackprotector', '__no_stack_protector', '__deprecated',
  '__packed', '__randomize_layout', '__no_randomize_layout', '__designated_init', '__aligned_largest',
  '__nonstring', '__fix_address', '__init_refok', '__exit_refok', '__attribute_used__', '__uaccess_safe',
  // Sparse markers.
  '__user', '__kernel', '__iomem', '__percpu', '__rcu', '__force', '__nocast', '__bitwise', '__private',
]);

/** Annotation macros that take an argument list, masked together with it. */
const ANNOTATION_CALLS: ReadonlySet<string> = new Set([
  '__attribute__', '__attribute', '__printf', '__scanf', '__section', '__aligned', '__alias', '__acquires',
  '__releases', '__must_hold', '__alloc_size', '__realloc_size', '__assume_aligned', '__compiletime_error',
  '__compiletime_warning', '__copy', '__counted_by', '__diag_ignore', '__cleanup', '__mode',
]);

/** Words whose presence makes a function inline (or forced inline). */
export const INLINE_WORDS: ReadonlySet<string> = new Set([
  'inline', '__inline', '__inline__', '__always_inline', '__forceinline',
]);

/** A masked stretch of the text, `[start, end)` in UTF-16 code units. */
export interface MaskSpan {
  start: number;
  end: number;
  /**
   * The macro's name (`__init`, `__printf`, `__attribute__`), `#` for a
   * conditional directive, or the iterator macro renamed to `while`.
   */
  word: string;
  /** Written over the span's start instead of blanks (`while` for an iterator macro). */
  replacement?: string;
}

/**
 * The tokens of the text once comments and literals are blanked (see
 * scan()): whole preprocessor directives (continuation lines included), which
 * are skipped or, for conditionals, may be masked; identifiers; numbers; and
 * single punctuation characters, which track the depth of parentheses and
 * braces and what precedes an identifier. A blanked literal is its two quotes,
 * punctuation like any other. Annotation words in a `#define` are never
 * masked: the grammar keeps a macro's body as opaque text anyway.
 */
const TOKENS = /(?<=^|\n)[ \t]*#[ \t]*(\w*)(?:\\\r?\n|[^\n])*|([A-Za-z_]\w*)|[0-9][\w.]*|[^\s\w]/g;

/** An annotation's argument list may not run on for ever when a `)` is missing mid-edit. */
const MAX_ARGS = 2000;

/** Tokens after which an identifier starts a statement. */
const STATEMENT_START = new Set([';', '{', '}', ')', ':', 'else', 'do']);

/** Words that look like a call at a statement's start but are the language's own. */
const KEYWORDS = new Set([
  'if', 'for', 'while', 'switch', 'do', 'else', 'return', 'sizeof', 'typeof', '__typeof__', '__typeof', 'alignof',
  '_Alignof', '__alignof__', 'asm', '__asm__', '__asm', 'volatile', '__volatile__', 'case', 'goto', '_Generic',
  '_Static_assert', 'static_assert', '__extension__', 'defined',
]);

/** Parenthesis depth and the kinds of the open braces: `b` a block of statements, `o` any other (initializer, struct, enum). */
interface Depths {
  parens: number;
  braces: string;
}

/** One open `#if` group, to follow branches that open or close parentheses or braces. */
interface Conditional {
  /** The group sits inside parentheses: its directives are masked. */
  inParens: boolean;
  /** The `#if` line. */
  open: MaskSpan;
  atOpen: Depths;
  /** Where the first branch ended, and where its first `#elif`/`#else` starts. */
  firstBranch?: { depths: Depths; alternativeStart: number };
  /** Some branch changed the parenthesis or brace depth. */
  unbalanced: boolean;
}

/**
 * The stretches of `text` to mask, in order: annotation macros with their
 * argument lists, conditional directives the grammar cannot take, and
 * statement macros it misreads. Each is a way the kernel's C is valid for the
 * compiler but not for the grammar, and each made the parser give up on a
 * function and take the functions after it for part of its body.
 *
 * - The grammar accepts `#ifdef` between declarations and statements but not
 *   in the middle of an expression, as in a `printk` whose format strings and
 *   arguments depend on the configuration (mm/page_alloc.c). Masking those
 *   directives keeps every branch's tokens, which stays valid in an argument list.
 * - Branches that each open a brace (`#ifdef X for (...) { #else for (...) {
 *   #endif`, lib/seq_buf.c) cannot be balanced by any reading. As ctags does,
 *   such a group is read as its first branch alone: the other branches and
 *   the directives are masked. Each `#else` branch starts again from the depths
 *   the group opened at, and after `#endif` the depths are the first branch's.
 * - Iterator macros (`for_each_online_cpu(cpu) stmt;`, `list_for_each_entry(p,
 *   head, list) { ... }`) are loops to the compiler but a call followed by a
 *   statement to the grammar. In a block, a call at the start of a statement
 *   followed by a statement (a `{` or a word) rather than by `;` or an
 *   operator can only be such a macro; renamed `while` (padded to its length)
 *   the same tokens make a valid loop.
 * - A bare macro that is a whole statement ending a block (`POSTAMBLE }` in
 *   lib/siphash.c) becomes an empty statement `;`.
 */
export function maskSpans(text: string): MaskSpan[] {
  // Parsing and findFunctions scan the same text one after the other.
  if (last?.text === text) return last.spans;
  const spans = scan(text);
  last = { text, spans };
  return spans;
}

/** The spans of the text scanned last; callers do not modify them. */
let last: { text: string; spans: MaskSpan[] } | undefined;

function scan(original: string): MaskSpan[] {
  // Comments and literals blanked, offsets kept: nothing in them is a token, a parenthesis or a directive.
  const text = blankCommentsAndStrings(original);
  const spans: MaskSpan[] = [];
  const open: Conditional[] = [];
  let d: Depths = { parens: 0, braces: '' };
  let prev = ';';
  TOKENS.lastIndex = 0;
  for (let m = TOKENS.exec(text); m; m = TOKENS.exec(text)) {
    const token = m[0];
    const before = prev;
    if (m[1] === undefined) prev = token;
    const inBlock = d.parens === 0 && d.braces.endsWith('b');
    if (token === '(') {
      d.parens++;
    } else if (token === ')') {
      d.parens = Math.max(0, d.parens - 1);
    } else if (token === '{') {
      // A block follows a function's or a statement's head, or starts a statement in a block.
      const block = before === ')' || before === 'else' || before === 'do' || (inBlock && STATEMENT_START.has(before));
      d.braces += block ? 'b' : 'o';
    } else if (token === '}') {
      d.braces = d.braces.slice(0, -1);
    } else if (m[1] !== undefined) {
      const span: MaskSpan = { start: m.index, end: m.index + token.length, word: '#' };
      const directive = m[1];
      let group: Conditional | undefined;
      if (directive === 'if' || directive === 'ifdef' || directive === 'ifndef') {
        group = { inParens: d.parens > 0, open: span, atOpen: { ...d }, unbalanced: false };
        open.push(group);
      } else if (directive === 'elif' || directive === 'else' || directive === 'elifdef' || directive === 'elifndef') {
        group = open[open.length - 1];
        if (group) {
          group.firstBranch ??= { depths: { ...d }, alternativeStart: span.start };
          if (d.parens !== group.atOpen.parens || d.braces !== group.atOpen.braces) group.unbalanced = true;
          d = { ...group.atOpen };
        }
      } else if (directive === 'endif') {
        group = open.pop();
        if (group?.firstBranch) {
          if (d.parens !== group.atOpen.parens || d.braces !== group.atOpen.braces) group.unbalanced = true;
          d = { ...group.firstBranch.depths };
          if (group.unbalanced) {
            // Keep the first branch only: drop what was masked in the others and mask them whole.
            const from = group.firstBranch.alternativeStart;
            while (spans.length > 0 && spans[spans.length - 1].start >= from) spans.pop();
            if (!group.inParens) spans.push(group.open);
            spans.push({ start: from, end: span.end, word: '#' });
            continue;
          }
        }
      }
      if (group?.inParens) spans.push(span);
    } else if (m[2] !== undefined) {
      if (ANNOTATION_WORDS.has(token)) {
        spans.push({ start: m.index, end: m.index + token.length, word: token });
        prev = before;
      } else if (ANNOTATION_CALLS.has(token)) {
        const end = argsEnd(text, m.index + token.length);
        if (end < 0) continue;
        spans.push({ start: m.index, end, word: token });
        TOKENS.lastIndex = end;
        prev = before;
      } else if (inBlock && STATEMENT_START.has(before) && !KEYWORDS.has(token)) {
        const next = followingChar(text, m.index + token.length);
        if (next === '}') {
          spans.push({ start: m.index, end: m.index + token.length, word: token, replacement: ';' });
        } else if (next === '(' && token.length >= 5) {
          const end = argsEnd(text, m.index + token.length);
          if (end >= 0 && /[{A-Za-z_]/.test(followingChar(text, end))) spans.push({ start: m.index, end: m.index + token.length, word: token, replacement: 'while' });
        }
      }
    }
  }
  // Masking a whole group puts its `#if` line after spans of its first branch.
  return spans.sort((a, b) => a.start - b.start);
}

/** The first character at or after `from` that is not blank (comments are blanks by now), or '' at the end. */
function followingChar(text: string, from: number): string {
  const m = /^\s*(.?)/.exec(text.slice(from, from + 400));
  return m?.[1] ?? '';
}

/**
 * The end of the balanced `( ... )` that follows `from` (after blanks) in the
 * blanked text, or -1
 * when there is none within MAX_ARGS characters: then the name is left alone,
 * since masking half a construct would do more harm than leaving it.
 */
function argsEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (text[i] !== '(') return -1;
  let depth = 0;
  const limit = Math.min(text.length, i + MAX_ARGS);
  for (; i < limit; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i + 1;
    // A parenthesis inside a string literal (`__section(".text(x)")`) is blanked already.
    else if (ch === ';' || ch === '{' || ch === '}') {
      return -1;
    }
  }
  return -1;
}

/**
 * `text` with every annotation macro replaced by spaces. Line breaks inside a
 * masked argument list are kept so rows stay the same; the length in UTF-16
 * code units is unchanged, which is what tree-sitter's positions count in.
 */
export function maskAnnotations(text: string, spans: MaskSpan[] = maskSpans(text)): string {
  if (spans.length === 0) return text;
  const parts: string[] = [];
  let at = 0;
  for (const s of spans) {
    const blank = text.slice(s.start, s.end).replace(/[^\r\n]/g, ' ');
    parts.push(text.slice(at, s.start), s.replacement ? s.replacement + blank.slice(s.replacement.length) : blank);
    at = s.end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}
