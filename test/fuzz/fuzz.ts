/**
 * A seeded, bounded fuzz harness for the parsers of the measurement core. It
 * mutates real build files (bit flips, truncations, splices, huge counts) and
 * feeds them to each parser. The property: every input gives a result or a
 * KbloatInputError, within a time bound; anything else is a finding.
 *
 * `npm run fuzz -- [iterations per parser] [seed]` runs it long; the test suite
 * runs a short seeded pass (test/fuzz.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArchive } from '../../server/src/binary/archive';
import { parseCmdFile } from '../../server/src/kbuild/cmdfile';
import { parseDotConfig } from '../../server/src/kbuild/dotconfig';
import { DwarfIndex } from '../../server/src/binary/dwarf/index';
import { ElfFile } from '../../server/src/binary/elf';
import { KbloatInputError } from '../../server/src/common/errors';
import { parseKbuildMakefile } from '../../server/src/kbuild/objLines';
import { parseKconfigFile } from '../../server/src/kbuild/kconfig/parser';
import { parseLinkerMap } from '../../server/src/binary/linkerMap';
import { parseSystemMap } from '../../server/src/binary/systemMap';

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One mutation of `input`; `hot` is where the interesting bytes are (headers, tables). */
export function mutate(input: Buffer, rand: () => number, hot?: [number, number]): Buffer {
  const buf = Buffer.from(input);
  const at = (): number => {
    if (hot && rand() < 0.7) return hot[0] + Math.floor(rand() * Math.max(1, hot[1] - hot[0]));
    return Math.floor(rand() * buf.length);
  };
  switch (Math.floor(rand() * 5)) {
    case 0: // bit flips
      for (let i = 0, n = 1 + Math.floor(rand() * 8); i < n; i++) {
        const p = at();
        if (p < buf.length) buf[p] ^= 1 << Math.floor(rand() * 8);
      }
      return buf;
    case 1: // truncation
      return buf.subarray(0, Math.floor(rand() * buf.length));
    case 2: {
      // splice: a chunk of the file copied over another place
      const len = 1 + Math.floor(rand() * 256);
      const from = Math.floor(rand() * buf.length);
      buf.copy(buf, at(), from, Math.min(buf.length, from + len));
      return buf;
    }
    case 3: {
      // a huge count or offset where a count or offset may be
      const p = at() & ~3;
      if (p + 4 <= buf.length) buf.writeUInt32LE([0xffffffff, 0x7fffffff, 0x10000000, 0][Math.floor(rand() * 4)], p);
      return buf;
    }
    default: {
      // text-ish: duplicate or delete a line-sized chunk
      const p = at();
      const len = Math.floor(rand() * 200);
      return rand() < 0.5 ? Buffer.concat([buf.subarray(0, p), buf.subarray(p, p + len), buf.subarray(p)]) : Buffer.concat([buf.subarray(0, p), buf.subarray(p + len)]);
    }
  }
}

export interface Target {
  name: string;
  input: Buffer;
  hot?: [number, number];
  run(data: Buffer): void;
}

/** A small C program with inlining, static data and split ranges, for the DWARF targets. */
const DWARF_SOURCE = `static inline int sq(int x) { return x * x; }
static int table[64];
static inline __attribute__((always_inline)) int cube(int x) { return sq(x) * x; }
__attribute__((noinline)) int alpha(int a) { return sq(a) + cube(a + 1); }
__attribute__((noinline)) int beta(int a) { int s = 0; for (int i = 0; i < a; i++) s += cube(i) ^ sq(s); if (__builtin_expect(s == 7, 0)) s = table[a & 63]; return s; }
int main(void) { for (int i = 0; i < 64; i++) table[i] = sq(i); return alpha(3) + beta(table[5]); }
`;

/** The program above linked with DWARF `version` (gcc from PATH), as bytes. */
function dwarfProgram(version: 4 | 5): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kbloat-fuzz-'));
  try {
    writeFileSync(path.join(dir, 'p.c'), DWARF_SOURCE);
    execFileSync('gcc', ['-O2', `-gdwarf-${version}`, '-nostdlib', '-static', '-Wl,-e,main', '-o', 'p', 'p.c'], { cwd: dir });
    return readFileSync(path.join(dir, 'p'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where a section's bytes are in an ELF file (the mutations' hot range). */
function sectionRange(data: Buffer, name: string): [number, number] {
  const elf = ElfFile.fromBuffer(data, 'p');
  const s = elf.section(name)!;
  return [s.offset, s.offset + s.size];
}

const dwarfRun = (data: Buffer): void => {
  const elf = ElfFile.fromBuffer(data, 'fuzz');
  const d = DwarfIndex.read(elf);
  if (!d) return;
  for (const s of elf.symbols()) {
    d.functionAt(s.value);
    d.unitAt(s.value);
    d.variableUnitAt(s.value);
  }
  d.inlinedFunctions();
};

export function targets(fixture: string): Target[] {
  const read = (rel: string) => readFileSync(path.join(fixture, rel));
  const elfRun = (data: Buffer) => {
    const elf = ElfFile.fromBuffer(data, 'fuzz.o');
    elf.symbols();
    elf.buildId();
    for (const s of elf.sections) if (s.size < 1 << 20) elf.sectionData(s);
  };
  const fork = read('kernel/fork.o');
  const shoff = Number(fork.readUInt32LE(32));
  return [
    { name: 'elf (object file)', input: fork, hot: [0, 64], run: elfRun },
    { name: 'elf (section table)', input: fork, hot: [shoff, fork.length], run: elfRun },
    { name: 'thin archive', input: read('vmlinux.a'), run: (d) => void parseArchive(d, 'vmlinux.a') },
    { name: 'linker map', input: read('vmlinux.map').subarray(0, 1 << 18), run: (d) => void parseLinkerMap(d.toString('latin1'), 'vmlinux.map') },
    { name: 'System.map', input: read('System.map').subarray(0, 1 << 16), run: (d) => void parseSystemMap(d.toString('latin1'), 'System.map') },
    { name: '.cmd', input: read('kernel/.fork.o.cmd'), run: (d) => void parseCmdFile(d.toString('latin1'), '.fork.o.cmd') },
    { name: '.config', input: read('.config'), run: (d) => void parseDotConfig(d.toString('latin1'), '.config') },
    { name: 'Makefile', input: read('kernel/Makefile'), run: (d) => void parseKbuildMakefile(d.toString('latin1'), 'kernel', 'kernel/Makefile') },
    { name: 'Kconfig', input: read('drivers/tty/serial/8250/Kconfig'), run: (d) => void parseKconfigFile(d.toString('latin1'), 'Kconfig') },
    ...dwarfTargets(),
  ];
}

function dwarfTargets(): Target[] {
  const v5 = dwarfProgram(5);
  const v4 = dwarfProgram(4);
  return [
    { name: 'DWARF 5 .debug_info', input: v5, hot: sectionRange(v5, '.debug_info'), run: dwarfRun },
    { name: 'DWARF 5 .debug_abbrev', input: v5, hot: sectionRange(v5, '.debug_abbrev'), run: dwarfRun },
    { name: 'DWARF 5 .debug_line', input: v5, hot: sectionRange(v5, '.debug_line'), run: dwarfRun },
    { name: 'DWARF 5 .debug_rnglists', input: v5, hot: sectionRange(v5, '.debug_rnglists'), run: dwarfRun },
    { name: 'DWARF 4 .debug_info', input: v4, hot: sectionRange(v4, '.debug_info'), run: dwarfRun },
    { name: 'DWARF 4 .debug_ranges', input: v4, hot: sectionRange(v4, '.debug_ranges'), run: dwarfRun },
  ];
}

export interface Finding {
  target: string;
  seed: number;
  iteration: number;
  problem: string;
}

export interface FuzzStats {
  tried: Record<string, number>;
  typedErrors: Record<string, number>;
  findings: Finding[];
  slowestMs: number;
}

/** Runs `iterations` mutated inputs through each target; a finding is an untyped exception or a slow input. */
export function fuzz(fixture: string, iterations: number, seed: number, timeBoundMs = 2000): FuzzStats {
  const stats: FuzzStats = { tried: {}, typedErrors: {}, findings: [], slowestMs: 0 };
  for (const t of targets(fixture)) {
    const rand = rng(seed ^ hash(t.name));
    stats.tried[t.name] = 0;
    stats.typedErrors[t.name] = 0;
    for (let i = 0; i < iterations; i++) {
      const data = mutate(t.input, rand, t.hot);
      const start = performance.now();
      try {
        t.run(data);
      } catch (e) {
        if (e instanceof KbloatInputError) stats.typedErrors[t.name]++;
        else stats.findings.push({ target: t.name, seed, iteration: i, problem: String((e as Error)?.stack ?? e).split('\n').slice(0, 3).join(' | ') });
      }
      const ms = performance.now() - start;
      stats.slowestMs = Math.max(stats.slowestMs, ms);
      if (ms > timeBoundMs) stats.findings.push({ target: t.name, seed, iteration: i, problem: `took ${ms.toFixed(0)} ms` });
      stats.tried[t.name]++;
    }
  }
  return stats;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

if (require.main === module) {
  const iterations = Number(process.argv[2] ?? 2000);
  const seed = Number(process.argv[3] ?? 1);
  const fixture = process.env.KBLOAT_FIXTURE ?? path.resolve(__dirname, '../../../shared/fixtures/linux-6.1-tinyconfig-i386');
  const t = performance.now();
  const stats = fuzz(fixture, iterations, seed);
  for (const name of Object.keys(stats.tried)) console.log(`${name.padEnd(22)} ${stats.tried[name]} inputs, ${stats.typedErrors[name]} refused with a typed error`);
  console.log(`slowest input ${stats.slowestMs.toFixed(1)} ms; ${stats.findings.length} findings in ${((performance.now() - t) / 1000).toFixed(1)} s (seed ${seed})`);
  for (const f of stats.findings.slice(0, 20)) console.log(`FINDING ${f.target} #${f.iteration}: ${f.problem}`);
  process.exitCode = stats.findings.length ? 1 : 0;
}
