/**
 * Section classes: how a byte of vmlinux costs memory. The classes are what the
 * report and the lenses show; they follow what the kernel does with each section
 * after boot, not only the ELF flags.
 */
export const SECTION_CLASSES = ['text', 'rodata', 'data', 'bss', 'init', 'percpu', 'tables'] as const;
export type SectionClass = (typeof SECTION_CLASSES)[number];
export type ClassBytes = Partial<Record<SectionClass, number>>;

/**
 * Metadata tables the kernel keeps next to code: exports, exception and bug tables,
 * alternatives, unwinders, BTF, static calls and friends. Real cost, charged to the
 * object that emitted the entry wherever the linker map says who that is.
 */
const TABLE_SECTION = new RegExp(
  '^(' +
    [
      '__ksymtab.*', '___ksymtab.*', '__kcrctab.*', '___kcrctab.*', '__kstrtab.*', '__param', '__modver',
      '__ex_table', '__dbe_table', '__bug_table', '\\.altinstructions', '\\.altinstr_aux', '\\.altinstr_replacement',
      '\\.orc_.*', '\\.BTF.*', '\\.notes', '\\.note\\..*', '\\.smp_locks', '__jump_table', '\\.static_call_sites',
      '\\.static_call_tramp_key', '\\.retpoline_sites', '\\.return_sites', '\\.call_sites', '\\.ibt_endbr_seal',
      '\\.pci_fixup.*', '\\.ARM\\.exidx.*', '\\.ARM\\.extab.*', '__tracepoints.*', '_ftrace_events', '_ftrace_eval_map',
      '__patchable_function_entries', '\\.kcfi_traps', '__mcount_loc', '\\.parainstructions', '__verbose', '__dyndbg.*',
      '\\.eh_frame', '\\.gnu\\.hash', '\\.hash', '\\.dynsym', '\\.dynstr', '\\.dynamic', '\\.rela?\\..*',
    ].join('|') +
    ')$',
);

function isTableSection(name: string): boolean {
  return TABLE_SECTION.test(name);
}

export interface SectionFacts {
  name: string;
  executable: boolean;
  writable: boolean;
  nobits: boolean;
  /** True when the section lies between __init_begin and __init_end. */
  inInitRegion: boolean;
}

/** The facts of an ELF section header that decide its class. */
export function elfSectionFacts(sec: { name: string; flags: number; type: number }, inInitRegion = false): SectionFacts {
  return { name: sec.name, executable: (sec.flags & 0x4) !== 0, writable: (sec.flags & 0x1) !== 0, nobits: sec.type === 8, inInitRegion };
}

/** Class of an output section of vmlinux (or an allocated section of an object). */
export function classifySection(s: SectionFacts): SectionClass {
  if (/^\.data\.\.percpu/.test(s.name) || s.name === '.percpu') return 'percpu';
  if (s.inInitRegion || /^\.(init|exit)\./.test(s.name) || /^\.(init|exit)text$/.test(s.name)) return 'init';
  if (s.nobits || /^\.(s?bss|brk)(\.|$)/.test(s.name)) return 'bss';
  if (isTableSection(s.name)) return 'tables';
  if (s.executable || /^\.(text|noinstr|entry|head|sched|cpuidle|lock|kprobes|spinlock|irqentry|softirqentry)(\.|$)/.test(s.name)) return 'text';
  if (/^\.rodata/.test(s.name) || /^__ksymtab_strings$/.test(s.name)) return 'rodata';
  return s.writable ? 'data' : 'rodata';
}

/**
 * Class of an input section inside an output section: the output section decides
 * (the linker script put it there), except that table input sections keep their
 * own class when merged into a bigger output section.
 */
export function classifyInput(inputName: string, outputClass: SectionClass): SectionClass {
  if (outputClass === 'init' || outputClass === 'percpu' || outputClass === 'bss') return outputClass;
  if (isTableSection(inputName)) return 'tables';
  return outputClass;
}

export function addBytes(into: ClassBytes, cls: SectionClass, n: number): void {
  into[cls] = (into[cls] ?? 0) + n;
}

export function sumBytes(b: ClassBytes): number {
  let t = 0;
  for (const c of SECTION_CLASSES) t += b[c] ?? 0;
  return t;
}

/** Bytes that stay in memory after boot (everything but init). */
export function residentBytes(b: ClassBytes): number {
  return sumBytes(b) - (b.init ?? 0);
}
