/**
 * The kbloat CLI as a user runs it (the bundled dist/cli.js): the JSON shape,
 * the table, and one clear line with exit status 2 for each kind of bad input.
 */
import assert from 'node:assert/strict';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { FIXTURE, fixtureSkip, readelfSections, run, runCli, tempDir } from './helpers';

/** A build folder whose files are links to the fixture's, except those a test replaces. */
function fixtureCopy(replace: Record<string, Buffer | string | null>): string {
  const dir = tempDir('fx');
  for (const name of ['vmlinux', 'System.map', 'vmlinux.map', '.config', 'vmlinux.a', 'modules.order']) {
    const r = replace[name];
    if (r === null) continue;
    if (r !== undefined) writeFileSync(path.join(dir, name), r);
    else symlinkSync(path.join(FIXTURE, name), path.join(dir, name));
  }
  return dir;
}

test('report --json has the documented shape and real figures', { skip: fixtureSkip }, () => {
  const r = runCli(['report', FIXTURE, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(j.build).sort(), ['arch', 'attribution', 'buildId', 'dir', 'elfClass', 'endian', 'estimated', 'kernelVersion', 'vmlinux'].sort());
  const alloc = readelfSections(path.join(FIXTURE, 'vmlinux')).filter((s) => s.flags.includes('A'));
  assert.equal(j.totals.image, alloc.reduce((a: number, s) => a + s.size, 0));
  assert.ok(j.totals.resident < j.totals.image);
  const fork = j.files.find((f: { path: string }) => f.path === 'kernel/fork.c');
  assert.equal(fork.status, 'built-in');
  assert.equal(fork.object, 'kernel/fork.o');
  assert.ok(fork.bytes.text > 0);
  assert.ok(fork.functions.some((f: { name: string }) => f.name === 'copy_process'));
  for (const f of j.files) assert.ok(['built-in', 'module', 'not-built'].includes(f.status));
});

test('report table: grouped rows and the totals line', { skip: fixtureSkip }, () => {
  const r = runCli(['report', FIXTURE, '--by', 'dir', '--top', '5']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /kernel proper: image [\d.]+ MiB · resident [\d.]+ MiB · init/);
  assert.match(r.stdout, /… \d+ more/);
  const all = runCli(['report', FIXTURE, '--by', 'dir', '--top', '1000']);
  assert.ok(all.stdout.split('\n').some((l) => /^kernel\s/.test(l)), 'the kernel/ directory is a row');
  const fn = runCli(['report', FIXTURE, '--by', 'function', '--top', '3']);
  assert.equal(fn.status, 0, fn.stderr);
  // The largest symbol of vmlinux according to nm is the first row.
  const nm = run('nm', ['--size-sort', '-S', path.join(FIXTURE, 'vmlinux')]).trim().split('\n');
  const biggest = nm.filter((l) => / [TtDdBbRr] /.test(l)).pop()!.split(' ')[3];
  const firstRow = fn.stdout.split('\n')[4];
  assert.ok(firstRow.startsWith(biggest + ' '), `${biggest} first in\n${fn.stdout}`);
});

test('a folder with no kernel build: exit 2, one line', () => {
  const r = runCli(['report', tempDir('empty')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^kbloat: no vmlinux or System.map in .*\n$/);
});

test('a truncated vmlinux: exit 2, no stack trace', { skip: fixtureSkip }, () => {
  const dir = fixtureCopy({ vmlinux: readFileSync(path.join(FIXTURE, 'vmlinux')).subarray(0, 1 << 20) });
  const r = runCli(['report', dir]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /vmlinux: .*(truncated|outside the file)/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('a foreign ELF (not a kernel): exit 2', { skip: fixtureSkip }, () => {
  const dir = fixtureCopy({ vmlinux: readFileSync(process.execPath), 'System.map': null });
  const r = runCli(['report', dir]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not a Linux kernel image|no symbol table/);
  const obj = fixtureCopy({ vmlinux: readFileSync(path.join(FIXTURE, 'kernel/fork.o')), 'System.map': null });
  const r2 = runCli(['report', obj]);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /relocatable object/);
});

test('a System.map that does not match vmlinux: exit 2', { skip: fixtureSkip }, () => {
  // Shift every address: the map of another link.
  const shifted = readFileSync(path.join(FIXTURE, 'System.map'), 'utf8').replace(/^([0-9a-f]+)/gm, (h) => (BigInt('0x' + h) + 0x1000n).toString(16).padStart(h.length, '0'));
  const r = runCli(['report', fixtureCopy({ 'System.map': shifted })]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /System.map: does not match vmlinux/);
});

test('a stub System.map (distro) and no vmlinux: exit 2 with the fix', () => {
  const dir = tempDir('stub');
  writeFileSync(path.join(dir, 'System.map'), 'ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n');
  const r = runCli(['report', dir]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /stub/);
});

test('bad arguments: exit 2 with usage', () => {
  const r = runCli(['report', '--by', 'planet']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--by must be/);
});

test('the cache: second run is served from it and says the same', { skip: fixtureSkip }, () => {
  const cache = tempDir('cache2');
  const a = runCli(['report', FIXTURE, '--json'], { KBLOAT_CACHE_DIR: cache });
  const b = runCli(['report', FIXTURE, '--json'], { KBLOAT_CACHE_DIR: cache });
  assert.equal(a.status, 0);
  assert.equal(b.stdout, a.stdout);
  const c = runCli(['report', FIXTURE, '--json', '--no-cache'], { KBLOAT_CACHE_DIR: tempDir('cache3') });
  assert.equal(c.stdout, a.stdout);
});
