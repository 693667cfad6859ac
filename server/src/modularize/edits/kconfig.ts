/**
 * The Kconfig steps of "Modularize…": a bool option made tristate, and a new
 * tristate option for code no option builds yet, with the name it gets. Each
 * edit is checked against the Kconfig parser first and none goes into a file
 * the parser finds problems in, since an edit placed by a misread file could
 * land inside another entry's help text or block.
 */
import { kconfigProblems, KconfigProblem } from '../../kbuild/kconfig/problems';
import { parseKconfigFile } from '../../kbuild/kconfig/parser';
import { EditResult, endOf, insert, replace, splitLines, TextEdit } from './text';

function problemText(problems: KconfigProblem[], file: string): string {
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
