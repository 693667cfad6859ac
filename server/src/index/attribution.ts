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
import { ElfFile, ElfSection, SHF_ALLOC, SHF_EXECINSTR, SHT_NOBITS, STT_FILE, STT_FUNC, STT_NOTYPE, STT_OBJECT, STT_SECTION, SHN_LORESERVE } from '../binary/elf';
import { AddressHalves, addressHalves, SymbolTable } from '../binary/symbolTable';
import { LinkerMap } from '../binary/linkerMap';
import type { ObjectTable } from './objectTables';
import type { SectionInfo } from './model';
import { ClassBytes, SectionClass, addBytes, classifyInput, classifySection, elfSectionFacts } from '../binary/sections';
import type { Warning } from '../common/warnings';

export interface OwnerBytes {
  bytes: ClassBytes;
  bySection: Record<string, number>;
}

/** A sized (or named) function or variable of vmlinux in an allocated section. */
export interface PlacedSymbol {
  /** Index of the symbol in vmlinux's symbol table. */
  index: number;
  name: string;
  size: number;
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

/** The local symbols after one STT_FILE marker (indexes into the symbol table), up to the next marker. */
export interface LocalGroup {
  fileSym: string;
  locals: number[];
}

/**
 * Resolves the owner of symbol `index` of `symbols` when no linker map covers
 * its section: `group` is the STT_FILE marker in force and its locals (locals only).
 */
export type SymbolOwnerResolver = (symbols: SymbolTable, index: number, group: LocalGroup | undefined) => string | undefined;

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
  /** The tables of the built-in objects, read only when the map does not cover a section. */
  objects: () => Map<string, ObjectTable>;
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
  const syms = elf.symbolTable();
  const initBegin = firstNamed(syms, '__init_begin');
  const initEnd = firstNamed(syms, '__init_end');
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
  const sectionByIndex: (ElfSection | undefined)[] = new Array(elf.sections.length);
  const halves: AddressHalves[] = new Array(elf.sections.length);
  for (const s of allocSections) {
    sectionByIndex[s.index] = s;
    halves[s.index] = addressHalves(s.addr);
  }
  // Each local after an STT_FILE marker belongs to that marker's group.
  const groupOf: (LocalGroup | undefined)[] = new Array(syms.count);
  let group: LocalGroup | undefined;
  for (let i = 0; i < syms.count; i++) {
    const type = syms.type(i);
    if (type === STT_FILE) {
      group = { fileSym: syms.name(i), locals: [] };
      continue;
    }
    if (syms.bind(i) === 0 && group !== undefined) {
      group.locals.push(i);
      groupOf[i] = group;
    }
  }

  for (let i = 0; i < syms.count; i++) {
    const type = syms.type(i);
    const shndx = syms.shndx(i);
    if (type === STT_FILE || type === STT_SECTION || shndx >= SHN_LORESERVE) continue;
    const sec = sectionByIndex[shndx];
    if (!sec) continue;
    const size = syms.size(i);
    const exec = (sec.flags & SHF_EXECINSTR) !== 0;
    let kind: 'function' | 'variable';
    if (type === STT_FUNC || (type === STT_NOTYPE && exec && size > 0)) kind = 'function';
    else if (type === STT_OBJECT || (type === STT_NOTYPE && size > 0)) kind = 'variable';
    else continue;
    const offset = syms.offsetFrom(i, halves[shndx]);
    if (offset < 0 || offset > sec.size) continue;
    const p: PlacedSymbol = { index: i, name: syms.name(i), size, section: sec, offset, kind };
    const intervals = intervalsBySection.get(sec.index);
    if (intervals) p.owner = findOwner(intervals, offset);
    // Zero-size symbols own no bytes; asking the fallback about them would read objects for nothing.
    if (p.owner === undefined && size > 0) p.owner = resolveOwner(syms, i, syms.bind(i) === 0 ? groupOf[i] : undefined);
    placedSymbols.push(p);
  }

  // Sections without map coverage: charge symbol bytes, and same-owner gaps.
  const placedBySection = new Map<number, PlacedSymbol[]>();
  for (const p of placedSymbols) {
    if (p.size === 0 || intervalsBySection.has(p.section.index)) continue;
    let list = placedBySection.get(p.section.index);
    if (!list) placedBySection.set(p.section.index, (list = []));
    list.push(p);
  }
  for (const sec of allocSections) {
    if (intervalsBySection.has(sec.index)) continue;
    const cls = classBySection.get(sec.index)!;
    const inSec = (placedBySection.get(sec.index) ?? []).sort((a, b) => a.offset - b.offset || b.size - a.size);
    let covered = 0;
    let prevEnd = 0;
    let prevOwner: string | undefined;
    for (const p of inSec) {
      const start = Math.max(p.offset, prevEnd);
      const end = Math.min(p.offset + p.size, sec.size);
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

/** The value of the first symbol of this name, as a bigint. */
function firstNamed(syms: SymbolTable, name: string): bigint | undefined {
  for (let i = 0; i < syms.count; i++) if (syms.nameStartsWith(i, name) && syms.name(i) === name) return syms.value(i);
  return undefined;
}

/** Vote keys below this many sections are numbers (section * 2^32 + start); past it, strings. */
const NUMERIC_KEY_SECTIONS = 1 << 20;
const TWO_32 = 4294967296;

/**
 * Without a linker map, each object's input sections can still be placed exactly:
 * a symbol at offset `o` of the object's section that vmlinux has at address `a`
 * puts that input section at `a - o`. Every named symbol of the section votes
 * (statics share names across objects, so a name can give several candidates);
 * the start with most votes wins. Sections without any symbol (merged strings)
 * stay unplaced and their bytes unattributed.
 */
function placeObjectSections(elf: ElfFile, allocSections: ElfSection[], objects: Map<string, ObjectTable>): Map<number, PlacedInput[]> {
  const out = new Map<number, PlacedInput[]>();
  // No objects (a distro vmlinux, an LTO link): nothing to place, and no name table to make.
  if (objects.size === 0) return out;
  const syms = elf.symbolTable();
  const bySection: (ElfSection | undefined)[] = new Array(elf.sections.length);
  const halves: AddressHalves[] = new Array(elf.sections.length);
  for (const s of allocSections) {
    bySection[s.index] = s;
    halves[s.index] = addressHalves(s.addr);
  }
  // vmlinux's symbols by name: one index, or the list of them when a name is shared.
  const byName = new Map<string, number | number[]>();
  for (let i = 0; i < syms.count; i++) {
    const type = syms.type(i);
    if (type === STT_FILE || type === STT_SECTION || bySection[syms.shndx(i)] === undefined || !syms.hasName(i)) continue;
    const name = syms.name(i);
    const seen = byName.get(name);
    if (seen === undefined) byName.set(name, i);
    else if (typeof seen === 'number') byName.set(name, [seen, i]);
    else seen.push(i);
  }
  for (const [obj, table] of objects) {
    // Per input section, the votes for each start (made when the first vote comes).
    const votes: (Map<number | string, number> | undefined)[] = new Array(table.allocSections.length);
    const { names, sizes, offsets, sections } = table.anchors;
    for (let a = 0; a < names.length; a++) {
      const found = byName.get(names[a]);
      if (found === undefined) continue;
      // A name shared by very many symbols (`__func__.0`, `__key.1`) says nothing.
      const many = typeof found !== 'number';
      if (many && found.length > 16) continue;
      const n = many ? found.length : 1;
      for (let k = 0; k < n; k++) {
        const c = many ? found[k] : found;
        if (syms.size(c) !== sizes[a]) continue;
        const shndx = syms.shndx(c);
        const start = syms.offsetFrom(c, halves[shndx]) - offsets[a];
        if (start < 0) continue;
        // Numbers are cheaper keys than `${shndx}:${start}`; the same votes in the same order either way.
        const key = shndx < NUMERIC_KEY_SECTIONS && start < TWO_32 && Number.isInteger(start) ? shndx * TWO_32 + start : `${shndx}:${start}`;
        const v = (votes[sections[a]] ??= new Map());
        v.set(key, (v.get(key) ?? 0) + 1);
      }
    }
    for (let i = 0; i < table.allocSections.length; i++) {
      const v = votes[i];
      if (!v) continue;
      let best: number | string | undefined;
      let bestVotes = 0;
      for (const [key, count] of v) {
        if (count > bestVotes) {
          best = key;
          bestVotes = count;
        }
      }
      if (best === undefined) continue;
      const [shndx, start] = typeof best === 'number' ? [Math.floor(best / TWO_32), best % TWO_32] : best.split(':').map(Number);
      let list = out.get(shndx);
      if (!list) out.set(shndx, (list = []));
      list.push({ start, size: table.allocSections[i].size, name: table.allocSections[i].name, owner: obj });
    }
  }
  return out;
}
