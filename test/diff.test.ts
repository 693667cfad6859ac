/**
 * `kbloat diff` on two real builds of the mini tree, the second one changed (a
 * static function renamed, a function moved to another file, one grown, one
 * added with a 4 KiB table, and a Kconfig option turned off). The bloat-o-meter
 * format is checked against the kernel's own scripts/bloat-o-meter (python3 and
 * nm) run on the same pair; the nm type letters against nm itself.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { nmSizeSortSymbols, nmTypeLetter, pythonSignedFixed2 } from '../server/src/tracker/bloatOMeter';
import { ElfFile } from '../server/src/binary/elf';
import { FIXTURE, HAVE_FIXTURE, fixtureSkip, readelfSections, run, runCli, tempDir } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';
import { mutate } from './miniChanges';

const SCRIPT = path.join(FIXTURE, 'scripts/bloat-o-meter');
const scriptSkip = HAVE_FIXTURE ? false : `scripts/bloat-o-meter comes from the Linux 6.1 fixture, which is not at ${FIXTURE}`;

let oldBuild: MiniBuild;
let newBuild: MiniBuild;
let script: string;
before(() => {
  oldBuild = buildMiniKernel();
  newBuild = buildMiniKernel({ prepare: mutate });
  if (HAVE_FIXTURE) {
    script = path.join(tempDir('bom'), 'bloat-o-meter');
    copyFileSync(SCRIPT, script);
  }
});
after(() => [oldBuild, newBuild].forEach((b) => b && cleanupMiniBuild(b)));

const vmlinux = (b: MiniBuild): string => path.join(b.buildDir, 'vmlinux');
const MODES: [string[], string[]][] = [[[], []], [['-c'], ['--split']], [['-d'], ['--only', 'data']], [['-t'], ['--only', 'code']]];

/** Runs the real script and our CLI in each mode and compares the outputs line by line. */
function compareWithScript(oldFile: string, newFile: string): string[] {
  const outputs: string[] = [];
  for (const [scriptFlags, ourFlags] of MODES) {
    const theirs = run('python3', [script, ...scriptFlags, oldFile, newFile]);
    const ours = runCli(['diff', oldFile, newFile, '--format', 'bloat-o-meter', ...ourFlags]);
    assert.equal(ours.status, 0, ours.stderr);
    const t = theirs.split('\n');
    const o = ours.stdout.split('\n');
    for (let i = 0; i < Math.max(t.length, o.length); i++) assert.equal(o[i], t[i], `bloat-o-meter ${scriptFlags.join(' ')} line ${i + 1}`);
    outputs.push(theirs);
  }
  return outputs;
}

test('nm type letters and the --size-sort selection are what nm prints', () => {
  const files = [vmlinux(oldBuild), path.join(oldBuild.buildDir, 'vmlinux.o'), path.join(oldBuild.buildDir, 'kernel/fork.o')];
  if (HAVE_FIXTURE) files.push(path.join(FIXTURE, 'vmlinux'));
  for (const file of files) {
    const elf = ElfFile.open(file);
    try {
      // Plain nm: every symbol but section and file symbols, with its letter (U, W, a, r, ?, … included).
      const nm = run('nm', [file]).trimEnd().split('\n').map((l) => l.replace(/^[0-9a-f ]*(?=\S \S*$)/, '')).sort();
      const ours = elf.symbols().filter((s) => s.index > 0).flatMap((s) => {
        const t = nmTypeLetter(elf, s);
        return t === undefined ? [] : [`${t} ${s.name}`];
      }).sort();
      assert.deepEqual(ours, nm, file);
      const sized = run('nm', ['--size-sort', file]).trim().split('\n').map((l) => {
        const [size, type, name] = l.split(' ');
        return `${parseInt(size, 16)} ${type} ${name}`;
      }).sort();
      assert.deepEqual(nmSizeSortSymbols(elf).map((s) => `${s.size} ${s.type} ${s.name}`).sort(), sized, file);
    } finally {
      elf.close();
    }
  }
});

test('--format bloat-o-meter prints what scripts/bloat-o-meter prints (mini pair, all modes)', { skip: scriptSkip }, () => {
  const [all, split, data, code] = compareWithScript(vmlinux(oldBuild), vmlinux(newBuild));
  // The pair really differs in the ways the comparison is meant to cover.
  assert.match(all, /^add\/remove: [1-9]\d*\/[1-9]\d* grow\/shrink: [1-9]\d*\/\d+ /);
  assert.match(all, /^task_load_weight +- +\d+ +\+\d+$/m);
  assert.match(all, /^task_weight +\d+ +- +-\d+$/m);
  assert.match(all, /^add_taint +\d+ +\d+ +\+\d+$/m);
  assert.match(all, /^dup_task_struct\.constprop +\d+ +- +-\d+$/m);
  assert.match(data, /^panic_extra_table +- +4096 +\+4096$/m);
  assert.doesNotMatch(code, /panic_extra_table/);
  assert.equal(split.match(/^Total: /gm)?.length, 3);
  // Called with build folders instead of vmlinux files, the output is the same.
  const folders = runCli(['diff', oldBuild.buildDir, newBuild.buildDir, '--format', 'bloat-o-meter']);
  assert.equal(folders.stdout, all);
});

test('--format bloat-o-meter on the Linux fixture: itself, and a copy with edited symbols', { skip: scriptSkip }, () => {
  const fx = path.join(FIXTURE, 'vmlinux');
  const same = compareWithScript(fx, fx);
  assert.match(same[0], /^add\/remove: 0\/0 grow\/shrink: 0\/0 up\/down: 0\/0 \(0\)\n/);
  // A copy whose symbol table says other sizes and names: grown, shrunk, dropped
  // (size 0, which nm --size-sort leaves out) and renamed symbols.
  const bytes = readFileSync(fx);
  const elf = ElfFile.open(fx);
  const symtab = elf.sections.find((s) => s.name === '.symtab')!;
  const strtab = elf.sections[symtab.link];
  const syms = elf.symbols();
  const at = (name: string) => {
    const s = syms.find((x) => x.name === name && x.size > 0);
    assert.ok(s, name);
    return symtab.offset + s.index * 16;
  };
  // Two symbols that grow by the same amount: the script orders equal deltas by name, descending.
  for (const name of ['copy_process', 'schedule']) bytes.writeUInt32LE(bytes.readUInt32LE(at(name) + 8) + 64, at(name) + 8);
  bytes.writeUInt32LE(bytes.readUInt32LE(at('do_exit') + 8) - 8, at('do_exit') + 8);
  bytes.writeUInt32LE(0, at('sys_call_table') + 8);
  const renamed = syms.find((x) => x.name === 'kernel_clone' && x.size > 0)!;
  const nameOff = bytes.readUInt32LE(symtab.offset + renamed.index * 16);
  bytes.write('K', strtab.offset + nameOff, 'latin1');
  elf.close();
  const dir = tempDir('fxedit');
  writeFileSync(path.join(dir, 'vmlinux'), bytes);
  const [all] = compareWithScript(fx, path.join(dir, 'vmlinux'));
  assert.match(all, /^schedule +\d+ +\d+ +\+64\ncopy_process +\d+ +\d+ +\+64$/m);
  assert.match(all, /^Kernel_clone +- +\d+/m);
  // Two unrelated kernels (x86_64 mini, i386 Linux): thousands of rows, many equal deltas.
  const run2 = runCli(['diff', vmlinux(oldBuild), fx, '--format', 'bloat-o-meter']);
  assert.equal(run2.stdout, run('python3', [script, vmlinux(oldBuild), fx]));
});

test("Python's %+.2f, ties to even included", () => {
  const values = [0, 0.125, -0.125, 0.375, -0.375, 0.625, 1.875, 2.675, 1.005, 0.005, 100.625, 1e-9, -1e-9, 6.75, -12.345678, 1234.5];
  const py = run('python3', ['-c', `import sys\nfor v in sys.argv[1:]: print("%+.2f" % float(v))`, ...values.map(String)]).trim().split('\n');
  assert.deepEqual(values.map(pythonSignedFixed2), py);
});

interface SymbolChangeJson { kind: string; name: string; file: string; oldName?: string; oldFile?: string; old: number | null; new: number | null; delta: number; oldParts?: string[]; newParts?: string[] }

test('default output and --json: renames and moves, rollups, .config changes', () => {
  const r = runCli(['diff', oldBuild.buildDir, newBuild.buildDir, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const fns: SymbolChangeJson[] = j.functions;
  const renamed = fns.find((f) => f.kind === 'renamed');
  assert.deepEqual(renamed && { name: renamed.name, oldName: renamed.oldName, file: renamed.file, delta: renamed.delta }, { name: 'task_load_weight', oldName: 'task_weight', file: 'kernel/fork.c', delta: 0 });
  const moved = fns.find((f) => f.kind === 'moved');
  assert.deepEqual(moved && { name: moved.name, oldFile: moved.oldFile, file: moved.file }, { name: 'strlen', oldFile: 'lib/string.c', file: 'kernel/panic.c' });
  for (const n of ['task_weight', 'task_load_weight', 'strlen']) assert.ok(!fns.some((f) => f.name === n && (f.kind === 'added' || f.kind === 'removed')), `${n} is no addition or removal`);
  assert.equal(fns.find((f) => f.name === 'add_taint')?.kind, 'grown');
  // The clone changed, the function stayed: one entry, where bloat-o-meter sees a removal and an addition.
  const dup = fns.filter((f) => f.name.startsWith('dup_task_struct'));
  assert.deepEqual(dup.map((f) => [f.name, f.file, f.oldParts, f.newParts]), [['dup_task_struct', 'kernel/fork.c', ['dup_task_struct.constprop.0'], ['dup_task_struct']]]);
  assert.equal(fns.find((f) => f.name === 'panic_extra_lookup')?.kind, 'added');
  assert.equal(fns.find((f) => f.name === 'eeprom_sysfs_register')?.kind, 'removed');
  assert.deepEqual(j.variables.find((v: SymbolChangeJson) => v.name === 'panic_extra_table'), { kind: 'added', name: 'panic_extra_table', file: 'kernel/panic.c', old: null, new: 4096, delta: 4096, section: '.data' });

  // Totals are the allocated section sizes of each vmlinux (readelf).
  const image = (b: MiniBuild): number => readelfSections(vmlinux(b)).filter((s) => s.flags.includes('A')).reduce((a, s) => a + s.size, 0);
  assert.deepEqual(j.totals.image, { old: image(oldBuild), new: image(newBuild), delta: image(newBuild) - image(oldBuild) });
  // Each rollup accounts for the whole change, resident plus init.
  for (const rows of [j.dirs, j.configs]) {
    assert.equal(rows.reduce((a: number, x: { delta: number }) => a + x.delta, 0), j.totals.image.delta);
    assert.equal(rows.reduce((a: number, x: { init: number }) => a + x.init, 0), j.totals.init.delta);
  }
  const oldReport = JSON.parse(runCli(['report', oldBuild.buildDir, '--json']).stdout);
  const sysfsOld = oldReport.files.find((f: { path: string }) => f.path === 'drivers/misc/eeprom_sysfs.c');
  const sysfsBytes = Object.values(sysfsOld.bytes as Record<string, number>).reduce((a, n) => a + n, 0);
  assert.ok(sysfsBytes > 0);
  const sysfsRow = j.files.find((f: { path: string }) => f.path === 'drivers/misc/eeprom_sysfs.c');
  assert.deepEqual([sysfsRow.oldStatus, sysfsRow.newStatus, sysfsRow.delta], ['built-in', 'not-built', -sysfsBytes]);
  assert.deepEqual(j.configChanges, [{ name: 'CONFIG_EEPROM_MINI_SYSFS', old: 'y', new: 'n', bytes: -sysfsBytes, resident: -sysfsBytes, files: ['drivers/misc/eeprom_sysfs.c'] }]);
  assert.equal(j.configs.find((c: { key: string }) => c.key === 'CONFIG_EEPROM_MINI_SYSFS').delta, -sysfsBytes);
  const inKernel = j.files.filter((f: { path: string }) => path.dirname(f.path) === 'kernel');
  assert.equal(j.dirs.find((d: { key: string }) => d.key === 'kernel').delta, inKernel.reduce((a: number, f: { delta: number }) => a + f.delta, 0));

  const text = runCli(['diff', oldBuild.buildDir, newBuild.buildDir]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^renamed +task_weight → task_load_weight +kernel\/fork\.c /m);
  assert.match(text.stdout, /^moved +strlen +lib\/string\.c → kernel\/panic\.c /m);
  assert.match(text.stdout, /^(grown|shrunk|clones) +dup_task_struct \(dup_task_struct\.constprop\.0 → dup_task_struct\) +kernel\/fork\.c /m);
  assert.doesNotMatch(text.stdout, /^(added|removed) +(task_weight|task_load_weight|strlen) /m);
  assert.match(text.stdout, /^CONFIG_EEPROM_MINI_SYSFS +y → n +-\d+ B +drivers\/misc\/eeprom_sysfs\.c$/m);
  assert.match(text.stdout, /^image .* \+\d[\d,]* B$/m);
  assert.match(text.stdout, /^drivers\/misc\/eeprom_sysfs\.c .* built-in → not-built$/m);
});

test('vmlinux files as arguments, and a kept vmlinux.old next to a newer build', () => {
  const byFolder = JSON.parse(runCli(['diff', oldBuild.buildDir, newBuild.buildDir, '--json']).stdout);
  const byFile = runCli(['diff', vmlinux(oldBuild), vmlinux(newBuild), '--json']);
  assert.equal(byFile.status, 0, byFile.stderr);
  assert.deepEqual(JSON.parse(byFile.stdout).functions, byFolder.functions);
  // vmlinux.old is not what the folder's System.map and vmlinux.map describe: they are left out, not refused.
  const kept = path.join(newBuild.buildDir, 'vmlinux.old');
  copyFileSync(vmlinux(oldBuild), kept);
  const r = runCli(['report', kept, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.build.vmlinux, kept);
  assert.notEqual(j.build.attribution, 'linker-map');
  assert.equal(j.totals.image, byFolder.totals.image.old);
  const d = runCli(['diff', kept, newBuild.buildDir]);
  assert.equal(d.status, 0, d.stderr);
  assert.match(d.stdout, /^warning: the old build is attributed from (objects|symbols), the new one from linker-map/m);
  const notVmlinux = runCli(['report', path.join(newBuild.buildDir, 'Makefile')]);
  assert.equal(notVmlinux.status, 2);
  assert.match(notVmlinux.stderr, /is not a folder/);
});

test('diff: bad arguments exit 2 with one line', () => {
  for (const args of [
    ['diff', oldBuild.buildDir],
    ['diff', oldBuild.buildDir, newBuild.buildDir, '--split', '--only', 'code'],
    ['diff', oldBuild.buildDir, newBuild.buildDir, '--only', 'rodata'],
    ['diff', oldBuild.buildDir, newBuild.buildDir, '--format', 'csv'],
    ['diff', oldBuild.buildDir, tempDir('nobuild')],
  ]) {
    const r = runCli(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^kbloat: [^\n]+\n$/, args.join(' '));
    assert.equal(r.stdout, '');
  }
});

test('fixture: the diff of a build with itself is empty', { skip: fixtureSkip }, () => {
  const r = runCli(['diff', FIXTURE, FIXTURE, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual([j.dirs, j.files, j.configs, j.configChanges, j.functions, j.variables], [[], [], [], [], [], []]);
  assert.equal(j.totals.image.delta, 0);
});
