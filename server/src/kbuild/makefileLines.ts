/**
 * The object-list lines of a Kbuild Makefile as they are written in an editor
 * buffer: `obj-y += a.o b/`, `obj-$(CONFIG_X) += …`, `lib-y`, `subdir-y`, and a
 * composite object's `foo-y`/`foo-objs`/`foo-$(CONFIG_X)` member lines, with
 * the column of every word. It reads the text only (no make evaluation, no
 * includes), so it answers at once on a half-written file; what a word is in
 * the build (built in, in a module, not built) comes from the build index
 * (index/optionLookups.ts). objLines.ts is the exact reader the index uses.
 */

export interface ListWord {
  /** The word as written: `a.o`, `sub/`, `../x/y.o`. */
  text: string;
  /** Zero-based line and character of its first letter. */
  line: number;
  character: number;
}

export interface ObjectListLine {
  /** Zero-based line of the assignment, and of its last continuation line. */
  line: number;
  lastLine: number;
  /** The list variable as written: `obj-$(CONFIG_X)`, `8250-y`. */
  listVar: string;
  kind: 'obj' | 'lib' | 'subdir' | 'composite';
  /** For a composite's member line: the composite's name (`8250` for `8250-y`). */
  composite?: string;
  /** The Kconfig symbol of the list name (`CONFIG_X` in `obj-$(CONFIG_X)`), if any. */
  condition?: string;
  /** `y`, `m`, `objs`, `n`, `` or `$(CONFIG_X)` as written. */
  suffix: string;
  /** The words that name objects or folders; words made by make functions are left out. */
  words: ListWord[];
  /** True when some word could not be read without make (`$(…)`). */
  unresolved: boolean;
}

/** List variables of other Kbuild purposes that look like composites (`ccflags-y`, `always-y`...). */
const NOT_COMPOSITE = /^(?:subdir-)?(?:cc|as|ld|cpp)flags$|^(?:extra|always|hostprogs|userprogs|targets|clean-files|header-test|no-header-test|mandatory-y|generic-y|generated-y|obj-vdso|vdso|hostprogs-always|userprogs-always)$|^(?:CFLAGS|AFLAGS|OBJECT_FILES|KASAN|KCSAN|UBSAN|GCOV|KCOV|KMSAN)_/;

const ASSIGN = /^([A-Za-z0-9_./+-]+?)-(\$[({](CONFIG_[A-Za-z0-9_]+)[)}]|y|m|n|objs|)\s*(\+=|:=|::=|\?=|=)(.*)$/;

/** Longest logical line read (a continuation that never ends stops here). */
const MAX_CONTINUATION = 500;

export function objectListLines(text: string): ObjectListLine[] {
  const lines = text.split(/\r?\n/);
  const out: ObjectListLine[] = [];
  // Inside a `define … endef` block nothing is an assignment of its own.
  let inDefine = false;
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    // A logical line: physical lines joined where one ends in a backslash.
    const parts: { line: number; text: string; offset: number }[] = [];
    let logical = '';
    for (let n = 0; i < lines.length && n < MAX_CONTINUATION; n++, i++) {
      const raw = lines[i];
      const cont = /\\$/.test(raw) && !/\\\\$/.test(raw);
      const body = cont ? raw.slice(0, -1) : raw;
      parts.push({ line: i, text: body, offset: logical.length });
      logical += body + ' ';
      if (!cont) break;
    }
    if (i >= lines.length) i = lines.length - 1;
    const trimmed = logical.trimStart();
    if (/^define\b/.test(trimmed)) inDefine = true;
    if (inDefine) {
      if (/^endef\b/.test(trimmed)) inDefine = false;
      continue;
    }
    const lead = logical.length - trimmed.length;
    // A recipe line (tab first) or a comment is no assignment.
    if (logical.startsWith('\t') || trimmed.startsWith('#')) continue;
    const m = ASSIGN.exec(trimmed);
    if (!m) continue;
    const [, stem, suffix, condition] = m;
    const valueStart = lead + trimmed.length - m[5].length;
    let kind: ObjectListLine['kind'];
    if (stem === 'obj' || stem === 'lib' || stem === 'subdir') kind = stem;
    else if (NOT_COMPOSITE.test(stem) || stem.includes('$')) continue;
    else kind = 'composite';
    const value = stripComment(logical.slice(valueStart));
    const words: ListWord[] = [];
    let unresolved = false;
    for (const w of wordsOf(value)) {
      const word = w.text;
      if (word.includes('$')) {
        unresolved = true;
        continue;
      }
      const at = valueStart + w.index;
      const part = [...parts].reverse().find((p) => p.offset <= at) ?? parts[0];
      words.push({ text: word, line: part.line, character: at - part.offset });
    }
    // A composite's member lines name objects; `foo-y := bar` of anything else is some other variable.
    if (kind === 'composite' && !words.some((w) => w.text.endsWith('.o'))) continue;
    out.push({
      line: first,
      lastLine: parts[parts.length - 1].line,
      listVar: `${stem}-${suffix}`,
      kind,
      ...(kind === 'composite' ? { composite: stem } : {}),
      ...(condition ? { condition } : {}),
      suffix,
      words,
      unresolved,
    });
  }
  return out;
}

/** The words of a value, a `$(…)` with spaces inside (`$(call f,a b)`) kept as one. */
function wordsOf(value: string): { text: string; index: number }[] {
  const out: { text: string; index: number }[] = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i <= value.length; i++) {
    const c = value[i];
    if (c === undefined || (depth === 0 && /\s/.test(c))) {
      if (start >= 0) out.push({ text: value.slice(start, i), index: start });
      start = -1;
      continue;
    }
    if (start < 0) start = i;
    if (c === '$' && (value[i + 1] === '(' || value[i + 1] === '{')) depth++, i++;
    else if ((c === ')' || c === '}') && depth > 0) depth--;
  }
  return out;
}

/** The value without its `#` comment; `$(#)`-style escapes are rare enough in object lists to ignore. */
function stripComment(value: string): string {
  const k = value.indexOf('#');
  return k < 0 ? value : value.slice(0, k);
}

/** Kbuild Makefiles by name: `Makefile`, `Kbuild`, `Makefile.foo` under a kernel folder, `Kbuild.include` is not one. */
export function isKbuildMakefileName(base: string): boolean {
  return base === 'Makefile' || base === 'Kbuild' || base === 'makefile';
}
