/**
 * Distro mode: `kbloat report --vmlinux PATH` with no build folder, as for a
 * distribution's debug package. The fixture's vmlinux stands in for the debug
 * vmlinux, laid out with its companions the way Debian installs them
 * (boot/System.map-<release>, boot/config-<release>,
 * lib/modules/<release>/modules.builtin); the build folder's report is the
 * reference for the JSON shape and the built-in modules. Paths: small programs
 * compiled here with absolute source paths outside their comp_dir.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { warningText } from '../server/src/common/warnings';
import { loadDistroIndex } from '../server/src/index/distro';
import { DwarfIndex } from '../server/src/binary/dwarf/index';
import { ElfFile } from '../server/src/binary/elf';
import { FIXTURE, fixtureSkip, run, runCli, tempDir } from './helpers';

function keysOf(o: object): string[] {
  return Object.keys(o).sort();
}

describe('kbloat report --vmlinux (no build folder)', { skip: fixtureSkip }, () => {
  let root: string;
  let vmlinux: string;
  let release: string;
  before(() => {
    release = /Linux version (\S+)/.exec(run('strings', ['-n', '16', path.join(FIXTURE, 'vmlinux')]))![1];
    root = tempDir('distro');
    mkdirSync(path.join(root, 'usr/lib/debug/boot'), { recursive: true });
    mkdirSync(path.join(root, 'boot'), { recursive: true });
    mkdirSync(path.join(root, 'lib/modules', release), { recursive: true });
    vmlinux = path.join(root, 'usr/lib/debug/boot', `vmlinux-${release}`);
    copyFileSync(path.join(FIXTURE, 'vmlinux'), vmlinux);
    copyFileSync(path.join(FIXTURE, 'System.map'), path.join(root, 'boot', `System.map-${release}`));
    copyFileSync(path.join(FIXTURE, '.config'), path.join(root, 'boot', `config-${release}`));
    copyFileSync(path.join(FIXTURE, 'modules.builtin'), path.join(root, 'lib/modules', release, 'modules.builtin'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('the same JSON shape as for a build folder, attribution from DWARF', () => {
    const distro = runCli(['report', '--vmlinux', vmlinux, '--json']);
    assert.equal(distro.status, 0, distro.stderr);
    const build = runCli(['report', FIXTURE, '--json']);
    assert.equal(build.status, 0, build.stderr);
    const d = JSON.parse(distro.stdout);
    const b = JSON.parse(build.stdout);
    // The same keys, and the inlined copies that only DWARF knows.
    assert.deepEqual(keysOf(d), [...keysOf(b), 'inlined'].sort());
    assert.ok(d.inlined.length > 1000 && d.inlined.every((i: { callers: number; bytes: number }) => i.callers > 0 && i.bytes > 0));
    assert.deepEqual(keysOf(d.build), keysOf(b.build));
    assert.equal(d.build.attribution, 'dwarf');
    assert.equal(d.build.kernelVersion, release);
    assert.equal(d.build.buildId, b.build.buildId);
    assert.equal(d.totals.image, b.totals.image);
    // Every key of a DWARF file entry is one a build's entry may have.
    const allowed = new Set(b.files.flatMap((f: object) => Object.keys(f)));
    for (const f of d.files) for (const k of Object.keys(f)) assert.ok(allowed.has(k), `unexpected key ${k}`);
    const printk = d.files.find((f: { path: string }) => f.path === 'kernel/printk/printk.c');
    assert.ok(printk.functions.some((fn: { name: string; line?: number }) => fn.name === 'vprintk_emit' && fn.line! > 0));
  });

  test('modules.builtin from lib/modules/<release>, the config and System.map from boot/', () => {
    const cache = tempDir('distro-cache');
    try {
      const { index } = loadDistroIndex({ vmlinux, root, source: FIXTURE, env: { KBLOAT_CACHE_DIR: cache } });
      const build = JSON.parse(runCli(['report', FIXTURE, '--json']).stdout) as { files: { path: string; builtinModule?: string; reason?: string }[] };
      const expected = new Map(build.files.filter((f) => f.builtinModule).map((f) => [f.path, f.builtinModule]));
      const got = new Map(index.files.filter((f) => f.builtinModule).map((f) => [f.path, f.builtinModule]));
      // Single-file built-in modules are named exactly as in the build; composite ones need Kbuild.
      assert.ok(got.size > 0);
      for (const [p, m] of got) assert.equal(expected.get(p), m, p);
      // With the source tree and boot/config-<release>, Kbuild gives the reasons.
      const reasons = new Map(build.files.map((f) => [f.path, f.reason]));
      const main = index.files.find((f) => f.path === 'init/main.c')!;
      assert.equal(main.reason, reasons.get('init/main.c'));
      assert.deepEqual(index.warnings, []);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  test('a System.map of another kernel is a warning', () => {
    const other = path.join(root, 'System.map-other');
    // The map of a different link: every address moved by a page.
    const lines = run('nm', ['-n', path.join(FIXTURE, 'vmlinux')]).split('\n').filter((l) => /^[0-9a-f]{8} /.test(l));
    writeFileSync(other, lines.map((l) => (parseInt(l.slice(0, 8), 16) + 4096).toString(16).padStart(8, '0') + l.slice(8)).join('\n') + '\n');
    const { index } = loadDistroIndex({ vmlinux, root, systemMap: other, noCache: true });
    assert.ok(index.warnings.some((w) => w.file !== undefined && path.basename(w.file) === path.basename(other) && w.message.includes('does not match')), index.warnings.map(warningText).join('\n'));
  });

  test('cached like a build: warm from the cache, rebuilt when vmlinux changes', () => {
    const cache = tempDir('distro-cache');
    try {
      const env = { KBLOAT_CACHE_DIR: cache };
      assert.equal(loadDistroIndex({ vmlinux, root, env }).fromCache, false);
      assert.equal(loadDistroIndex({ vmlinux, root, env }).fromCache, true);
      const later = new Date(Date.now() + 5000);
      utimesSync(vmlinux, later, later);
      assert.equal(loadDistroIndex({ vmlinux, root, env }).fromCache, false);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  test('bad arguments are one line and status 2', () => {
    const r = runCli(['report', FIXTURE, '--vmlinux', vmlinux]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /either BUILD_DIR or --vmlinux/);
    const m = runCli(['report', '--vmlinux', vmlinux, '--prefix-map', 'nothing']);
    assert.equal(m.status, 2);
    assert.match(m.stderr, /--prefix-map needs FROM=TO/);
  });
});

describe('source paths from DWARF', () => {
  let dir: string;
  let prog: string;
  before(() => {
    // Sources under tree/ named by absolute path, compiled from out/ (an O= build elsewhere).
    dir = tempDir('dwarf-paths');
    mkdirSync(path.join(dir, 'tree/mydriver'), { recursive: true });
    mkdirSync(path.join(dir, 'tree/kernel'), { recursive: true });
    mkdirSync(path.join(dir, 'out'), { recursive: true });
    writeFileSync(path.join(dir, 'tree/mydriver/probe.c'), 'int probe(int x) { return x + 1; }\n');
    writeFileSync(path.join(dir, 'tree/kernel/fork.c'), 'int probe(int);\nint main(void) { return probe(2); }\n');
    prog = path.join(dir, 'out/prog');
    run('gcc', ['-O2', '-g', '-nostdlib', '-static', '-Wl,-e,main', '-o', prog, path.join(dir, 'tree/mydriver/probe.c'), path.join(dir, 'tree/kernel/fork.c')], path.join(dir, 'out'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const units = (options: Parameters<typeof DwarfIndex.read>[1]): string[] => {
    const elf = ElfFile.open(prog);
    try {
      return [...DwarfIndex.read(elf, options)!.units].sort();
    } finally {
      elf.close();
    }
  };

  test('a top-level kernel folder ends the build prefix; other paths stay absolute without help', () => {
    assert.deepEqual(units({}), [path.join(dir, 'tree/mydriver/probe.c'), 'kernel/fork.c']);
  });
  test('--prefix-map FROM= makes them tree-relative', () => {
    assert.deepEqual(units({ prefixMaps: [{ from: path.join(dir, 'tree'), to: '' }] }), ['kernel/fork.c', 'mydriver/probe.c']);
  });
  test('--source TREE matches the longest tail that exists in the tree', () => {
    assert.deepEqual(units({ sourceDir: path.join(dir, 'tree') }), ['kernel/fork.c', 'mydriver/probe.c']);
  });
});
