/**
 * The text edits behind "Modularize…": each function looks at one file's
 * current text and returns the edits that take it one step towards building
 * the code as a module — or none when the step is already done, so that
 * planning again on the edited files offers nothing twice.
 *
 * Positions are 0-based lines and UTF-16 columns, as in LSP; the edits of one
 * call never overlap. Nothing here reads or writes files.
 */
import { parseKconfigFile } from '../kbuild/kconfig/parser';

export interface TextPosition { line: number; character: number }
export interface TextEdit { range: { start: TextPosition; end: TextPosition }; newText: string }

/** Edits of one file, or the reason the file cannot be edited safely. */
export interface EditResult {
  edits: TextEdit[];
  /** Set when the step cannot be done on this text (the edits are then empty). */
  problem?: string;
}

const at = (line: number, character: number): TextPosition => ({ line, character });
const replace = (line: number, from: number, to: number, newText: string): TextEdit => ({ range: { start: at(line, from), end: at(line, to) }, newText });
const insert = (line: number, character: number, newText: string): TextEdit => replace(line, character, character, newText);

function splitLines(text: string): string[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Where text appended to the file goes, and whether the file lacks its final newline. */
function endOf(lines: string[]): { line: number; character: number; needsNewline: boolean } {
  const last = lines.length - 1;
  return { line: last, character: lines[last].length, needsNewline: lines[last] !== '' };
}

/** Applies non-overlapping edits to a text (tests, and the CLI's preview). */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  const offset = (p: TextPosition) => Math.min((starts[p.line] ?? text.length) + p.character, text.length);
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

// ---------------------------------------------------------------------------
// .config

/**
 * `CONFIG_X=y` becomes `CONFIG_X=m`; `# CONFIG_X is not set` and a missing line
 * become `CONFIG_X=m` too (a new option). Already `=m`: no edit. The user runs
 * `make olddefconfig` afterwards, which settles what depends on the change.
 */
export function dotconfigSetModule(text: string, symbol: string): EditResult {
  const name = symbol.startsWith('CONFIG_') ? symbol : `CONFIG_${symbol}`;
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith(`${name}=`)) {
      const value = l.slice(name.length + 1).trim();
      if (value === 'm') return { edits: [] };
      if (value !== 'y') return { edits: [], problem: `${name}=${value} in .config is not a tristate value` };
      return { edits: [replace(i, 0, l.length, `${name}=m`)] };
    }
    if (l === `# ${name} is not set`) return { edits: [replace(i, 0, l.length, `${name}=m`)] };
  }
  const end = endOf(lines);
  return { edits: [insert(end.line, end.character, `${end.needsNewline ? '\n' : ''}${name}=m\n`)] };
}

// ---------------------------------------------------------------------------
// Kconfig

/** The problems the Kconfig parser finds in one file, with 1-based lines: no edit goes into a file that has any. */
export function kconfigProblems(text: string, file: string): { line: number; message: string }[] {
  const out: { line: number; message: string }[] = [];
  for (const w of parseKconfigFile(text, file).warnings) {
    const m = /^(.*):(\d+): (.*)$/s.exec(w);
    if (m && m[1] === file) out.push({ line: Number(m[2]), message: m[3] });
    else out.push({ line: 1, message: w });
  }
  return out;
}

function problemText(problems: { line: number; message: string }[], file: string): string {
  const p = problems[0];
  return `${file}:${p.line} does not parse (${p.message}); fix it first`;
}

/** `bool` (or `def_bool`) becomes `tristate` (`def_tristate`) in every definition of `symbol` in this file that gives a type. */
export function kconfigMakeTristate(text: string, file: string, symbol: string): EditResult {
  const name = symbol.replace(/^CONFIG_/, '');
  const problems = kconfigProblems(text, file);
  if (problems.length) return { edits: [], problem: problemText(problems, file) };
  const defs = parseKconfigFile(text, file).symbols.filter((s) => s.name === name);
  if (!defs.length) return { edits: [], problem: `${file} does not define ${name}` };
  const lines = splitLines(text);
  const edits: TextEdit[] = [];
  for (const d of defs) {
    if (d.type !== 'bool' || !d.typePos || d.typePos.col === undefined) continue;
    const line = d.typePos.line - 1;
    const col = d.typePos.col;
    const word = /^(def_bool|boolean|bool)\b/.exec(lines[line]?.slice(col) ?? '')?.[1];
    if (!word) return { edits: [], problem: `${file}:${d.typePos.line}: the type of ${name} is not where the parser put it` };
    edits.push(replace(line, col, col + word.length, word === 'def_bool' ? 'def_tristate' : 'tristate'));
  }
  return { edits };
}

export interface NewKconfigEntry {
  /** Without `CONFIG_`. */
  name: string;
  prompt: string;
  /** Conditions for a `depends on` line, joined with `&&`. */
  dependsOn: string[];
  /** Help text, already wrapped; lines without indentation. */
  help: string[];
}

/**
 * Adds `config NAME` as a tristate option defaulting to y (so configs that do
 * not ask keep today's kernel), inside the file's closing `endmenu`/`endif` when
 * it ends in one, else at its end. No edit when the file defines NAME already.
 */
export function kconfigAddEntry(text: string, file: string, entry: NewKconfigEntry): EditResult {
  const problems = kconfigProblems(text, file);
  if (problems.length) return { edits: [], problem: problemText(problems, file) };
  if (parseKconfigFile(text, file).symbols.some((s) => s.name === entry.name)) return { edits: [] };
  const lines = splitLines(text);
  const body = [
    `config ${entry.name}`,
    `\ttristate ${JSON.stringify(entry.prompt)}`,
    ...(entry.dependsOn.length ? [`\tdepends on ${entry.dependsOn.join(' && ')}`] : []),
    '\tdefault y',
    '\thelp',
    ...entry.help.map((h) => (h ? `\t  ${h}` : '')),
  ];
  // The last statement of the file: a block closer there means the file wraps its entries in a menu or an if.
  let last = lines.length - 1;
  while (last >= 0 && (/^\s*(#.*)?$/.test(lines[last]))) last--;
  if (last >= 0 && /^\s*(endmenu|endif)\s*(#.*)?$/.test(lines[last])) {
    const blankBefore = last > 0 && lines[last - 1].trim() !== '' ? '\n' : '';
    return { edits: [insert(last, 0, `${blankBefore}${body.join('\n')}\n\n`)] };
  }
  const end = endOf(lines);
  const lead = end.needsNewline ? '\n\n' : last >= 0 ? '\n' : '';
  return { edits: [insert(end.line, end.character, `${lead}${body.join('\n')}\n`)] };
}

// ---------------------------------------------------------------------------
// Makefile

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

// ---------------------------------------------------------------------------
// C source

/** The text with comments and string/char literals blanked (newlines kept), so that code is searched only in code. */
export function blankCommentsAndStrings(text: string): string {
  const out = text.split('');
  let i = 0;
  const blank = (from: number, to: number) => { for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' '; };
  while (i < text.length) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '*') {
      const e = text.indexOf('*/', i + 2);
      const stop = e < 0 ? text.length : e + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && text[i + 1] === '/') {
      let e = text.indexOf('\n', i);
      if (e < 0) e = text.length;
      blank(i, e);
      i = e;
    } else if (c === '"' || c === "'") {
      let k = i + 1;
      while (k < text.length && text[k] !== c && text[k] !== '\n') k += text[k] === '\\' ? 2 : 1;
      blank(i + 1, Math.min(k, text.length));
      i = k + 1;
    } else i++;
  }
  return out.join('');
}

/** `MODULE_LICENSE` strings the kernel accepts, from the file's SPDX line. */
export function moduleLicenseFor(text: string): string {
  const spdx = /SPDX-License-Identifier:\s*([^\n*]*)/.exec(text.slice(0, 2000))?.[1].trim() ?? '';
  const dual = /\bOR\b/i.test(spdx) || /\//.test(spdx);
  if (/GPL/.test(spdx) && dual) {
    if (/\bMIT\b/.test(spdx)) return 'Dual MIT/GPL';
    if (/BSD/.test(spdx)) return 'Dual BSD/GPL';
    if (/MPL/.test(spdx)) return 'Dual MPL/GPL';
  }
  // Everything in the kernel is under GPL-2.0 as a whole (COPYING), whatever else a file adds.
  return 'GPL';
}

/** Built-in initcall levels whose module form is `module_init` at the same place in the boot (device level and later). */
const MODULE_INIT_LEVELS = /^(device_initcall|__initcall|late_initcall|late_initcall_sync|device_initcall_sync)$/;

export interface ModuleSourceNeeds {
  /** For MODULE_DESCRIPTION: usually the Kconfig prompt. */
  description: string;
}

export interface ModuleSourceEdits extends EditResult {
  /** What the user still has to do by hand, in sentences. */
  notes: string[];
}

/**
 * What a C file needs to be built as (part of) a module when it lacks it:
 * `#include <linux/module.h>`, `module_init` in place of a device-level or
 * later built-in initcall, `module_<bus>_driver` for `builtin_<bus>_driver`,
 * `MODULE_LICENSE` and `MODULE_DESCRIPTION`. No `module_exit` is invented:
 * what an exit function must undo is the author's to write, and a module
 * without one simply cannot be unloaded, which is safe.
 */
export function cSourceModuleEdits(text: string, needs: ModuleSourceNeeds): ModuleSourceEdits {
  const code = blankCommentsAndStrings(text);
  const lines = splitLines(text);
  const codeLines = splitLines(code);
  const edits: TextEdit[] = [];
  const notes: string[] = [];
  const has = (re: RegExp) => re.test(code);

  let hasInit = has(/\bmodule_init\s*\(/) || has(/\bmodule_\w+_driver\s*\(/);
  for (let i = 0; i < codeLines.length; i++) {
    const l = codeLines[i];
    const ic = /^(\s*)(\w+)(\s*\(\s*\w+\s*\)\s*;)/.exec(l);
    if (ic && /_initcall(_sync)?$|^__initcall$/.test(ic[2])) {
      if (MODULE_INIT_LEVELS.test(ic[2]) && !hasInit) {
        edits.push(replace(i, ic[1].length, ic[1].length + ic[2].length, 'module_init'));
        hasInit = true;
      } else if (!MODULE_INIT_LEVELS.test(ic[2])) {
        notes.push(`line ${i + 1}: ${ic[2]}() runs earlier in the boot than any module can load; as a module it runs at load time instead`);
      }
      continue;
    }
    const drv = /\bbuiltin_(\w+_driver(?:_probe)?)\s*\(/.exec(l);
    if (drv) {
      edits.push(replace(i, drv.index, drv.index + 'builtin_'.length + drv[1].length, `module_${drv[1]}`));
      hasInit = true;
    }
  }
  if (!has(/\bmodule_exit\s*\(/) && !has(/\bmodule_\w+_driver\s*\(/) && hasInit) {
    notes.push('no module_exit(): the module cannot be unloaded until one undoes what its init did');
  }

  if (!/^\s*#\s*include\s*<linux\/module\.h>/m.test(code)) {
    let lastInclude = -1;
    for (let i = 0; i < codeLines.length; i++) if (/^\s*#\s*include\s*[<"]/.test(codeLines[i])) lastInclude = i;
    // With no include at all, after the leading comment block (the SPDX line and the file's header).
    let after = lastInclude;
    if (after < 0) {
      after = -1;
      for (let i = 0; i < codeLines.length && codeLines[i].trim() === ''; i++) after = i;
    }
    edits.push(insert(after + 1, 0, '#include <linux/module.h>\n'));
  }

  const tail: string[] = [];
  if (!has(/\bMODULE_LICENSE\s*\(/)) tail.push(`MODULE_LICENSE(${JSON.stringify(moduleLicenseFor(text))});`);
  if (!has(/\bMODULE_DESCRIPTION\s*\(/)) tail.push(`MODULE_DESCRIPTION(${JSON.stringify(needs.description)});`);
  if (tail.length) {
    const end = endOf(lines);
    edits.push(insert(end.line, end.character, `${end.needsNewline ? '\n' : ''}\n${tail.join('\n')}\n`));
  }
  return { edits, notes };
}

/**
 * A name for a new option: the folder's last part and the object's stem, in
 * Kconfig's style (`drivers/tty/n_null.o` → `TTY_N_NULL`), made unique against
 * `taken`.
 */
export function newOptionName(object: string, taken: (name: string) => boolean): string {
  const parts = object.replace(/\.o$/, '').split('/');
  const stem = parts[parts.length - 1];
  const dir = parts.length > 1 ? parts[parts.length - 2] : '';
  const clean = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  let base = clean(stem.toLowerCase().startsWith(dir.toLowerCase()) || !dir ? stem : `${dir}_${stem}`);
  if (!/^[A-Z_]/.test(base)) base = `X_${base}`;
  if (!taken(base)) return base;
  for (let n = 2; ; n++) if (!taken(`${base}_${n}`)) return `${base}_${n}`;
}
