/**
 * The readers the index reads every symbol with, against binutils and against
 * the readers they stand in for: the symbol table read in place
 * (binary/symbolTable.ts) against `readelf -sW` and `nm -S`, on the fixture's
 * vmlinux and objects and on clang and ThinLTO builds of the example tree; an
 * object's table for attribution (index/objectTables.ts) against
 * kbuild/objects.ts's contents of the same object; the head of a `.cmd` file
 * (kbuild/cmdfile.ts) against a plain reading of the file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { listArchiveObjects } from '../server/src/binary/archive';
import { ElfFile } from '../server/src/binary/elf';
import { SymbolTable } from '../server/src/binary/symbolTable';
import { readCmdHead } from '../server/src/kbuild/cmdfile';
import { readObjectContents } from '../server/src/kbuild/objects';
import { readObjectTable } from '../server/src/index/objectTables';
import { FIXTURE, fixtureSkip, nmSized, readelfSymbols, tempDir } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild, miniBuildSkip } from './minikernel';

const TYPES: Record<string, number> = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4, COMMON: 5, TLS: 6 };
const BINDS: Record<string, number> = { LOCAL: 0, GLOBAL: 1, WEAK: 2 };
const NDX: Record<string, number> = { UND: 0, ABS: 0xfff1, COM: 0xfff2 };

function table(file: string): SymbolTable {
  const elf = ElfFile.open(file);
  try {
    return elf.symbolTable();
  } finally {
    elf.close();
  }
}

/** Every column of every symbol equals what readelf -sW prints. */
function assertLikeReadelf(file: string): void {
  const t = table(file);
  const theirs = readelfSymbols(file);
  assert.equal(t.count, theirs.length, `${file}: symbol count`);
  for (let i = 0; i < theirs.length; i++) {
    const r = theirs[i];
    const at = `${path.basename(file)} symbol ${i} (${r.name})`;
    if (r.type !== 'SECTION') assert.equal(t.name(i), r.name, at);
    assert.equal(t.value(i), r.value, at);
    assert.equal(t.hexValue(i), r.value.toString(16), at);
    assert.equal(t.size(i), r.size, at);
    if (r.type in TYPES) assert.equal(t.type(i), TYPES[r.type], at);
    if (r.bind in BINDS) assert.equal(t.bind(i), BINDS[r.bind], at);
    assert.equal(t.shndx(i), NDX[r.ndx] ?? Number(r.ndx), at);
    assert.equal(t.hasName(i), t.name(i) !== '', at);
  }
}

/** The sized symbols, as nm -S lists them (name, address, size). */
function assertLikeNm(file: string): void {
  const t = table(file);
  const ours = new Set<string>();
  for (let i = 1; i < t.count; i++) if (t.size(i) > 0 && t.type(i) !== 4 && t.type(i) !== 3 && t.shndx(i) !== 0) ours.add(`${t.name(i)} ${t.hexValue(i)} ${t.size(i)}`);
  for (const s of nmSized(file)) assert.ok(ours.has(`${s.name} ${s.addr.toString(16)} ${s.size}`), `${path.basename(file)}: nm -S has ${s.name}`);
}

/** An object's table for attribution says what objects.ts says of the same object. */
function assertLikeContents(file: string): void {
  const t = readObjectTable(file);
  const c = readObjectContents(file);
  const at = path.basename(file);
  assert.equal(t.bitcode, c.bitcode === true, at);
  assert.deepEqual(t.allocSections, c.allocSections, at);
  assert.deepEqual(t.definedGlobals, c.definedGlobals, at);
  assert.deepEqual(
    t.anchors.names.map((name, k) => ({ name, offset: t.anchors.offsets[k], size: t.anchors.sizes[k], section: t.anchors.sections[k] })),
    c.anchors,
    at,
  );
  assert.deepEqual(
    t.symbols.names.map((name, k) => [name, t.symbols.sizes[k], t.symbols.local[k]]),
    c.symbols.map((s) => [s.name, s.size, s.local]),
    at,
  );
}

function builtInObjects(buildDir: string): string[] {
  return listArchiveObjects(path.join(buildDir, 'vmlinux.a'), buildDir).map((o) => path.join(buildDir, o));
}

describe('the fixture (gcc, i386)', { skip: fixtureSkip }, () => {
  test('vmlinux: every symbol as readelf -sW and nm -S see it', () => {
    assertLikeReadelf(path.join(FIXTURE, 'vmlinux'));
    assertLikeNm(path.join(FIXTURE, 'vmlinux'));
  });

  test('objects: symbols as readelf -sW sees them, tables as objects.ts reads them', () => {
    const objects = builtInObjects(FIXTURE);
    // readelf for a spread of them (it is one process per object); objects.ts for all.
    for (const o of objects.filter((_, i) => i % 25 === 0)) assertLikeReadelf(o);
    for (const o of objects) assertLikeContents(o);
  });

  test('.cmd heads: up to the source_ line, as a plain reading of the file has it', () => {
    const cmds: string[] = [];
    const walk = (dir: string, depth: number): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory() && depth < 6) walk(path.join(dir, e.name), depth + 1);
        else if (e.name.endsWith('.o.cmd')) cmds.push(path.join(dir, e.name));
      }
    };
    walk(FIXTURE, 0);
    assert.ok(cmds.length > 100);
    for (const f of cmds) assert.equal(readCmdHead(f), plainHead(readFileSync(f, 'latin1')), f);
  });
});

/** What readCmdHead returns, from the whole text: through the source_ line, else up to deps_. */
function plainHead(text: string): string {
  const head = text.slice(0, 1 << 20);
  const src = /(^|\n)source_[^\n]*\n/.exec(head);
  if (src) return head.slice(0, src.index + src[0].length);
  const deps = head.search(/(^|\n)deps_/);
  return deps >= 0 ? head.slice(0, deps + 1) : head;
}

test('.cmd heads: long commands, no source_ line, deps_ first, one after another', () => {
  const dir = tempDir('cmdhead');
  const long = 'cmd_a.o := gcc ' + '-DX=1 '.repeat(8000) + '\n';
  const cases: Record<string, string> = {
    long: `${long}source_a.o := a.c\n\ndeps_a.o := \\\n  a.h \\\n`,
    nosource: `cmd_b.o := gcc -c b.c\ndeps_b.o := \\\n  b.h\n`,
    depsfirst: `deps_c.o := c.h\nsource_c.o := c.c\n`,
    atstart: `source_d.o := d.c\ncmd_d.o := gcc\n`,
    unterminated: `cmd_e.o := gcc\nsource_e.o := e.c`,
    empty: '',
  };
  // The long one first: the shorter ones after it must not see its bytes.
  for (const [name, text] of Object.entries(cases)) {
    const f = path.join(dir, `.${name}.o.cmd`);
    writeFileSync(f, text, 'latin1');
    assert.equal(readCmdHead(f), plainHead(text), name);
  }
  assert.equal(readCmdHead(path.join(dir, 'missing.cmd')), undefined);
});

for (const [label, options] of [['clang (make LLVM=1)', { toolchain: 'llvm' as const }], ['clang ThinLTO', { lto: 'thin' as const }]] as const) {
  const skip = miniBuildSkip(options);
  describe(`the example tree built with ${label}`, { skip }, () => {
    let b: MiniBuild;
    before(() => {
      b = buildMiniKernel(options);
    });
    after(() => cleanupMiniBuild(b));

    test('vmlinux: every symbol as readelf -sW and nm -S see it', () => {
      assertLikeReadelf(path.join(b.buildDir, 'vmlinux'));
      assertLikeNm(path.join(b.buildDir, 'vmlinux'));
    });

    test('built-in objects: tables as objects.ts reads them (bitcode included), ELF ones as readelf sees them', () => {
      for (const o of builtInObjects(b.buildDir)) {
        assertLikeContents(o);
        if (readFileSync(o).subarray(0, 4).toString('latin1') === '\x7fELF') assertLikeReadelf(o);
      }
    });
  });
}

test('a big-endian table reads as readelf reads it', { skip: spawnSync('powerpc64-linux-gnu-gcc', ['--version']).status === 0 ? false : 'powerpc64-linux-gnu-gcc is not installed' }, () => {
  const dir = tempDir('be-symtab');
  const src = path.join(dir, 'be.c');
  writeFileSync(src, 'static long counter;\nlong table[9] = {1, 2};\nstatic long helper(long x) { return x * 3 + counter; }\nlong exported(long y) { counter += y; return helper(y) + table[y & 3]; }\n');
  const obj = path.join(dir, 'be.o');
  spawnSync('powerpc64-linux-gnu-gcc', ['-O2', '-c', '-o', obj, src]);
  assertLikeReadelf(obj);
});
