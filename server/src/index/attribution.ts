/**
 * Assigns every byte of every allocated section of vmlinux to an owner (an object
 * file) or to the explicit *unattributed* bucket, and every sized symbol to its
 * object. The invariant, as in Bloaty: for each section, attributed bytes plus
 * unattributed bytes equal the section size.
 *
 * Two sources, best first:
 *  - the linker map: input sections with address, size and object (exact, and it
 *    covers anonymous data such as string literals);
 *  - the symbol table: each sized symbol's bytes, plus the gap to the next symbol
 *    when both belong to the same object (alignment inside one object's section).
 * A map that disagrees with the ELF (a stale vmlinux.map) is not used.
 */
import { mapObjectPath } from '../kbuild/layout';
import { ElfFile, ElfSection, ElfSymbol, SHF_ALLOC, SHF_EXECINSTR, SHT_NOBITS, STT_FILE, STT_FUNC, STT_NOTYPE, STT_OBJECT, STT_SECTION, SHN_LORESERVE } from '../binary/elf';
import { LinkerMap } from '../binary/linkerMap';
import type { ObjectContents } from '../kbuild/objects';
import type { SectionInfo } from './model';
import { ClassBytes, SectionClass, addBytes, classifyInput, classifySection, elfSectionFacts } from '../binary/sections';
import type { Warning } from '../common/warnings';

export interface OwnerBytes {
  bytes: ClassBytes;
  bySection: Record<string, number>;
}

export interface PlacedSymbol {
  sym: ElfSymbol;
  section: ElfSection;
  /** Offset into the section. */
  offset: number;
  kind: 'function' | 'variable';
  owner?: string;
}

export interface Attribution {
  sections: SectionInfo[];
  owners: Map<string, OwnerBytes>;
  unattributed: Record<string, number>;
  symbols: PlacedSymbol[];
  warnings: Warning[];
}

/**
 * Resolves the owner of a symbol when no linker map covers its section: `fileSym`
 * is the STT_FILE name in force (locals only).
 */
export type SymbolOwnerResolver = (sym: ElfSymbol, fileSym: string | undefined, groupLocals: ElfSymbol[]) => string | undefined;

interface Interval {
  start: number;
  end: number;
  owner: string;
}

/** Input sections placed in one output section: from the map, or anchored from the objects. */
interface PlacedInput {
  start: number;
  size: number;
  name: string;
  owner: string;
}

export interface AttributionSources {
  map?: LinkerMap;
  buildDir: string;
  /** The contents of the built-in objects, read only when the map does not cover a section. */
  objects: () => Map<string, ObjectContents>;
  resolveOwner: SymbolOwnerResolver;
  /**
   * Charge the alignment padding after a symbol (a gap shorter than
   * ALIGNMENT_GAP before the next one) to the symbol's owner even when the next
   * symbol is another's. For an LTO link, whose functions of different files
   * are interleaved in one object: there, that padding is what an object's
   * section would have ended with.
   */
  padToNext?: boolean;
}

/** The largest gap taken for alignment padding rather than bytes of their own. */
const ALIGNMENT_GAP = 64;

export function attribute(elf: ElfFile, sources: AttributionSources): Attribution {
  const { map, buildDir, resolveOwner } = sources;
  const warnings: Warning[] = [];
  const syms = elf.symbols();
  const initBegin = syms.find((s) => s.name === '__init_begin')?.value;
  const initEnd = syms.find((s) => s.name === '__init_end')?.value;
  const allocSections = elf.sections.filter((s) => (s.flags & SHF_ALLOC) !== 0 && s.size > 0);

  const sections: SectionInfo[] = [];
  const owners = new Map<string, OwnerBytes>();
  const unattributed: Record<string, number> = {};
  const intervalsBySection = new Map<number, Interval[]>();
  const classBySection = new Map<number, SectionClass>();

  const charge = (owner: string, sec: ElfSection, cls: SectionClass, n: number): void => {
    let o = owners.get(owner);
    if (!o) owners.set(owner, (o = { bytes: {}, bySection: {} }));
    addBytes(o.bytes, cls, n);
    o.bySection[sec.name] = (o.bySection[sec.name] ?? 0) + n;
  };

  const objectPaths = new Map<string, string>();
  const objectPath = (printed: string): string => {
    let p = objectPaths.get(printed);
    if (p === undefined) objectPaths.set(printed, (p = mapObjectPath(printed, buildDir)));
    return p;
  };
  let mapUsable = map !== undefined;
  let placed: Map<number, PlacedInput[]> | undefined;
  if (map) {
    // A map from another link than this vmlinux would mis-attribute everything.
    const mismatched = allocSections.filter((s) => {
      const m = map.sections.get(s.name);
      return m !== undefined && (m.addr !== s.addr || m.size !== s.size);
    });
    if (mismatched.length > 0) {
      mapUsable = false;
      warnings.push({ file: 'vmlinux.map', message: `does not match vmlinux (section ${mismatched[0].name} differs); it is stale and was ignored` });
    }
  }

  for (const sec of allocSections) {
    const inInit = initBegin !== undefined && initEnd !== undefined && sec.addr >= initBegin && sec.addr + BigInt(sec.size) <= initEnd && initEnd > initBegin;
    const cls = classifySection(elfSectionFacts(sec, inInit));
    classBySection.set(sec.index, cls);
    const mapSec = mapUsable ? map!.sections.get(sec.name) : undefined;
    let inputs: PlacedInput[] | undefined;
    let how: SectionInfo['attribution'] = 'symbols';
    if (mapSec) {
      inputs = mapSec.inputs.map((i) => ({ start: Number(i.addr - sec.addr), size: i.size, name: i.name, owner: objectPath(i.object) }));
      how = 'linker-map';
    } else {
      placed ??= placeObjectSections(elf, allocSections, sources.objects());
      inputs = placed.get(sec.index);
      if (inputs) how = 'objects';
    }
    sections.push({ name: sec.name, addr: '0x' + sec.addr.toString(16), size: sec.size, cls, nobits: sec.type === SHT_NOBITS, attribution: how });
    if (!inputs) continue;
    inputs.sort((a, b) => a.start - b.start || b.size - a.size);
    const intervals: Interval[] = [];
    let covered = 0;
    let prevEnd = 0;
    for (const i of inputs) {
      const start = Math.max(i.start, prevEnd, 0);
      const end = Math.min(i.start + i.size, sec.size);
      if (end <= start) continue;
      charge(i.owner, sec, classifyInput(i.name, cls), end - start);
      intervals.push({ start, end, owner: i.owner });
      covered += end - start;
      prevEnd = end;
    }
    intervalsBySection.set(sec.index, intervals);
    if (sec.size - covered > 0) unattributed[sec.name] = sec.size - covered;
  }

  // Place the symbols and find their owners.
  const placedSymbols: PlacedSymbol[] = [];
  const sectionByIndex = new Map(allocSections.map((s) => [s.index, s]));
  let fileSym: string | undefined;
  let group: ElfSymbol[] = [];
  const groups: { fileSym?: string; locals: ElfSymbol[] }[] = [];
  for (const sym of syms) {
    if (sym.type === STT_FILE) {
      fileSym = sym.name;
      group = [];
      groups.push({ fileSym, locals: group });
      continue;
    }
    if (sym.bind === 0 && fileSym !== undefined) group.push(sym);
  }
  const groupOf = new Map<number, { fileSym?: string; locals: ElfSymbol[] }>();
  for (const g of groups) for (const s of g.locals) groupOf.set(s.index, g);

  for (const sym of syms) {
    if (sym.type === STT_FILE || sym.type === STT_SECTION || sym.shndx >= SHN_LORESERVE) continue;
    const sec = sectionByIndex.get(sym.shndx);
    if (!sec) continue;
    const exec = (sec.flags & SHF_EXECINSTR) !== 0;
    let kind: 'function' | 'variable';
    if (sym.type === STT_FUNC || (sym.type === STT_NOTYPE && exec && sym.size > 0)) kind = 'function';
    else if (sym.type === STT_OBJECT || (sym.type === STT_NOTYPE && sym.size > 0)) kind = 'variable';
    else continue;
    const offset = Number(sym.value - sec.addr);
    if (offset < 0 || offset > sec.size) continue;
    const p: PlacedSymbol = { sym, section: sec, offset, kind };
    const intervals = intervalsBySection.get(sec.index);
    if (intervals) p.owner = findOwner(intervals, offset);
    // Zero-size symbols own no bytes; asking the fallback about them would read objects for nothing.
    if (p.owner === undefined && sym.size > 0) {
      const g = sym.bind === 0 ? groupOf.get(sym.index) : undefined;
      p.owner = resolveOwner(sym, g?.fileSym, g?.locals ?? []);
    }
    placedSymbols.push(p);
  }

  // Sections without map coverage: charge symbol bytes, and same-owner gaps.
  const placedBySection = new Map<number, PlacedSymbol[]>();
  for (const p of placedSymbols) {
    if (p.sym.size === 0 || intervalsBySection.has(p.section.index)) continue;
    let list = placedBySection.get(p.section.index);
    if (!list) placedBySection.set(p.section.index, (list = []));
    list.push(p);
  }
  for (const sec of allocSections) {
    if (intervalsBySection.has(sec.index)) continue;
    const cls = classBySection.get(sec.index)!;
    const inSec = (placedBySection.get(sec.index) ?? []).sort((a, b) => a.offset - b.offset || b.sym.size - a.sym.size);
    let covered = 0;
    let prevEnd = 0;
    let prevOwner: string | undefined;
    for (const p of inSec) {
      const start = Math.max(p.offset, prevEnd);
      const end = Math.min(p.offset + p.sym.size, sec.size);
      if (p.owner === undefined) {
        if (end > prevEnd) { prevEnd = end; prevOwner = undefined; }
        continue;
      }
      // Padding between two symbols of one object belongs to that object (in an LTO link, to the one before it).
      const padOwner = prevOwner === p.owner ? p.owner : sources.padToNext && p.offset - prevEnd < ALIGNMENT_GAP ? prevOwner : undefined;
      if (padOwner !== undefined && p.offset > prevEnd) {
        charge(padOwner, sec, cls, p.offset - prevEnd);
        covered += p.offset - prevEnd;
      }
      if (end > start) {
        charge(p.owner, sec, cls, end - start);
        covered += end - start;
      }
      if (end > prevEnd) {
        prevEnd = end;
        prevOwner = p.owner;
      }
    }
    if (sec.size - covered > 0) unattributed[sec.name] = sec.size - covered;
  }

  return { sections, owners, unattributed, symbols: placedSymbols, warnings };
}

function findOwner(intervals: Interval[], offset: number): string | undefined {
  let lo = 0;
  let hi = intervals.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const iv = intervals[mid];
    if (offset < iv.start) hi = mid - 1;
    else if (offset >= iv.end) lo = mid + 1;
    else return iv.owner;
  }
  return undefined;
}

/**
 * Without a linker map, each object's input sections can still be placed exactly:
 * a symbol at offset `o` of the object's section that vmlinux has at address `a`
 * puts that input section at `a - o`. Every named symbol of the section votes
 * (statics share names across objects, so a name can give several candidates);
 * the start with most votes wins. Sections without any symbol (merged strings)
 * stay unplaced and their bytes unattributed.
 */
function placeObjectSections(elf: ElfFile, allocSections: ElfSection[], objects: Map<string, ObjectContents>): Map<number, PlacedInput[]> {
  const bySection = new Map(allocSections.map((s) => [s.index, s]));
  const byName = new Map<string, ElfSymbol[]>();
  for (const sym of elf.symbols()) {
    if (!sym.name || sym.type === STT_FILE || sym.type === STT_SECTION || !bySection.has(sym.shndx)) continue;
    let list = byName.get(sym.name);
    if (!list) byName.set(sym.name, (list = []));
    list.push(sym);
  }
  const out = new Map<number, PlacedInput[]>();
  for (const [obj, contents] of objects) {
    const votes: Map<string, number>[] = contents.allocSections.map(() => new Map());
    for (const a of contents.anchors) {
      const cands = byName.get(a.name);
      // A name shared by very many symbols (`__func__.0`, `__key.1`) says nothing.
      if (!cands || cands.length > 16) continue;
      for (const c of cands) {
        if (c.size !== a.size) continue;
        const sec = bySection.get(c.shndx)!;
        const start = Number(c.value - sec.addr) - a.offset;
        if (start < 0) continue;
        const key = `${c.shndx}:${start}`;
        const v = votes[a.section];
        v.set(key, (v.get(key) ?? 0) + 1);
      }
    }
    contents.allocSections.forEach((s, i) => {
      let best: string | undefined;
      let bestVotes = 0;
      for (const [key, n] of votes[i]) {
        if (n > bestVotes) {
          best = key;
          bestVotes = n;
        }
      }
      if (!best) return;
      const [shndx, start] = best.split(':').map(Number);
      let list = out.get(shndx);
      if (!list) out.set(shndx, (list = []));
      list.push({ start, size: s.size, name: s.name, owner: obj });
    });
  }
  return out;
}
