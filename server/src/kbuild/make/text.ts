/**
 * The text of make's language, read without evaluating anything: words,
 * parentheses and top-level commas, comments and continued lines, the shape of
 * an assignment and of an `ifeq` argument, `%` patterns, and file names as make
 * compares them. Every function here is pure, so the evaluator and its callers
 * can use them on any text.
 */
import * as path from 'node:path';

/** The words of a text, as make splits them at blanks and newlines. */
export function splitWords(s: string): string[] {
  return s.split(/[ \t\n\r]+/).filter(Boolean);
}

/** Index of the parenthesis closing the one opened just before `from`, or -1. */
export function findClose(s: string, from: number, open: string): number {
  const close = open === '(' ? ')' : '}';
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === open) depth++;
    else if (s[i] === close && --depth === 0) return i;
  }
  return -1;
}

/** Positions of `ch` outside any $(...)/${...}. */
export function topLevelIndexes(s: string, ch: string, from = 0): number[] {
  const out: number[] = [];
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '{') depth++;
    else if ((c === ')' || c === '}') && depth > 0) depth--;
    else if (c === ch && depth === 0) out.push(i);
  }
  return out;
}

/** Split function arguments at top-level commas, at most `max` pieces. */
export function splitArgs(s: string, max: number): string[] {
  const cuts = topLevelIndexes(s, ',').slice(0, max - 1);
  const out: string[] = [];
  let prev = 0;
  for (const c of cuts) out.push(s.slice(prev, c)), (prev = c + 1);
  out.push(s.slice(prev));
  return out;
}

/** Remove a `#` comment; `\#` is a literal '#', and so is a '#' inside $(...) (GNU make manual, "Makefile Contents"). */
export function stripComment(s: string): string {
  if (!s.includes('#')) return s;
  let out = '';
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && s[i + 1] === '#') {
      out += '#';
      i++;
      continue;
    }
    if (c === '$' && (s[i + 1] === '(' || s[i + 1] === '{')) depth++;
    else if ((c === ')' || c === '}') && depth > 0) depth--;
    else if (c === '#' && depth === 0) break;
    out += c;
  }
  return out;
}

/** Whether a physical line continues on the next: it ends in an odd number of backslashes. */
export function endsWithContinuation(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

/** `lhs op rhs` of an assignment, 'rule' for a rule line (a ':' not part of ':='), or null. */
export function findAssign(s: string): { lhs: string; op: string; rhs: string } | 'rule' | null {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '$') {
      if (s[i + 1] === '(' || s[i + 1] === '{') {
        const end = findClose(s, i + 2, s[i + 1]);
        if (end < 0) return null;
        i = end;
      } else i++;
    } else if (c === '=') {
      let j = i;
      const p = s[i - 1];
      if (p === '+' || p === '?' || p === '!') j = i - 1;
      else if (p === ':') while (j > 0 && s[j - 1] === ':') j--;
      const lhs = s.slice(0, j).trim();
      return lhs ? { lhs, op: s.slice(j, i + 1), rhs: s.slice(i + 1).replace(/^[ \t]+/, '') } : null;
    } else if (c === ':') {
      let k = i;
      while (s[k] === ':') k++;
      if (s[k] !== '=') return 'rule';
      i = k - 1;
    }
  }
  return null;
}

/** `ifeq (a,b)`, `ifeq "a" "b"`, `ifeq 'a' "b"` -> [a, b]. */
export function parseEqArgs(rest: string): [string, string] | null {
  if (rest.startsWith('(')) {
    const end = findClose(rest, 1, '(');
    if (end < 0 || rest.slice(end + 1).trim() !== '') return null;
    const inner = rest.slice(1, end);
    const comma = topLevelIndexes(inner, ',')[0];
    return comma === undefined ? null : [inner.slice(0, comma), inner.slice(comma + 1)];
  }
  const m = /^(["'])(.*?)\1\s+(["'])(.*?)\3$/.exec(rest);
  return m ? [m[2], m[4]] : null;
}

/** Whether word `w` matches pattern `pat`, whose first '%' stands for any stem. */
export function matchPat(pat: string, w: string): boolean {
  const k = pat.indexOf('%');
  if (k < 0) return pat === w;
  const pre = pat.slice(0, k);
  const suf = pat.slice(k + 1);
  return w.length >= pre.length + suf.length && w.startsWith(pre) && w.endsWith(suf);
}

/** One word through `$(patsubst pat,rep,w)`: a word the pattern does not match is kept as it is. */
export function patsubstWord(pat: string, rep: string, w: string): string {
  const k = pat.indexOf('%');
  if (k < 0) return w === pat ? rep : w;
  if (!matchPat(pat, w)) return w;
  const stem = w.slice(k, w.length - (pat.length - k - 1));
  return rep.includes('%') ? rep.replace('%', stem) : rep;
}

/** Tree-relative, '/'-separated, without './': the one spelling under which two names of a file compare equal. */
export function normalize(p: string): string {
  const n = path.posix.normalize(p);
  return n === '.' ? '' : n.replace(/^\.\//, '');
}
