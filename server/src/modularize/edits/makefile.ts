/**
 * The Makefile step of "Modularize…": an object moved from `obj-y` to
 * `obj-$(CONFIG_NEW)`. The Makefile is edited as text, line by line, rather
 * than through the make interpreter, because the edit must keep the author's
 * layout (continuation lines, alignment, comments) that evaluation throws away;
 * the tests check the result with the interpreter instead.
 */
import { EditResult, insert, replace, splitLines, TextEdit } from './text';

/** The statement of a Makefile starting at 0-based line `start`: its physical lines, joined at backslashes. */
function statementLines(lines: string[], start: number): number {
  let end = start;
  while (end < lines.length - 1 && /\\$/.test(lines[end])) end++;
  return end;
}

/**
 * Moves `object` out of the `obj-y` statement at 1-based `line` and behind the
 * new option: the statement itself is rewritten when the object is all it
 * lists, else the object is taken out of it and a line of its own follows.
 * No edit when the statement no longer lists the object (done already).
 */
export function makefileNewOption(text: string, file: string, line: number, object: string, symbol: string): EditResult {
  const name = symbol.startsWith('CONFIG_') ? symbol : `CONFIG_${symbol}`;
  const lines = splitLines(text);
  const start = line - 1;
  if (start < 0 || start >= lines.length) return { edits: [], problem: `${file} has no line ${line}` };
  const end = statementLines(lines, start);
  const head = /^(\s*)(obj-y|obj-\$\(CONFIG_[A-Za-z0-9_]+\))(\s*)(\+=|:=|=)/.exec(lines[start]);
  if (!head) return { edits: [], problem: `${file}:${line} is not an object list` };
  const wordRe = new RegExp(`(^|[\\s=])(${object.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})(?=\\s|\\\\|$)`);
  const found: { line: number; from: number; to: number }[] = [];
  let others = 0;
  for (let i = start; i <= end; i++) {
    const from = i === start ? head[0].length : 0;
    const body = lines[i].slice(from).replace(/\\$/, '').replace(/#.*$/, '');
    for (const w of body.split(/\s+/).filter(Boolean)) if (w !== object) others++;
    const m = wordRe.exec(lines[i].slice(from));
    if (m) found.push({ line: i, from: from + m.index + m[1].length, to: from + m.index + m[1].length + object.length });
  }
  // Already behind the new option: done.
  if (head[2] === `obj-$(${name})`) return { edits: [] };
  if (head[2] !== 'obj-y') return found.length ? { edits: [], problem: `${object} is listed under ${head[2]} at ${file}:${line}, not obj-y` } : { edits: [] };
  if (!found.length) return { edits: [] };
  if (others === 0) {
    // The statement is this object alone: only its list changes.
    const col = head[1].length;
    return { edits: [replace(start, col, col + 'obj-y'.length, `obj-$(${name})`)] };
  }
  const edits: TextEdit[] = [];
  const f = found[0];
  // Take the object and the blank before it out of the list.
  const lineText = lines[f.line];
  let from = f.from;
  while (from > 0 && /[ \t]/.test(lineText[from - 1]) && from > (f.line === start ? head[0].length : 0)) from--;
  edits.push(replace(f.line, from, f.to, ''));
  edits.push(insert(end, lines[end].length, `\n${head[1]}obj-$(${name}) += ${object}`));
  return { edits };
}
