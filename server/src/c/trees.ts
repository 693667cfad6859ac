/**
 * Parse trees of open documents, one per document and version, reparsed
 * incrementally on edits. Trees live in WASM memory, which JavaScript's garbage
 * collector never frees: every tree leaving the cache is deleted explicitly,
 * and a tree handed out must be used before the next call into this cache.
 */
import { LRUCache } from 'lru-cache';
import type { Edit, Point, Tree } from 'web-tree-sitter';
import type { Pos } from './functions';
import { maskAnnotations } from './mask';
import type { CParser } from './wasm';

/** One LSP content change with a range (incremental sync). */
export interface TextChange {
  range: { start: Pos; end: Pos };
  /** Deprecated in LSP and ignored: the range alone says what is replaced. */
  rangeLength?: number;
  text: string;
}

export interface DocumentTreesOptions {
  /**
   * Documents longer than this many UTF-16 code units (about bytes for C) are
   * not parsed: a generated multi-megabyte table would stall the server.
   */
  maxFileSize?: number;
  /** A parse that runs longer than this many milliseconds is abandoned. */
  parseBudgetMs?: number;
}

/** What the cache holds per document: the tree of one exact version and text, or null when it was refused. */
interface Entry {
  version: number;
  text: string;
  tree: Tree | null;
  /** The text the tree was parsed from, annotations masked; kept so an edit masks only the new text. */
  masked?: string;
  /** The parse ran out of time: the next versions are not tried again until the text shrinks. */
  timedOut?: boolean;
}

const DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024;
const DEFAULT_PARSE_BUDGET_MS = 1000;

export class DocumentTrees {
  private readonly cache: LRUCache<string, Entry>;
  private readonly maxFileSize: number;
  private readonly budgetMs: number;

  constructor(
    private readonly parser: CParser,
    maxTrees = 32,
    options: DocumentTreesOptions = {},
  ) {
    this.maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
    this.budgetMs = options.parseBudgetMs ?? DEFAULT_PARSE_BUDGET_MS;
    this.cache = new LRUCache<string, Entry>({
      max: Math.max(1, maxTrees),
      // Runs on eviction, replacement, delete and clear alike, so no tree leaks.
      dispose: (entry) => entry.tree?.delete(),
    });
  }

  /** The tree of `text`; throws when the document is too large or too slow to parse. */
  get(uri: string, version: number, text: string): Tree {
    const tree = this.tryGet(uri, version, text);
    if (!tree) throw new Error(`${uri} is not parsed: larger than ${this.maxFileSize} characters or slower than ${this.budgetMs} ms`);
    return tree;
  }

  /** The tree of `text`, or undefined when the document is too large or too slow to parse. */
  tryGet(uri: string, version: number, text: string): Tree | undefined {
    const hit = this.cache.get(uri);
    if (hit && hit.version === version && hit.text === text) return hit.tree ?? undefined;
    return this.store(uri, version, text, null);
  }

  /**
   * Applies LSP incremental changes to the document's tree and reparses,
   * reusing the unchanged parts. Positions are converted to offsets in the text
   * each change applies to (the old text after the changes before it), counting
   * UTF-16 code units as LSP and web-tree-sitter both do. Falls back to a full
   * parse when there is no tree to start from or the changes do not turn the
   * cached text into `newText`.
   */
  applyEdits(uri: string, version: number, newText: string, changes: TextChange[]): Tree | undefined {
    const old = this.cache.get(uri);
    if (!old?.tree || newText.length > this.maxFileSize) return this.store(uri, version, newText, null);
    let text = old.text;
    let masked = old.masked ?? maskAnnotations(text);
    const edits: Edit[] = [];
    for (const change of changes) {
      const lines = lineStarts(text);
      const start = offsetAt(text, lines, change.range.start);
      const end = Math.max(start, offsetAt(text, lines, change.range.end));
      const startPosition = pointAt(lines, start);
      edits.push({
        startIndex: start,
        oldEndIndex: end,
        newEndIndex: start + change.text.length,
        startPosition,
        oldEndPosition: pointAt(lines, end),
        newEndPosition: advance(startPosition, change.text),
      });
      text = text.slice(0, start) + change.text + text.slice(end);
      masked = masked.slice(0, start) + change.text + masked.slice(end);
    }
    if (text !== newText) return this.store(uri, version, newText, null);
    // Masking a macro with arguments depends on the text after it: adding the
    // `(` of `__section (x)` masks `x)` too, outside the changed range. Any
    // such difference is marked changed so the parser does not reuse stale nodes.
    const maskedNew = maskAnnotations(newText);
    const stale = differingWindow(masked, maskedNew);
    if (stale) {
      const lines = lineStarts(newText);
      const a = pointAt(lines, stale[0]);
      const b = pointAt(lines, stale[1]);
      edits.push({ startIndex: stale[0], oldEndIndex: stale[1], newEndIndex: stale[1], startPosition: a, oldEndPosition: b, newEndPosition: b });
    }
    for (const e of edits) old.tree.edit(e);
    return this.store(uri, version, newText, old.tree, maskedNew);
  }

  delete(uri: string): void {
    this.cache.delete(uri);
  }

  dispose(): void {
    this.cache.clear();
  }

  /** Parses (incrementally from `oldTree`, already edited) and caches the result, replacing and so deleting the previous tree. */
  private store(uri: string, version: number, text: string, oldTree: Tree | null, masked?: string): Tree | undefined {
    const previous = this.cache.peek(uri);
    // A document that took too long is not retried on every keystroke, which
    // would stall the server for the whole budget each time; a much shorter
    // text (most of it deleted) is worth another try.
    const tooSlow = previous?.timedOut === true && text.length > previous.text.length * 0.9;
    let tree: Tree | null = null;
    if (text.length <= this.maxFileSize && !tooSlow) {
      masked ??= maskAnnotations(text);
      const deadline = performance.now() + this.budgetMs;
      tree = this.parser.parse(masked, oldTree, { progressCallback: () => performance.now() > deadline });
      // A cancelled parse would otherwise resume on the next document.
      if (!tree) this.parser.reset();
    }
    const timedOut = tooSlow || (tree === null && text.length <= this.maxFileSize);
    this.cache.set(uri, { version, text, tree, masked: tree ? masked : undefined, timedOut });
    return tree ?? undefined;
  }
}

/** Offsets where each `\n`-separated line starts; tree-sitter's rows break at `\n` only. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * An LSP position as an offset, clamped to the text as LSP asks (a character
 * past the line's end means its end). Lines end at `\n` (a `\r` before it is
 * not part of the line); a lone `\r`, which LSP would also count, is not
 * expected in C sources and is read as an ordinary character, as tree-sitter does.
 */
function offsetAt(text: string, lines: number[], pos: Pos): number {
  if (pos.line < 0) return 0;
  if (pos.line >= lines.length) return text.length;
  const start = lines[pos.line];
  let end = pos.line + 1 < lines.length ? lines[pos.line + 1] - 1 : text.length;
  if (end > start && text[end - 1] === '\r') end--;
  return Math.min(start + Math.max(0, pos.character), end);
}

function pointAt(lines: number[], offset: number): Point {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { row: lo, column: offset - lines[lo] };
}

/** Where `start` ends up after inserting `inserted` there. */
function advance(start: Point, inserted: string): Point {
  const last = inserted.lastIndexOf('\n');
  if (last < 0) return { row: start.row, column: start.column + inserted.length };
  let rows = 0;
  for (let i = inserted.indexOf('\n'); i >= 0; i = inserted.indexOf('\n', i + 1)) rows++;
  return { row: start.row + rows, column: inserted.length - last - 1 };
}

/** `[first, last + 1)` of the positions where two equally long strings differ, or undefined when they are equal. */
function differingWindow(a: string, b: string): [number, number] | undefined {
  if (a === b) return undefined;
  let first = 0;
  while (first < a.length && a.charCodeAt(first) === b.charCodeAt(first)) first++;
  let last = a.length;
  while (last > first && a.charCodeAt(last - 1) === b.charCodeAt(last - 1)) last--;
  return [first, last];
}
