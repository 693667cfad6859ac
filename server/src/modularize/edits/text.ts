/**
 * The shape every "Modularize…" edit takes, and the few line helpers the edits
 * of each file type share. The edits are plain data rather than LSP types so
 * that the tests and the language server apply the same ones;
 * features/codeActions.ts hands them to the editor unchanged.
 *
 * Positions are 0-based lines and UTF-16 columns, as in LSP; the edits of one
 * call never overlap. Nothing here reads or writes files.
 */

export interface TextPosition { line: number; character: number }
export interface TextEdit { range: { start: TextPosition; end: TextPosition }; newText: string }

/** Edits of one file, or the reason the file cannot be edited safely. */
export interface EditResult {
  edits: TextEdit[];
  /** Set when the step cannot be done on this text (the edits are then empty). */
  problem?: string;
}

const at = (line: number, character: number): TextPosition => ({ line, character });

/** The edit that puts `newText` in place of columns `[from, to)` of one line. */
export const replace = (line: number, from: number, to: number, newText: string): TextEdit => ({ range: { start: at(line, from), end: at(line, to) }, newText });
export const insert = (line: number, character: number, newText: string): TextEdit => replace(line, character, character, newText);

/** The lines of a text without their breaks (a CRLF file's `\r` too), so that columns count only what the line shows. */
export function splitLines(text: string): string[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Where text appended to the file goes, and whether the file lacks its final newline. */
export function endOf(lines: string[]): { line: number; character: number; needsNewline: boolean } {
  const last = lines.length - 1;
  return { line: last, character: lines[last].length, needsNewline: lines[last] !== '' };
}

/** Applies non-overlapping edits to a text as an editor would (the tests check plans with it). */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  const offset = (p: TextPosition) => Math.min((starts[p.line] ?? text.length) + p.character, text.length);
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}
