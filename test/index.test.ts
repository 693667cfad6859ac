/**
 * The build index of the real Linux 6.1 fixture against binutils: every byte of
 * every allocated section accounted for, every symbol's size as st_size, the
 * status of every object as vmlinux.a and modules.order say, same-named statics
 * in the right files.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { buildIndex } from '../server/src/index/buildTree';
import { BuildIndex } from '../server/src/index/model';
import { FIXTURE, fixtureSkip, nmSized, readelfSections, readelfSymbols, run, tempDir } from './helpers';
import { parseLinkerMap } from '../server/src/binary/linkerMap';

const VMLINUX = path.join(FIXTURE, 'vmlinux');

/** The fixture without its linker map: a build folder of links to everything else. */
function fixtureWithoutMap(): string {
  const dir = tempDir('nomap');
  for (const e of readdirSync(FIXTURE)) if (e !== 'vmlinux.map') symlinkSync(path.join(FIXTURE, e), path.join(dir, e));
  return dir;
}

for (const variant of ['linker-map', 'objects'] as const) {
describe(`fixture index, attribution from ${variant}`, { skip: fixtureSkip }, () => {
let index: BuildIndex;

before(() => {
  index = buildIndex(variant === 'linker-map' ? FIXTURE : fixtureWithoutMap());
});

test('per-section sums equal readelf section sizes exactly', () => {
  const alloc = readelfSections(VMLINUX).filter((s) => s.flags.includes('A') && s.size > 0);
  assert.deepEqual(index.sections.map((s) => s.name), alloc.map((s) => s.name));
  for (const sec of alloc) {
    let attributed = 0;
    for (const f of index.files) if (f.status === 'built-in') attributed += f.sections[sec.name] ?? 0;
    assert.equal(attributed + (index.unattributed[sec.name] ?? 0), sec.size, `section ${sec.name}`);
  }
  assert.equal(index.totals.image, alloc.reduce((a, s) => a + s.size, 0));
  assert.equal(index.build.attribution, variant);
});

test('no object is charged more bytes than its own allocated sections hold (merging only shrinks)', () => {
  const objects = index.files.filter((f) => f.status === 'built-in' && !f.generated && f.object.endsWith('.o')).map((f) => f.object);
  // `size -A` of every object in one run: blocks of `name :`, then `section size addr` rows.
  const own = new Map<string, number>();
  let current: string | undefined;
  for (const line of run('size', ['-A', '-d', ...objects], FIXTURE).split('\n')) {
    const head = /^(\S+\.o)\s+:$/.exec(line);
    if (head) { current = head[1]; own.set(current, 0); continue; }
    const row = /^(\S+)\s+(\d+)\s+\d+$/.exec(line);
    // Only what the kernel links: debug info, symbol tables and the discarded sections are not.
    if (current && row && !/^\.(debug|comment|note\.GNU-stack|discard|modinfo|rel|symtab|strtab|shstrtab|group|eh_frame|BTF)/.test(row[1])) own.set(current, own.get(current)! + Number(row[2]));
  }
  const over: string[] = [];
  for (const f of index.files) {
    if (!own.has(f.object)) continue;
    const charged = Object.values(f.sections).reduce((a, n) => a + n, 0);
    if (charged > own.get(f.object)!) over.push(`${f.object}: ${charged} B charged, its sections hold ${own.get(f.object)} B ${JSON.stringify(f.sections)}`);
  }
  assert.deepEqual(over, []);
});

test('class totals add up and init is the __init_begin..__init_end region', () => {
  const sym = (n: string) => readelfSymbols(VMLINUX).find((s) => s.name === n)!.value;
  const initBegin = sym('__init_begin');
  const initEnd = sym('__init_end');
  const inInit = readelfSections(VMLINUX).filter((s) => s.flags.includes('A') && s.size > 0 && s.addr >= initBegin && s.addr + BigInt(s.size) <= initEnd);
  assert.equal(index.totals.init, inInit.reduce((a, s) => a + s.size, 0));
  assert.equal(index.totals.resident, index.totals.image - index.totals.init);
  const byClass = Object.values(index.totals.sections).reduce((a, n) => a + (n ?? 0), 0);
  assert.equal(byClass, index.totals.image);
});

test("every FUNC and OBJECT symbol is listed in a file with its st_size", () => {
  const listed = new Map<string, number[]>();
  for (const f of index.files) {
    if (f.status !== 'built-in') continue;
    for (const fn of [...f.functions, ...f.variables]) {
      for (const p of fn.parts ?? [fn]) {
        const l = listed.get(p.name) ?? [];
        l.push(p.size);
        listed.set(p.name, l);
      }
    }
  }
  const allocIdx = new Set(readelfSections(VMLINUX).map((s, i) => (s.flags.includes('A') ? String(i + 1) : '')).filter(Boolean));
  const symbols = readelfSymbols(VMLINUX).filter((s) => (s.type === 'FUNC' || s.type === 'OBJECT') && s.size > 0 && allocIdx.has(s.ndx));
  assert.ok(symbols.length > 10000, `only ${symbols.length} symbols`);
  const missing = symbols.filter((s) => !(listed.get(s.name) ?? []).includes(s.size));
  assert.deepEqual(missing.map((s) => `${s.name}:${s.size}`), []);
});

test('built-in and module status agree with vmlinux.a and modules.order', () => {
  const byObject = new Map(index.files.map((f) => [f.object, f]));
  for (const obj of run('ar', ['t', 'vmlinux.a'], FIXTURE).trim().split('\n')) {
    assert.equal(byObject.get(obj)?.status, 'built-in', obj);
  }
  const modules = readFileSync(path.join(FIXTURE, 'modules.order'), 'utf8').trim().split('\n');
  assert.ok(modules.length > 0);
  for (const ko of modules) {
    const objs = readFileSync(path.join(FIXTURE, ko.replace(/\.ko$/, '.mod')), 'utf8').trim().split(/\s+/);
    for (const obj of objs) {
      const f = byObject.get(obj);
      assert.equal(f?.status, 'module', obj);
      assert.equal(f?.module, path.basename(ko), obj);
    }
  }
});

test('at least 99% of .text is attributed to a source file', () => {
  const text = readelfSections(VMLINUX).find((s) => s.name === '.text')!;
  let toSources = 0;
  for (const f of index.files) {
    if (f.status === 'built-in' && !f.generated && /\.(c|S)$/.test(f.path)) toSources += f.sections['.text'] ?? 0;
  }
  assert.ok(toSources / text.size >= 0.99, `${toSources} of ${text.size}`);
});

test('same-named statics land in the file whose object defines them', () => {
  // Ground truth: nm of each object file that the index charged a duplicated static to.
  const counts = new Map<string, number>();
  for (const s of readelfSymbols(VMLINUX)) if (s.bind === 'LOCAL' && s.type === 'FUNC' && s.size > 0) counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
  const duplicated = new Set([...counts].filter(([, n]) => n > 1).map(([name]) => name));
  assert.ok(duplicated.size > 5, 'the fixture has same-named static functions');
  let checked = 0;
  const nmCache = new Map<string, Set<string>>();
  for (const f of index.files) {
    if (f.status !== 'built-in' || f.generated) continue;
    for (const fn of f.functions) {
      for (const p of fn.parts ?? [fn]) {
        if (!duplicated.has(p.name)) continue;
        let own = nmCache.get(f.object);
        if (!own) nmCache.set(f.object, (own = new Set(nmSized(path.join(FIXTURE, f.object)).map((s) => `${s.name}:${s.size}`))));
        assert.ok(own.has(`${p.name}:${p.size}`), `${p.name} (${p.size} B) charged to ${f.object}, which does not define it`);
        checked++;
      }
    }
  }
  assert.ok(checked >= duplicated.size, `checked ${checked}`);
});

test('reasons name the Makefile line and the Kconfig symbol', () => {
  const file = (p: string) => index.files.find((f) => f.path === p)!;
  assert.match(file('kernel/fork.c').reason ?? '', /obj-y.*kernel\/Makefile/);
  const serial = file('drivers/tty/serial/8250/8250_core.c');
  assert.equal(serial.status, 'built-in');
  assert.match(serial.reason ?? '', /CONFIG_SERIAL_8250=y/);
  const ext2 = file('fs/ext2/super.c');
  assert.equal(ext2.status, 'module');
  assert.equal(ext2.module, 'ext2.ko');
  // The fixture ships only the sources that were compiled, so "not built" files are tested on the mini tree.
  for (const f of index.files.filter((x) => x.status === 'not-built')) assert.ok(f.reason, `${f.path} has a reason`);
});

test('every tristate module built in (modules.builtin) is found on its files', () => {
  const expected = readFileSync(path.join(FIXTURE, 'modules.builtin'), 'utf8').trim().split('\n').map((l) => path.basename(l));
  assert.ok(expected.length > 10);
  const found = new Set(index.files.filter((f) => f.status === 'built-in' && f.builtinModule).map((f) => f.builtinModule));
  assert.deepEqual([...found].sort(), [...new Set(expected)].sort());
  assert.equal(index.files.find((f) => f.path === 'drivers/tty/serial/8250/8250_core.c')?.builtinModule, '8250.ko');
  assert.equal(index.files.find((f) => f.path === 'kernel/fork.c')?.builtinModule, undefined);
});

test('build facts: arch, class, build-id, version', () => {
  assert.equal(index.build.arch, 'i386');
  assert.equal(index.build.elfClass, 32);
  assert.equal(index.build.buildId, /Build ID: ([0-9a-f]+)/.exec(run('readelf', ['-n', VMLINUX]))![1]);
  assert.match(index.build.kernelVersion ?? '', /^6\.1\./);
});

if (variant === 'objects') {
  test('without the map, per-object .text bytes agree with what ld recorded in the map', () => {
    const map = parseLinkerMap(readFileSync(path.join(FIXTURE, 'vmlinux.map'), 'utf8'), 'vmlinux.map');
    const fromLd = new Map<string, number>();
    for (const i of map.sections.get('.text')!.inputs) fromLd.set(i.object, (fromLd.get(i.object) ?? 0) + i.size);
    const ours = new Map(index.files.filter((f) => f.status === 'built-in').map((f) => [f.object, f.sections['.text'] ?? 0]));
    const differing = [...fromLd].filter(([obj, n]) => ours.get(obj) !== n);
    assert.ok(differing.length <= fromLd.size / 100, `${differing.length} of ${fromLd.size} objects differ: ${JSON.stringify(differing.slice(0, 5))}`);
  });
}
});
}

describe('fixture with System.map and no vmlinux', { skip: fixtureSkip }, () => {
  test('sizes are estimates from address gaps, clearly marked', () => {
    const dir = tempDir('sysmap');
    for (const e of readdirSync(FIXTURE)) if (e !== 'vmlinux' && e !== 'vmlinux.map') symlinkSync(path.join(FIXTURE, e), path.join(dir, e));
    const index = buildIndex(dir);
    assert.equal(index.build.attribution, 'system-map');
    assert.equal(index.build.estimated, true);
    assert.ok(index.warnings.some((w) => w.file === undefined && /estimates/.test(w.message)), JSON.stringify(index.warnings));
    // Ground truth: the boundary symbols as the System.map text gives them, and readelf's section sizes.
    const addr = (n: string) => BigInt('0x' + new RegExp(`^([0-9a-f]+) \\S ${n}$`, 'm').exec(readFileSync(path.join(FIXTURE, 'System.map'), 'utf8'))![1]);
    assert.equal(index.totals.image, Number(addr('_end') - addr('_text')));
    assert.equal(index.totals.init, Number(addr('__init_end') - addr('__init_begin')));
    const classSum = Object.values(index.totals.sections).reduce((a, n) => a + (n ?? 0), 0);
    assert.ok(classSum <= index.totals.image, `${classSum} <= ${index.totals.image}`);
    // A file's text estimate is within 5% of its object's real .text (size -A).
    for (const p of ['kernel/fork.c', 'lib/vsprintf.c', 'mm/page_alloc.c']) {
      const real = Number(/^\.text\s+(\d+)/m.exec(run('size', ['-A', p.replace(/\.c$/, '.o')], FIXTURE))![1]);
      const est = index.files.find((f) => f.path === p)!.bytes.text ?? 0;
      assert.ok(Math.abs(est - real) <= real * 0.05, `${p}: estimate ${est}, real ${real}`);
    }
  });
});
