/**
 * The ELF reader against binutils on the real fixture: sections as readelf -SW
 * sees them, symbols as readelf -sW sees them, the build-id as readelf -n prints it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ElfFile } from '../server/src/binary/elf';
import { KbloatInputError } from '../server/src/common/errors';
import { FIXTURE, fixtureSkip, readelfSections, readelfSymbols, run, tempDir } from './helpers';

const VMLINUX = path.join(FIXTURE, 'vmlinux');

test('section table equals readelf -SW', { skip: fixtureSkip }, () => {
  const elf = ElfFile.open(VMLINUX);
  try {
    const ours = elf.sections.slice(1);
    const theirs = readelfSections(VMLINUX);
    assert.equal(ours.length, theirs.length);
    for (let i = 0; i < theirs.length; i++) {
      assert.equal(ours[i].name, theirs[i].name);
      assert.equal(ours[i].addr, theirs[i].addr, ours[i].name);
      assert.equal(ours[i].size, theirs[i].size, ours[i].name);
    }
    assert.equal(elf.header.elfClass, 32);
    assert.equal(elf.header.machine, 'i386');
  } finally {
    elf.close();
  }
});

test('symbol table equals readelf -sW, in order', { skip: fixtureSkip }, () => {
  const elf = ElfFile.open(VMLINUX);
  try {
    const ours = elf.symbols();
    const theirs = readelfSymbols(VMLINUX);
    assert.equal(ours.length, theirs.length);
    const types: Record<string, number> = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 };
    for (let i = 0; i < theirs.length; i++) {
      const t = theirs[i];
      assert.equal(ours[i].name, t.name, `symbol ${i}`);
      assert.equal(ours[i].value, t.value, t.name);
      assert.equal(ours[i].size, t.size, t.name);
      if (t.type in types) assert.equal(ours[i].type, types[t.type], t.name);
    }
  } finally {
    elf.close();
  }
});

test('build-id equals readelf -n', { skip: fixtureSkip }, () => {
  const expected = /Build ID: ([0-9a-f]+)/.exec(run('readelf', ['-n', VMLINUX]))![1];
  const elf = ElfFile.open(VMLINUX);
  try {
    assert.equal(elf.buildId(), expected);
  } finally {
    elf.close();
  }
});

const PPC64_GCC = 'powerpc64-linux-gnu-gcc';
const havePpc64 = spawnSync(PPC64_GCC, ['--version']).status === 0;

test('big-endian ELF64 (a real powerpc64 object) reads as readelf reads it', { skip: havePpc64 ? false : `${PPC64_GCC} is not installed (.ci/run installs gcc-powerpc64-linux-gnu)` }, () => {
  // objcopy cannot change the endianness of x86 objects, so a cross compiler makes a real big-endian one.
  const dir = tempDir('be');
  const src = path.join(dir, 'be.c');
  writeFileSync(src, 'static int counter;\nint table[7] = {1, 2, 3};\nstatic int helper(int x) { return x * 3 + counter; }\nint exported(int y) { counter += y; return helper(y) + table[y & 3]; }\n');
  const obj = path.join(dir, 'be.o');
  run(PPC64_GCC, ['-O2', '-c', '-o', obj, src]);
  const elf = ElfFile.open(obj);
  try {
    assert.equal(elf.header.littleEndian, false);
    assert.equal(elf.header.elfClass, 64);
    assert.equal(elf.header.machine, 'powerpc64');
    const theirs = readelfSymbols(obj);
    const ours = elf.symbols();
    // readelf prints the section's name for STT_SECTION symbols, which have none of their own.
    assert.deepEqual(ours.map((s) => [s.type === 3 ? '' : s.name, s.size, s.value]), theirs.map((s) => [s.type === 'SECTION' ? '' : s.name, s.size, s.value]));
    assert.ok(ours.some((s) => s.name === 'exported' && s.size > 0));
    assert.deepEqual(elf.sections.slice(1).map((s) => [s.name, s.size]), readelfSections(obj).map((s) => [s.name, s.size]));
  } finally {
    elf.close();
  }
});

test('a truncated vmlinux is refused with a typed error, not a crash', { skip: fixtureSkip }, () => {
  const dir = tempDir('trunc');
  const full = readFileSync(VMLINUX);
  for (const cut of [10, 40, 5000, Math.floor(full.length / 2), full.length - 100]) {
    const f = path.join(dir, `vmlinux-${cut}`);
    writeFileSync(f, full.subarray(0, cut));
    assert.throws(() => {
      const elf = ElfFile.open(f);
      try {
        elf.symbols();
      } finally {
        elf.close();
      }
    }, (e: unknown) => e instanceof KbloatInputError && e.code === 'bad-elf', `cut at ${cut}`);
  }
  const notElf = path.join(dir, 'System.map');
  copyFileSync(path.join(FIXTURE, 'System.map'), notElf);
  assert.throws(() => ElfFile.open(notElf), /not an ELF file/);
});
