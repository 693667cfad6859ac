/**
 * Parser for the GNU ld link map (`vmlinux.map`, written with CONFIG_VMLINUX_MAP or
 * `ld -Map`). It is the most exact record of attribution there is: for every output
 * section it lists the input sections of each object, with address and size, and
 * the `*fill*` padding the linker inserted. Anonymous bytes such as string literals
 * (`.rodata.str1.1`) are charged to their object here and nowhere else.
 *
 * Only the "Linker script and memory map" part is read. Symbol and assignment lines
 * are skipped: symbol attribution comes from vmlinux's own symbol table.
 */
import { KbloatInputError } from '../common/errors';

export interface MapInputSection {
  /** Input section name, e.g. `.text.unlikely` or `.rodata.str1.1`. */
  name: string;
  /** Address as a bigint: 64-bit kernel addresses do not fit a number. */
  addr: bigint;
  size: number;
  /** Object path as the linker printed it (`init/main.o`, `lib/lib.a(string.o)`). */
  object: string;
}

export interface MapOutputSection {
  name: string;
  addr: bigint;
  size: number;
  inputs: MapInputSection[];
  /** Bytes of `*fill*` lines and linker-script data (`LONG`, `QUAD`…). */
  fillBytes: number;
}

export interface LinkerMap {
  sections: Map<string, MapOutputSection>;
  /** Archive members pulled in, from the "Archive member included" list. */
  includedMembers: Set<string>;
}

const HEX = /^0x[0-9a-fA-F]+$/;
const LINKER_MADE = new Set(['.note.gnu.build-id', '.note.gnu.property']);

/**
 * Input sections are printed in the order they are laid out, so each ends
 * where the next begins at the latest. GNU ld breaks that for a merged string
 * section whose strings all went to earlier copies: it prints the previous
 * entry's size for it (`.rodata.str1.1 0xc11a2a5a 0x452 fs/proc/kmsg.o`, then
 * `0x5 (size before relaxing)` and the next entry at the same address), which
 * would charge it the bytes of the sections after it.
 */
function clampToNext(inputs: MapInputSection[]): void {
  for (let k = 0; k + 1 < inputs.length; k++) {
    const cur = inputs[k];
    const next = inputs[k + 1];
    if (next.addr >= cur.addr && cur.addr + BigInt(cur.size) > next.addr) cur.size = Number(next.addr - cur.addr);
  }
}
const MAX_LINE = 1 << 16;
const DATA_LINE = / (BYTE|SHORT|LONG|QUAD|SQUAD) /;

/** A map lld writes (`make LLVM=1`) starts with its column header instead of GNU ld's archive list. */
const LLD_HEADER = /^\s*VMA\s+LMA\s+Size\s+Align\s+Out\s+In\s+Symbol\s*$/;
const LLD_LINE = /^\s*([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+(\d+)(?: (\s*)(\S.*))?\s*$/;
/** `init/main.o:(.text.kernel_main)`, `lib/lib.a(string.o):(.text)`, `vmlinux.o:(.rodata.str1.1+0x0)`. */
const LLD_INPUT = /^(.*):\(([^()+]*)(?:\+0x[0-9a-fA-F]+)?\)$/;

export function parseLinkerMap(text: string, file: string): LinkerMap {
  const fail = (msg: string, lineNo: number): never => {
    throw new KbloatInputError('bad-linker-map', `line ${lineNo}: ${msg}`, file);
  };
  const firstLine = text.slice(0, text.indexOf('\n') + 1 || text.length);
  if (LLD_HEADER.test(firstLine)) return parseLldMap(text, fail);
  const lines = text.split('\n');
  const sections = new Map<string, MapOutputSection>();
  const includedMembers = new Set<string>();
  let i = 0;
  let start = -1;
  // The archive member list comes first; each entry is `member  (reason)`, the
  // reason sometimes on the next line.
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('Linker script and memory map')) {
      start = i + 1;
      break;
    }
    if (line.length > 0 && line[0] !== ' ' && !line.startsWith('Archive member') && !line.startsWith('Discarded') && !line.startsWith('Memory') && !line.startsWith('Name ')) {
      const member = line.split(/\s+/)[0];
      if (member && !member.startsWith('*')) includedMembers.add(member);
    }
  }
  if (start < 0) fail('no "Linker script and memory map" section; this is not a GNU ld map file', lines.length);

  let current: MapOutputSection | undefined;
  // A long section name is printed alone and its numbers follow on the next line.
  let pendingOutput: string | undefined;
  let pendingInput: string | undefined;
  for (i = start; i < lines.length; i++) {
    const line = lines[i];
    if (line.length > MAX_LINE) fail('line is impossibly long', i + 1);
    if (line.length === 0) continue;
    // Most lines are symbol and assignment lines (indented by many spaces): skip
    // them cheaply unless an input section's numbers or linker-script data are due.
    if (pendingInput === undefined && pendingOutput === undefined && line.charCodeAt(0) === 32 && line.charCodeAt(1) === 32 && !DATA_LINE.test(line)) continue;
    if (line.startsWith('LOAD ') || line.startsWith('OUTPUT(') || line.startsWith('START GROUP') || line.startsWith('END GROUP')) continue;
    if (line[0] !== ' ') {
      // An output section header: `.text  0xc1000000  0x13b768 load address 0x...`.
      const f = line.trim().split(/\s+/);
      pendingInput = undefined;
      if (f.length === 1) {
        pendingOutput = f[0];
        current = undefined;
        continue;
      }
      if (f.length >= 3 && HEX.test(f[1]) && HEX.test(f[2])) {
        current = newOutput(f[0], f[1], f[2]);
      } else {
        current = undefined;
      }
      pendingOutput = undefined;
      continue;
    }
    const f = line.trim().split(/\s+/);
    if (pendingOutput !== undefined) {
      if (f.length >= 2 && HEX.test(f[0]) && HEX.test(f[1])) current = newOutput(pendingOutput, f[0], f[1]);
      pendingOutput = undefined;
      continue;
    }
    if (!current) continue;
    if (pendingInput !== undefined) {
      const name = pendingInput;
      pendingInput = undefined;
      if (f.length >= 3 && HEX.test(f[0]) && HEX.test(f[1])) {
        addInput(current, name, f[0], f[1], f.slice(2).join(' '));
        continue;
      }
      if (f.length === 2 && HEX.test(f[0]) && HEX.test(f[1])) continue; // input section with no object (empty)
    }
    if (f[0] === '*fill*') {
      if (f.length >= 3 && HEX.test(f[2])) current.fillBytes += parseSize(f[2], i + 1);
      continue;
    }
    // Linker-script data: `0xaddr  0x4 LONG 0x…` (the address column first).
    if (f.length >= 3 && HEX.test(f[0]) && HEX.test(f[1]) && /^(BYTE|SHORT|LONG|QUAD|SQUAD)$/.test(f[2])) {
      current.fillBytes += parseSize(f[1], i + 1);
      continue;
    }
    // An input section line starts with one space and a section name (never a hex
    // number, never a `*(pattern)` line).
    if (line[1] !== ' ' && !f[0].startsWith('*') && !HEX.test(f[0])) {
      if (f.length === 1) {
        pendingInput = f[0];
        continue;
      }
      if (f.length >= 4 && HEX.test(f[1]) && HEX.test(f[2])) {
        addInput(current, f[0], f[1], f[2], f.slice(3).join(' '));
      }
    }
  }
  for (const sec of sections.values()) clampToNext(sec.inputs);
  return { sections, includedMembers };

  function newOutput(name: string, addr: string, size: string): MapOutputSection {
    const sec: MapOutputSection = { name, addr: BigInt(addr), size: parseSize(size, i + 1), inputs: [], fillBytes: 0 };
    // A section name can appear twice (an empty placeholder and the real one); keep
    // the one with bytes.
    const old = sections.get(name);
    if (!old || old.size === 0) sections.set(name, sec);
    return sec;
  }

  function addInput(out: MapOutputSection, name: string, addr: string, size: string, object: string): void {
    const n = parseSize(size, i + 1);
    // The linker makes these itself and prints them under its first input file:
    // they stay unattributed rather than charged to that object.
    if (n === 0 || LINKER_MADE.has(name)) return;
    out.inputs.push({ name, addr: BigInt(addr), size: n, object });
  }

  function parseSize(hex: string, lineNo: number): number {
    const v = Number.parseInt(hex.slice(2), 16);
    if (!Number.isSafeInteger(v)) fail(`size ${hex} is impossibly large`, lineNo);
    return v;
  }
}

/**
 * lld's map: one line per output section, input section and symbol, told apart
 * by how far the name is indented (0, 8 and 16 spaces past the Align column);
 * numbers are hexadecimal without `0x`. lld prints no `*fill*` lines and no list
 * of archive members.
 */
function parseLldMap(text: string, fail: (msg: string, lineNo: number) => never): LinkerMap {
  const sections = new Map<string, MapOutputSection>();
  const lines = text.split('\n');
  let current: MapOutputSection | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.length > MAX_LINE) fail('line is impossibly long', i + 1);
    const m = LLD_LINE.exec(line);
    if (!m) {
      if (line.trim() !== '') fail(`not a line of an lld map: ${JSON.stringify(line.slice(0, 80))}`, i + 1);
      continue;
    }
    const [, vma, , size, , indent, rest] = m;
    // lld ends some maps with nameless empty entries (after the last section).
    if (rest === undefined) continue;
    if (indent.length === 0) {
      // An output section, or an assignment of the linker script outside any (`. = ALIGN(0x1000)`).
      current = undefined;
      if (rest.includes(' = ') || rest.startsWith('. ')) continue;
      current = { name: rest, addr: BigInt('0x' + vma), size: parseInt(size, 16), inputs: [], fillBytes: 0 };
      // The same name twice (discarded and kept copies) keeps the first with bytes.
      if (!sections.has(rest) || sections.get(rest)!.size === 0) sections.set(rest, current);
    } else if (indent.length <= 8 && current) {
      const input = LLD_INPUT.exec(rest);
      if (!input) continue; // an assignment inside the section (`__start_x = .`)
      // What the linker made itself (`<internal>`: build-id note, synthetic tables) belongs to no object.
      if (input[1] === '<internal>') continue;
      current.inputs.push({ name: input[2], addr: BigInt('0x' + vma), size: parseInt(size, 16), object: input[1] });
    }
  }
  for (const sec of sections.values()) clampToNext(sec.inputs);
  return { sections, includedMembers: new Set() };
}
