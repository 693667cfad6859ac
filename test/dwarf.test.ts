/**
 * The DWARF reader against binutils and LLVM: small programs compiled here with
 * gcc in DWARF 4 and 5, 64- and 32-bit, big-endian powerpc64, compressed with zlib
 * (gcc -gz) and zstd (objcopy: this gcc has no -gz=zstd), checked against
 * `readelf --debug-dump`, `llvm-dwarfdump` and the sources themselves; the
 * fixture's DWARF against its build-tree attribution, addr2line and its sources;
 * damaged DWARF against typed errors and a fallback.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { warningText } from '../server/src/common/warnings';
import { buildIndex } from '../server/src/index/buildTree';
import { indexFromDwarf } from '../server/src/index/distro';
import { DwarfIndex } from '../server/src/binary/dwarf/index';
import { ElfFile } from '../server/src/binary/elf';
import { KbloatInputError } from '../server/src/common/errors';
import { FIXTURE, fixtureSkip, nmSized, run, tempDir } from './helpers';

const SOURCES: Record<string, string> = {
  'h.h': `static inline int sq(int x) { return x * x; }
`,
  'a.c': `#include "h.h"
extern volatile int sink;
static inline __attribute__((always_inline)) int cube(int x) { return sq(x) * x; }
__attribute__((noinline)) int alpha(int a) { return sq(a) + cube(a + 1); }
__attribute__((noinline)) int beta(int a)
{
	int s = 0;
	for (int i = 0; i < a; i++)
		s += cube(i) ^ sq(s);
	return s;
}
int main(void) { sink = alpha(3) + beta(sink); return 0; }
`,
  'sub/b.c': `#include "../h.h"
volatile int sink;
static int table[64];

__attribute__((noinline)) int gamma_fn(int a)
{
	for (int i = 0; i < 64; i++)
		table[i] = sq(a + i);
	return table[a & 63];
}
`,
};

const has = (cmd: string, args = ['--version']): boolean => spawnSync(cmd, args).status === 0;
const CROSS = 'powerpc64-linux-gnu-gcc';
const haveCross = has(CROSS);
const haveM32 = spawnSync('gcc', ['-m32', '-E', '-x', 'c', '/dev/null']).status === 0;
const haveLlvmDump = has('llvm-dwarfdump');
const haveZstdObjcopy = (() => {
  const dir = tempDir('zstd-probe');
  try {
    writeFileSync(path.join(dir, 'p.c'), 'int f(void) { return 1; }\n');
    run('gcc', ['-g', '-c', '-o', 'p.o', 'p.c'], dir);
    return spawnSync('objcopy', ['--compress-debug-sections=zstd', 'p.o', 'z.o'], { cwd: dir }).status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

interface Variant {
  name: string;
  cc: string;
  /** objcopy for the target (the host's cannot read powerpc64). */
  objcopy?: string;
  flags: string[];
  /** binutils 2.40's addr2line misreads the line tables of 64-bit DWARF 5. */
  noAddr2line?: boolean;
  /** objcopy --compress-debug-sections= after linking. */
  objcopyCompress?: string;
  skip: string | false;
}

const VARIANTS: Variant[] = [
  { name: 'DWARF 4, x86-64', cc: 'gcc', flags: ['-gdwarf-4'], skip: false },
  { name: 'DWARF 5, x86-64', cc: 'gcc', flags: ['-gdwarf-5'], skip: false },
  { name: 'DWARF 5, x86-64, 64-bit DWARF', cc: 'gcc', flags: ['-gdwarf-5', '-gdwarf64'], noAddr2line: true, skip: false },
  { name: 'DWARF 5, zlib (gcc -gz=zlib)', cc: 'gcc', flags: ['-gdwarf-5', '-gz=zlib'], skip: false },
  // gcc 12 here rejects -gz=zstd; objcopy (binutils 2.40) writes the same ELFCOMPRESS_ZSTD sections.
  { name: 'DWARF 5, zstd (objcopy)', cc: 'gcc', flags: ['-gdwarf-5'], objcopyCompress: 'zstd', skip: haveZstdObjcopy ? false : 'objcopy cannot write zstd sections here (and gcc -gz=zstd is not supported)' },
  { name: 'DWARF 4, i386 (-m32)', cc: 'gcc', flags: ['-m32', '-gdwarf-4'], skip: haveM32 ? false : 'gcc -m32 does not work here' },
  { name: 'DWARF 5, i386 (-m32)', cc: 'gcc', flags: ['-m32', '-gdwarf-5'], skip: haveM32 ? false : 'gcc -m32 does not work here' },
  { name: 'DWARF 5, big-endian powerpc64', cc: CROSS, objcopy: 'powerpc64-linux-gnu-objcopy', flags: ['-mabi=elfv2', '-gdwarf-5'], skip: haveCross ? false : `${CROSS} is not installed` },
  { name: 'DWARF 4, big-endian powerpc64', cc: CROSS, objcopy: 'powerpc64-linux-gnu-objcopy', flags: ['-mabi=elfv2', '-gdwarf-4'], skip: haveCross ? false : `${CROSS} is not installed` },
];

function writeSources(dir: string): void {
  for (const [rel, text] of Object.entries(SOURCES)) {
    run('mkdir', ['-p', path.join(dir, path.dirname(rel))]);
    writeFileSync(path.join(dir, rel), text);
  }
}

/**
 * Links the program (no libc: only our units carry DWARF). A copy compressed by
 * objcopy keeps the plain original as OUT.plain, for tools that cannot read zstd.
 */
function compile(dir: string, v: Variant, out: string): string {
  run(v.cc, ['-O2', ...v.flags, '-nostdlib', '-static', '-Wl,-e,main', '-o', out, 'a.c', 'sub/b.c'], dir);
  copyFileSync(path.join(dir, out), path.join(dir, `${out}.plain`));
  if (v.objcopyCompress) run(v.objcopy ?? 'objcopy', [`--compress-debug-sections=${v.objcopyCompress}`, out], dir);
  return path.join(dir, out);
}

/** readelf's units: .debug_info offset -> DW_AT_name of the compile unit. */
function readelfUnits(file: string): Map<number, string> {
  const out = new Map<number, string>();
  let unit = -1;
  let inCu = false;
  for (const line of run('readelf', ['--debug-dump=info', file]).split('\n')) {
    const u = /Compilation Unit @ offset (0x[0-9a-f]+|\d+):/.exec(line);
    if (u) unit = Number(u[1]);
    if (/Abbrev Number: \d+ \(/.test(line)) inCu = /DW_TAG_compile_unit/.test(line);
    const n = /DW_AT_name\s*:\s*(?:\([^)]*\):\s*)?(.*)$/.exec(line);
    if (inCu && n && unit >= 0 && !out.has(unit)) out.set(unit, n[1].trim());
  }
  return out;
}

/** readelf's .debug_aranges: unit offset and each range. */
function readelfAranges(file: string): { unit: number; addr: bigint; len: bigint }[] {
  const out: { unit: number; addr: bigint; len: bigint }[] = [];
  let unit = -1;
  for (const line of run('readelf', ['--debug-dump=aranges', file]).split('\n')) {
    const u = /Offset into \.debug_info:\s+(0x[0-9a-f]+|\d+)/.exec(line);
    if (u) unit = Number(u[1]);
    const r = /^\s+([0-9a-f]+) ([0-9a-f]+)\s*$/.exec(line);
    if (r && unit >= 0 && BigInt('0x' + r[2]) > 0n) out.push({ unit, addr: BigInt('0x' + r[1]), len: BigInt('0x' + r[2]) });
  }
  return out;
}

/** The line a function is defined on, from the source text. */
function sourceLine(dir: string, file: string, name: string): number {
  const lines = readFileSync(path.join(dir, file), 'utf8').split('\n');
  return lines.findIndex((l) => new RegExp(`\\b${name}\\s*\\(`).test(l) && !/;\s*$/.test(l) || new RegExp(`\\b${name}\\s*\\(.*\\{`).test(l)) + 1;
}

/** llvm-dwarfdump's inlined copies: abstract origin name -> bytes of all its copies. */
function llvmInlineBytes(file: string): Map<string, number> {
  const out = new Map<string, number>();
  const text = run('llvm-dwarfdump', ['--debug-info', file]);
  for (const block of text.split(/\n(?=0x[0-9a-f]+:\s)/)) {
    if (!/^0x[0-9a-f]+:\s+DW_TAG_inlined_subroutine/.test(block)) continue;
    const origin = /DW_AT_abstract_origin\s+\(0x[0-9a-f]+ "([^"]+)"\)/.exec(block)?.[1];
    if (!origin) continue;
    let bytes = 0n;
    const ranges = [...block.matchAll(/\[0x([0-9a-f]+), 0x([0-9a-f]+)\)/g)];
    if (ranges.length) for (const r of ranges) bytes += BigInt('0x' + r[2]) - BigInt('0x' + r[1]);
    else {
      const lo = /DW_AT_low_pc\s+\(0x([0-9a-f]+)\)/.exec(block);
      const hi = /DW_AT_high_pc\s+\(0x([0-9a-f]+)\)/.exec(block);
      if (lo && hi) bytes = BigInt('0x' + hi[1]) - BigInt('0x' + lo[1]);
    }
    if (bytes > 0n) out.set(origin, (out.get(origin) ?? 0) + Number(bytes));
  }
  return out;
}

function withDwarf<T>(file: string, f: (d: DwarfIndex) => T): T {
  const elf = ElfFile.open(file);
  try {
    const d = DwarfIndex.read(elf);
    assert.ok(d, `${file} has DWARF`);
    return f(d);
  } finally {
    elf.close();
  }
}

const FUNCTIONS: Record<string, string> = { alpha: 'a.c', beta: 'a.c', main: 'a.c', gamma_fn: 'sub/b.c' };

for (const v of VARIANTS) {
  describe(`DWARF of a small program: ${v.name}`, { skip: v.skip }, () => {
    let dir: string;
    let prog: string;
    before(() => {
      dir = tempDir('dwarf');
      writeSources(dir);
      prog = compile(dir, v, 'prog');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    if (v.flags.some((f) => f.startsWith('-gz')) || v.objcopyCompress) {
      test('the sections are compressed (readelf flag C)', () => {
        const info = run('readelf', ['-SW', prog]).split('\n').find((l) => /\s\.debug_info\s/.test(l));
        assert.match(info ?? '', /\sC\s/);
      });
    }

    test('compile unit names and .debug_aranges match readelf', () => {
      const units = readelfUnits(prog);
      assert.deepEqual([...units.values()].sort(), ['a.c', 'sub/b.c']);
      const aranges = readelfAranges(prog);
      assert.ok(aranges.length >= 2);
      withDwarf(prog, (d) => {
        assert.deepEqual([...d.units].sort(), ['a.c', 'sub/b.c']);
        for (const r of aranges) {
          assert.equal(d.unitAt(r.addr), units.get(r.unit), `start of ${r.addr.toString(16)}`);
          assert.equal(d.unitAt(r.addr + r.len - 1n), units.get(r.unit), `end of ${r.addr.toString(16)}`);
        }
      });
    });

    test('without .debug_aranges (as clang writes it) the units\' own ranges give the same answer', () => {
      const bare = path.join(dir, 'prog-noaranges');
      run(v.objcopy ?? 'objcopy', ['--remove-section=.debug_aranges', prog, bare]);
      assert.ok(!run('readelf', ['-SW', bare]).includes('.debug_aranges'));
      const units = readelfUnits(prog);
      withDwarf(bare, (d) => {
        for (const r of readelfAranges(prog)) assert.equal(d.unitAt(r.addr), units.get(r.unit));
      });
    });

    test('functions are declared where the sources say, in the unit addr2line names', () => {
      const syms = nmSized(prog).filter((s) => /^[tT]$/.test(s.type) && FUNCTIONS[s.name]);
      assert.equal(syms.length, Object.keys(FUNCTIONS).length);
      const a2l = v.noAddr2line ? [] : run(v.cc === CROSS ? 'powerpc64-linux-gnu-addr2line' : 'addr2line', ['-e', prog, ...syms.map((s) => '0x' + s.addr.toString(16))]).trim().split('\n');
      withDwarf(prog, (d) => {
        syms.forEach((s, i) => {
          const decl = d.functionAt(s.addr);
          assert.ok(decl, s.name);
          assert.equal(decl.name, s.name);
          assert.equal(decl.file, FUNCTIONS[s.name]);
          assert.equal(decl.line, sourceLine(dir, FUNCTIONS[s.name], s.name), `${s.name} line`);
          if (!v.noAddr2line) assert.ok(a2l[i].split(':')[0].endsWith('/' + FUNCTIONS[s.name]), `addr2line says ${a2l[i]} for ${s.name}`);
          assert.equal(d.unitAt(s.addr), FUNCTIONS[s.name]);
        });
      });
    });

    test('inlined copies are charged to their origin, bytes as llvm-dwarfdump counts them', { skip: haveLlvmDump ? false : 'llvm-dwarfdump is not installed' }, () => {
      const expected = llvmInlineBytes(`${prog}.plain`);
      assert.ok(expected.get('sq')! > 0, 'sq is inlined somewhere');
      withDwarf(prog, (d) => {
        const got = new Map<string, number>();
        for (const f of d.inlinedFunctions()) got.set(f.name, (got.get(f.name) ?? 0) + f.bytes);
        assert.deepEqual(got, expected);
        const sq = d.inlinedFunctions().find((f) => f.name === 'sq')!;
        assert.equal(sq.file, 'h.h');
        assert.equal(sq.line, 1);
        // sq sits in alpha, beta (through cube too) and gamma_fn: callers are counted per unit.
        assert.ok(sq.callers >= 3 && sq.callers <= sq.copies, `callers ${sq.callers}, copies ${sq.copies}`);
      });
    });
  });
}

describe('damaged DWARF', () => {
  let dir: string;
  let prog: string;
  before(() => {
    dir = tempDir('dwarf-bad');
    writeSources(dir);
    prog = compile(dir, VARIANTS[1], 'prog');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const damaged = (name: string, section: string, mutate: (b: Buffer) => Buffer): string => {
    const raw = path.join(dir, `${name}.bin`);
    run('objcopy', [`--dump-section=${section}=${raw}`, prog, path.join(dir, 'scratch')]);
    writeFileSync(raw, mutate(readFileSync(raw)));
    const out = path.join(dir, name);
    run('objcopy', [`--update-section=${section}=${raw}`, prog, out]);
    return out;
  };
  const badDwarf = (file: string, pattern: RegExp): void => {
    const elf = ElfFile.open(file);
    try {
      // Reading, then asking for every function's declaration and the inlined copies.
      const probe = (): void => {
        const d = DwarfIndex.read(elf)!;
        for (const s of elf.symbols()) d.functionAt(s.value);
        d.inlinedFunctions();
      };
      assert.throws(probe, (e: unknown) => e instanceof KbloatInputError && e.code === 'bad-dwarf' && pattern.test(e.message));
    } finally {
      elf.close();
    }
  };

  test('a truncated .debug_info', () => badDwarf(damaged('cut-info', '.debug_info', (b) => b.subarray(0, b.length - 40)), /truncated/));
  test('an unknown attribute form', () => {
    // The first abbreviation's first attribute: code, tag, children, name, then the form byte.
    const dump = run('readelf', ['--debug-dump=abbrev', prog]);
    assert.match(dump, /^\s+1\s+DW_TAG_compile_unit/m);
    badDwarf(damaged('bad-form', '.debug_abbrev', (b) => { const c = Buffer.from(b); c[4] = 0x7e; return c; }), /unknown attribute form 0x7e/);
  });
  test('string offsets outside .debug_str', () => badDwarf(damaged('tiny-str', '.debug_str', () => Buffer.from('x\0')), /outside the section/));
  test('a range list offset outside .debug_rnglists', () => badDwarf(damaged('tiny-rnglists', '.debug_rnglists', (b) => b.subarray(0, 12)), /outside|past the end/));
});

describe('the fixture\'s DWARF 5 (i386)', { skip: fixtureSkip }, () => {
  test('DWARF-only attribution agrees with the build tree on >= 99% of function bytes', () => {
    const fromBuild = buildIndex(FIXTURE);
    const fromDwarf = indexFromDwarf({ vmlinux: path.join(FIXTURE, 'vmlinux'), root: FIXTURE });
    assert.equal(fromDwarf.build.attribution, 'dwarf');
    const owner = new Map<string, number>();
    for (const f of fromDwarf.files) for (const fn of f.functions) owner.set(`${f.path}\0${fn.name}`, fn.size);
    let total = 0;
    let agree = 0;
    for (const f of fromBuild.files) {
      if (f.status !== 'built-in') continue;
      for (const fn of f.functions) {
        total += fn.size;
        if (owner.get(`${f.path}\0${fn.name}`) === fn.size) agree += fn.size;
      }
    }
    const share = agree / total;
    assert.ok(share >= 0.99, `agreement ${(100 * share).toFixed(3)}% of ${total} function bytes`);
    // Both methods account for the same image.
    assert.equal(fromDwarf.totals.image, fromBuild.totals.image);
  });

  test('unit attribution agrees with addr2line on a sample of functions', () => {
    const syms = nmSized(path.join(FIXTURE, 'vmlinux')).filter((s) => /^[tT]$/.test(s.type) && s.size >= 16);
    const sample = syms.filter((_, i) => i % Math.ceil(syms.length / 300) === 0);
    const lines = run('addr2line', ['-e', path.join(FIXTURE, 'vmlinux'), ...sample.map((s) => '0x' + s.addr.toString(16))]).trim().split('\n');
    let checked = 0;
    let same = 0;
    withDwarf(path.join(FIXTURE, 'vmlinux'), (d) => {
      sample.forEach((s, i) => {
        const file = lines[i].split(':')[0];
        // At a function's first byte addr2line may name an inlined header; only sources count.
        if (!/\.(c|S)$/.test(file)) return;
        checked++;
        if (file.endsWith('/' + d.unitAt(s.addr))) same++;
      });
    });
    assert.ok(checked >= 150, `${checked} checked`);
    assert.ok(same / checked >= 0.97, `${same} of ${checked} agree with addr2line`);
  });

  test('declaration lines name the function in the fixture\'s sources', () => {
    const index = indexFromDwarf({ vmlinux: path.join(FIXTURE, 'vmlinux'), root: FIXTURE, source: FIXTURE });
    const texts = new Map<string, string[] | null>();
    let checked = 0;
    let good = 0;
    for (const f of index.files) {
      for (const fn of f.functions) {
        if (!fn.line) continue;
        const file = fn.declFile ?? f.path;
        if (!texts.has(file)) {
          try {
            texts.set(file, readFileSync(path.join(FIXTURE, file), 'utf8').split('\n'));
          } catch {
            texts.set(file, null);
          }
        }
        const lines = texts.get(file);
        // Functions made by macros (SYSCALL_DEFINE, DEFINE_*_ATTR) are not named in the text at all.
        if (!lines || !lines.some((l) => new RegExp(`\\b${fn.name}\\b`).test(l))) continue;
        checked++;
        if (lines[fn.line - 1]?.includes(fn.name)) good++;
      }
    }
    assert.ok(checked > 5000, `${checked} functions checked`);
    assert.ok(good / checked >= 0.99, `${good} of ${checked} lines name their function`);
  });

  test('damaged DWARF in a kernel image: a warning, and attribution from the symbol table', () => {
    const dir = tempDir('dwarf-fixture-bad');
    try {
      const copy = path.join(dir, 'vmlinux');
      copyFileSync(path.join(FIXTURE, 'vmlinux'), copy);
      writeFileSync(path.join(dir, 'str.bin'), 'x\0');
      run('objcopy', ['--update-section=.debug_str=str.bin', 'vmlinux'], dir);
      const index = indexFromDwarf({ vmlinux: copy, root: dir });
      assert.equal(index.build.attribution, 'symbols');
      assert.ok(index.warnings.some((w) => /\.debug_str.*outside the section.*falls back to the symbol table/.test(w.message)), index.warnings.map(warningText).join('\n'));
      // Locals still land in their file (by STT_FILE name), the totals are whole.
      assert.ok(index.files.some((f) => f.path === 'main.c' && f.functions.some((fn) => fn.name === 'do_one_initcall' || fn.size > 0)));
      assert.equal(index.totals.image, buildIndex(FIXTURE).totals.image);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
