/**
 * The lens and hover texts (render/lensText.ts) over IndexLookups
 * (index/lookups.ts) of real indexes, against binutils: on the Linux 6.1
 * fixture, a function's lens shows the bytes `readelf -sW` gives its symbols in
 * the object, "init, freed after boot" exactly when vmlinux places it between
 * __init_begin and __init_end, and a file's lens the bytes `size -A` gives its
 * object's sections (bounded where the linker merges strings); on two builds
 * of the mini tree, the notes against a baseline follow what `nm -S` says
 * changed, and files a build leaves out say why.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadIndex } from '../server/src/index/cache';
import { IndexLookups, SourceFunction } from '../server/src/index/lookups';
import type { BuildIndex } from '../server/src/index/model';
import { configValue, parseDotConfig } from '../server/src/kbuild/dotconfig';
import { baselineBytes, deltaNote, fileHover, fileLens, functionHover, functionLens } from '../server/src/render/lensText';
import { exactBytes, humanSize, percent } from '../server/src/shared/units';
import { FIXTURE, fixtureSkip, nmSized, readelfSections, readelfSymbols, run } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A function as the parser would hand it to the lens: only the name and the annotations matter here. */
const fnNamed = (name: string, annotations: string[] = [], isInline = false): SourceFunction => ({ name, line: 0, isInline, isStatic: false, annotations });

/** A symbol name as C names the function: clone suffixes (`.isra.0`, `.cold`) dropped, syscall wrappers named `sys_x`. */
function cName(symbol: string): string {
  return symbol.split('.')[0].replace(/^__(?:ia32|x64|se|do)_(compat_)?sys_/, '$1sys_');
}

interface ObjectFunction {
  /** The C name, and the symbols of the object that make it. */
  name: string;
  symbols: { name: string; value: bigint; size: number; ndx: string; bind: string }[];
  /** Bytes its symbols cover (aliases at one address counted once). */
  bytes: number;
  /** Bytes its symbols' sizes add up to. */
  sizeSum: number;
}

/** The object's functions from `readelf -sW`, grouped by C name. */
function objectFunctions(object: string): Map<string, ObjectFunction> {
  const out = new Map<string, ObjectFunction>();
  for (const s of readelfSymbols(object)) {
    if (s.type !== 'FUNC' || s.size === 0 || s.ndx === 'UND') continue;
    const name = cName(s.name);
    let f = out.get(name);
    if (!f) out.set(name, (f = { name, symbols: [], bytes: 0, sizeSum: 0 }));
    f.symbols.push(s);
  }
  for (const f of out.values()) {
    f.sizeSum = f.symbols.reduce((a, s) => a + s.size, 0);
    const ranges = new Set(f.symbols.map((s) => `${s.ndx}:${s.value}:${s.size}`));
    f.bytes = [...ranges].reduce((a, r) => a + Number(r.split(':')[2]), 0);
  }
  return out;
}

/** Sections the kernel's linker script drops for built-in code (include/asm-generic/vmlinux.lds.h DISCARDS), and what is not loaded. */
const DROPPED = /^(\.discard(\..*)?|\.exitcall\.exit|\.modinfo|\.note\.GNU-stack|\.comment|\.eh_frame)$/;

/**
 * Where each allocated input section of an object ends up in vmlinux, from
 * vmlinux's own section table and symbols: the output section of that name, or
 * the longest one whose name prefixes it (`.rodata` for `.rodata.str1.1`), or
 * else where the object's symbols in that section landed; 'init' when that is
 * between __init_begin and __init_end.
 */
function placement(root: string) {
  const vmlinux = path.join(root, 'vmlinux');
  const out = readelfSections(vmlinux).filter((s) => s.flags.includes('A') && s.size > 0);
  const syms = readelfSymbols(vmlinux);
  const addrs = new Map<string, bigint[]>();
  for (const s of syms) if (s.ndx !== 'UND' && s.name) addrs.set(s.name, [...(addrs.get(s.name) ?? []), s.value]);
  const initBegin = syms.find((s) => s.name === '__init_begin')!.value;
  const initEnd = syms.find((s) => s.name === '__init_end')!.value;
  const region = (a: bigint): 'init' | 'resident' => (a >= initBegin && a < initEnd ? 'init' : 'resident');
  return {
    region,
    /** The region of every address vmlinux gives a symbol of this name and size, when they agree. */
    symbolRegion(name: string, size: number): 'init' | 'resident' | undefined {
      const where = new Set(syms.filter((s) => s.name === name && s.size === size && s.ndx !== 'UND').map((s) => region(s.value)));
      return where.size === 1 ? [...where][0] : undefined;
    },
    section(object: string, input: string): 'init' | 'resident' | 'dropped' | undefined {
      if (DROPPED.test(input)) return 'dropped';
      const name = input.replace(/^___(ksymtab(?:_gpl)?)\+.*$/, '__$1');
      let best = out.find((s) => s.name === name);
      if (!best) for (const s of out) if (name.length > s.name.length && name.startsWith(s.name) && /[._]/.test(name[s.name.length]) && (!best || s.name.length > best.name.length)) best = s;
      if (best) return region(best.addr);
      const ndx = String(readelfSections(path.join(root, object)).findIndex((s) => s.name === input) + 1);
      const where = new Set<'init' | 'resident'>();
      for (const s of readelfSymbols(path.join(root, object))) if (s.ndx === ndx && s.name) for (const a of addrs.get(s.name) ?? []) where.add(region(a));
      return where.size === 1 ? [...where][0] : undefined;
    },
  };
}

/**
 * `size -A` of an object, as bounds on its bytes in vmlinux: sections the linker
 * merges (SHF_MERGE: string literals, __ksymtab_strings) may shrink when equal
 * strings fold, so they count in the upper bound only; dropped sections not at all.
 */
function sizeBounds(root: string, object: string, place: ReturnType<typeof placement>) {
  const flags = new Map(readelfSections(path.join(root, object)).map((s) => [s.name, s.flags]));
  const b = { total: { min: 0, max: 0 }, init: { min: 0, max: 0 } };
  for (const line of run('size', ['-A', '-d', object], root).split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+\d+$/.exec(line);
    if (!m || !flags.get(m[1])?.includes('A') || Number(m[2]) === 0) continue;
    const where = place.section(object, m[1]);
    assert.ok(where, `${object}: cannot tell where ${m[1]} went in vmlinux`);
    if (where === 'dropped') continue;
    const size = Number(m[2]);
    const merged = flags.get(m[1])!.includes('M');
    for (const bound of where === 'init' ? [b.total, b.init] : [b.total]) {
      bound.max += size;
      if (!merged) bound.min += size;
    }
  }
  return b;
}

/** nm over many objects; it says "no symbols" on stderr for the empty ones, which is not worth showing. */
function nmMany(args: string[], cwd: string): string {
  return execFileSync('nm', args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
}

const inRange = (n: number, r: { min: number; max: number }) => n >= r.min && n <= r.max;

describe('lens and hover texts on the Linux 6.1 fixture', { skip: fixtureSkip }, () => {
  let index: BuildIndex;
  let lookups: IndexLookups;
  let place: ReturnType<typeof placement>;
  let vmlinuxSymbols: ReturnType<typeof readelfSymbols>;

  before(() => {
    index = loadIndex(FIXTURE, { noCache: true }).index;
    lookups = new IndexLookups(index, parseDotConfig(readFileSync(path.join(FIXTURE, '.config'), 'utf8')));
    place = placement(FIXTURE);
    vmlinuxSymbols = readelfSymbols(path.join(FIXTURE, 'vmlinux'));
  });

  /** Names vmlinux defines with a strong global binding: a weak default of that name was overridden. */
  const strongInVmlinux = () => new Set(vmlinuxSymbols.filter((s) => s.type === 'FUNC' && s.bind === 'GLOBAL' && s.ndx !== 'UND').map((s) => s.name));

  test('function lenses show the bytes readelf gives their symbols, and "init, freed after boot" for what vmlinux frees', () => {
    const strong = strongInVmlinux();
    let checked = 0;
    let init = 0;
    let parts = 0;
    for (const source of ['kernel/fork.c', 'kernel/printk/printk.c', 'drivers/tty/serial/8250/8250_core.c', 'init/main.c', 'mm/page_alloc.c']) {
      const object = source.replace(/\.c$/, '.o');
      for (const f of objectFunctions(path.join(FIXTURE, object)).values()) {
        // Overridden weak defaults and aliases at one address have tests of their own.
        if (f.symbols.some((s) => s.bind === 'WEAK' && strong.has(s.name))) continue;
        if (f.bytes !== f.sizeSum) continue;
        const regions = new Set(f.symbols.map((s) => place.symbolRegion(s.name, s.size)));
        const region = regions.size === 1 ? [...regions][0] : undefined;
        if (!region) continue;
        const lens = functionLens(lookups, source, fnNamed(f.name));
        const note = region === 'init' ? ' · init, freed after boot' : '';
        const distinct = new Set(f.symbols.map((s) => s.name)).size;
        const partsText = distinct > 1 ? ` \\(${distinct} parts\\)` : '';
        assert.match(lens.title, new RegExp(`^${esc(humanSize(f.bytes))} in vmlinux${partsText}${esc(note)}$`), `${source}: ${f.name} (${f.symbols.map((s) => `${s.name} ${s.size} B`).join(', ')})`);
        assert.equal(lens.bytes, f.bytes, `${source}: ${f.name}`);
        checked++;
        if (region === 'init') init++;
        if (distinct > 1) parts++;
      }
    }
    assert.ok(checked >= 300, `${checked} functions checked`);
    assert.ok(init >= 20, `${init} of them freed after boot`);
    assert.ok(parts >= 1, `${parts} of them in several parts`);
  });

  test('functions written __init in the source say they are freed after boot', () => {
    const text = readFileSync(path.join(FIXTURE, 'kernel/fork.c'), 'utf8');
    // `void __init fork_init(void)`: the annotation on the definition's own line.
    const annotated = [...text.matchAll(/^(?:static\s+)?[\w\s*]*\b__init\b[\w\s*]*?\b(\w+)\(/gm)].map((m) => m[1]);
    assert.ok(annotated.length >= 3, `__init functions in kernel/fork.c: ${annotated.join(', ')}`);
    for (const name of annotated) {
      const inObject = objectFunctions(path.join(FIXTURE, 'kernel/fork.o')).get(name);
      // One the compiler inlined into its caller has no lens of its own to check.
      if (!inObject) continue;
      assert.equal(inObject.symbols[0].ndx, String(readelfSections(path.join(FIXTURE, 'kernel/fork.o')).findIndex((s) => s.name === '.init.text') + 1), `${name} is in .init.text of kernel/fork.o`);
      assert.equal(functionLens(lookups, 'kernel/fork.c', fnNamed(name, ['__init'])).title, `${humanSize(inObject.bytes)} in vmlinux · init, freed after boot`, name);
    }
  });

  test('aliases at one address (SYSCALL_DEFINE0 on i386) are one function\'s bytes, not twice them', {
  }, () => {
    const aliased: string[] = [];
    for (const f of objectFunctions(path.join(FIXTURE, 'kernel/fork.o')).values()) {
      if (f.bytes === f.sizeSum) continue;
      aliased.push(f.name);
      const lens = functionLens(lookups, 'kernel/fork.c', fnNamed(f.name));
      assert.equal(lens.bytes, f.bytes, `${f.name}: ${f.symbols.map((s) => `${s.name} at ${s.value.toString(16)}, ${s.size} B`).join('; ')}`);
    }
    assert.ok(aliased.length >= 1, 'kernel/fork.o has functions whose symbols are aliases');
  });

  test('a weak default another object overrides names that object', () => {
    const strong = strongInVmlinux();
    const members = run('ar', ['t', 'vmlinux.a'], FIXTURE).split('\n').filter(Boolean);
    const definers = new Map<string, string[]>();
    for (const line of nmMany(['-A', '-g', '--defined-only', ...members], FIXTURE).split('\n')) {
      const m = /^([^:]+):[0-9a-f]+ T (\S+)$/.exec(line);
      if (m) definers.set(m[2], [...(definers.get(m[2]) ?? []), m[1]]);
    }
    let checked = 0;
    for (const source of ['kernel/fork.c', 'kernel/sched/core.c', 'kernel/irq/manage.c', 'init/main.c', 'kernel/module/main.c']) {
      const text = readFileSync(path.join(FIXTURE, source), 'utf8');
      for (const f of objectFunctions(path.join(FIXTURE, source.replace(/\.c$/, '.o'))).values()) {
        const weak = f.symbols.find((s) => s.bind === 'WEAK');
        if (!weak || !strong.has(weak.name)) continue;
        // The source says __weak on the definition, as the parser would report it.
        assert.match(text, new RegExp(`\\b__weak\\b[^;{]*\\b${weak.name}\\(`), `${source}: ${weak.name} is written __weak`);
        const by = definers.get(weak.name) ?? [];
        assert.equal(by.length, 1, `one object of vmlinux.a defines ${weak.name} strongly: ${by.join(', ')}`);
        const overrider = by[0].replace(/\.o$/, existsSync(path.join(FIXTURE, by[0].replace(/\.o$/, '.S'))) ? '.S' : '.c');
        assert.equal(functionLens(lookups, source, fnNamed(f.name, ['__weak'])).title, `weak — overridden by ${overrider}`);
        checked++;
      }
    }
    assert.ok(checked >= 1, `${checked} overridden weak functions`);
  });

  test('file lenses: size -A of the object, its init part, built in with its Makefile, and the module a tristate could be', () => {
    const builtin = readFileSync(path.join(FIXTURE, 'modules.builtin'), 'utf8').split('\n').filter(Boolean);
    let tristates = 0;
    for (const source of ['kernel/fork.c', 'init/main.c', 'lib/vsprintf.c', 'drivers/tty/serial/8250/8250_core.c', 'kernel/printk/printk.c', 'fs/read_write.c', 'drivers/input/keyboard/atkbd.c', 'block/kyber-iosched.c']) {
      const object = source.replace(/\.c$/, '.o');
      const bounds = sizeBounds(FIXTURE, object, place);
      const lens = fileLens(lookups, source);
      const base = path.basename(source);
      assert.ok(lens.bytes !== undefined && inRange(lens.bytes, bounds.total), `${source}: ${lens.bytes} B within size -A's ${bounds.total.min}..${bounds.total.max}`);
      const m = new RegExp(`^${esc(base)}: ${esc(humanSize(lens.bytes))} in vmlinux(?: · (\\S+ \\S+) init)? · built in: (.+?)(?: \\(tristate, could be (\\S+)\\))?$`).exec(lens.title);
      assert.ok(m, `${source}: "${lens.title}"`);
      // The init part: shown when the object has init sections, with bytes within their bounds.
      if (bounds.init.max > 0) {
        assert.ok(m[1], `${source} has init sections: "${lens.title}"`);
        const initBytes = lookups.file(source)!.bytes.init ?? 0;
        assert.ok(inRange(initBytes, bounds.init), `${source}: init ${initBytes} B within ${bounds.init.min}..${bounds.init.max}`);
        assert.equal(m[1], humanSize(initBytes));
      } else assert.equal(m[1], undefined, lens.title);
      // The reason names the Makefile of the object's folder, which lists the object (or the composite it is part of).
      const dir = path.posix.dirname(source);
      const makefile = `${dir}/Makefile`;
      assert.ok(m[2].includes(makefile), `${source}: "${m[2]}" names ${makefile}`);
      const stem = path.posix.basename(object, '.o');
      const mk = readFileSync(path.join(FIXTURE, makefile), 'utf8');
      const composite = new RegExp(`^(?!obj-|lib-)([\\w-]+)-(?:y|objs)\\s*[:+]?=.*\\b${esc(stem)}\\.o\\b`, 'm').exec(mk)?.[1];
      const moduleName = composite ?? stem;
      assert.match(mk, new RegExp(`\\b${esc(moduleName)}\\.o\\b`));
      // modules.builtin lists the module a tristate built in would be; the lens says so exactly then.
      const ko = builtin.includes(`kernel/${dir}/${moduleName}.ko`) ? `${moduleName}.ko` : undefined;
      assert.equal(m[3], ko, `${source}: "${lens.title}"`);
      if (ko) tristates++;
    }
    assert.ok(tristates >= 2, `${tristates} tristate files`);
  });

  test('file hover: bytes by class add up to the lens, init and resident from size -A, the largest function first', () => {
    for (const source of ['kernel/fork.c', 'drivers/tty/serial/8250/8250_core.c']) {
      const object = source.replace(/\.c$/, '.o');
      const lens = fileLens(lookups, source);
      const hover = fileHover(lookups, source);
      const rows = new Map([...hover.matchAll(/^\| ([^|`]+?) \| ([\d,]+) B \|$/gm)].map((r) => [r[1], Number(r[2].replace(/,/g, ''))]));
      assert.equal(hover.split('\n')[0], `**${lens.title}**`);
      assert.equal(rows.get('total'), lens.bytes);
      const classes = [...rows].filter(([k]) => k !== 'total' && k !== 'resident after boot');
      assert.equal(classes.reduce((a, [, n]) => a + n, 0), lens.bytes, `${source}: the classes add up to the total`);
      const bounds = sizeBounds(FIXTURE, object, place);
      const init = rows.get('init, freed after boot') ?? 0;
      assert.ok(inRange(init, bounds.init), `${source}: init ${init} within ${bounds.init.min}..${bounds.init.max}`);
      assert.equal(rows.get('resident after boot'), lens.bytes! - init);
      // The largest entry: the biggest function (its symbols' bytes) or variable (OBJECT st_size) of the object.
      const largest = /\| largest \| bytes \|\n\|---\|---:\|\n\| `([^`]+)` \| ([\d,]+) B \|/.exec(hover);
      assert.ok(largest, hover);
      const biggestFunction = Math.max(...[...objectFunctions(path.join(FIXTURE, object)).values()].map((f) => f.sizeSum));
      const biggestVariable = Math.max(0, ...readelfSymbols(path.join(FIXTURE, object)).filter((s) => s.type === 'OBJECT' && s.ndx !== 'UND').map((s) => s.size));
      assert.equal(Number(largest[2].replace(/,/g, '')), Math.max(biggestFunction, biggestVariable), `${source}: ${largest[1]}`);
      // Kconfig: the symbols along the reason, with their values as .config has them.
      const kconfig = /^Kconfig: (.*)$/m.exec(hover);
      const cfg = parseDotConfig(readFileSync(path.join(FIXTURE, '.config'), 'utf8'));
      for (const [, name, value] of (kconfig?.[1] ?? '').matchAll(/`(CONFIG_\w+)=(\w+)`/g)) assert.equal(configValue(cfg, name), value, name);
    }
    assert.match(fileHover(lookups, 'drivers/tty/serial/8250/8250_core.c'), /^Kconfig: `CONFIG_SERIAL_8250=y`/m);
  });

  test('function hover: one row per part with readelf\'s bytes, the rank among vmlinux\'s functions, the share of the resident kernel', () => {
    const functions = objectFunctions(path.join(FIXTURE, 'kernel/fork.o'));
    const biggest = [...functions.values()].sort((a, b) => b.sizeSum - a.sizeSum)[0];
    const hover = functionHover(lookups, 'kernel/fork.c', fnNamed(biggest.name));
    const lens = functionLens(lookups, 'kernel/fork.c', fnNamed(biggest.name));
    assert.equal(hover.split('\n')[0], `**${biggest.name}** — ${lens.title}`);
    for (const s of biggest.symbols) assert.match(hover, new RegExp(`^\\| \`${esc(s.name)}\` \\| \\S+ \\(text\\) \\| ${esc(exactBytes(s.size))} \\|$`, 'm'));
    // The rank: vmlinux's functions, grouped by C name, bound how many are larger.
    const groups = new Map<string, { sizes: number[] }>();
    for (const s of vmlinuxSymbols) {
      if (s.type !== 'FUNC' || s.size === 0 || s.ndx === 'UND') continue;
      const g = groups.get(cName(s.name)) ?? { sizes: [] };
      g.sizes.push(s.size);
      groups.set(cName(s.name), g);
    }
    const size = lens.bytes!;
    // At least every name with a symbol larger than it; at most every symbol of the names whose symbols add up to more.
    const atLeast = [...groups.values()].filter((g) => Math.max(...g.sizes) > size).length;
    const atMost = [...groups.values()].filter((g) => g.sizes.reduce((a, n) => a + n, 0) > size).reduce((a, g) => a + g.sizes.length, 0);
    const rank = /Rank #([\d,]+) of ([\d,]+) functions in vmlinux · (\S+) of the kernel proper's resident (\S+ \S+)\./.exec(hover);
    assert.ok(rank, hover);
    const r = Number(rank[1].replace(/,/g, ''));
    assert.ok(r - 1 >= atLeast && r - 1 <= atMost, `rank ${r}: between ${atLeast + 1} and ${atMost + 1}`);
    const functionSymbols = vmlinuxSymbols.filter((s) => s.type === 'FUNC' && s.size > 0 && s.ndx !== 'UND').length;
    const of = Number(rank[2].replace(/,/g, ''));
    assert.ok(of >= groups.size && of <= functionSymbols, `${of} functions: between ${groups.size} names and ${functionSymbols} symbols`);
    // The resident kernel: vmlinux's allocated sections outside __init_begin..__init_end (readelf).
    const resident = readelfSections(path.join(FIXTURE, 'vmlinux')).filter((s) => s.flags.includes('A') && place.region(s.addr) === 'resident').reduce((a, s) => a + s.size, 0);
    assert.equal(rank[4], humanSize(resident));
    assert.equal(rank[3], percent(size, resident));
  });

  test('a module\'s file and functions name their .ko (modules.order, *.mod) with the object\'s own bytes', () => {
    const modules = readFileSync(path.join(FIXTURE, 'modules.order'), 'utf8').split('\n').filter(Boolean);
    let checked = 0;
    for (const ko of modules) {
      const objects = readFileSync(path.join(FIXTURE, ko.replace(/\.ko$/, '.mod')), 'utf8').split(/\s+/).filter(Boolean);
      const object = objects.find((o) => existsSync(path.join(FIXTURE, o.replace(/\.o$/, '.c'))))!;
      const source = object.replace(/\.o$/, '.c');
      const flags = new Map(readelfSections(path.join(FIXTURE, object)).map((s) => [s.name, s.flags]));
      const b = { min: 0, max: 0 };
      for (const line of run('size', ['-A', '-d', object], FIXTURE).split('\n')) {
        const m = /^(\S+)\s+(\d+)\s+\d+$/.exec(line);
        if (!m || !flags.get(m[1])?.includes('A') || DROPPED.test(m[1])) continue;
        b.max += Number(m[2]);
        if (!flags.get(m[1])!.includes('M')) b.min += Number(m[2]);
      }
      const lens = fileLens(lookups, source);
      const name = path.basename(ko);
      assert.ok(lens.bytes !== undefined && inRange(lens.bytes, b), `${source}: ${lens.bytes} within ${b.min}..${b.max}`);
      assert.match(lens.title, new RegExp(`^${esc(path.basename(source))}: ${esc(humanSize(lens.bytes))} in ${esc(name)} · module: `));
      for (const f of objectFunctions(path.join(FIXTURE, object)).values()) {
        if (f.bytes !== f.sizeSum) continue;
        const distinct = new Set(f.symbols.map((s) => s.name)).size;
        // A module has no init region of vmlinux: its .init.text is classed by name.
        const note = f.symbols.every((s) => /^\.(init|exit)\./.test(readelfSections(path.join(FIXTURE, object))[Number(s.ndx) - 1].name)) ? ' · init, freed after boot' : '';
        assert.match(functionLens(lookups, source, fnNamed(f.name)).title, new RegExp(`^${esc(humanSize(f.bytes))} in ${esc(name)}${distinct > 1 ? ` \\(${distinct} parts\\)` : ''}(${esc(note)})?$`), `${source}: ${f.name}`);
        checked++;
      }
    }
    assert.ok(checked >= 20, `${checked} module functions`);
  });

  test('a header, and a file the build does not know', () => {
    assert.equal(fileLens(lookups, 'include/linux/sched.h').title, 'sched.h: a header — its code is counted in the files that include it');
    assert.equal(fileLens(lookups, 'kernel/kbloat_not_a_file.c').title, 'kbloat_not_a_file.c: not built — no object for this file in the build');
    assert.equal(functionLens(lookups, 'kernel/kbloat_not_a_file.c', fnNamed('f')).title, 'not built — no object for this file in the build');
    // A static inline emitted out of line by several objects: a local function no compiled .c file defines (so from a header).
    const members = run('ar', ['t', 'vmlinux.a'], FIXTURE).split('\n').filter(Boolean);
    const copies = new Map<string, { object: string; size: number }[]>();
    for (const line of nmMany(['-A', '-S', '--defined-only', ...members], FIXTURE).split('\n')) {
      const m = /^([^:]+):[0-9a-f]+ ([0-9a-f]+) t (\S+)$/.exec(line);
      if (m && !m[3].includes('.')) copies.set(m[3], [...(copies.get(m[3]) ?? []), { object: m[1], size: parseInt(m[2], 16) }]);
    }
    const defined = (name: string, object: string) => {
      const src = path.join(FIXTURE, object.replace(/\.o$/, '.c'));
      return existsSync(src) && new RegExp(`^[^\\s#].*\\b${name}\\(`, 'm').test(readFileSync(src, 'utf8'));
    };
    const [name, list] = [...copies].filter(([n, l]) => l.length >= 3 && !l.some((c) => defined(n, c.object))).sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0];
    const total = list.reduce((a, c) => a + c.size, 0);
    assert.equal(functionLens(lookups, 'include/linux/kbloat-header.h', fnNamed(name, [], true)).title, `out of line in ${list.length} objects, ${humanSize(total)}`);
    const hover = functionHover(lookups, 'include/linux/kbloat-header.h', fnNamed(name, [], true));
    for (const c of list.slice(0, 20)) assert.match(hover, new RegExp(`^\\| ${esc(c.object.replace(/\.o$/, '.c'))} \\| ${esc(exactBytes(c.size))} \\|$`, 'm'), `${name} in ${c.object}`);
  });

  test('against itself as baseline: every function and file of a build is ±0 B', () => {
    let checked = 0;
    for (const f of index.files.filter((x) => x.status === 'built-in' && /^kernel\//.test(x.path))) {
      const file = fileLens(lookups, f.path);
      assert.equal(deltaNote(file.bytes!, baselineBytes(lookups, f.path)), ' (±0 B)');
      for (const fn of f.functions) {
        const lens = functionLens(lookups, f.path, fnNamed(fn.name));
        if (lens.bytes === undefined) continue;
        assert.equal(deltaNote(lens.bytes, baselineBytes(lookups, f.path, fn.name)), ' (±0 B)', `${f.path}: ${fn.name}`);
        checked++;
      }
    }
    assert.ok(checked > 1000, `${checked} functions`);
  });
});

describe('lens texts on builds of the mini tree: not built, and against a baseline', () => {
  let base: MiniBuild;
  let changed: MiniBuild;
  let baseLookups: IndexLookups;
  let lookups: IndexLookups;

  before(() => {
    // The baseline grows task_weight; the changed build grows kernel_clone instead and adds a function.
    const pad = (src: string, fn: string, n: number) => {
      const file = path.join(src, 'kernel/fork.c');
      const text = readFileSync(file, 'utf8');
      const at = text.indexOf('{', new RegExp(`^\\S.*\\b${fn}\\(`, 'm').exec(text)!.index);
      writeFileSync(file, `${text.slice(0, at + 1)}\n\tasm volatile(".rept ${n}\\n\\tnop\\n\\t.endr");${text.slice(at + 1)}`);
    };
    base = buildMiniKernel({ prepare: (src) => pad(src, 'task_weight', 64) });
    changed = buildMiniKernel({
      prepare: (src) => {
        pad(src, 'kernel_clone', 96);
        writeFileSync(path.join(src, 'kernel/fork.c'), `${readFileSync(path.join(src, 'kernel/fork.c'), 'utf8')}\nint fork_lens_new(int x)\n{\n\treturn x * 11;\n}\n`);
      },
    });
    const lookupsOf = (b: MiniBuild) => new IndexLookups(loadIndex(b.buildDir, { noCache: true }).index, parseDotConfig(readFileSync(path.join(b.buildDir, '.config'), 'utf8')));
    baseLookups = lookupsOf(base);
    lookups = lookupsOf(changed);
  });
  after(() => {
    for (const b of [base, changed]) if (b) cleanupMiniBuild(b);
  });

  test('a file a config option leaves out says which option, on the file and on its functions', () => {
    const config = readFileSync(path.join(changed.buildDir, '.config'), 'utf8');
    let checked = 0;
    for (const source of ['fs/ext2/xattr.c', 'mm/slab.c']) {
      // Ground truth: no object was made, and the folder's Makefile puts it under an option .config leaves unset.
      assert.ok(!existsSync(path.join(changed.buildDir, source.replace(/\.c$/, '.o'))), `${source} was not compiled`);
      const mk = readFileSync(path.join(changed.srcDir, path.dirname(source), 'Makefile'), 'utf8');
      const option = new RegExp(`^[\\w-]+-\\$\\((CONFIG_\\w+)\\)\\s*[:+]?=.*\\b${esc(path.basename(source, '.c'))}\\.o\\b`, 'm').exec(mk)![1];
      assert.match(config, new RegExp(`^# ${option} is not set$`, 'm'));
      const title = `not built — ${option} is not set`;
      assert.equal(fileLens(lookups, source).title, `${path.basename(source)}: ${title}`);
      assert.equal(fileHover(lookups, source), `**${path.basename(source)}: ${title}**`);
      const text = readFileSync(path.join(changed.srcDir, source), 'utf8');
      for (const m of text.matchAll(/^(?:static\s+)?[a-z][\w\s*]*?\b(\w+)\([^;]*$/gm)) {
        assert.equal(functionLens(lookups, source, fnNamed(m[1])).title, title, `${source}: ${m[1]}`);
        checked++;
      }
    }
    assert.ok(checked >= 2, `${checked} functions`);
  });

  test('a lib-y object nothing references says so, with the reason the index found', () => {
    // Ground truth: lib/lib.a holds bsearch.o, and none of its global functions is in vmlinux.
    assert.ok(run('ar', ['t', 'lib/lib.a'], changed.buildDir).split('\n').some((m) => path.basename(m) === 'bsearch.o'));
    const inVmlinux = new Set(nmSized(path.join(changed.buildDir, 'vmlinux')).map((s) => s.name));
    const own = nmSized(path.join(changed.buildDir, 'lib/bsearch.o')).filter((s) => s.type === 'T');
    assert.ok(own.length > 0 && own.every((s) => !inVmlinux.has(s.name)));
    const entry = lookups.file('lib/bsearch.c')!;
    assert.equal(entry.status, 'not-built');
    assert.equal(fileLens(lookups, 'lib/bsearch.c').title, `bsearch.c: not built — ${entry.reason}`);
    assert.match(entry.reason ?? '', /lib\.a/);
    assert.equal(functionLens(lookups, 'lib/bsearch.c', fnNamed(own[0].name)).title, `not built — ${entry.reason}`);
  });

  test('deltas against the baseline follow nm -S of both vmlinux files: +, U+2212 minus, ±0 B, (new)', () => {
    const sizes = (b: MiniBuild) => {
      const m = new Map<string, number>();
      for (const s of nmSized(path.join(b.buildDir, 'vmlinux'))) if (/^[tTW]$/.test(s.type)) m.set(cName(s.name), (m.get(cName(s.name)) ?? 0) + s.size);
      return m;
    };
    const was = sizes(base);
    const now = sizes(changed);
    const seen = new Set<string>();
    for (const fn of lookups.file('kernel/fork.c')!.functions) {
      const lens = functionLens(lookups, 'kernel/fork.c', fnNamed(fn.name));
      assert.equal(lens.bytes, now.get(fn.name), fn.name);
      const before = baselineBytes(baseLookups, 'kernel/fork.c', fn.name);
      assert.equal(before, was.get(fn.name), `${fn.name} in the baseline`);
      const note = deltaNote(lens.bytes!, before);
      const d = before === undefined ? undefined : now.get(fn.name)! - before;
      const expected = d === undefined ? ' (new)' : d > 0 ? ` (+${humanSize(d)})` : d < 0 ? ` (\u2212${humanSize(-d)})` : ' (±0 B)';
      assert.equal(note, expected, fn.name);
      seen.add(d === undefined ? 'new' : d > 0 ? 'grew' : d < 0 ? 'shrank' : 'same');
    }
    assert.deepEqual([...seen].sort(), ['grew', 'new', 'same', 'shrank']);
    // The two edited functions moved by at least the nops added (one byte each on x86).
    assert.ok(now.get('kernel_clone')! - was.get('kernel_clone')! >= 96);
    assert.ok(was.get('task_weight')! - now.get('task_weight')! >= 64);
    // A file: its bytes in each build, within size -A of its object there.
    const place = { base: placement(base.buildDir), changed: placement(changed.buildDir) };
    const fileNow = fileLens(lookups, 'kernel/fork.c').bytes!;
    const fileWas = baselineBytes(baseLookups, 'kernel/fork.c')!;
    assert.ok(inRange(fileNow, sizeBounds(changed.buildDir, 'kernel/fork.o', place.changed).total));
    assert.ok(inRange(fileWas, sizeBounds(base.buildDir, 'kernel/fork.o', place.base).total));
    assert.equal(deltaNote(fileNow, fileWas), fileNow > fileWas ? ` (+${humanSize(fileNow - fileWas)})` : fileNow < fileWas ? ` (\u2212${humanSize(fileWas - fileNow)})` : ' (±0 B)');
    // Not built in the baseline: no bytes to compare with.
    assert.equal(baselineBytes(baseLookups, 'fs/ext2/xattr.c'), undefined);
    assert.equal(baselineBytes(baseLookups, 'kernel/kbloat_not_a_file.c'), undefined);
    // Past 10 KiB the delta reads in KiB, with the editor's minus sign.
    assert.equal(deltaNote(0, 20480), ` (\u2212${humanSize(20480)})`);
    assert.equal(deltaNote(20480 + 512, 0), ' (+20.5 KiB)');
  });
});
