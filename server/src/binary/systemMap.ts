/**
 * Reader for `System.map`: `nm -n` output of vmlinux filtered by `scripts/mksysmap`,
 * one `address type name` line per symbol, no sizes. Distribution packages may
 * ship a one-line stub instead; that is detected and reported with the fix.
 */
import { KbloatInputError } from '../common/errors';

export interface MapSymbol {
  address: bigint;
  /** The nm type letter: T/t text, D/d data, R/r rodata, B/b bss, A/a absolute, W/V weak, ... */
  type: string;
  name: string;
}

export interface SystemMap {
  symbols: MapSymbol[];
}

export interface SizedMapSymbol extends MapSymbol {
  /**
   * Bytes up to the next higher address in the same region, or null when no
   * symbol follows in that region (the last one of a section, absolute symbols).
   */
  size: number | null;
  /** System.map has no sizes: every size here is a gap between addresses, not the symbol's own size. */
  estimated: true;
}

/** nm pads addresses to 8 (32-bit) or 16 (64-bit) hex digits; kallsyms-style `[module]` suffixes are allowed. */
const LINE = /^([0-9a-fA-F]{1,16})\s+([A-Za-z?-])\s+(\S+)(?:\s+\[\S+\])?$/;
const MAX_REPORTED = 5;

export function parseSystemMap(text: string, file: string): SystemMap {
  const fail = (msg: string): never => {
    throw new KbloatInputError('bad-system-map', msg, file);
  };
  if (text.includes('\0')) fail('is not a text file (it contains NUL bytes)');
  const lines = text.split('\n');
  const symbols: MapSymbol[] = [];
  const bad: string[] = [];
  let badCount = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '') continue;
    const m = LINE.exec(line.trim());
    if (m) {
      symbols.push({ address: BigInt('0x' + m[1]), type: m[2], name: m[3] });
      continue;
    }
    checkStub(line, fail);
    badCount++;
    if (bad.length < MAX_REPORTED) bad.push(`line ${i + 1}: ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (badCount > 0) {
    const more = badCount > bad.length ? ` (and ${badCount - bad.length} more)` : '';
    fail(`is not a System.map: ${badCount} line(s) are not "address type name": ${bad.join('; ')}${more}`);
  }
  if (symbols.length === 0) fail('is empty');
  if (symbols.length < 16) {
    // A handful of lines naming the debug package is the stub Debian/Ubuntu ship in /boot.
    for (const s of symbols) checkStub(`${s.address.toString(16)} ${s.type} ${s.name}`, fail);
  }
  return { symbols };
}

/** Distribution stubs look like `ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package`. */
function checkStub(line: string, fail: (msg: string) => never): void {
  if (!/System\.map|-dbg\b|dbgsym|debuginfo/i.test(line)) return;
  if (!/^\s*[0-9a-fA-F]+\s+\S\s+\S+\s+\S/.test(line) && !/real System\.map/i.test(line)) return;
  const pkg = /\b(\S+-(?:dbg|dbgsym|debuginfo))\b/.exec(line);
  const what = pkg ? `the ${pkg[1]} package` : 'the kernel\'s -dbg (debug symbols) package';
  fail(`is a stub (${JSON.stringify(line.trim().slice(0, 120))}), not a symbol table: install ${what}, or use the System.map from the kernel build folder`);
}

/** Which region a type letter belongs to: symbols of different kinds live in different sections. */
function regionOf(type: string): string | null {
  switch (type.toLowerCase()) {
    case 't':
    case 'w':
      return 'text';
    case 'r':
      return 'rodata';
    case 'd':
    case 'v':
    case 'g':
    case 'u':
      return 'data';
    case 'b':
    case 's':
      return 'bss';
    default:
      return null; // absolute, undefined, debug and unknown symbols have no extent
  }
}

/**
 * Give each symbol the gap to the next higher address among the symbols that
 * follow it in the same region (a run of consecutive symbols, by address, whose
 * type letters are of one kind). Aliases at one address share the gap. The result
 * is in address order.
 */
export function estimateSizes(map: SystemMap): SizedMapSymbol[] {
  const sorted = map.symbols
    .map((s, i) => ({ s, i }))
    .sort((a, b) => (a.s.address < b.s.address ? -1 : a.s.address > b.s.address ? 1 : a.i - b.i))
    .map((x) => x.s);
  const out: SizedMapSymbol[] = sorted.map((s) => ({ ...s, size: null, estimated: true }));
  // Walk backwards, remembering the lowest address above the current one in the current run.
  let nextAddr: bigint | null = null;
  let nextRegion: string | null = null;
  let runAddr: bigint | null = null; // address of the group of aliases being passed
  let aboveRun: bigint | null = null; // next higher address for that group
  for (let k = out.length - 1; k >= 0; k--) {
    const s = out[k];
    const region = regionOf(s.type);
    if (region === null) continue;
    if (region !== nextRegion) {
      nextRegion = region;
      nextAddr = null;
      runAddr = null;
      aboveRun = null;
    }
    if (runAddr === null || s.address !== runAddr) {
      aboveRun = nextAddr;
      runAddr = s.address;
    }
    s.size = aboveRun === null ? null : Number(aboveRun - s.address);
    nextAddr = s.address;
  }
  return out;
}

/** Well-known symbols every kernel has; compared first. */
const WELL_KNOWN = ['_text', '_stext', '_etext', '__init_begin', '__init_end', '_end', 'start_kernel'];
const SAMPLE = 200;
const MAX_MISMATCHES = 50;

export interface SystemMapCheck {
  matches: boolean;
  checked: number;
  mismatches: { name: string; mapAddr: bigint; elfAddr: bigint }[];
}

/**
 * Compare System.map with vmlinux's own symbols: the well-known names plus up
 * to 200 global text symbols spread evenly over the map. Names that occur more
 * than once in the map are skipped, since they cannot be matched one to one.
 */
export function checkSystemMapMatches(map: SystemMap, symbolsFromElf: Map<string, bigint>): SystemMapCheck {
  const count = new Map<string, number>();
  for (const s of map.symbols) count.set(s.name, (count.get(s.name) ?? 0) + 1);
  const byName = new Map<string, MapSymbol>();
  for (const s of map.symbols) if (count.get(s.name) === 1) byName.set(s.name, s);

  const names: string[] = WELL_KNOWN.filter((n) => byName.has(n) && symbolsFromElf.has(n));
  const globals = map.symbols.filter((s) => s.type === 'T' && count.get(s.name) === 1 && symbolsFromElf.has(s.name) && !WELL_KNOWN.includes(s.name));
  const step = Math.max(1, globals.length / SAMPLE);
  for (let k = 0; k < SAMPLE && Math.floor(k * step) < globals.length; k++) names.push(globals[Math.floor(k * step)].name);

  const mismatches: SystemMapCheck['mismatches'] = [];
  let bad = 0;
  for (const name of names) {
    const mapAddr = byName.get(name)!.address;
    const elfAddr = symbolsFromElf.get(name)!;
    if (mapAddr !== elfAddr) {
      bad++;
      if (mismatches.length < MAX_MISMATCHES) mismatches.push({ name, mapAddr, elfAddr });
    }
  }
  return { matches: names.length > 0 && bad === 0, checked: names.length, mismatches };
}
