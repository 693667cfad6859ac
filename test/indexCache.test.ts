/**
 * The index cache's entries (index/cache.ts) and the Kbuild facts kept next to
 * them (kbuild/sourceFacts.ts): a warm index is the cold one, key for key and
 * byte for byte once serialized, with each file's functions parsed when first
 * read; a damaged entry is rebuilt; the facts are reused while every Makefile,
 * `.cmd` file and folder they came from is unchanged, and recomputed when one
 * changes.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadIndex } from '../server/src/index/cache';
import { computeSourceFacts } from '../server/src/kbuild/sourceFacts';
import { locateBuild } from '../server/src/kbuild/layout';
import { FIXTURE, fixtureSkip, tempDir } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';

/** The index entries of a cache folder (the Kbuild facts sit next to them as `kbuild-*.facts`). */
const entries = (cache: string): string[] => readdirSync(cache).filter((f) => f.endsWith('.json'));

test('a warm index is the cold one, and its functions are read lazily', { skip: fixtureSkip }, () => {
  const env = { KBLOAT_CACHE_DIR: tempDir('cache') };
  const cold = loadIndex(FIXTURE, { env });
  const warm = loadIndex(FIXTURE, { env });
  assert.equal(cold.fromCache, false);
  assert.equal(warm.fromCache, true);
  const builtIn = warm.index.files.filter((f) => f.status === 'built-in');
  const other = builtIn[builtIn.length - 1];
  const file = builtIn.find((f) => f.functions.length > 0)!;
  assert.notEqual(file, other);
  // Not parsed until read: an accessor until then, plain data after.
  assert.equal(typeof Object.getOwnPropertyDescriptor(other, 'functions')!.get, 'function');
  assert.equal(Object.getOwnPropertyDescriptor(file, 'functions')!.get, undefined);
  assert.deepEqual(Object.keys(other), Object.keys(cold.index.files.find((f) => f.object === other.object)!));
  assert.equal(JSON.stringify(warm.index), JSON.stringify(cold.index));
  assert.deepEqual(structuredClone(loadIndex(FIXTURE, { env }).index), cold.index);
  // The entry is JSON of its own.
  const [entry] = entries(env.KBLOAT_CACHE_DIR);
  assert.equal(JSON.parse(readFileSync(path.join(env.KBLOAT_CACHE_DIR, entry), 'utf8'))['kbloat-index'], cold.index.format);
});

test('a truncated or foreign cache entry is rebuilt, not trusted', { skip: fixtureSkip }, () => {
  const env = { KBLOAT_CACHE_DIR: tempDir('cache') };
  const cold = loadIndex(FIXTURE, { env });
  const [entry] = entries(env.KBLOAT_CACHE_DIR);
  const file = path.join(env.KBLOAT_CACHE_DIR, entry);
  const whole = readFileSync(file);
  for (const damaged of [whole.subarray(0, whole.length - 10), whole.subarray(0, 100), Buffer.from(JSON.stringify(cold.index)), Buffer.alloc(0)]) {
    writeFileSync(file, damaged);
    const again = loadIndex(FIXTURE, { env });
    assert.equal(again.fromCache, false);
    assert.equal(JSON.stringify(again.index), JSON.stringify(cold.index));
    assert.equal(loadIndex(FIXTURE, { env }).fromCache, true);
  }
});

describe('Kbuild facts kept between indexes', () => {
  let b: MiniBuild;
  before(() => {
    b = buildMiniKernel({});
  });
  after(() => cleanupMiniBuild(b));

  test('reused while their files are unchanged, recomputed when a Makefile, a .cmd file or the config changes', () => {
    const cacheDir = tempDir('facts');
    const layout = locateBuild(b.buildDir);
    const fresh = computeSourceFacts({ layout });
    assert.deepEqual(computeSourceFacts({ layout, cacheDir }), fresh);
    const [entry] = readdirSync(cacheDir).filter((f) => f.startsWith('kbuild-'));
    assert.ok(entry, 'a facts entry is written');
    const stored = (): { inputs: [string, string][] } => JSON.parse(readFileSync(path.join(cacheDir, entry), 'utf8'));
    const before = readFileSync(path.join(cacheDir, entry), 'utf8');
    assert.deepEqual(computeSourceFacts({ layout, cacheDir }), fresh);
    assert.equal(readFileSync(path.join(cacheDir, entry), 'utf8'), before, 'a current entry is read, not rewritten');
    const inputs = stored().inputs.map(([p]) => p);
    const kernelMakefile = path.join(layout.sourceDir, 'kernel/Makefile');
    assert.ok(inputs.includes(kernelMakefile));
    assert.ok(inputs.includes(path.join(layout.buildDir, 'kernel/.fork.o.cmd')));
    assert.ok(inputs.includes(layout.config!));

    // An object line that a Makefile gains changes the facts (a not-built file appears).
    writeFileSync(path.join(layout.sourceDir, 'kernel/newfile.c'), 'int newfile;\n');
    appendFileSync(kernelMakefile, 'obj-$(CONFIG_BENCH_NEVER_SET) += newfile.o\n');
    const later = new Date(Date.now() + 10_000);
    utimesSync(kernelMakefile, later, later);
    const changed = computeSourceFacts({ layout, cacheDir });
    assert.deepEqual(changed, computeSourceFacts({ layout }));
    assert.ok(changed.notBuilt.some((n) => n.path === 'kernel/newfile.c'));
    assert.deepEqual(computeSourceFacts({ layout, cacheDir }), changed);

    // A rewritten .cmd file is read again.
    const cmd = path.join(layout.buildDir, 'kernel/.fork.o.cmd');
    utimesSync(cmd, later, new Date(Date.now() + 20_000));
    assert.notEqual(stored().inputs.find(([p]) => p === cmd)![1], undefined);
    assert.deepEqual(computeSourceFacts({ layout, cacheDir }), changed);
    assert.notEqual(readFileSync(path.join(cacheDir, entry), 'utf8'), before);
  });
});
