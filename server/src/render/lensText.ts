/**
 * What the editor says about a source file and its functions, from the build
 * index: the CodeLens titles and the hover breakdowns. Pure functions of the
 * index lookups and the functions the parser found; no LSP types, so they are
 * tested directly (test/lensText.test.ts) and shared by every feature that
 * shows sizes.
 */
import * as path from 'node:path';
import type { FileEntry, InlinedEntry } from '../index/model';
import type { IndexLookups, SourceFunction } from '../index/lookups';
import { SectionClass, sumBytes, residentBytes } from '../binary/sections';
import { exactBytes, grouped, humanSize, percent, signedSize } from '../shared/units';

const CLASS_WORDS: Record<SectionClass, string> = {
  text: 'text',
  rodata: 'read-only data',
  data: 'data',
  bss: 'bss',
  init: 'init, freed after boot',
  percpu: 'per-CPU data',
  tables: 'tables',
};

export interface FunctionLens {
  title: string;
  /** The size shown, when there is one. */
  bytes?: number;
}

function isHeader(p: string): boolean {
  return p.endsWith('.h');
}

/** The first Kconfig symbol along the reason chain that is off, if any. */
function offSymbol(file: FileEntry): string | undefined {
  return file.config?.find((c) => c.value === 'n' || c.value === '')?.name;
}

function notBuiltText(file: FileEntry): string {
  const off = offSymbol(file);
  return off ? `not built — ${off} is not set` : `not built — ${file.reason ?? 'no Makefile builds it'}`;
}

/** The lens title above one function; `added` is set for a function the last build does not have. */
export function functionLens(lookups: IndexLookups, sourcePath: string, fn: SourceFunction, added?: { bytes?: number; measured: boolean }): FunctionLens {
  const file = lookups.file(sourcePath);
  if (!file) {
    if (isHeader(sourcePath)) {
      const copies = lookups.outOfLineCopies(fn.name);
      if (copies.length > 1 || (copies.length === 1 && fn.isInline)) {
        const total = copies.reduce((a, c) => a + c.fn.size, 0);
        return { title: `out of line in ${copies.length} object${copies.length > 1 ? 's' : ''}, ${humanSize(total)}`, bytes: total };
      }
      const inl = lookups.inlinedCopies(sourcePath, fn.name);
      if (inl) return inlinedLens(inl);
      return { title: fn.isInline ? 'inlined into callers' : 'no copy of its own in vmlinux' };
    }
    return { title: 'not built — no object for this file in the build' };
  }
  if (file.status === 'not-built') return { title: notBuiltText(file) };
  const entry = file.functions.find((f) => f.name === fn.name);
  if (!entry && added && file.status === 'built-in') {
    if (added.bytes === undefined) return { title: 'new since the last build' };
    const size = added.measured ? `+${humanSize(added.bytes)} (measured)` : `≈ +${humanSize(added.bytes)} (estimate)`;
    return { title: `${size} · new since the last build`, bytes: added.bytes };
  }
  if (!entry) {
    // A __weak default that another file overrides: its body is linked but unnamed and unused.
    if (fn.annotations.includes('__weak')) {
      const strong = lookups.outOfLineCopies(fn.name).find((c) => c.file !== file);
      if (strong) return { title: `weak — overridden by ${strong.file.path}` };
    }
    const inl = lookups.inlinedCopies(sourcePath, fn.name);
    return inl ? inlinedLens(inl) : { title: 'inlined into callers' };
  }
  const where = file.status === 'module' ? `in ${file.module}` : 'in vmlinux';
  // An alias is another name for bytes already counted, not a part of its own.
  const counted = entry.parts?.filter((p) => !p.alias).length ?? 1;
  const parts = counted > 1 ? ` (${counted} parts)` : '';
  const cls = lookups.classOf(file, entry.section);
  const classNote = cls === 'text' ? '' : ` · ${CLASS_WORDS[cls]}`;
  return { title: `${humanSize(entry.size)} ${where}${parts}${classNote}`, bytes: entry.size };
}

/** `inlined into 14 callers, ≈ 2.3 KiB`: the copies' bytes overlap their callers' code, hence "≈". */
function inlinedLens(inl: InlinedEntry): FunctionLens {
  return { title: `inlined into ${grouped(inl.callers)} caller${inl.callers === 1 ? '' : 's'}, ≈ ${humanSize(inl.bytes)}`, bytes: inl.bytes };
}

function inlinedNote(inl: InlinedEntry): string {
  return `Inlined ${grouped(inl.copies)} time${inl.copies === 1 ? '' : 's'} into ${grouped(inl.callers)} caller${inl.callers === 1 ? '' : 's'}: ≈ ${humanSize(inl.bytes)} of their code (from DWARF; these bytes are counted in the callers).`;
}

/** ` (+96 B)` against the baseline's same function or file; ` (new)` when the baseline has none. */
export function deltaNote(now: number, before: number | undefined): string {
  if (before === undefined) return ' (new)';
  const d = now - before;
  return ` (${signedSize(d, { zero: '±0 B', minus: '\u2212' })})`;
}

/** Bytes of a function (or, without a name, of the whole file) in the baseline build. */
export function baselineBytes(baseline: IndexLookups, sourcePath: string, functionName?: string): number | undefined {
  const file = baseline.file(sourcePath);
  if (!file || file.status === 'not-built') return undefined;
  if (functionName === undefined) return sumBytes(file.bytes);
  return file.functions.find((f) => f.name === functionName)?.size;
}

/** The lens on line 1: the file's total, its status and why. */
export function fileLens(lookups: IndexLookups, sourcePath: string): FunctionLens {
  const file = lookups.file(sourcePath);
  const name = path.basename(sourcePath);
  if (!file) {
    if (isHeader(sourcePath)) return { title: `${name}: a header — its code is counted in the files that include it` };
    return { title: `${name}: not built — no object for this file in the build` };
  }
  if (file.status === 'not-built') return { title: `${name}: ${notBuiltText(file)}` };
  const total = sumBytes(file.bytes);
  const why = file.reason ? `: ${file.reason}` : '';
  if (file.status === 'module') return { title: `${name}: ${humanSize(total)} in ${file.module} · module${why}`, bytes: total };
  const tristate = file.builtinModule ? ` (tristate, could be ${file.builtinModule})` : '';
  const init = file.bytes.init ? ` · ${humanSize(file.bytes.init)} init` : '';
  return { title: `${name}: ${humanSize(total)} in vmlinux${init} · built in${why}${tristate}`, bytes: total };
}

/** Markdown for hovering a function name. */
export function functionHover(lookups: IndexLookups, sourcePath: string, fn: SourceFunction): string {
  const file = lookups.file(sourcePath);
  const lens = functionLens(lookups, sourcePath, fn);
  const out = [`**${fn.name}** — ${lens.title}`];
  const entry = file?.functions.find((f) => f.name === fn.name);
  const inl = lookups.inlinedCopies(sourcePath, fn.name);
  if (!file || !entry) {
    if (inl) out.push('', inlinedNote(inl));
    if (isHeader(sourcePath)) {
      const copies = lookups.outOfLineCopies(fn.name);
      if (copies.length) {
        out.push('', '| object | bytes |', '|---|---:|');
        for (const c of copies.slice(0, 20)) out.push(`| ${c.file.path} | ${exactBytes(c.fn.size)} |`);
      }
    }
    return out.join('\n');
  }
  const parts = entry.parts ?? [{ name: entry.name, size: entry.size, section: entry.section }];
  out.push('', '| part | section | bytes |', '|---|---|---:|');
  for (const p of parts) out.push(`| \`${p.name}\` | ${p.section} (${CLASS_WORDS[lookups.classOf(file, p.section)]}) | ${p.alias ? `${exactBytes(p.size)}, the same bytes (an alias)` : exactBytes(p.size)} |`);
  if (parts.length > 1) out.push(`| total | | ${exactBytes(entry.size)} |`);
  if (file.status === 'built-in') {
    const { rank, of } = lookups.rank(entry.size);
    const t = lookups.index.totals;
    out.push('', `Rank #${grouped(rank)} of ${grouped(of)} functions in vmlinux · ${percent(entry.size, t.resident)} of the kernel proper's resident ${humanSize(t.resident)}.`);
  }
  if (inl) out.push('', inlinedNote(inl));
  // DWARF says where the built function was declared; a different line here means the text moved since.
  if (entry.line !== undefined && !entry.declFile && entry.line !== fn.line + 1) {
    out.push('', `_The kernel's debug info declares it at line ${entry.line}; here it is at line ${fn.line + 1}: this text differs from the one the kernel was built from${entry.lineStale ? ' (the source tree is at another patch level)' : ''}._`);
  }
  if (lookups.index.build.estimated) out.push('', '_Sizes are estimates: the build has no vmlinux, only System.map._');
  return out.join('\n');
}

/** Markdown for the file: its bytes by class, status, reason and largest functions. */
export function fileHover(lookups: IndexLookups, sourcePath: string): string {
  const file = lookups.file(sourcePath);
  const lens = fileLens(lookups, sourcePath);
  const out = [`**${lens.title}**`];
  if (!file || file.status === 'not-built') return out.join('\n');
  out.push('', '| class | bytes |', '|---|---:|');
  for (const [cls, n] of Object.entries(file.bytes)) if (n) out.push(`| ${CLASS_WORDS[cls as SectionClass]} | ${exactBytes(n)} |`);
  out.push(`| total | ${exactBytes(sumBytes(file.bytes))} |`, `| resident after boot | ${exactBytes(residentBytes(file.bytes))} |`);
  if (file.config?.length) out.push('', `Kconfig: ${file.config.map((c) => `\`${c.name}=${c.value || 'n'}\``).join(' → ')}`);
  const largest = [...file.functions, ...file.variables].sort((a, b) => b.size - a.size).slice(0, 10);
  if (largest.length) {
    out.push('', '| largest | bytes |', '|---|---:|');
    for (const f of largest) out.push(`| \`${f.name}\` | ${exactBytes(f.size)} |`);
  }
  return out.join('\n');
}
