/**
 * The build index: every source file of a kernel build with its status (built
 * into vmlinux, in a module, not built), the reason, and its bytes per section
 * class; every function and variable with its size. This is the model the CLI
 * reports and the language server shows. It is plain JSON so that it can be
 * cached; `INDEX_FORMAT` changes whenever its shape does. Producers
 * (buildTree.ts, systemMap.ts, distro.ts) fill it through assemble.ts.
 */
import type { ClassBytes, SectionClass } from '../binary/sections';
import type { Warning } from '../common/warnings';

export const INDEX_FORMAT = 3;

export type FileStatus = 'built-in' | 'module' | 'not-built';

export interface SymbolPart {
  name: string;
  size: number;
  section: string;
  /**
   * Another name for bytes an earlier part already counts: two symbols at one
   * address (`__do_sys_fork` and its alias `__ia32_sys_fork` on i386). Listed,
   * not added to the function's size.
   */
  alias?: true;
}

export interface FunctionEntry extends SymbolPart {
  /** Clones and padding folded into this function (only when there is more than one part). */
  parts?: SymbolPart[];
  /** From DWARF: the line the function is declared on (DW_AT_decl_line). */
  line?: number;
  /** From DWARF: the file it is declared in, when that is not the file it is listed under (a header). */
  declFile?: string;
  /** With a source tree: that line does not name the function (the tree is at another patch level). */
  lineStale?: boolean;
}

/** From DWARF: a function inlined into others, with what its inlined copies cost. */
export interface InlinedEntry {
  name: string;
  file: string;
  line: number;
  callers: number;
  copies: number;
  bytes: number;
}

export interface FileEntry {
  /** Source path relative to the source tree root (the object path when no source is known). */
  path: string;
  object: string;
  status: FileStatus;
  module?: string;
  reason?: string;
  /** Kconfig symbols along the reason chain, with their values. */
  config?: { name: string; value: string }[];
  /** Made by the build itself (kallsyms tables, export tables). */
  generated?: boolean;
  /**
   * For built-in code of a tristate option set to y: the module it would be
   * (`8250.ko`, from modules.builtin) — the first candidates for modularization.
   */
  builtinModule?: string;
  bytes: ClassBytes;
  sections: Record<string, number>;
  functions: FunctionEntry[];
  variables: FunctionEntry[];
}

export interface BuildInfo {
  dir: string;
  sourceDir: string;
  vmlinux?: string;
  arch: string;
  elfClass: 32 | 64;
  endian: 'little' | 'big' | 'unknown';
  buildId?: string;
  kernelVersion?: string;
  /** Where the attribution came from. */
  attribution: 'linker-map' | 'objects' | 'symbols' | 'system-map' | 'dwarf';
  /** True when sizes are estimates (System.map only: sizes from address gaps). */
  estimated: boolean;
}

export interface Totals {
  /** All allocated bytes of vmlinux (what `size` calls dec). */
  image: number;
  /** image minus what is freed after boot. */
  resident: number;
  init: number;
  sections: ClassBytes;
}

export interface BuildIndex {
  format: number;
  build: BuildInfo;
  totals: Totals;
  sections: SectionInfo[];
  files: FileEntry[];
  unattributed: Record<string, number>;
  /** From DWARF: functions inlined into others, largest total first. */
  inlined?: InlinedEntry[];
  /** What was left out or guessed, and why. */
  warnings: Warning[];
}

export interface IndexOptions {
  /** Called with progress messages for long steps. */
  onProgress?: (message: string) => void;
  /**
   * Also read vmlinux's DWARF, when it has some, for the line each function is
   * declared on and the inlined copies of functions (slower: the language
   * server asks for it, the CLI with --dwarf).
   */
  dwarf?: boolean;
  /**
   * With `dwarf`: the index of this build already made without DWARF, to add
   * the DWARF facts to instead of attributing everything again.
   */
  base?: BuildIndex;
  /**
   * A folder to keep the Kbuild facts in (sources, reasons: the Makefile
   * evaluation), keyed by the stamps of the files they come from, so that a
   * rebuilt vmlinux is indexed without evaluating the Makefiles again. None:
   * they are computed afresh.
   */
  factsCache?: string;
}

/** One allocated section of vmlinux. */
export interface SectionInfo {
  name: string;
  /** Hex address, so that the index stays JSON. */
  addr: string;
  size: number;
  cls: SectionClass;
  nobits: boolean;
  /** How this section's bytes were attributed: the linker map, the objects' own sections anchored by their symbols, or symbols alone. */
  attribution: 'linker-map' | 'objects' | 'symbols';
}

