/**
 * The kernel's scripts/bloat-o-meter, reproduced from our own ELF reader so that
 * `kbloat diff --format bloat-o-meter` prints byte for byte what the script
 * prints, without running nm or python.
 *
 * The script reads `nm --size-sort FILE`, keeps the symbols whose nm type letter
 * is in the mode's set, drops a few generated names, strips every `.NUMBER` from
 * each name and sums the sizes of names that become equal. The nm letters are
 * derived here the way GNU nm (binutils 2.40) derives them: from the symbol's
 * binding and type and from the BFD flags of its section.
 */
import {
  ElfFile, ElfSection, ElfSymbol, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHN_ABS, SHN_COMMON, SHN_LORESERVE, SHN_UNDEF, SHT_NOBITS,
  STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FILE, STT_OBJECT, STT_SECTION,
} from '../binary/elf';
import { bloatOMeterName, isGeneratedSymbol } from '../binary/symbolNames';

const STT_COMMON = 5;
const STT_GNU_IFUNC = 10;
const STB_GNU_UNIQUE = 10;

/** The script's modes: default (all), -t (text), -d (data), -c (split by type). */
export type BloatOMeterMode = 'all' | 'code' | 'data' | 'split';

/** The sections of the output of each mode, with the nm letters each one keeps. */
const MODE_SECTIONS: Record<BloatOMeterMode, [string, string][]> = {
  all: [['Function', 'tTdDbBrR']],
  code: [['Function', 'tT']],
  data: [['Data', 'dDbBrR']],
  split: [['Function', 'tT'], ['Data', 'dDbB'], ['RO Data', 'rR']],
};

/** Prefixes of non-allocated sections that BFD flags SEC_DEBUGGING (nm letter N). */
const DEBUG_PREFIXES = ['.debug', '.gnu.linkonce.wi.', '.zdebug', '.line', '.stab', '.gdb_index', '.gnu.debuglto_.debug_'];
/** BFD's coff_section_type table, which nm consults before the section flags. */
const COFF_SECTION_LETTERS: [string, string][] = [['.drectve', 'i'], ['.edata', 'e'], ['.idata', 'i'], ['.pdata', 'p']];

/** The letter BFD's decode_section_type gives a section, from its ELF header. */
function sectionLetter(sec: ElfSection): string {
  for (const [prefix, letter] of COFF_SECTION_LETTERS) {
    // The name must be the prefix itself or the prefix followed by '.', '$' or a digit.
    if (sec.name.startsWith(prefix) && (sec.name.length === prefix.length || '.$0123456789'.includes(sec.name[prefix.length]))) return letter;
  }
  const hasContents = sec.type !== SHT_NOBITS;
  const load = (sec.flags & SHF_ALLOC) !== 0 && hasContents;
  const readonly = (sec.flags & SHF_WRITE) === 0;
  if (sec.flags & SHF_EXECINSTR) return 't';
  if (load) return readonly ? 'r' : 'd';
  if (!hasContents) return 'b';
  if ((sec.flags & SHF_ALLOC) === 0 && DEBUG_PREFIXES.some((p) => sec.name.startsWith(p))) return 'N';
  return readonly ? 'n' : '?';
}

/**
 * The type letter `nm` prints for a symbol (bfd_decode_symclass), or undefined
 * for the symbols nm leaves out without -a (section and file symbols).
 */
export function nmTypeLetter(elf: ElfFile, sym: ElfSymbol): string | undefined {
  if (sym.type === STT_SECTION || sym.type === STT_FILE) return undefined;
  const object = sym.type === STT_OBJECT || sym.type === STT_COMMON;
  if (sym.shndx === SHN_COMMON) return 'C';
  if (sym.shndx === SHN_UNDEF) return sym.bind === STB_WEAK ? (object ? 'v' : 'w') : 'U';
  if (sym.type === STT_GNU_IFUNC) return 'i';
  if (sym.bind === STB_WEAK) return object ? 'V' : 'W';
  if (sym.bind === STB_GNU_UNIQUE) return 'u';
  if (sym.bind !== STB_LOCAL && sym.bind !== STB_GLOBAL) return '?';
  // BFD puts a symbol whose section it does not know (other reserved indexes) into its absolute section.
  const sec = sym.shndx === SHN_ABS || sym.shndx >= SHN_LORESERVE ? undefined : elf.sections[sym.shndx];
  const c = sec ? sectionLetter(sec) : 'a';
  return sym.bind === STB_GLOBAL ? c.toUpperCase() : c;
}

export interface NmSizedSymbol {
  size: number;
  type: string;
  name: string;
}

/**
 * What `nm --size-sort` lists: defined symbols outside the absolute section with
 * a non-zero st_size (the order is not reproduced; bloat-o-meter does not need it).
 */
export function nmSizeSortSymbols(elf: ElfFile): NmSizedSymbol[] {
  const out: NmSizedSymbol[] = [];
  for (const s of elf.symbols()) {
    if (s.index === 0 || s.size === 0) continue;
    const type = nmTypeLetter(elf, s);
    if (type === undefined || type === 'U' || type === 'w' || type === 'v' || type === 'a' || type === 'A') continue;
    out.push({ size: s.size, type, name: s.name });
  }
  return out;
}

/** getsizes(): sizes per normalised name, for the letters of one output section. */
function sizesOf(symbols: NmSizedSymbol[], letters: string): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const s of symbols) {
    // The script skips every line with a colon in it, and cannot split a line without a name.
    if (!letters.includes(s.type) || s.name === '' || s.name.includes(':') || /\s/.test(s.name)) continue;
    if (isGeneratedSymbol(s.name)) continue;
    const name = bloatOMeterName(s.name);
    sizes.set(name, (sizes.get(name) ?? 0) + s.size);
  }
  return sizes;
}

export interface BloatRow {
  name: string;
  old?: number;
  new?: number;
  delta: number;
}

export interface BloatSection {
  title: string;
  add: number;
  remove: number;
  grow: number;
  shrink: number;
  up: number;
  down: number;
  /** Every name whose size changed, largest growth first (the script's order). */
  rows: BloatRow[];
  before: number;
  after: number;
}

/** calc(): the comparison of one output section. */
function compare(title: string, old: Map<string, number>, nu: Map<string, number>): BloatSection {
  const r: BloatSection = { title, add: 0, remove: 0, grow: 0, shrink: 0, up: 0, down: 0, rows: [], before: 0, after: 0 };
  for (const [name, size] of old) {
    r.before += size;
    const n = nu.get(name);
    if (n === undefined) {
      r.remove++;
      r.down += size;
      r.rows.push({ name, old: size, delta: -size });
    } else {
      const d = n - size;
      if (d > 0) (r.grow++, (r.up += d));
      if (d < 0) (r.shrink++, (r.down -= d));
      r.rows.push({ name, old: size, new: n, delta: d });
    }
  }
  for (const [name, size] of nu) {
    r.after += size;
    if (old.has(name)) continue;
    r.add++;
    r.up += size;
    r.rows.push({ name, new: size, delta: size });
  }
  // Python sorts (delta, name) tuples and reverses: delta descending, then name descending.
  r.rows.sort((a, b) => b.delta - a.delta || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  r.rows = r.rows.filter((row) => row.delta !== 0);
  return r;
}

/** Compares the symbols of two ELF files in one of the script's modes. */
export function bloatOMeter(oldElf: ElfFile, newElf: ElfFile, mode: BloatOMeterMode): BloatSection[] {
  const oldSyms = nmSizeSortSymbols(oldElf);
  const newSyms = nmSizeSortSymbols(newElf);
  return MODE_SECTIONS[mode].map(([title, letters]) => compare(title, sizesOf(oldSyms, letters), sizesOf(newSyms, letters)));
}

/** The same comparison read from two files by path. */
export function bloatOMeterFiles(oldPath: string, newPath: string, mode: BloatOMeterMode): BloatSection[] {
  const a = ElfFile.open(oldPath);
  try {
    const b = ElfFile.open(newPath);
    try {
      return bloatOMeter(a, b, mode);
    } finally {
      b.close();
    }
  } finally {
    a.close();
  }
}

/** Python's `%-Ns` / `%Ns`. */
const left = (s: string, w: number): string => s.padEnd(w);
const right = (s: string, w: number): string => s.padStart(w);

/**
 * Python's `%+.2f`: correctly rounded with ties to even. JavaScript's toFixed
 * rounds exact ties away from zero; a double is an exact tie at two decimals
 * only when it is an odd number of eighths, so only that case needs care.
 */
export function pythonSignedFixed2(x: number): string {
  let s: string;
  const eighths = x * 8;
  if (Number.isInteger(eighths) && eighths % 2 !== 0) {
    const hundredths = Math.abs(x) * 100;
    let n = Math.floor(hundredths);
    if (n % 2 !== 0) n++;
    s = `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;
    if (x < 0) s = '-' + s;
  } else s = x.toFixed(2);
  return s.startsWith('-') ? s : '+' + s;
}

/** The script's print_result() for each section, exactly. */
export function formatBloatOMeter(sections: BloatSection[]): string {
  const out: string[] = [];
  for (const r of sections) {
    // `-down` of zero prints as 0 in Python; `${-0}` prints 0 too.
    out.push(`add/remove: ${r.add}/${r.remove} grow/shrink: ${r.grow}/${r.shrink} up/down: ${r.up}/${-r.down} (${r.up - r.down})`);
    out.push(`${left(r.title, 40)} ${right('old', 7)} ${right('new', 7)} ${right('delta', 7)}`);
    for (const row of r.rows) {
      const d = (row.delta > 0 ? '+' : '') + String(row.delta);
      out.push(`${left(row.name, 40)} ${right(row.old === undefined ? '-' : String(row.old), 7)} ${right(row.new === undefined ? '-' : String(row.new), 7)} ${right(d, 7)}`);
    }
    const percent = r.before ? ((r.after - r.before) * 100.0) / r.before : 0;
    out.push(`Total: Before=${r.before}, After=${r.after}, chg ${pythonSignedFixed2(percent)}%`);
  }
  return out.join('\n') + '\n';
}
