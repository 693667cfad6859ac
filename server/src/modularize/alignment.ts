/**
 * What the linker script does with the bytes that stay when code leaves
 * vmlinux. The kernel proper is the sum of the sizes of vmlinux's allocated
 * non-init sections, and those sizes include the padding the script puts
 * *inside* a section: x86_64 aligns the entry text inside `.text` to 2 MiB
 * (`ALIGN_ENTRY_TEXT_BEGIN`) and the end of `.bss` to 2 MiB (`BSS_DECRYPTED`),
 * every arch page-aligns parts of `.data` and `.bss`. Code that leaves before
 * such a point only grows the padding in front of it, unless enough leaves to
 * cross the next boundary down; and since alignment is absolute, a section
 * that moves down because an earlier one shrank (init code leaving moves
 * `.bss`) can grow by what the others lost. Gaps *between* sections count in
 * no section, but they decide where the next one starts, so the whole image
 * is laid out again, section by section, in address order.
 *
 * Where the points are: the build's preprocessed linker script
 * (`arch/<arch>/kernel/vmlinux.lds`) names every `. = ALIGN(x)` of a section
 * and, mostly, the symbol assigned right after it (`__entry_text_start = .`)
 * and right before it (`__kprobes_text_end = .`), which vmlinux's symbol table
 * places exactly, even where the padding happens to be 0 today. Without the
 * script, or for an ALIGN no symbol marks, a point is where a gap in the
 * symbol table's coverage, filled with fill bytes, ends at a multiple of the
 * page size or more: its alignment is then the smallest power of two from the
 * page size up that explains the gap. Page-aligned input sections (a
 * `__page_aligned_bss` array) are found the same way, up to the section's own
 * alignment. A layout is checked by laying it out again with nothing removed:
 * a section that does not come out at its own address and size is kept as it
 * is (a note says so), never guessed at.
 *
 * Not modelled: alignment below the page size (a function's or a cache line's
 * few bytes), sizes the script computes from other sections (`. += SIZEOF(…)`,
 * x86's `.orc_lookup`), and sections placed at an address of their own
 * (x86_64 SMP's zero-based per-CPU data), which keep their address.
 */
import * as path from 'node:path';
import { ElfFile, ElfSection, SHF_ALLOC, SHT_NOBITS, STB_LOCAL, STT_FILE, STT_SECTION } from '../binary/elf';
import { addressHalves } from '../binary/symbolTable';
import { classifySection, elfSectionFacts } from '../binary/sections';
import { configValue, parseDotConfig } from '../kbuild/dotconfig';
import { isFile, listDir, readText } from '../common/fsRead';
import type { FileEntry } from '../index/model';

/** A place inside a section where the script (or an input section) aligns what follows. */
export interface AlignmentPoint {
  /** Offset from the section's start where the aligned part begins. */
  offset: number;
  /** A power of two: the aligned part starts at an address that is a multiple of it. */
  align: number;
  /** Where the bytes before the point end (an offset): between them and the point is padding. */
  contentEnd: number;
  /** 'linker-script': an ALIGN of vmlinux.lds; 'symbols': a gap in the symbol table that ends aligned. */
  source: 'linker-script' | 'symbols';
  /** The symbol that starts there, for the reader. */
  symbol?: string;
}

export interface LayoutSection {
  name: string;
  addr: bigint;
  size: number;
  /** Counts in the kernel proper (allocated, not init), as the index's `totals.resident` counts. */
  resident: boolean;
  /** Its start is the previous section's end aligned up to this; undefined: it keeps its address. */
  startAlign?: number;
  /** Sorted by offset. */
  points: AlignmentPoint[];
}

export interface Layout {
  machine: string;
  pageSize: number;
  /** Allocated sections (empty ones too: they carry places), in address order. */
  sections: LayoutSection[];
  /** The kernel proper: sizes of the resident sections. */
  resident: number;
  /** The linker script the points were read from, when one was found. */
  linkerScript?: string;
  notes: string[];
}

export interface Removal {
  /** The output section, as vmlinux names it (`.text`, `.init.text`). */
  section: string;
  /** Where the bytes are (any address inside them): it picks the part of the section. Without one, the section's largest part is taken. */
  address?: number | bigint;
  /** Bytes that leave; negative for bytes that come. */
  size: number;
}

/** A point whose padding took some of the saving. */
export interface BoundaryEffect {
  section: string;
  symbol?: string;
  align: number;
  /** Bytes the padding before it grew by. */
  absorbed: number;
  /** Bytes that must still leave from before it for it to move down one boundary. */
  toCross: number;
}

export interface RemovalEffect {
  /** Bytes that leave the resident sections (code, data, tables). */
  codeLeaving: number;
  residentBefore: number;
  /** The kernel proper after the linker has laid out what is left. */
  residentAfter: number;
  /** What alignment took back: codeLeaving minus what the kernel proper loses. */
  paddingGrowth: number;
  /** When padding swallowed part of the saving: the fewest more bytes that must leave to cross a boundary. */
  toNextBoundary?: number;
  boundaries: BoundaryEffect[];
  notes: string[];
}

export interface LayoutOptions {
  /** The preprocessed linker script; default: `arch/<arch>/kernel/vmlinux.lds` next to vmlinux. `null`: use none. */
  linkerScript?: string | null;
  /** Default: from the `.config` next to vmlinux (CONFIG_PAGE_SHIFT, the arm64/powerpc page-size choices), else 4096. */
  pageSize?: number;
}

/** The largest alignment a gap alone may claim (x86_64's PMD_SIZE): more is never guessed. */
const MAX_GUESSED_ALIGN = 1 << 21;
/** The smallest gap taken for alignment when no symbol marks it: smaller ones are a symbol's own alignment. */
const MIN_GUESSED_GAP = 64;
const ARCH_DIRS: Record<string, string> = {
  i386: 'x86', x86_64: 'x86', arm: 'arm', arm64: 'arm64', riscv: 'riscv', powerpc: 'powerpc', powerpc64: 'powerpc',
  s390: 's390', mips: 'mips', loongarch: 'loongarch', sparc: 'sparc', sparc64: 'sparc', parisc: 'parisc', sh: 'sh',
};

// ---------------------------------------------------------------- the script

type ScriptItem = { kind: 'align'; value?: number } | { kind: 'mark'; name: string } | { kind: 'content' };

interface ScriptSection {
  name: string;
  /** Alignments the location counter gets between the previous output section and this one, and the header's ALIGN(). */
  startAligns: number[];
  body: ScriptItem[];
  /** The fill byte (`} :text =0xcccc`). */
  fill?: number;
}

/** The output sections of a preprocessed linker script, in script order. */
export function parseLinkerScript(text: string): ScriptSection[] {
  const src = text.replace(/\/\*[\s\S]*?\*\//g, ' ');
  const at = /\bSECTIONS\s*\{/.exec(src);
  if (!at) return [];
  const out: ScriptSection[] = [];
  let pending: number[] = [];
  const end = closing(src, at.index + at[0].length - 1, '{', '}');
  let i = at.index + at[0].length;
  while (i < end) {
    // A command may come without its `;` (`ASSERT(…)`): it ends with its parenthesis.
    const cmd = /^\s*(ASSERT|INCLUDE|ENTRY)\s*\(/.exec(src.slice(i, i + 40));
    if (cmd) {
      i = closing(src, i + cmd[0].length - 1, '(', ')') + 1;
      continue;
    }
    const stmt = nextStatement(src, i, end);
    i = stmt.next;
    if (stmt.kind === 'block') {
      const header = stmt.text;
      const name = /^\s*([^\s:]+)/.exec(header)?.[1] ?? '';
      const align = /(?<![A-Z_])ALIGN\s*\(/.exec(header.slice(header.indexOf(':') + 1));
      const aligns = [...pending];
      if (align) {
        const from = header.indexOf(':') + 1 + align.index + align[0].length - 1;
        const v = alignValue(header.slice(from + 1, closing(header, from, '(', ')')));
        if (v) aligns.push(v);
      }
      // What follows the closing brace: `> region`, `AT> region`, `:phdr`, `=fill`.
      const tail = /^(\s*(?:AT\s*>\s*\S+|>\s*\S+|:\s*[A-Za-z_][\w.]*|=\s*(0[xX][0-9a-fA-F]+|\d+)))*/.exec(src.slice(i, i + 200))!;
      const fill = /=\s*(0[xX][0-9a-fA-F]+|\d+)/.exec(tail[0]);
      i += tail[0].length;
      out.push({ name, startAligns: aligns, body: bodyItems(stmt.body!), ...(fill ? { fill: Number(fill[1]) & 0xff } : {}) });
      pending = [];
    } else {
      const item = itemOf(stmt.text);
      if (item?.kind === 'align' && item.value) pending.push(item.value);
    }
  }
  return out;
}

/** The index of the bracket that closes the one at `open`. */
function closing(s: string, open: number, o: string, c: string): number {
  let depth = 0;
  for (let k = open; k < s.length; k++) {
    if (s[k] === o) depth++;
    else if (s[k] === c && --depth === 0) return k;
  }
  return s.length;
}

/** One top-level statement: text up to `;`, or a header and its `{ … }` body. */
function nextStatement(s: string, from: number, end: number): { kind: 'stmt' | 'block'; text: string; body?: string; next: number } {
  let depth = 0;
  for (let k = from; k < end; k++) {
    const ch = s[k];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && ch === ';') return { kind: 'stmt', text: s.slice(from, k), next: k + 1 };
    else if (depth === 0 && ch === '{') {
      const close = closing(s, k, '{', '}');
      return { kind: 'block', text: s.slice(from, k), body: s.slice(k + 1, close), next: close + 1 };
    }
  }
  return { kind: 'stmt', text: s.slice(from, end), next: end };
}

const ASSIGN = /^\s*([A-Za-z_.$][\w.$]*)\s*([-+*/&|]|<<|>>)?=(?!=)\s*([\s\S]*?)\s*$/;
const PROVIDE = /^\s*(?:PROVIDE(?:_HIDDEN)?|HIDDEN)\s*\(([\s\S]*)\)\s*$/;

/** An assignment statement as an item: an ALIGN of `.`, another move of `.`, a symbol set to `.`. */
function itemOf(text: string): ScriptItem | undefined {
  const m = ASSIGN.exec(PROVIDE.exec(text)?.[1] ?? text);
  if (!m) return undefined;
  if (m[1] === '.') {
    const a = !m[2] && /^ALIGN\s*\(([\s\S]*)\)$/.exec(m[3]);
    return a ? { kind: 'align', value: alignValue(a[1]) } : { kind: 'content' };
  }
  return m[3] === '.' && !m[2] ? { kind: 'mark', name: m[1] } : undefined;
}

/** The items of an output section's body in order; input descriptions and data are 'content'. */
function bodyItems(body: string): ScriptItem[] {
  const items: ScriptItem[] = [];
  let i = 0;
  while (i < body.length) {
    const rest = body.slice(i, i + 300);
    const ws = /^[\s;]+/.exec(rest);
    if (ws) {
      i += ws[0].length;
      continue;
    }
    // An assignment runs to its `;` (or, inside PROVIDE, to its closing parenthesis).
    if (/^(?:PROVIDE(?:_HIDDEN)?\s*\(|HIDDEN\s*\()?\s*[A-Za-z_.$][\w.$]*\s*(?:[-+*/&|]|<<|>>)?=(?!=)/.test(rest)) {
      const stmt = nextStatement(body, i, body.length);
      const item = itemOf(stmt.text);
      if (item) items.push(item);
      i = stmt.next;
      continue;
    }
    const word = /^[^\s(){};]+/.exec(rest)?.[0] ?? body[i];
    i += word.length;
    let j = i;
    while (j < body.length && /\s/.test(body[j])) j++;
    if (body[j] === '(') i = closing(body, j, '(', ')') + 1;
    if (/^(ASSERT|FILL|CONSTRUCTORS|CREATE_OBJECT_SYMBOLS)$/.test(word)) continue;
    items.push({ kind: 'content' });
  }
  return items;
}

/** `ALIGN(a)` or `ALIGN(exp, a)`: the alignment, when it is a constant power of two. */
function alignValue(args: string): number | undefined {
  let depth = 0;
  let comma = -1;
  for (let k = 0; k < args.length; k++) {
    if (args[k] === '(') depth++;
    else if (args[k] === ')') depth--;
    else if (args[k] === ',' && depth === 0) comma = k;
  }
  const v = evalConstant(comma >= 0 ? args.slice(comma + 1) : args);
  return v !== undefined && v > 0n && (v & (v - 1n)) === 0n && v <= 1n << 40n ? Number(v) : undefined;
}

/** A constant expression of a linker script (numbers with K/M suffixes, C operators); undefined when it names a symbol. */
export function evalConstant(expr: string): bigint | undefined {
  const tokens = expr.match(/0[xX][0-9a-fA-F]+|\d+[KkMm]?|<<|>>|[A-Za-z_.$][\w.$]*|\S/g) ?? [];
  let p = 0;
  const prec: Record<string, number> = { '|': 1, '^': 2, '&': 3, '<<': 4, '>>': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6 };
  const unary = (): bigint | undefined => {
    const t = tokens[p++];
    if (t === undefined) return undefined;
    if (t === '(') {
      const v = binary(0);
      return tokens[p++] === ')' ? v : undefined;
    }
    if (t === '-' || t === '~' || t === '+') {
      const v = unary();
      return v === undefined ? undefined : t === '-' ? -v : t === '~' ? ~v : v;
    }
    const n = /^(0[xX][0-9a-fA-F]+|\d+)([KkMm]?)$/.exec(t);
    if (!n) return undefined;
    return BigInt(n[1]) * (/k/i.test(n[2]) ? 1024n : /m/i.test(n[2]) ? 1048576n : 1n);
  };
  const binary = (min: number): bigint | undefined => {
    let left = unary();
    while (left !== undefined && p < tokens.length && (prec[tokens[p]] ?? 0) > min) {
      const op = tokens[p++];
      const right = binary(prec[op]);
      if (right === undefined) return undefined;
      if ((op === '/' || op === '%') && right === 0n) return undefined;
      left = op === '|' ? left | right : op === '^' ? left ^ right : op === '&' ? left & right : op === '<<' ? left << right : op === '>>' ? left >> right
        : op === '+' ? left + right : op === '-' ? left - right : op === '*' ? left * right : op === '/' ? left / right : left % right;
    }
    return left;
  };
  const v = binary(0);
  return p === tokens.length ? v : undefined;
}

// ---------------------------------------------------------------- reading the layout

/** Sized symbols and labels of one section, as offsets, sorted. */
interface SectionSymbols {
  start: number[];
  end: number[];
}

export function readLayout(vmlinuxPath: string, options: LayoutOptions = {}): Layout {
  const elf = ElfFile.open(vmlinuxPath);
  try {
    return layoutOf(elf, vmlinuxPath, options);
  } finally {
    elf.close();
  }
}

function layoutOf(elf: ElfFile, vmlinuxPath: string, options: LayoutOptions): Layout {
  const notes: string[] = [];
  const buildDir = path.dirname(vmlinuxPath);
  const pageSize = options.pageSize ?? configPageSize(buildDir);
  const scriptPath = options.linkerScript === null ? undefined : options.linkerScript ?? findLinkerScript(buildDir, elf.header.machine);
  const script = scriptPath ? parseLinkerScript(readText(scriptPath) ?? '') : [];
  if (scriptPath && script.length === 0) notes.push(`${path.basename(scriptPath)} has no output sections: alignment read from the symbols only`);
  if (!scriptPath) notes.push('no linker script (vmlinux.lds): alignment read from the symbols only');
  const scriptByName = new Map<string, ScriptSection>();
  for (const s of script) if (!scriptByName.has(s.name)) scriptByName.set(s.name, s);

  const alloc = elf.sections.filter((s) => (s.flags & SHF_ALLOC) !== 0).sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : a.index - b.index));
  const marks = new Set<string>(['__init_begin', '__init_end']);
  for (const s of script) for (const it of s.body) if (it.kind === 'mark') marks.add(it.name);
  const { bySection, markAt } = readSymbols(elf, alloc, marks);
  const initBegin = markAt.get('__init_begin')?.addr;
  const initEnd = markAt.get('__init_end')?.addr;

  // Start alignments of the script, carried over the output sections vmlinux does not have (empty ones).
  const present = new Set(alloc.map((s) => s.name));
  const startAligns = new Map<string, number[]>();
  let carried: number[] = [];
  for (const s of script) {
    carried = [...carried, ...s.startAligns];
    if (present.has(s.name) && !startAligns.has(s.name)) {
      startAligns.set(s.name, carried);
      carried = [];
    }
  }

  const sections: LayoutSection[] = [];
  let prevEnd: bigint | undefined;
  for (const sec of alloc) {
    const inInit = initBegin !== undefined && initEnd !== undefined && initEnd > initBegin && sec.addr >= initBegin && sec.addr + BigInt(sec.size) <= initEnd;
    const resident = sec.size > 0 && classifySection(elfSectionFacts(sec, inInit)) !== 'init';
    const scriptSec = scriptByName.get(sec.name);
    const startAlign = prevEnd === undefined ? undefined : startAlignOf(prevEnd, sec, scriptSec ? startAligns.get(sec.name) ?? [] : undefined);
    const syms = bySection.get(sec.index) ?? { start: [], end: [] };
    const points = pointsOf(elf, sec, syms, scriptSec, markAt, pageSize, notes);
    sections.push({ name: sec.name, addr: sec.addr, size: sec.size, resident, ...(startAlign ? { startAlign } : {}), points });
    const end = sec.addr + BigInt(sec.size);
    prevEnd = prevEnd === undefined || end > prevEnd ? end : prevEnd;
  }
  const layout: Layout = { machine: elf.header.machine, pageSize, sections, resident: 0, ...(scriptPath ? { linkerScript: scriptPath } : {}), notes };
  for (const s of sections) if (s.resident) layout.resident += s.size;
  selfCheck(layout);
  return layout;
}

/** `arch/<arch>/kernel/vmlinux.lds` of the build vmlinux is in, when it exists. */
function findLinkerScript(buildDir: string, machine: string): string | undefined {
  const dirs = ARCH_DIRS[machine] ? [ARCH_DIRS[machine]] : listDir(path.join(buildDir, 'arch'));
  for (const d of dirs) {
    const p = path.join(buildDir, 'arch', d, 'kernel', 'vmlinux.lds');
    if (isFile(p)) return p;
  }
  return undefined;
}

/** The page size the build's `.config` chose (4096 when it says nothing). */
function configPageSize(buildDir: string): number {
  const text = readText(path.join(buildDir, '.config'));
  if (!text) return 4096;
  const cfg = parseDotConfig(text);
  const shift = Number(configValue(cfg, 'CONFIG_PAGE_SHIFT'));
  if (Number.isInteger(shift) && shift >= 12 && shift <= 18) return 2 ** shift;
  for (const [sym, size] of [['64K_PAGES', 65536], ['16K_PAGES', 16384], ['PAGE_SIZE_64KB', 65536], ['PAGE_SIZE_16KB', 16384]] as const) {
    for (const [name, v] of cfg.values) if (v === 'y' && name.endsWith(sym)) return size;
  }
  return 4096;
}

/** One pass over the symbol table: each allocated section's symbols as offsets, and the marks' places. */
function readSymbols(elf: ElfFile, alloc: ElfSection[], marks: Set<string>): { bySection: Map<number, SectionSymbols>; markAt: Map<string, { section: number; offset: number; addr: bigint }> } {
  const t = elf.symbolTable();
  const secByIndex = new Map(alloc.map((s) => [s.index, s]));
  const halves = new Map(alloc.map((s) => [s.index, addressHalves(s.addr)]));
  // Flat start and end lists per section (no object per symbol: a defconfig vmlinux has 150,000).
  const pairs = new Map<number, { start: number[]; end: number[] }>();
  const markAt = new Map<string, { section: number; offset: number; addr: bigint }>();
  for (let i = 1; i < t.count; i++) {
    const type = t.type(i);
    if (type === STT_SECTION || type === STT_FILE) continue;
    const sec = secByIndex.get(t.shndx(i));
    const offset = sec ? t.offsetFrom(i, halves.get(sec.index)!) : -1;
    // A mark may sit in an empty section the linker left without SHF_ALLOC (`__init_end` in `.smp_locks`).
    if (t.hasName(i) && marks.has(t.name(i)) && !markAt.has(t.name(i))) markAt.set(t.name(i), { section: sec && offset <= sec.size ? sec.index : -1, offset, addr: t.value(i) });
    if (!sec || offset < 0 || offset > sec.size) continue;
    let list = pairs.get(sec.index);
    if (!list) pairs.set(sec.index, (list = { start: [], end: [] }));
    list.start.push(offset);
    list.end.push(offset + t.size(i));
  }
  const bySection = new Map<number, SectionSymbols>();
  for (const [idx, { start, end }] of pairs) {
    const order = Uint32Array.from(start.keys()).sort((a, b) => start[a] - start[b] || end[a] - end[b]);
    bySection.set(idx, { start: Array.from(order, (k) => start[k]), end: Array.from(order, (k) => end[k]) });
  }
  return { bySection, markAt };
}

const alignUp = (x: bigint, a: number): bigint => {
  const A = BigInt(a);
  return ((x + A - 1n) / A) * A;
};

/**
 * How a section's start follows the end of the one before: aligned up to the
 * script's alignment there (or the section's own), else to the smallest power
 * of two that explains the gap; undefined when none does (an address the
 * script sets, which it keeps).
 */
function startAlignOf(prevEnd: bigint, sec: ElfSection, scriptAligns: number[] | undefined): number | undefined {
  const own = Math.max(1, sec.align);
  if (sec.addr < prevEnd) return undefined;
  const fromScript = Math.max(own, ...(scriptAligns ?? []));
  if (scriptAligns && alignUp(prevEnd, fromScript) === sec.addr) return fromScript;
  if (sec.addr === prevEnd && !scriptAligns) return own;
  for (let a = own; a <= 1 << 30; a *= 2) if (alignUp(prevEnd, a) === sec.addr) return a;
  return undefined;
}

/** The alignment points of one section, sorted, with where the bytes before each end. */
function pointsOf(
  elf: ElfFile, sec: ElfSection, syms: SectionSymbols, scriptSec: ScriptSection | undefined,
  markAt: Map<string, { section: number; offset: number }>, pageSize: number, notes: string[],
): AlignmentPoint[] {
  if (sec.size === 0) return [];
  // knownEnd: the script marks where the bytes before the point end.
  const found: (AlignmentPoint & { knownEnd?: boolean })[] = [];
  const markOffset = (name: string | undefined): number | undefined => {
    const m = name === undefined ? undefined : markAt.get(name);
    return m && m.section === sec.index ? m.offset : undefined;
  };
  const unmarked: number[] = [];
  if (scriptSec) {
    // Groups of ALIGNs with no content between them; the mark set just before and just after.
    const body = scriptSec.body;
    for (let k = 0; k < body.length; k++) {
      if (body[k].kind !== 'align') continue;
      let before: string | undefined;
      for (let b = k - 1; b >= 0 && body[b].kind === 'mark'; b--) before ??= (body[b] as { name: string }).name;
      let value = 0;
      let after: string | undefined;
      for (; k < body.length && body[k].kind !== 'content'; k++) {
        const it = body[k];
        if (it.kind === 'align') {
          if (after !== undefined) break;
          value = Math.max(value, it.value ?? 0);
        } else if (it.kind === 'mark') after ??= it.name;
      }
      k--;
      if (value < pageSize) continue;
      const end = markOffset(before);
      let at = markOffset(after);
      if (at === undefined && end !== undefined) at = Number(alignUp(sec.addr + BigInt(end), value) - sec.addr);
      if (at === undefined || at > sec.size) {
        unmarked.push(value);
        continue;
      }
      if ((sec.addr + BigInt(at)) % BigInt(value) !== 0n) {
        notes.push(`${sec.name}: ${after ?? before} is not aligned to ${value} as the linker script says; that ALIGN is left out`);
        continue;
      }
      found.push({ offset: at, align: value, contentEnd: end ?? at, source: 'linker-script', ...(after ? { symbol: after } : {}), ...(end !== undefined ? { knownEnd: true } : {}) });
    }
  }
  // Gaps in the symbols' coverage that end aligned: an ALIGN no symbol marks, a page-aligned input section, or (without a script) any.
  const maxInput = Math.max(1, sec.align);
  const guess = (gap: number, offset: number): AlignmentPoint | undefined => {
    // Data aligned to a cache line starts on a page now and then: a short gap says nothing;
    // whole pages with no symbol are space kept on purpose (a stack, `. += 64K`), not padding.
    if (gap < MIN_GUESSED_GAP || gap % pageSize === 0) return undefined;
    const addr = sec.addr + BigInt(offset);
    for (const v of unmarked) if (gap < v && addr % BigInt(v) === 0n) return { offset, align: v, contentEnd: offset - gap, source: 'linker-script' };
    const limit = scriptSec ? maxInput : Math.max(maxInput, MAX_GUESSED_ALIGN);
    let a = pageSize;
    while (a <= gap) a *= 2;
    if (a > limit || addr % BigInt(a) !== 0n || !isFill(elf, sec, offset - gap, offset, scriptSec?.fill)) return undefined;
    return { offset, align: a, contentEnd: offset - gap, source: 'symbols' };
  };
  let covered = 0;
  const step = BigInt(Math.min(pageSize, ...unmarked));
  for (let k = 0; k <= syms.start.length; k++) {
    const start = k < syms.start.length ? syms.start[k] : sec.size;
    if (start > covered && (sec.addr + BigInt(start)) % step === 0n) {
      const p = guess(start - covered, start);
      if (p) found.push(p);
    }
    if (k < syms.start.length) covered = Math.max(covered, syms.end[k]);
  }
  // One point per offset (the largest alignment); the bytes before each end where the symbols or the fill say.
  found.sort((a, b) => a.offset - b.offset || b.align - a.align || Number(b.source === 'linker-script') - Number(a.source === 'linker-script'));
  const points: AlignmentPoint[] = [];
  for (const p of found) {
    const last = points[points.length - 1];
    if (last && last.offset === p.offset) {
      last.align = Math.max(last.align, p.align);
      continue;
    }
    const prevOffset = last?.offset ?? 0;
    const { knownEnd, ...point } = p;
    let end = p.contentEnd;
    if (!knownEnd) {
      end = Math.max(prevOffset, Math.min(p.offset, coveredBefore(syms, p.offset)));
      end = Math.max(end, lastContentByte(elf, sec, end, p.offset, scriptSec?.fill));
    }
    end = Math.max(prevOffset, Math.min(end, p.offset));
    // Padding is shorter than the alignment: a longer gap holds bytes no symbol names.
    if (p.offset - end >= p.align) end = p.offset - ((p.offset - end) % p.align);
    points.push({ ...point, contentEnd: end });
  }
  return points;
}

/** The end of the symbols that start before `offset`. */
function coveredBefore(syms: SectionSymbols, offset: number): number {
  let end = 0;
  for (let k = 0; k < syms.start.length && syms.start[k] < offset; k++) end = Math.max(end, Math.min(syms.end[k], offset));
  return end;
}

const FILL_READ_LIMIT = 1 << 22;

/** Whether the bytes [from, to) of a section are all fill (zeros or the script's fill; NOBITS always). */
function isFill(elf: ElfFile, sec: ElfSection, from: number, to: number, fill?: number): boolean {
  return lastContentByte(elf, sec, from, to, fill) === from;
}

/** Where the bytes [from, to) stop being content: the offset after the last byte that is not fill. */
function lastContentByte(elf: ElfFile, sec: ElfSection, from: number, to: number, fill?: number): number {
  if (sec.type === SHT_NOBITS || to <= from) return from;
  const start = Math.max(from, to - FILL_READ_LIMIT);
  const bytes = elf.bytes(sec.offset + start, to - start, `section ${sec.name}`);
  const fills = new Set([0, fill ?? 0, ...((sec.flags & 0x4) !== 0 ? [0xcc] : [])]);
  for (let k = bytes.length - 1; k >= 0; k--) if (!fills.has(bytes[k])) return start + k + 1;
  return start === from ? from : start;
}

/** A layout that does not give back today's image when nothing leaves is wrong somewhere: keep those sections as they are. */
function selfCheck(layout: Layout): void {
  for (let round = 0; round <= layout.sections.length; round++) {
    const placed = relayout(layout, new Map());
    const k = layout.sections.findIndex((s, j) => placed[j].addr !== s.addr || placed[j].size !== s.size);
    if (k < 0) return;
    const s = layout.sections[k];
    if (placed[k].addr !== s.addr) {
      delete s.startAlign;
    } else {
      layout.notes.push(`${s.name}: its alignment points do not give back its size; it is taken as it is`);
      s.points = [];
    }
  }
}

// ---------------------------------------------------------------- laying out again

interface Placed {
  addr: bigint;
  size: number;
  /** Per point: its new address and where the bytes before it now end. */
  points: { addr: bigint; contentEnd: bigint }[];
}

/** Segment k of a section is the part after point k-1 (segment 0: before the first point). */
function segmentOf(s: LayoutSection, offset: number): number {
  let k = 0;
  while (k < s.points.length && s.points[k].offset <= offset) k++;
  return k;
}

function segmentBytes(s: LayoutSection, k: number): number {
  const from = k === 0 ? 0 : s.points[k - 1].offset;
  const to = k < s.points.length ? s.points[k].contentEnd : s.size;
  return Math.max(0, to - from);
}

/** Every section placed again with `removed` bytes (section index → per segment) taken out. */
function relayout(layout: Layout, removed: Map<number, number[]>): Placed[] {
  const out: Placed[] = [];
  let prevEnd: bigint | undefined;
  layout.sections.forEach((s, idx) => {
    const start = prevEnd === undefined || s.startAlign === undefined ? s.addr : alignUp(prevEnd, s.startAlign);
    const less = removed.get(idx) ?? [];
    let pos = start;
    const points: Placed['points'] = [];
    for (let k = 0; k <= s.points.length; k++) {
      if (k > 0) pos = alignUp(pos, s.points[k - 1].align);
      pos += BigInt(segmentBytes(s, k) - (less[k] ?? 0));
      if (k < s.points.length) points.push({ addr: 0n, contentEnd: pos });
      if (k > 0) points[k - 1].addr = alignUp(points[k - 1].contentEnd, s.points[k - 1].align);
    }
    const size = Number(pos - start);
    out.push({ addr: start, size, points });
    const end = start + BigInt(size);
    prevEnd = prevEnd === undefined || end > prevEnd ? end : prevEnd;
  });
  return out;
}

/**
 * What removing `removed` does to the kernel proper once the linker has laid
 * out the rest: the bytes that leave, the resident size after, what padding
 * took back and, where a boundary swallowed a saving, how much more must leave
 * before it to cross it.
 */
export function applyRemoval(layout: Layout, removed: Removal[]): RemovalEffect {
  const notes: string[] = [];
  const byName = new Map<string, number>();
  layout.sections.forEach((s, k) => byName.has(s.name) || byName.set(s.name, k));
  const less = new Map<number, number[]>();
  let codeLeaving = 0;
  let unplaced = 0;
  for (const r of removed) {
    const idx = byName.get(r.section);
    if (idx === undefined) {
      notes.push(`${r.section} is not a section of this vmlinux; ${r.size} B not counted`);
      continue;
    }
    const s = layout.sections[idx];
    let seg: number;
    if (r.address === undefined) {
      seg = 0;
      for (let k = 1; k <= s.points.length; k++) if (segmentBytes(s, k) > segmentBytes(s, seg)) seg = k;
      if (s.points.length) unplaced += r.size;
    } else {
      const off = BigInt(r.address) - s.addr;
      seg = segmentOf(s, off < 0n ? 0 : off > BigInt(s.size) ? s.size : Number(off));
    }
    let list = less.get(idx);
    if (!list) less.set(idx, (list = []));
    const take = Math.min(r.size, segmentBytes(s, seg) - (list[seg] ?? 0));
    if (take < r.size) notes.push(`${r.section}: ${r.size - take} B more than the part holds; not counted`);
    list[seg] = (list[seg] ?? 0) + take;
    if (s.resident) codeLeaving += take;
  }
  if (unplaced) notes.push(`${unplaced} B with no address were taken from their section's largest part`);
  const before = relayout(layout, new Map());
  const after = relayout(layout, less);
  let residentAfter = 0;
  const boundaries: BoundaryEffect[] = [];
  layout.sections.forEach((s, idx) => {
    if (!s.resident) return;
    residentAfter += after[idx].size;
    s.points.forEach((p, k) => {
      const shrink = Number(before[idx].points[k].contentEnd - after[idx].points[k].contentEnd);
      const moved = Number(before[idx].points[k].addr - after[idx].points[k].addr);
      if (shrink - moved <= 0 || p.align < layout.pageSize) return;
      // The boundary below must lie inside the part, or nothing that leaves can reach it.
      const below = after[idx].points[k].addr - BigInt(p.align);
      if (below < (k === 0 ? after[idx].addr : after[idx].points[k - 1].addr)) return;
      const toCross = Number(after[idx].points[k].contentEnd - below);
      boundaries.push({ section: s.name, ...(p.symbol ? { symbol: p.symbol } : {}), align: p.align, absorbed: shrink - moved, toCross });
    });
  });
  const residentBefore = layout.resident;
  const paddingGrowth = codeLeaving - (residentBefore - residentAfter);
  boundaries.sort((a, b) => a.toCross - b.toCross);
  for (const b of boundaries.slice(0, 3)) {
    notes.push(`${b.section}: ${b.absorbed} B went to padding before the ${b.align} B boundary${b.symbol ? ` at ${b.symbol}` : ''}; ${b.toCross} B more must leave before it to cross it`);
  }
  return { codeLeaving, residentBefore, residentAfter, paddingGrowth, ...(boundaries.length ? { toNextBoundary: boundaries[0].toCross } : {}), boundaries, notes: [...layout.notes, ...notes] };
}

// ---------------------------------------------------------------- where leaving objects are

/** What removalsOf needs of a leaving file: the index's FileEntry has it. */
export type LeavingFile = Pick<FileEntry, 'path' | 'sections' | 'functions' | 'variables'>;

/**
 * The removals of whole files: each file's bytes per output section (the
 * index's exact figures), placed where its functions and variables are in
 * vmlinux. A static name found in several files is taken from the one whose
 * STT_FILE symbol names the file's source, else the first; bytes whose
 * section holds none of its symbols get no address.
 */
export function removalsOf(vmlinuxPath: string, files: LeavingFile[]): Removal[] {
  const elf = ElfFile.open(vmlinuxPath);
  try {
    const t = elf.symbolTable();
    const wanted = new Set<string>();
    for (const f of files) for (const s of [...f.functions, ...f.variables]) for (const p of s.parts ?? [s]) wanted.add(p.name);
    const found = new Map<string, { section: number; addr: bigint; size: number; file?: string }[]>();
    let file: string | undefined;
    for (let i = 1; i < t.count; i++) {
      const type = t.type(i);
      if (type === STT_FILE) file = t.name(i);
      if (type === STT_FILE || type === STT_SECTION || !t.hasName(i) || !wanted.has(t.name(i))) continue;
      const sec = elf.sections[t.shndx(i)];
      if (!sec || (sec.flags & SHF_ALLOC) === 0) continue;
      const list = found.get(t.name(i)) ?? [];
      list.push({ section: sec.index, addr: t.value(i), size: t.size(i), ...(t.bind(i) === STB_LOCAL && file ? { file } : {}) });
      found.set(t.name(i), list);
    }
    const out: Removal[] = [];
    for (const f of files) {
      const base = path.basename(f.path);
      const places = new Map<string, { addr: bigint; size: number }[]>();
      for (const s of [...f.functions, ...f.variables]) {
        for (const p of s.parts ?? [s]) {
          const cands = found.get(p.name) ?? [];
          const hit = cands.find((c) => c.file === base && c.size === p.size) ?? cands.find((c) => c.file === base) ?? cands.find((c) => c.size === p.size) ?? cands[0];
          if (!hit) continue;
          const name = elf.sections[hit.section].name;
          const list = places.get(name) ?? [];
          list.push({ addr: hit.addr, size: Math.max(1, hit.size) });
          places.set(name, list);
        }
      }
      for (const [section, bytes] of Object.entries(f.sections)) {
        const at = places.get(section);
        if (!at?.length) {
          out.push({ section, size: bytes });
          continue;
        }
        // Bytes spread over the places in proportion to the symbols' sizes there; the caller's layout splits them by part.
        const total = at.reduce((n, p) => n + p.size, 0);
        let left = bytes;
        at.forEach((p, k) => {
          const n = k === at.length - 1 ? left : Math.min(left, Math.round((bytes * p.size) / total));
          left -= n;
          if (n) out.push({ section, address: p.addr, size: n });
        });
      }
    }
    return out;
  } finally {
    elf.close();
  }
}
