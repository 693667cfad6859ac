/**
 * Justified growth: a commit may say why it makes the kernel bigger, in a
 * trailer of its message, `Kernel-Size-Justification: <reason>` (as Chromium's
 * binary-size check reads `Binary-Size:`), and `kbloat check` then lets a broken
 * growth budget pass. The trailers are found exactly as `git interpret-trailers
 * --parse` finds them (git's trailer.c, read here without running it): only the
 * last paragraph counts, and only when it is all `Key: value` lines (or, with a
 * `Signed-off-by: ` line, at least a quarter of them), not the subject; lines
 * that start with whitespace continue the value before them; a `---` line ends
 * the message (what follows is a patch), and trailing comments and blank lines
 * are ignored. The message itself is read with `git log` through `git.ts`.
 */
import { KbloatInputError } from '../common/errors';
import { git } from './git';

/** The trailer that justifies growth. */
export const JUSTIFICATION_TRAILER = 'Kernel-Size-Justification';

export interface Trailer {
  /** The key as written (`Signed-off-by`). */
  key: string;
  /** The value, continuation lines folded into one line with single spaces. */
  value: string;
}

export interface Justification {
  /** The full hash of the commit whose message was read. */
  commit: string;
  /** The values of its Kernel-Size-Justification trailers, in order (empty when it has none). */
  reasons: string[];
}

/** git's comment character (core.commentChar's default). */
const COMMENT = '#';
/** Lines git itself writes, which make a paragraph a trailer block when a quarter of it are trailers. */
const GIT_GENERATED_PREFIXES = ['Signed-off-by: ', '(cherry picked from commit '];
/** The scissors line of `git commit --cleanup=scissors`: everything from it on is not the message. */
const CUT_LINE = `${COMMENT} ------------------------ >8 ------------------------`;

/** C's isspace. */
function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function isAlnum(c: string): boolean {
  return /^[A-Za-z0-9]$/.test(c);
}

function nextLine(buf: string, pos: number): number {
  const nl = buf.indexOf('\n', pos);
  return nl < 0 ? buf.length : nl + 1;
}

/** Whitespace only up to the end of the line. */
function isBlankLine(buf: string, pos: number): boolean {
  let i = pos;
  while (i < buf.length && buf[i] !== '\n' && isSpace(buf[i])) i++;
  return i >= buf.length || buf[i] === '\n';
}

/** The start of the line before `len` (the last character, a newline or not, belongs to that line); -1 when none. */
function lastLine(buf: string, len: number): number {
  if (len <= 0) return -1;
  if (len === 1) return 0;
  for (let i = len - 2; i >= 0; i--) if (buf[i] === '\n') return i + 1;
  return 0;
}

/** The offset of the `:` of `Key: value` in the line at `pos` (a token of letters, digits and `-`, then blanks), else -1. */
function findSeparator(buf: string, pos: number): number {
  let whitespace = false;
  for (let i = pos; i < buf.length; i++) {
    const c = buf[i];
    if (c === ':') return i - pos;
    if (!whitespace && (isAlnum(c) || c === '-')) continue;
    if (i !== pos && (c === ' ' || c === '\t')) {
      whitespace = true;
      continue;
    }
    break;
  }
  return -1;
}

/** Where the message ends: before a `---` line (a patch follows). */
function findPatchStart(buf: string): number {
  for (let s = 0; s < buf.length; s = nextLine(buf, s)) {
    if (buf.startsWith('---', s) && isSpace(buf[s + 3])) return s;
  }
  return buf.length;
}

/** Where the scissors line cuts the message, else `len`. */
function locateCut(buf: string, len: number): number {
  if (buf.startsWith(CUT_LINE + '\n')) return 0;
  const at = buf.indexOf(`\n${CUT_LINE}\n`);
  return at >= 0 ? Math.min(len, at + 1) : len;
}

/** The bytes at the end of buf[0, len) that are no part of the message: comments, empty lines, an old `Conflicts:` block. */
function ignoredTail(buf: string, len: number): number {
  // As git's ignore_non_trailer(): 0 doubles as "no run of comments yet".
  let boc = 0;
  let bol = 0;
  let inConflicts = false;
  const cutoff = locateCut(buf, len);
  while (bol < cutoff) {
    const nl = buf.indexOf('\n', bol);
    const next = nl < 0 || nl >= cutoff ? cutoff : nl + 1;
    if (buf[bol] === COMMENT || buf[bol] === '\n') {
      if (!boc) boc = bol;
    } else if (buf.startsWith('Conflicts:\n', bol)) {
      inConflicts = true;
      if (!boc) boc = bol;
    } else if (inConflicts && buf[bol] === '\t') {
      // a path in the conflicts block
    } else if (boc) {
      boc = 0;
      inConflicts = false;
    }
    bol = next;
  }
  return boc ? len - boc : len - cutoff;
}

/** The start of the trailer block in buf[0, len), or len when there is none. */
function findTrailerStart(buf: string, len: number): number {
  // The first paragraph is the subject and cannot be trailers.
  let s = 0;
  for (; s < len; s = nextLine(buf, s)) {
    if (buf[s] === COMMENT) continue;
    if (isBlankLine(buf, s)) break;
  }
  const endOfTitle = s;
  let onlySpaces = true;
  let recognizedPrefix = false;
  let trailerLines = 0;
  let nonTrailerLines = 0;
  // Lines that start with whitespace: a trailer's continuation if a trailer comes before them, else not trailers.
  let possibleContinuations = 0;
  for (let l = lastLine(buf, len); l >= endOfTitle; l = lastLine(buf, l)) {
    if (buf[l] === COMMENT) {
      nonTrailerLines += possibleContinuations;
      possibleContinuations = 0;
      continue;
    }
    if (isBlankLine(buf, l)) {
      if (onlySpaces) continue;
      nonTrailerLines += possibleContinuations;
      if (recognizedPrefix && trailerLines * 3 >= nonTrailerLines) return nextLine(buf, l);
      if (trailerLines && !nonTrailerLines) return nextLine(buf, l);
      return len;
    }
    onlySpaces = false;
    if (GIT_GENERATED_PREFIXES.some((p) => buf.startsWith(p, l))) {
      trailerLines++;
      possibleContinuations = 0;
      recognizedPrefix = true;
      continue;
    }
    if (findSeparator(buf, l) >= 1 && !isSpace(buf[l])) {
      trailerLines++;
      possibleContinuations = 0;
    } else if (isSpace(buf[l])) possibleContinuations++;
    else {
      nonTrailerLines += 1 + possibleContinuations;
      possibleContinuations = 0;
    }
  }
  return len;
}

/** Strips C whitespace at both ends, as git's strbuf_trim. */
function trim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s[a])) a++;
  while (b > a && isSpace(s[b - 1])) b--;
  return s.slice(a, b);
}

/** A value's continuation lines folded into one line, as `--unfold`. */
function unfold(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; ) {
    const c = value[i++];
    if (c === '\n') {
      while (i < value.length && isSpace(value[i])) i++;
      out += ' ';
    } else out += c;
  }
  return trim(out);
}

/** The trailers of a commit message, as `git interpret-trailers --parse` lists them. */
export function parseTrailers(message: string): Trailer[] {
  const end = findPatchStart(message);
  const trailerEnd = end - ignoredTail(message, end);
  const start = findTrailerStart(message, trailerEnd);
  const lines: string[] = [];
  for (let s = start; s < trailerEnd; ) {
    const e = Math.min(nextLine(message, s), trailerEnd);
    lines.push(message.slice(s, e));
    s = e;
  }
  // A line that starts with whitespace continues the trailer before it.
  const joined: string[] = [];
  let lastIsTrailer = false;
  for (const line of lines) {
    if (lastIsTrailer && isSpace(line[0])) {
      joined[joined.length - 1] += line;
      continue;
    }
    joined.push(line);
    lastIsTrailer = findSeparator(line, 0) >= 1;
  }
  const out: Trailer[] = [];
  for (const t of joined) {
    if (t[0] === COMMENT) continue;
    const sep = findSeparator(t, 0);
    if (sep < 1) continue;
    out.push({ key: trim(t.slice(0, sep)), value: unfold(trim(t.slice(sep + 1))) });
  }
  return out;
}

/** The reasons a message gives for growth: its non-empty Kernel-Size-Justification trailers (the key in any case). */
export function justificationsOf(message: string): string[] {
  return parseTrailers(message)
    .filter((t) => t.key.toLowerCase() === JUSTIFICATION_TRAILER.toLowerCase() && t.value !== '')
    .map((t) => t.value);
}

/**
 * The justification in the message of commit `rev` of the git tree `tree`.
 * A tree that is no git repository, and a revision that names no commit, are
 * input errors (one line for the CLI).
 */
export function readJustification(tree: string, rev: string): Justification {
  // An option is no revision (and must not reach git as one).
  if (rev === '' || rev.startsWith('-')) throw new KbloatInputError('io', `"${rev}" is not a revision`, tree);
  git(tree, ['rev-parse', '--git-dir']);
  let commit: string;
  try {
    commit = git(tree, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).trim();
  } catch {
    throw new KbloatInputError('io', `unknown revision "${rev}": no such commit in this git tree`, tree);
  }
  const message = git(tree, ['log', '-1', '--format=%B', commit]);
  return { commit, reasons: justificationsOf(message) };
}
