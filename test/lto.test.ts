/**
 * Builds of the example tree by other toolchains, attributed as the x86_64 gcc
 * build is: `make LLVM=1` (ELF objects, lld's map), `make LLVM=1` with
 * CONFIG_LTO_CLANG_THIN or _FULL (every built-in object is LLVM bitcode;
 * vmlinux comes from the LTO output vmlinux.o), and gcc cross builds for arm64
 * and riscv64 (GNU ld maps of other machines). Ground truth: readelf of vmlinux, llvm-nm of the bitcode
 * objects (not our irsymtab reader), `ar t vmlinux.a`, modules.order and the
 * `*.mod` files, size -A of the objects and modules.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { functionBaseName } from '../server/src/binary/symbolNames';
import { warningText } from '../server/src/common/warnings';
import { buildIndex } from '../server/src/index/buildTree';
import { ModularizeAnalysis } from '../server/src/modularize/analysis';
import type { BuildIndex } from '../server/src/index/model';
import { readelfSections, readelfSymbols, run } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild, MiniBuildOptions, miniBuildSkip } from './minikernel';

const have = (tool: string): boolean => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const skip = ['clang', 'ld.lld', 'llvm-ar', 'llvm-nm'].every(have) ? false : 'clang, lld and llvm are not installed (.ci/setup installs them)';

/** The object each defined symbol of a built-in object belongs to, by llvm-nm over vmlinux.a's members. */
function ownersByLlvmNm(b: MiniBuild): { global: Map<string, string>; local: Map<string, string[]> } {
  const members = run('llvm-ar', ['t', 'vmlinux.a'], b.buildDir).split('\n').filter(Boolean);
  const global = new Map<string, string>();
  const local = new Map<string, string[]>();
  for (const line of run('llvm-nm', ['-A', '--defined-only', ...members], b.buildDir).split('\n')) {
    const m = /^([^:]+):\s*(?:[0-9a-f]+|-+)?\s+([A-Za-z])\s+(\S+)$/.exec(line);
    if (!m) continue;
    const [, obj, letter, name] = m;
    if (letter === letter.toUpperCase()) {
      if (!global.has(name)) global.set(name, obj);
    } else local.set(name, [...(local.get(name) ?? []), obj]);
  }
  return { global, local };
}

/** Which object the index puts each part of each function in, by symbol name. */
function indexedOwners(index: BuildIndex): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of index.files) {
    if (f.status !== 'built-in') continue;
    for (const fn of f.functions) for (const p of fn.parts ?? [fn]) out.set(p.name, [...(out.get(p.name) ?? []), f.object]);
  }
  return out;
}

function checkAttribution(b: MiniBuild, index: BuildIndex, lto: boolean): void {
  const vmlinux = path.join(b.buildDir, 'vmlinux');
  // Every text byte of vmlinux that an object's code fills reaches a file.
  const textSections = readelfSections(vmlinux).filter((s) => s.flags.includes('A') && s.flags.includes('X'));
  const text = textSections.reduce((a, s) => a + s.size, 0);
  const attributedText = index.files.filter((f) => f.status === 'built-in').reduce((a, f) => a + textSections.reduce((t, s) => t + (f.sections[s.name] ?? 0), 0), 0);
  assert.ok(attributedText >= 0.99 * text - 256, `${attributedText} of ${text} text bytes reach a file`);
  // Functions in the right file, by the objects' own symbol tables (llvm-nm).
  const truth = ownersByLlvmNm(b);
  const ours = indexedOwners(index);
  let checked = 0;
  const wrong: string[] = [];
  for (const s of readelfSymbols(vmlinux)) {
    if (s.type !== 'FUNC' || s.size === 0) continue;
    const promoted = /^(.+)\.llvm\.\d+$/.exec(s.name);
    const local = truth.local.get(promoted ? promoted[1] : s.name);
    // A local of vmlinux is a static of one object, or (with -fvisibility=hidden, as 6.1's LTO
    // builds) a global of one object that the LTO link made local.
    const uniqueLocal = local?.length === 1 ? local[0] : undefined;
    const expected = promoted ? uniqueLocal : s.bind === 'LOCAL' ? uniqueLocal ?? (local ? undefined : truth.global.get(s.name)) : truth.global.get(s.name) ?? truth.global.get(functionBaseName(s.name));
    if (!expected) continue; // a name in several objects, or the link's own (kallsyms, head code)
    checked++;
    if (!(ours.get(s.name) ?? []).includes(expected)) wrong.push(`${s.name}: ${expected}, indexed in ${(ours.get(s.name) ?? ['nothing']).join(', ')}`);
  }
  assert.ok(checked >= 40, `only ${checked} functions could be checked`);
  assert.ok(wrong.length <= checked / 100, `${wrong.length} of ${checked} functions in the wrong file:\n${wrong.slice(0, 10).join('\n')}`);
  // Status: every vmlinux.a member built in; every module object in its module.
  const byObject = new Map(index.files.map((f) => [f.object, f]));
  for (const obj of run('llvm-ar', ['t', 'vmlinux.a'], b.buildDir).split('\n').filter(Boolean)) assert.equal(byObject.get(obj)?.status, 'built-in', obj);
  for (const ko of readFileSync(path.join(b.buildDir, 'modules.order'), 'utf8').trim().split('\n')) {
    const objs = readFileSync(path.join(b.buildDir, ko.replace(/\.ko$/, '.mod')), 'utf8').trim().split(/\s+/);
    let moduleBytes = 0;
    for (const obj of objs) {
      const f = byObject.get(obj);
      assert.equal(f?.status, 'module', obj);
      assert.equal(f?.module, path.basename(ko), obj);
      moduleBytes += Object.values(f!.bytes).reduce((a, n) => a + (n ?? 0), 0);
    }
    // A module whose objects are bitcode (by their magic bytes) has its code only in the .ko:
    // its files hold what the .ko allocates (the sections the loader drops aside).
    const bitcode = objs.every((obj) => readFileSync(path.join(b.buildDir, obj)).subarray(0, 4).equals(Buffer.from([0x42, 0x43, 0xc0, 0xde])));
    if (!lto || !bitcode) continue;
    const koBytes = readelfSections(path.join(b.buildDir, ko))
      .filter((s) => s.flags.includes('A') && s.size > 0 && !/^\.(discard|modinfo|gnu\.linkonce\.this_module|note\.GNU-stack|comment|eh_frame)/.test(s.name))
      .reduce((a, s) => a + s.size, 0);
    assert.equal(moduleBytes, koBytes, `${ko}: its files' bytes against readelf -S`);
  }
  const bitcodeWarnings = index.warnings.map(warningText).filter((w) => /bitcode/i.test(w));
  assert.equal(bitcodeWarnings.length, lto ? 1 : 0, bitcodeWarnings.join('\n'));
  assert.ok(!index.warnings.some((w) => /not an ELF file/.test(w.message)), index.warnings.map(warningText).join('\n'));
}

const VARIANTS: [string, MiniBuildOptions, boolean][] = [
  ['LLVM=1 (clang, lld and its map)', { toolchain: 'llvm' }, false],
  ['arm64, cross-built with gcc', { arch: 'arm64' }, false],
  ['riscv64, cross-built with gcc', { arch: 'riscv64' }, false],
  ['LLVM=1 with CONFIG_LTO_CLANG_THIN', { toolchain: 'llvm', lto: 'thin' }, true],
  ['LLVM=1 with CONFIG_LTO_CLANG_FULL', { toolchain: 'llvm', lto: 'full' }, true],
];

for (const [title, options, lto] of VARIANTS) {
  describe(title, { skip: skip || miniBuildSkip(options) }, () => {
    let b: MiniBuild;
    let index: BuildIndex;
    before(() => {
      b = buildMiniKernel({ ...options, outOfTree: true });
      index = buildIndex(b.buildDir);
    });
    after(() => b && cleanupMiniBuild(b));

    test('text, functions and statuses attributed as for gcc, against llvm-nm and readelf', () => checkAttribution(b, index, lto));

    test('every allocated byte is accounted for', () => {
      for (const s of readelfSections(path.join(b.buildDir, 'vmlinux')).filter((x) => x.flags.includes('A') && x.size > 0)) {
        const attributed = index.files.reduce((a, f) => a + (f.status === 'built-in' ? f.sections[s.name] ?? 0 : 0), 0);
        assert.equal(attributed + (index.unattributed[s.name] ?? 0), s.size, s.name);
      }
    });

    test('Modularize reads its blockers from the objects: every reference is an undefined symbol of the referring object (llvm-nm -u)', () => {
      const report = ModularizeAnalysis.load(index).report();
      const references = report.candidates.flatMap((c) => c.blockers).filter((x) => x.kind === 'reference');
      assert.ok(references.length >= 1, 'the example tree has a candidate blocked by a reference');
      for (const r of references) {
        const undefinedHere = run('llvm-nm', ['-u', r.object!], b.buildDir);
        for (const sym of r.symbols ?? [{ name: r.symbol! }]) assert.match(undefinedHere, new RegExp(`\\bU ${sym.name}$`, 'm'), `${r.object} uses ${sym.name}`);
      }
      assert.ok(report.unblockedCount >= 1 && report.residentIfModularized < report.resident);
    });

    if (options.toolchain === 'llvm' && !lto) {
      test("lld's map is read: the index attributes from it", () => {
        assert.equal(index.build.attribution, 'linker-map');
      });
    }
  });
}
