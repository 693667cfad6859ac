/**
 * What DWARF adds to an index whose attribution came from elsewhere (the build
 * tree) or from DWARF itself (a distro kernel): the line each function is
 * declared on, whether the source tree still has it there, and the inlined
 * copies of functions, charged back to the function they came from.
 */
import * as path from 'node:path';
import type { BuildIndex, FunctionEntry } from './model';
import { DwarfIndex } from '../binary/dwarf/index';
import { ElfFile, STT_FUNC } from '../binary/elf';
import { KbloatInputError } from '../common/errors';
import { readText } from '../common/fsRead';
import { warningOf } from '../common/warnings';

/**
 * Adds DWARF's declaration lines to the built-in files' functions and the
 * inlined copies to the index; without usable DWARF, only a warning. The
 * attribution is left as it is. A function is found by the compile unit its
 * address lies in (the file) and its name, so same-named statics of different
 * files stay apart.
 */
export function addDwarfFacts(elf: ElfFile, index: BuildIndex): void {
  let dwarf: DwarfIndex | undefined;
  try {
    dwarf = DwarfIndex.read(elf, { sourceDir: index.build.sourceDir });
  } catch (e) {
    if (!(e instanceof KbloatInputError) || e.code !== 'bad-dwarf') throw e;
    index.warnings.push(warningOf(e, 'function lines and inlined copies are left out'));
    return;
  }
  if (!dwarf) return;
  // Each function's address by name, per compile unit.
  const byUnit = new Map<string, Map<string, bigint>>();
  const t = elf.symbolTable();
  for (let i = 0; i < t.count; i++) {
    if (t.type(i) !== STT_FUNC || t.size(i) === 0) continue;
    const value = t.value(i);
    const unit = dwarf.unitAt(value);
    if (unit === undefined) continue;
    let names = byUnit.get(unit);
    if (!names) byUnit.set(unit, (names = new Map()));
    names.set(t.name(i), value);
  }
  const lines = new SourceLines(index.build.sourceDir);
  for (const f of index.files) {
    const syms = f.status === 'built-in' ? byUnit.get(f.path) : undefined;
    if (syms) for (const fn of f.functions) annotate(fn, f.path, dwarf, syms, lines);
  }
  index.inlined = dwarf.inlinedFunctions();
}

/** Adds the declaration line (and file, when it is a header) to a function, and says when the source moved. */
export function annotate(f: FunctionEntry, source: string, dwarf: DwarfIndex, addrs: Map<string, bigint>, lines: SourceLines): void {
  const names = [f.name, ...(f.parts ?? []).map((p) => p.name)];
  for (const n of names) {
    const addr = addrs.get(n);
    const decl = addr !== undefined && dwarf.functionAt(addr);
    if (!decl) continue;
    f.line = decl.line;
    if (decl.file !== source) f.declFile = decl.file;
    if (lines.stale(decl.file, decl.line, decl.name)) f.lineStale = true;
    return;
  }
}

/** The source tree's lines, to tell when DWARF's line no longer names the function (another patch level). */
export class SourceLines {
  private files = new Map<string, string[] | undefined>();
  constructor(private root?: string) {}
  stale(file: string, line: number, name: string): boolean {
    if (!this.root || line <= 0) return false;
    let lines = this.files.get(file);
    if (!this.files.has(file)) {
      const text = readText(path.join(this.root, file));
      this.files.set(file, (lines = text?.split('\n')));
    }
    if (!lines) return false;
    if ((lines[line - 1] ?? '').includes(name)) return false;
    // A function made by a macro (SYSCALL_DEFINE, DEVICE_ATTR) is not named on its
    // line, nor anywhere else: only a name found on another line means the file moved.
    const word = new RegExp(`\\b${name.replace(/[^\w]/g, '')}\\s*\\(`);
    return lines.some((l) => word.test(l));
  }
}
