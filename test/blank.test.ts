/**
 * The one C comment/string blanker (server/src/c/blank.ts): small snippets of
 * each rule it follows, and real Linux 6.1 sources of the fixture, where the
 * ground truth is GCC's own comment removal (`gcc -fpreprocessed -dD -E`):
 * the identifiers left outside literals must be GCC's, in GCC's order, one for
 * one. That check is independent of the blanker: GCC's output has no comments
 * left, so a plain tokenizer reads it without ambiguity.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { blankCommentsAndStrings } from '../server/src/c/blank';
import { FIXTURE, fixtureSkip } from './helpers';

/** Blank each line of `lines`, joined with `\n`, and split again: the expected lines are easier to read apart. */
const blankLines = (lines: string[], directiveLines = false) => blankCommentsAndStrings(lines.join('\n'), { directiveLines }).split('\n');

describe('snippets', () => {
  it('blanks comments and the insides of literals, keeping quotes, code and line breaks', () => {
    assert.deepEqual(blankLines([
      'int a; /* one */ int b; // two',
      'char *s = "a /* b */ \\" c"; char q = \'"\', e = \'\\\'\';',
      '/* several',
      '   lines */ x = "// no comment";',
    ]), [
      'int a;           int b;       ',
      'char *s = "              "; char q = \' \', e = \'  \';',
      '          ',
      '            x = "             ";',
    ]);
  });

  it('follows backslash continuations in // comments and literals, also with CRLF', () => {
    assert.equal(blankCommentsAndStrings('a // b \\\nc\nd'), 'a       \n \nd');
    assert.equal(blankCommentsAndStrings('a // b \\\r\nc\r\nd'), 'a       \r\n \r\nd');
    assert.equal(blankCommentsAndStrings('s = "x\\\ny"; z'), 's = "  \n "; z');
    assert.equal(blankCommentsAndStrings('s = "x\\\r\ny"; z'), 's = "  \r\n "; z');
  });

  it('ends an unterminated literal with its line, and an unterminated comment with the text', () => {
    assert.equal(blankCommentsAndStrings("#error don't\nint x;"), "#error don' \nint x;");
    assert.equal(blankCommentsAndStrings('s = "abc\nint x;'), 's = "   \nint x;');
    assert.equal(blankCommentsAndStrings('a /* b\nc'), 'a     \n ');
  });

  it('keeps the length in UTF-16 code units', () => {
    const text = 'x = 1; /* é 😀 */ y = "😀";';
    const out = blankCommentsAndStrings(text);
    assert.equal(out.length, text.length);
    assert.equal(out, 'x = 1;            y = "  ";');
  });

  it('with directiveLines, blanks the lines that start a directive, and keeps a macro body', () => {
    assert.deepEqual(blankLines([
      '#include "x.h"',
      '  # define A(x) \\',
      '\tfoo(x) + 1',
      'int a = A(1); /* c */ # not a directive',
      '/* c */ #if B // c',
      '#endif',
      'int b;',
    ], true), [
      '              ',
      '                 ',
      '\tfoo(x) + 1',
      'int a = A(1);         # not a directive',
      '                  ',
      '      ',
      'int b;',
    ]);
    // Without the option, directives are code like any other.
    assert.equal(blankCommentsAndStrings('#include "x.h" // c\n'), '#include "   "     \n');
  });
});

/** The identifiers of C text outside string and character literals (an unterminated one runs to the line's end, as GCC lexes it). */
function identifiers(text: string): string[] {
  const TOKEN = /"(?:\\[\s\S]|[^"\\\n])*"?|'(?:\\[\s\S]|[^'\\\n])*'?|\.?[0-9](?:[eEpP][+-]|[\w.])*|([A-Za-z_]\w*)/g;
  return [...text.matchAll(TOKEN)].flatMap((m) => (m[1] === undefined ? [] : [m[1]]));
}

/** GCC's comment removal, when gcc is there; GCC reports errors for some files (see below) but still writes its output. */
function gccWithoutComments(file: string): string | undefined {
  const r = spawnSync('gcc', ['-fpreprocessed', '-dD', '-E', '-P', '-x', 'c', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
  return r.error || r.stdout === '' ? undefined : r.stdout;
}

const haveGcc = spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0;

/** Hard cases on purpose (strings and `//` in macros, printk formats, a large file), then a spread over the tree. */
const FILES = [
  'kernel/fork.c', 'kernel/printk/printk.c', 'kernel/time/timer_list.c', 'kernel/cred.c', 'kernel/params.c',
  'lib/vsprintf.c', 'init/main.c', 'mm/page_alloc.c', 'drivers/tty/vt/vt.c', 'kernel/sched/fair.c',
  'arch/x86/kernel/setup.c', 'fs/namei.c', 'lib/string.c', 'kernel/locking/rwsem.c',
];

describe('Linux 6.1 sources', { skip: fixtureSkip }, () => {
  for (const rel of FILES) {
    it(rel, () => {
      const file = path.join(FIXTURE, rel);
      const text = readFileSync(file, 'utf8');
      const out = blankCommentsAndStrings(text);
      const dir = blankCommentsAndStrings(text, { directiveLines: true });

      // Same length, the same line breaks at the same places, and every other character kept or blanked.
      for (const blanked of [out, dir]) {
        assert.equal(blanked.length, text.length);
        for (let i = 0; i < text.length; i++) {
          const c = text[i];
          const b = blanked[i];
          if (c === '\n' || c === '\r' || b === '\n' || b === '\r') assert.equal(b, c, `line break changed at offset ${i}`);
          else if (b !== c) assert.equal(b, ' ', `offset ${i}: ${JSON.stringify(c)} became ${JSON.stringify(b)}`);
        }
      }
      // No comment is left: literals are blanked inside too, so there is no "outside strings" to exclude.
      assert.equal(out.indexOf('/*'), -1, `a /* is left at ${out.indexOf('/*')}`);
      assert.equal(out.indexOf('//'), -1, `a // is left at ${out.indexOf('//')}`);
      // With directiveLines, no line starts a directive, and every other line is as without the option.
      const outLines = out.split('\n');
      dir.split('\n').forEach((l, k) => assert.equal(l, /^[ \t]*#/.test(outLines[k]) ? l.replace(/[^\r]/g, ' ') : outLines[k], `line ${k + 1}`));

      if (!haveGcc) return;
      // GCC with -fpreprocessed does not join continued lines; where a continuation line of a macro starts
      // with `#` (a stringized argument, as `#c` in kernel/locking/rwsem.c) it takes that for a directive and
      // drops it. Those files are compared everywhere else: each such line is removed from both sides.
      const misread = (t: string) => t.replace(/(\\\r?\n)[ \t]*#[^\n]*/g, '$1');
      const expected = gccWithoutComments(file);
      assert.ok(expected !== undefined, `gcc wrote nothing for ${rel}`);
      const ours = identifiers(misread(out));
      const gcc = identifiers(misread(expected));
      let i = 0;
      while (i < ours.length && i < gcc.length && ours[i] === gcc[i]) i++;
      assert.ok(i === ours.length && i === gcc.length,
        `${rel}: identifiers differ after ${i} of ${gcc.length} (gcc) / ${ours.length} (ours): gcc ${gcc.slice(i, i + 5).join(' ')} | ours ${ours.slice(i, i + 5).join(' ')}`);
    });
  }
});
