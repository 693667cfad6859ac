/**
 * The linker script's alignment (modularize/alignment.ts) against real links:
 * the points found in the Linux 6.1 fixture are where its linker map has fill
 * before page-aligned input, and resident is the index's; a small kernel-shaped
 * image linked with GNU ld around an `ALIGN(0x200000)` inside `.text` is linked
 * again without some of its objects, and the model's sizes are the new link's
 * to the byte (a removal swallowed, one that crosses, `toNextBoundary` exactly
 * what the link needs, a section that grows because the one before it
 * shrank); and, when the bench cache holds them, real tinyconfig kernels
 * rebuilt with options at m (i386 and x86_64) come out within 5% of the saving.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseLinkerMap, LinkerMap } from '../server/src/binary/linkerMap';
import { buildIndex } from '../server/src/index/buildTree';
import type { BuildIndex } from '../server/src/index/model';
import { mapObjectPath } from '../server/src/kbuild/layout';
import { applyRemoval, evalConstant, Layout, parseLinkerScript, readLayout, Removal, removalsOf } from '../server/src/modularize/alignment';
import { ModularizeAnalysis } from '../server/src/modularize/analysis';
import { configValue, parseDotConfig } from '../server/src/kbuild/dotconfig';
import { FIXTURE, fixtureSkip, readelfSections, readelfSymbols, run, tempDir } from './helpers';

/** Sizes of the allocated sections outside __init_begin..__init_end, as readelf -SW and -sW give them. */
function residentByReadelf(vmlinux: string): number {
  const syms = readelfSymbols(vmlinux);
  const at = (name: string): bigint | undefined => syms.find((s) => s.name === name)?.value;
  const [b, e] = [at('__init_begin'), at('__init_end')];
  let n = 0;
  for (const s of readelfSections(vmlinux)) {
    if (!s.flags.includes('A') || s.size === 0) continue;
    const init = (b !== undefined && e !== undefined && s.addr >= b && s.addr + BigInt(s.size) <= e) || /^\.(init|exit)[._]/.test(s.name);
    if (!init) n += s.size;
  }
  return n;
}

test('linker script constants and statements', () => {
  assert.equal(evalConstant('((1 << 12) << 1)'), 8192n);
  assert.equal(evalConstant('0xC0000000 + ((0x1000000 + (0x200000 - 1)) & ~(0x200000 - 1))'), 0xc1000000n);
  assert.equal(evalConstant('64K'), 65536n);
  assert.equal(evalConstant('__vvar_page + 4096'), undefined);
  const [text, data] = parseLinkerScript(`SECTIONS { . = 0x100000;
    .text : AT(ADDR(.text) - 0x0) { _stext = .; *(.text) __main_end = .; . = ALIGN(0x200000); . = ALIGN(8); __entry_start = .; KEEP(*(.entry.text)) } :text =0xcccc
    ASSERT(SIZEOF(.text) > 0, "empty")
    . = ALIGN((1 << 12));
    .data : { PROVIDE(__d = .); . = ALIGN(__x + 1, 0x2000); *(.data) }
  }`);
  assert.deepEqual(text, { name: '.text', startAligns: [], fill: 0xcc, body: [
    { kind: 'mark', name: '_stext' }, { kind: 'content' }, { kind: 'mark', name: '__main_end' },
    { kind: 'align', value: 0x200000 }, { kind: 'align', value: 8 }, { kind: 'mark', name: '__entry_start' }, { kind: 'content' },
  ] });
  assert.deepEqual(data, { name: '.data', startAligns: [4096], body: [{ kind: 'mark', name: '__d' }, { kind: 'align', value: 0x2000 }, { kind: 'content' }] });
});

describe('the Linux 6.1 fixture (i386, a linker map, no vmlinux.lds)', { skip: fixtureSkip }, () => {
  const vmlinux = path.join(FIXTURE, 'vmlinux');
  let layout: Layout;
  let index: BuildIndex;
  let map: LinkerMap;
  before(() => {
    layout = readLayout(vmlinux);
    index = buildIndex(FIXTURE);
    map = parseLinkerMap(readFileSync(path.join(FIXTURE, 'vmlinux.map'), 'utf8'), 'vmlinux.map');
  });

  test('resident is the index\'s figure and readelf\'s', () => {
    assert.equal(layout.resident, index.totals.resident);
    assert.equal(layout.resident, residentByReadelf(vmlinux));
    assert.deepEqual(layout.sections.filter((s) => s.size > 0).map((s) => s.name), index.sections.map((s) => s.name));
    assert.ok(layout.notes.some((n) => /no linker script/.test(n)));
  });

  test('the points are where the map has fill before page-aligned input, and nowhere else', () => {
    // The map's fill of 64 bytes or more that ends on a page, but space kept on purpose (whole pages: the init stack, .brk's 64K).
    const fills: { section: string; end: bigint; size: number }[] = [];
    const text = readFileSync(path.join(FIXTURE, 'vmlinux.map'), 'utf8');
    for (const m of text.matchAll(/^ \*fill\*\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)/gm)) {
      const [addr, size] = [BigInt('0x' + m[1]), parseInt(m[2], 16)];
      const end = addr + BigInt(size);
      if (size < 64 || size % 4096 === 0 || end % 4096n !== 0n) continue;
      const sec = [...map.sections.values()].find((s) => end > s.addr && end <= s.addr + BigInt(s.size))!;
      fills.push({ section: sec.name, end, size });
    }
    const points = layout.sections.flatMap((s) => s.points.map((p) => ({ section: s.name, end: s.addr + BigInt(p.offset), size: p.offset - p.contentEnd, align: p.align })));
    assert.deepEqual(points.map((p) => [p.section, p.end]), fills.map((f) => [f.section, f.end]));
    // The padding is the fill, to a byte (a symbol without a size, `pc_conf_lock`, can hide one).
    for (const [k, p] of points.entries()) assert.ok(Math.abs(p.size - fills[k].size) <= 1, `${p.section} at ${p.end.toString(16)}: ${p.size} B of padding, the map says ${fills[k].size}`);
    // As nm -n shows them: an aligned address, the next symbol starts there, no sized symbol runs into the padding.
    const syms = readelfSymbols(vmlinux).filter((s) => s.type !== 'SECTION' && s.type !== 'FILE');
    for (const p of points) {
      assert.equal(p.end % BigInt(p.align), 0n);
      const sec = layout.sections.find((s) => s.name === p.section)!;
      assert.ok(p.end === sec.addr + BigInt(sec.size) || syms.some((s) => s.value === p.end), `a symbol at ${p.end.toString(16)}`);
      assert.ok(!syms.some((s) => s.size > 0 && s.value < p.end && s.value + BigInt(s.size) > p.end - BigInt(p.size)), `padding before ${p.end.toString(16)} is no symbol's`);
    }
    assert.ok(points.some((p) => p.section === '.data'), 'the page-aligned input of .data');
    assert.ok(points.some((p) => p.section === '.bss' && p.end === sec('.bss').addr + BigInt(sec('.bss').size)), 'the page-aligned end of .bss');
  });
  const sec = (name: string) => layout.sections.find((s) => s.name === name)!;

  test('with nothing removed, the image comes back as it is', () => {
    const r = applyRemoval(layout, []);
    assert.deepEqual([r.residentAfter, r.codeLeaving, r.paddingGrowth, r.toNextBoundary], [layout.resident, 0, 0, undefined]);
  });

  test('removalsOf places a file\'s bytes on its own symbols, where the map has its input', () => {
    const files = index.files.filter((f) => f.status === 'built-in' && /^drivers\/(hid|input)\//.test(f.path));
    assert.ok(files.length >= 5);
    const removals = removalsOf(vmlinux, files);
    for (const f of files) for (const [name, n] of Object.entries(f.sections)) assert.equal(removals.filter((r) => r.section === name).reduce((t, r) => t + r.size, 0) >= n, true);
    assert.equal(removals.reduce((t, r) => t + r.size, 0), files.reduce((t, f) => t + Object.values(f.sections).reduce((a, b) => a + b, 0), 0));
    const objects = new Set(files.map((f) => f.object));
    const placed = removals.filter((r) => r.address !== undefined);
    assert.ok(placed.length > 0.9 * removals.length, `${placed.length} of ${removals.length} placed`);
    for (const r of placed) {
      const input = map.sections.get(r.section)!.inputs.find((i) => BigInt(r.address!) >= i.addr && BigInt(r.address!) < i.addr + BigInt(i.size));
      assert.ok(input && objects.has(input.object), `${r.section} at ${BigInt(r.address!).toString(16)} is in ${input?.object}, one of the files`);
    }
    const saved = applyRemoval(layout, removals);
    assert.ok(saved.codeLeaving > 40_000 && saved.residentAfter < layout.resident, JSON.stringify(saved));
  });
});

// ---------------------------------------------------------------- a real link

const LDS = `SECTIONS
{
  . = 0x1100000;
  .text : {
    _stext = .;
    *(.text.head)
    *(.text .text.*)
    __main_text_end = .;
    . = ALIGN(0x200000);
    __entry_text_start = .;
    *(.entry.text)
    __entry_text_end = .;
  } =0xcccc
  . = ALIGN(0x1000);
  .data : {
    . = ALIGN(0x2000);
    __start_stack = .;
    . = __start_stack + 0x2000;
    __end_stack = .;
    *(.data .data.*)
  }
  . = ALIGN(0x1000);
  .bss : {
    *(.bss .bss.*)
    . = ALIGN(0x1000);
    __bss_stop = .;
  }
  /DISCARD/ : { *(.note.*) *(.comment) *(.eh_frame) }
}
`;

/** An object of one symbol: `size` bytes in `section`, aligned to `align`. */
function asmPiece(name: string, section: string, size: number, align = 16): string {
  const [flags, kind, fill] = section.startsWith('.bss') ? ['"aw",@nobits', '@object', `.skip ${size}`] : section.includes('text') ? ['"ax"', '@function', `.fill ${size},1,0x90`] : ['"aw"', '@object', `.fill ${size},1,0x5a`];
  return `.section ${section},${flags}\n.balign ${align}\n.globl ${name}\n.type ${name},${kind}\n${name}:\n${fill}\n.size ${name},${size}\n`;
}

const BASE: Record<string, string> = {
  head: asmPiece('startup', '.text.head', 0x100),
  a: asmPiece('fn_a', '.text', 0x60000),
  b: asmPiece('fn_b', '.text', 0x30000),
  c: asmPiece('fn_c', '.text', 0xb0000),
  entry: asmPiece('entry_x', '.entry.text', 0x800),
  e2: asmPiece('entry_y', '.entry.text', 0x1000),
  d: asmPiece('var_d', '.data', 0x1234) + asmPiece('bss_d', '.bss', 0x1800),
  pg: asmPiece('page_buf', '.data.page', 0x1000, 0x1000),
};
const ORDER = ['head', 'a', 'b', 'c', 'entry', 'e2', 'd', 'pg'];

const toolSkip = ['gcc', 'ld', 'readelf'].find((t) => spawnSync(t, ['--version']).status !== 0);

describe('a real link with ALIGN(0x200000) inside .text (GNU ld)', { skip: toolSkip ? `${toolSkip} is not installed` : false }, () => {
  const dir = tempDir('align');
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  /** Links the objects (`parts` replaces or, with '', leaves out some) and returns vmlinux. */
  const link = (parts: Record<string, string> = {}): string => {
    const out = path.join(dir, `link${n++}`);
    mkdirSync(out);
    const objects: string[] = [];
    for (const name of ORDER) {
      const src = parts[name] ?? BASE[name];
      if (!src) continue;
      writeFileSync(path.join(out, `${name}.S`), src);
      run('gcc', ['-c', '-o', `${name}.o`, `${name}.S`], out);
      objects.push(`${name}.o`);
    }
    writeFileSync(path.join(out, 'vmlinux.lds'), LDS);
    run('ld', ['-T', 'vmlinux.lds', '-e', 'startup', '-z', 'noexecstack', '--no-warn-rwx-segments', '-o', 'vmlinux', ...objects], out);
    return path.join(out, 'vmlinux');
  };
  const symbol = (vmlinux: string, name: string) => readelfSymbols(vmlinux).find((s) => s.name === name)!;
  /** A removal of one object's symbols, as they are in `vmlinux`. */
  const gone = (vmlinux: string, ...names: string[]): Removal[] =>
    names.map((name) => {
      const s = symbol(vmlinux, name);
      const sec = readelfSections(vmlinux).find((x) => s.value >= x.addr && s.value < x.addr + BigInt(x.size))!;
      return { section: sec.name, address: s.value, size: s.size };
    });
  let base: string;
  let layout: Layout;
  before(() => {
    base = link();
    layout = readLayout(base, { linkerScript: path.join(path.dirname(base), 'vmlinux.lds') });
  });
  const sizes = (vmlinux: string) => Object.fromEntries(readelfSections(vmlinux).filter((s) => s.flags.includes('A')).map((s) => [s.name, s.size]));

  test('the points: the 2 MiB one in .text, the 8 KiB one at the start of .data, the page-aligned input, the end of .bss', () => {
    const points = Object.fromEntries(layout.sections.map((s) => [s.name, s.points.map((p) => [p.offset, p.align, p.contentEnd, p.symbol ?? p.source])]));
    assert.deepEqual(points, {
      '.text': [[0x300000, 0x200000, 0x140100, '__entry_text_start']],
      '.data': [[0, 0x2000, 0, '__start_stack'], [0x4000, 0x1000, 0x3234, 'symbols']],
      '.bss': [[0x2000, 0x1000, 0x1800, '__bss_stop']],
    });
    assert.equal(layout.resident, Object.values(sizes(base)).reduce((a, b) => a + b, 0));
  });

  test('a removal before the boundary is swallowed; toNextBoundary more crosses it, one byte less does not', () => {
    const r = applyRemoval(layout, gone(base, 'fn_b'));
    const real = link({ b: '' });
    assert.equal(r.residentAfter, readLayout(real).resident);
    assert.equal(r.residentAfter, layout.resident);
    assert.deepEqual([r.codeLeaving, r.paddingGrowth, r.toNextBoundary], [0x30000, 0x30000, 0x10100]);
    assert.match(r.notes.join('\n'), /\.text: 196608 B went to padding before the 2097152 B boundary at __entry_text_start; 65792 B more must leave/);
    const crossing = link({ b: '', c: asmPiece('fn_c', '.text', 0xb0000 - r.toNextBoundary!) });
    const justShort = link({ b: '', c: asmPiece('fn_c', '.text', 0xb0000 - r.toNextBoundary! + 1) });
    assert.equal(sizes(crossing)['.text'], sizes(base)['.text'] - 0x200000);
    assert.equal(sizes(justShort)['.text'], sizes(base)['.text']);
    const both = applyRemoval(layout, [...gone(base, 'fn_b'), { section: '.text', address: symbol(base, 'fn_c').value, size: r.toNextBoundary! }]);
    assert.equal(both.residentAfter, residentByReadelf(crossing));
    assert.equal(both.toNextBoundary, undefined);
  });

  test('a removal that crosses the boundary saves the whole 2 MiB step', () => {
    const r = applyRemoval(layout, gone(base, 'fn_a'));
    const real = link({ a: '' });
    assert.equal(r.residentAfter, residentByReadelf(real));
    assert.equal(layout.resident - r.residentAfter, 0x200000);
    assert.equal(r.paddingGrowth, 0x60000 - 0x200000);
  });

  test('code that leaves after the boundary moves .data down a page, and .data grows by what .text lost', () => {
    const r = applyRemoval(layout, gone(base, 'entry_y'));
    const real = link({ e2: '' });
    assert.deepEqual([sizes(real)['.text'], sizes(real)['.data']], [sizes(base)['.text'] - 0x1000, sizes(base)['.data'] + 0x1000]);
    assert.equal(r.residentAfter, residentByReadelf(real));
    assert.equal(r.residentAfter, layout.resident);
  });

  test('data that leaves takes the page alignment of what follows with it, and .bss ends on its page', () => {
    const r = applyRemoval(layout, gone(base, 'var_d', 'bss_d'));
    const real = link({ d: '' });
    assert.equal(r.residentAfter, residentByReadelf(real));
    assert.equal(layout.resident - r.residentAfter, 0x2000 + 0x2000);
  });

  test('without the linker script the 2 MiB boundary is found from the gap alone', () => {
    const guessed = readLayout(base, { linkerScript: null });
    assert.deepEqual(guessed.sections.find((s) => s.name === '.text')!.points.map((p) => [p.offset, p.align, p.source]), [[0x300000, 0x200000, 'symbols']]);
    for (const [parts, names] of [[{ b: '' }, ['fn_b']], [{ a: '' }, ['fn_a']]] as const) {
      assert.equal(applyRemoval(guessed, gone(base, ...names)).residentAfter, residentByReadelf(link(parts)));
    }
  });
});

// ---------------------------------------------------------------- real kernels, rebuilt

/**
 * What really left between two links, from their linker maps: each input
 * section's bytes in the first minus the second, at its place in the first
 * (an input only the second has is placed after the last one both have).
 */
function mapRemovals(before: LinkerMap, after: LinkerMap): Removal[] {
  const out: Removal[] = [];
  const key = (i: { object: string; name: string }) => `${i.object}\0${i.name}`;
  for (const [name, sec] of before.sections) {
    const later = new Map<string, number>();
    for (const i of after.sections.get(name)?.inputs ?? []) later.set(key(i), (later.get(key(i)) ?? 0) + i.size);
    const first = new Map<string, { addr: bigint; size: number }>();
    for (const i of sec.inputs) {
      const f = first.get(key(i));
      if (f) f.size += i.size;
      else first.set(key(i), { addr: i.addr, size: i.size });
    }
    for (const [k, f] of first) if (f.size !== (later.get(k) ?? 0)) out.push({ section: name, address: f.addr, size: f.size - (later.get(k) ?? 0) });
    let lastAddr = sec.addr;
    for (const i of after.sections.get(name)?.inputs ?? []) {
      const f = first.get(key(i));
      if (f) lastAddr = f.addr;
      else if (i.size) out.push({ section: name, address: lastAddr, size: -i.size });
    }
  }
  return out;
}

const BENCH = process.env.KBLOAT_BENCH_CACHE || path.join(os.homedir(), '.cache', 'kbloat-bench');
const REBUILT: [string, string][] = [['tiny-i386', 'tiny-i386-hid'], ['tiny-i386', 'tiny-i386-all'], ['tiny-x86_64', 'tiny-x86_64-hid'], ['tiny-x86_64', 'tiny-x86_64-all']];

for (const [from, to] of REBUILT) {
  const [a, b] = [path.join(BENCH, from), path.join(BENCH, to)];
  // Both built with their linker map, the second after its .config changed.
  const built = (d: string) => existsSync(path.join(d, 'vmlinux.map')) && statSync(path.join(d, 'vmlinux')).mtimeMs > statSync(path.join(d, '.config')).mtimeMs;
  const have = built(a) && built(b) && readFileSync(path.join(a, '.config'), 'utf8') !== readFileSync(path.join(b, '.config'), 'utf8');
  test(`${to}: rebuilt with options at m, within 5% of the saving`, { skip: have ? false : `no ${from} and ${to} (rebuilt from it with options at m) with vmlinux.map in ${BENCH}` }, (t) => {
    const readMap = (d: string) => parseLinkerMap(readFileSync(path.join(d, 'vmlinux.map'), 'utf8'), 'vmlinux.map');
    const layout = readLayout(path.join(a, 'vmlinux'));
    const actual = readLayout(path.join(b, 'vmlinux')).resident;
    assert.equal(actual, residentByReadelf(path.join(b, 'vmlinux')));
    const byMap = applyRemoval(layout, mapRemovals(readMap(a), readMap(b)));
    // The integration's path: the bytes of the files that leave from the index, placed by their symbols; the rest (kallsyms, code that changed) from the maps.
    const [ia, ib] = [buildIndex(a), buildIndex(b)];
    const stays = new Set(ib.files.filter((f) => f.status === 'built-in').map((f) => f.object));
    const leaving = ia.files.filter((f) => f.status === 'built-in' && !stays.has(f.object));
    const leavingObjects = new Set(leaving.map((f) => f.object));
    const [mapA, mapB] = [readMap(a), readMap(b)];
    const objectAt = new Map<string, string>();
    for (const [name, sec] of mapA.sections) for (const i of sec.inputs) objectAt.set(`${name}@${i.addr}`, mapObjectPath(i.object, a));
    const rest = mapRemovals(mapA, mapB).filter((r) => !leavingObjects.has(objectAt.get(`${r.section}@${BigInt(r.address!)}`) ?? ''));
    const bySymbols = applyRemoval(layout, [...removalsOf(path.join(a, 'vmlinux'), leaving), ...rest]);
    const saving = layout.resident - actual;
    t.diagnostic(`${to}: before ${layout.resident}, rebuilt ${actual} (saving ${saving}); without alignment ${layout.resident - byMap.codeLeaving}; ` +
      `modelled ${byMap.residentAfter} (map), ${bySymbols.residentAfter} (symbols); padding took ${byMap.paddingGrowth}; toNextBoundary ${byMap.toNextBoundary}`);
    for (const r of [byMap, bySymbols]) {
      assert.ok(Math.abs(layout.resident - r.residentAfter - saving) <= Math.max(0.05 * Math.abs(saving), 4096), `${to}: predicted ${r.residentAfter}, rebuilt ${actual}`);
    }
  });
}

// The whole prediction, as `kbloat modularize --prove` makes it (olddefconfig's changes,
// kallsyms, alignment), against the same rebuilt kernels: the options asked for are those
// the second build has at m and the first at y with nothing blocking them.
for (const [from, to] of REBUILT) {
  const [a, b] = [path.join(BENCH, from), path.join(BENCH, to)];
  const have = existsSync(path.join(a, 'vmlinux')) && existsSync(path.join(b, 'vmlinux')) && statSync(path.join(b, 'vmlinux')).mtimeMs > statSync(path.join(b, '.config')).mtimeMs;
  test(`${to}: ModularizeAnalysis.predict() within 5% of the rebuilt kernel proper`, { skip: have ? false : `no ${from} and ${to} in ${BENCH}` }, () => {
    const analysis = ModularizeAnalysis.load(buildIndex(a));
    const [ca, cb] = [parseDotConfig(readFileSync(path.join(a, '.config'), 'utf8')), parseDotConfig(readFileSync(path.join(b, '.config'), 'utf8'))];
    const asked = [...cb.values].filter(([s, v]) => v === 'm' && configValue(ca, s) === 'y' && analysis.candidate(s)?.blockers.length === 0).map(([s]) => s);
    assert.ok(asked.length > 0, `${to}: options set to m`);
    const p = analysis.predict(asked);
    const rebuilt = residentByReadelf(path.join(b, 'vmlinux'));
    const saving = p.residentBefore - rebuilt;
    const predicted = p.residentBefore - p.residentAfter;
    assert.equal(p.residentBefore, residentByReadelf(path.join(a, 'vmlinux')));
    assert.ok(Math.abs(predicted - saving) <= 0.05 * Math.abs(saving), `${to} (${asked.join(', ')}): predicted ${predicted}, rebuilt ${saving}; without alignment ${p.code + p.tables}`);
  });
}
