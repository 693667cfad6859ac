/**
 * The one comment and string blanker for C text. Every search that reads C
 * without a parser (an `#if` line's condition, a function's storage classes,
 * the masks given to tree-sitter, the line a blocker points at, where
 * `module_init` goes) runs on its output, so that a word in a comment or a
 * string literal is never taken for code, and so that all of them agree on
 * where a comment ends.
 *
 * Comments and the insides of string and character literals become spaces;
 * the quotes stay, so that `f("x")` still reads as a call with one argument
 * and `#include "x.h"` as an include. Line breaks (`\n` and `\r`) stay where
 * they are and nothing changes length, so an offset, a line or a column of the
 * blanked text is the same in the original: callers search the copy and
 * report positions in the text the user sees.
 *
 * The scan follows the compiler's first phases as far as comments and
 * literals need: a backslash at the end of a line joins it to the next (a `//`
 * comment or a literal so continued goes on), a block comment ends at the
 * first `*` `/` and an unterminated one at the end of the text, a backslash in
 * a literal escapes the next character, and an unterminated literal ends with
 * its line, as GCC lexes it. Trigraphs, C++ raw strings and a comment's
 * opener or closer split by a continuation, none of which the kernel writes,
 * are not followed.
 */

export interface BlankOptions {
  /**
   * Also blank each line that starts with `#` once comments are blanked: the
   * line of an `#include`, an `#if` or a `#define`'s name, for searches that
   * look for where code uses a word. The continuation lines of a multi-line
   * macro stay: its body is code that runs wherever the macro is used.
   */
  directiveLines?: boolean;
}

/** Where the scan stops to look: a comment or a literal may start there. */
const SPECIAL = /[/"']/g;

/**
 * `text` with comments and the contents of string and character literals
 * replaced by spaces (and, with `directiveLines`, the lines of preprocessor
 * directives), line breaks kept.
 */
export function blankCommentsAndStrings(text: string, options: BlankOptions = {}): string {
  const out = blankCommentsAndLiterals(text);
  return options.directiveLines ? out.replace(/^[ \t\f\v]*#.*/gm, (l) => ' '.repeat(l.length)) : out;
}

function blankCommentsAndLiterals(text: string): string {
  const n = text.length;
  /** Blanked stretches `[from, to)`, in order and not overlapping. */
  const ranges: number[] = [];
  const blank = (from: number, to: number): void => {
    if (to > from) ranges.push(from, to);
  };
  /** The offset just after a line break at `i` (`\n`, or `\r\n`), or -1 when `i` is no line break. */
  const breakEnd = (i: number): number => (text[i] === '\n' ? i + 1 : text[i] === '\r' && text[i + 1] === '\n' ? i + 2 : -1);

  let i = 0;
  while (i < n) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      const end = close < 0 ? n : close + 2;
      blank(i, end);
      i = end;
    } else if (c === '/' && text[i + 1] === '/') {
      // To the line break that no backslash continues.
      let end = i + 2;
      for (;;) {
        const nl = text.indexOf('\n', end);
        if (nl < 0) { end = n; break; }
        const cr = text[nl - 1] === '\r' ? 1 : 0;
        if (text[nl - 1 - cr] !== '\\') { end = nl - cr; break; }
        end = nl + 1;
      }
      blank(i, end);
      i = end;
    } else if (c === '"' || c === "'") {
      let k = i + 1;
      while (k < n && text[k] !== c) {
        if (text[k] === '\\') {
          const after = breakEnd(k + 1);
          k = after >= 0 ? after : k + 2;
        } else if (breakEnd(k) >= 0) {
          break;
        } else k++;
      }
      k = Math.min(k, n);
      blank(i + 1, k);
      i = k < n && text[k] === c ? k + 1 : k;
    } else {
      // Ordinary code: nothing to do until the next character that may start something.
      SPECIAL.lastIndex = i + 1;
      const next = SPECIAL.exec(text);
      i = next ? next.index : n;
    }
  }

  if (!ranges.length) return text;
  const parts: string[] = [];
  let at = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    parts.push(text.slice(at, ranges[r]), text.slice(ranges[r], ranges[r + 1]).replace(/[^\r\n]/g, ' '));
    at = ranges[r + 1];
  }
  parts.push(text.slice(at));
  return parts.join('');
}
