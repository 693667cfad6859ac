/**
 * The build index on the small kernel-like tree that the tests build with gcc,
 * ld and make: in-tree, O= (absolute source paths and a `source` link), ELF32,
 * and without its linker map. Ground truth from readelf, nm and ar.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildIndex } from '../server/src/index/buildTree';
import { BuildIndex, FileEntry } from '../server/src/index/model';
import { loadIndex } from '../server/src/index/cache';
import { KbloatInputError } from '../server/src/common/errors';
import { nmSized, readelfSections, readelfSymbols, run, tempDir } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';

const builds: MiniBuild[] = [];
function build(options: Parameters<typeof buildMiniKernel>[0]): MiniBuild {
  const b = buildMiniKernel(options);
  builds.push(b);
  return b;
}
after(() => builds.forEach(cleanupMiniBuild));

/** Checks that hold for every build: every byte, every symbol, every status. */
function checkInvariants(index: BuildIndex, buildDir: string): void {
  const vmlinux = path.join(buildDir, 'vmlinux');
  const alloc = readelfSections(vmlinux).filter((s) => s.flags.includes('A') && s.size > 0);
  for (const sec of alloc) {
    let attributed = 0;
    for (const f of index.files) if (f.status === 'built-in') attributed += f.sections[sec.name] ?? 0;
    assert.equal(attributed + (index.unattributed[sec.name] ?? 0), sec.size, `section ${sec.name}`);
  }
  const listed = new Set<string>();
  for (const f of index.files) if (f.status === 'built-in') for (const fn of [...f.functions, ...f.variables]) for (const p of fn.parts ?? [fn]) listed.add(`${p.name}:${p.size}`);
  const allocIdx = new Set(readelfSections(vmlinux).map((s, i) => (s.flags.includes('A') ? String(i + 1) : '')).filter(Boolean));
  for (const s of readelfSymbols(vmlinux)) {
    if ((s.type === 'FUNC' || s.type === 'OBJECT') && s.size > 0 && allocIdx.has(s.ndx)) assert.ok(listed.has(`${s.name}:${s.size}`), `${s.name} (${s.size} B) is listed`);
  }
  const byObject = new Map(index.files.map((f) => [f.object, f]));
  for (const obj of run('ar', ['t', 'vmlinux.a'], buildDir).trim().split('\n')) assert.equal(byObject.get(obj)?.status, 'built-in', obj);
  for (const ko of readFileSync(path.join(buildDir, 'modules.order'), 'utf8').trim().split('\n')) {
    for (const obj of readFileSync(path.join(buildDir, ko.replace(/\.ko$/, '.mod')), 'utf8').trim().split(/\s+/)) {
      assert.equal(byObject.get(obj)?.status, 'module', obj);
      assert.equal(byObject.get(obj)?.module, path.basename(ko));
    }
  }
  // Same-named statics: the object the index names must define the symbol (nm of that object).
  assert.equal(index.files.filter((x) => /(^|\/)core\.c$/.test(x.path) && x.status === 'built-in').length, 2);
  for (const f of index.files.filter((x) => /(^|\/)core\.c$/.test(x.path) && x.status === 'built-in')) {
    const own = new Set(nmSized(path.join(buildDir, f.object)).map((s) => `${s.name}:${s.size}`));
    const stats = f.functions.find((fn) => fn.name === 'update_stats');
    assert.ok(stats, `${f.path} has its own update_stats`);
    assert.ok(own.has(`update_stats:${stats.size}`), `update_stats of ${stats.size} B belongs to ${f.object}`);
  }
}

const file = (index: BuildIndex, p: string): FileEntry => {
  const f = index.files.find((x) => x.path === p);
  assert.ok(f, `${p} is in the index`);
  return f;
};

describe('mini kernel, in-tree', () => {
  let b: MiniBuild;
  let index: BuildIndex;
  before(() => {
    b = build({});
    index = buildIndex(b.buildDir);
  });

  test('every byte, every symbol and every status', () => {
    checkInvariants(index, b.buildDir);
    assert.equal(index.build.attribution, 'linker-map');
    assert.equal(index.build.elfClass, 64);
    assert.equal(index.build.arch, 'x86_64');
  });

  test('clones fold into their function and stay listed as parts', () => {
    const fork = file(index, 'kernel/fork.c');
    const dup = fork.functions.find((f) => f.name === 'dup_task_struct');
    assert.ok(dup?.parts?.some((p) => p.name === 'dup_task_struct.constprop.0'), JSON.stringify(dup));
    const nm = nmSized(path.join(b.buildDir, 'vmlinux'));
    const expected = nm.filter((s) => s.name === 'alloc_pages' || s.name.startsWith('alloc_pages.')).reduce((a, s) => a + s.size, 0);
    const alloc = file(index, 'mm/page_alloc.c').functions.find((f) => f.name === 'alloc_pages');
    assert.equal(alloc?.size, expected);
    assert.ok(alloc?.parts?.some((p) => p.name === 'alloc_pages.cold'));
  });

  test('init code is class init; the kernel proper splits image and resident', () => {
    const main = file(index, 'init/main.c');
    assert.ok((main.bytes.init ?? 0) > 0);
    const initBegin = readelfSymbols(path.join(b.buildDir, 'vmlinux')).find((s) => s.name === '__init_begin')!.value;
    const initEnd = readelfSymbols(path.join(b.buildDir, 'vmlinux')).find((s) => s.name === '__init_end')!.value;
    const inInit = readelfSections(path.join(b.buildDir, 'vmlinux')).filter((s) => s.flags.includes('A') && s.size > 0 && s.addr >= initBegin && s.addr < initEnd);
    assert.equal(index.totals.init, inInit.reduce((a, s) => a + s.size, 0));
    assert.equal(index.totals.resident, index.totals.image - index.totals.init);
  });

  test('reasons, modules, and sources that are not built', () => {
    assert.match(file(index, 'kernel/fork.c').reason ?? '', /obj-y in kernel\/Makefile/);
    assert.match(file(index, 'drivers/serial/serial_mini.c').reason ?? '', /CONFIG_SERIAL_MINI=y/);
    const ext2 = file(index, 'fs/ext2/super.c');
    assert.equal(ext2.status, 'module');
    assert.equal(ext2.module, 'ext2.ko');
    const xattr = file(index, 'fs/ext2/xattr.c');
    assert.equal(xattr.status, 'not-built');
    assert.match(xattr.reason ?? '', /CONFIG_EXT2_FS_XATTR/);
    assert.equal(file(index, 'mm/slab.c').status, 'not-built');
    // lib-y objects nobody references stay in lib.a and out of vmlinux.
    const bsearch = file(index, 'lib/bsearch.c');
    assert.equal(bsearch.status, 'not-built');
    assert.match(bsearch.reason ?? '', /lib\.a/);
    assert.equal(file(index, 'lib/sort.c').status, 'built-in');
  });

  test('a build rewritten while it is read is refused, not mixed', () => {
    const copy = tempDir('rewrite');
    for (const e of readdirSync(b.buildDir)) symlinkSync(path.join(b.buildDir, e), path.join(copy, e));
    rmSync(path.join(copy, 'vmlinux'));
    copyFileSync(path.join(b.buildDir, 'vmlinux'), path.join(copy, 'vmlinux'));
    let rewritten = false;
    assert.throws(
      () =>
        buildIndex(copy, {
          onProgress: (step) => {
            if (rewritten || !/attributing/.test(step)) return;
            // What make does: the new vmlinux replaces the old one in the middle of our read.
            const next = path.join(copy, 'vmlinux.new');
            writeFileSync(next, Buffer.concat([readFileSync(path.join(copy, 'vmlinux')), Buffer.alloc(4096)]));
            renameSync(next, path.join(copy, 'vmlinux'));
            rewritten = true;
          },
        }),
      (e: unknown) => e instanceof KbloatInputError && e.code === 'build-changed',
    );
    assert.ok(rewritten);
  });

  test('the cache serves a second load and is dropped when vmlinux changes', () => {
    const cache = tempDir('cache');
    const env = { ...process.env, KBLOAT_CACHE_DIR: cache };
    const copy = tempDir('cachebuild');
    for (const e of readdirSync(b.buildDir)) symlinkSync(path.join(b.buildDir, e), path.join(copy, e));
    rmSync(path.join(copy, 'vmlinux'));
    copyFileSync(path.join(b.buildDir, 'vmlinux'), path.join(copy, 'vmlinux'));
    const first = loadIndex(copy, { env });
    assert.equal(first.fromCache, false);
    assert.equal(readdirSync(cache).filter((f) => f.endsWith('.json')).length, 1);
    const second = loadIndex(copy, { env });
    assert.equal(second.fromCache, true);
    assert.deepEqual(second.index, first.index);
    utimesSync(path.join(copy, 'vmlinux'), new Date(), new Date(Date.now() + 5000));
    assert.equal(loadIndex(copy, { env }).fromCache, false);
    assert.equal(loadIndex(copy, { env, noCache: true }).fromCache, false);
  });
});

describe('mini kernel, O= build', () => {
  let b: MiniBuild;
  let index: BuildIndex;
  before(() => {
    b = build({ outOfTree: true });
    index = buildIndex(b.buildDir);
  });

  test('sources are named relative to the source tree, found through the source link', () => {
    checkInvariants(index, b.buildDir);
    assert.equal(index.build.sourceDir, b.srcDir);
    // The .cmd files of an O= build name sources by absolute path.
    assert.match(readFileSync(path.join(b.buildDir, 'kernel/.fork.o.cmd'), 'utf8'), new RegExp(`source_kernel/fork.o := ${b.srcDir}/kernel/fork.c`));
    assert.equal(file(index, 'kernel/fork.c').object, 'kernel/fork.o');
    assert.equal(file(index, 'fs/ext2/xattr.c').status, 'not-built');
    for (const f of index.files) assert.ok(!path.isAbsolute(f.path), `${f.path} is relative`);
  });

  test('the same figures as the in-tree build of the same tree', () => {
    const inTree = buildIndex(builds[0].buildDir);
    assert.equal(index.build.buildId, inTree.build.buildId);
    assert.deepEqual(index.totals, inTree.totals);
    const strip = (i: BuildIndex) => i.files.map((f) => [f.path, f.status, f.bytes]);
    assert.deepEqual(strip(index), strip(inTree));
  });
});

describe('mini kernel, ELF32 and no linker map', () => {
  test('ELF32 i386 build', () => {
    const b = build({ arch32: true });
    const index = buildIndex(b.buildDir);
    assert.equal(index.build.elfClass, 32);
    assert.equal(index.build.arch, 'i386');
    checkInvariants(index, b.buildDir);
  });

  test('without vmlinux.map, objects anchored by their symbols give the same per-file text', () => {
    const b = builds[0];
    const withMap = buildIndex(b.buildDir);
    const copy = tempDir('nomap');
    for (const e of readdirSync(b.buildDir)) if (e !== 'vmlinux.map') symlinkSync(path.join(b.buildDir, e), path.join(copy, e));
    const index = buildIndex(copy);
    assert.equal(index.build.attribution, 'objects');
    checkInvariants(index, copy);
    for (const f of withMap.files.filter((x) => x.status === 'built-in')) {
      const ours = index.files.find((x) => x.object === f.object);
      assert.equal(ours?.bytes.text ?? 0, f.bytes.text ?? 0, f.object);
    }
  });

  test('4.13 - 6.0 layout: no vmlinux.a, objects found through the nested built-in.a archives', () => {
    const b = builds[0];
    const copy = tempDir('builtin-a');
    for (const e of readdirSync(b.buildDir)) if (e !== 'vmlinux.a' && e !== 'vmlinux.map') symlinkSync(path.join(b.buildDir, e), path.join(copy, e));
    const index = buildIndex(copy);
    const byObject = new Map(index.files.map((f) => [f.object, f.status]));
    // Ground truth: what the real vmlinux.a of the same build lists.
    for (const obj of run('ar', ['t', 'vmlinux.a'], b.buildDir).trim().split('\n')) assert.equal(byObject.get(obj), 'built-in', obj);
    assert.equal(index.build.attribution, 'objects');
  });
});
