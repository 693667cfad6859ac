/**
 * `kbloat modularize` and ModularizeAnalysis on the real Linux 6.1 fixture and
 * on a build of the mini tree, against binutils and the tree's own text:
 * `size -A`/`readelf -S` for the bytes of each candidate's objects, `nm -u` and
 * `nm --defined-only` over every object of vmlinux.a for the references that
 * block, `readelf -S` for initcall and setup sections, grep of the Makefiles
 * and Kconfig files for which symbol builds which module.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadIndex } from '../server/src/index/cache';
import { evalKconfigExpr } from '../server/src/kbuild/kconfig/eval';
import { Candidate, ModularizeAnalysis } from '../server/src/modularize/analysis';
import { FIXTURE, fixtureSkip, readelfSections, readelfSymbols, run, runCli, tempDir } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';

interface JsonBlocker { kind: string; file: string; line?: number; detail: string; symbol?: string; exported?: boolean; symbols?: { name: string; exported: boolean }[]; object?: string; by?: string; section?: string }
interface JsonCandidate { symbol: string; type: string; value: string; objects: string[]; resident: number; init: number; blockers: JsonBlocker[]; referringFiles?: number }
interface JsonReport { resident: number; residentIfModularized: number; candidates: JsonCandidate[]; warnings: string[] }

function modularizeJson(dir: string): JsonReport {
  const r = runCli(['modularize', dir, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The lines of a tree-relative file. */
const linesOf = (root: string, file: string): string[] => readFileSync(path.join(root, file), 'utf8').split('\n');

/**
 * Where each allocated input section of an object ends up in vmlinux, decided
 * from vmlinux's own section table and symbols (readelf), not from our code:
 * the output section of the same name, or whose name prefixes it (`.rodata` for
 * `.rodata.str1.1`), or where the object's symbols in that section landed.
 * Sections the kernel's linker script discards for built-in code are 'dropped'.
 */
function placement(root: string) {
  const vmlinux = path.join(root, 'vmlinux');
  const out = readelfSections(vmlinux).filter((s) => s.flags.includes('A'));
  const syms = readelfSymbols(vmlinux);
  const addrs = new Map<string, bigint[]>();
  for (const s of syms) if (s.ndx !== 'UND' && s.name) addrs.set(s.name, [...(addrs.get(s.name) ?? []), s.value]);
  const initBegin = syms.find((s) => s.name === '__init_begin')!.value;
  const initEnd = syms.find((s) => s.name === '__init_end')!.value;
  const region = (a: bigint) => (a >= initBegin && a < initEnd ? 'init' : 'resident');
  return (obj: string, input: string): 'init' | 'resident' | 'dropped' | undefined => {
    if (/^(\.discard|\.modinfo$|\.exitcall\.exit$|\.note\.GNU-stack$|\.comment$)/.test(input)) return 'dropped';
    const name = input.replace(/^___(ksymtab(?:_gpl)?)\+.*$/, '__$1');
    let best = out.find((s) => s.name === name);
    if (!best) for (const s of out) if (name.length > s.name.length && name.startsWith(s.name) && /[._]/.test(name[s.name.length]) && (!best || s.name.length > best.name.length)) best = s;
    if (best) return region(best.addr);
    const objSections = readelfSections(path.join(root, obj));
    const ndx = String(objSections.findIndex((s) => s.name === input) + 1);
    const where = new Set<string>();
    for (const s of readelfSymbols(path.join(root, obj))) if (s.ndx === ndx && s.name) for (const a of addrs.get(s.name) ?? []) where.add(region(a));
    return where.size === 1 ? ([...where][0] as 'init' | 'resident') : undefined;
  };
}

/**
 * The bounds `size -A` gives for the bytes of some objects in vmlinux: sections
 * the linker merges (SHF_MERGE: string literals, __ksymtab_strings) may shrink
 * when the linker folds equal strings, so they count in the upper bound only.
 */
function sizeBounds(root: string, objects: string[], place: ReturnType<typeof placement>) {
  const b = { resident: [0, 0], init: [0, 0] };
  for (const obj of objects) {
    const flags = new Map(readelfSections(path.join(root, obj)).map((s) => [s.name, s.flags]));
    for (const line of run('size', ['-A', path.join(root, obj)]).split('\n')) {
      const m = /^(\S+)\s+(\d+)\s+\d+$/.exec(line);
      if (!m || !flags.get(m[1])?.includes('A') || Number(m[2]) === 0) continue;
      const where = place(obj, m[1]);
      assert.ok(where, `${obj}: cannot tell where ${m[1]} went in vmlinux`);
      if (where === 'dropped') continue;
      const size = Number(m[2]);
      b[where][1] += size;
      if (!flags.get(m[1])!.includes('M')) b[where][0] += size;
    }
  }
  return b;
}

/** `nm -A` over many objects: object -> symbols (defined strong, weak, undefined). */
function nmAll(root: string, objects: string[]) {
  const out = new Map<string, { strong: Set<string>; weak: Set<string>; undef: Set<string> }>();
  for (const o of objects) out.set(o, { strong: new Set(), weak: new Set(), undef: new Set() });
  for (let i = 0; i < objects.length; i += 400) {
    // nm says "no symbols" on stderr for empty objects: not worth showing.
    const text = execFileSync('nm', ['-A', '-g', ...objects.slice(i, i + 400)], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
    for (const line of text.split('\n')) {
      const m = /^([^:]+):(?:[0-9a-f]+)?\s+([A-Za-z])\s+(\S+)$/.exec(line);
      if (!m) continue;
      const e = out.get(m[1])!;
      if (m[2] === 'U') e.undef.add(m[3]);
      else if (/[wWvV]/.test(m[2])) e.weak.add(m[3]);
      else e.strong.add(m[3]);
    }
  }
  return out;
}

describe('modularize on the Linux 6.1 fixture', { skip: fixtureSkip }, () => {
  let report: JsonReport;
  let analysis: ModularizeAnalysis;
  let members: string[];
  let place: ReturnType<typeof placement>;
  const config = () => readFileSync(path.join(FIXTURE, '.config'), 'utf8');

  before(() => {
    report = modularizeJson(FIXTURE);
    analysis = ModularizeAnalysis.load(loadIndex(FIXTURE, { noCache: true }).index);
    members = run('ar', ['t', 'vmlinux.a'], FIXTURE).split('\n').filter(Boolean);
    place = placement(FIXTURE);
  });

  /** modules.builtin's modules, each with the Makefile symbol that builds it (grep) when that is a tristate (grep of Kconfig). */
  function builtinTristates(): { ko: string; symbol: string; own: string[] }[] {
    const out: { ko: string; symbol: string; own: string[] }[] = [];
    const cfg = config();
    for (const entry of readFileSync(path.join(FIXTURE, 'modules.builtin'), 'utf8').split('\n').filter(Boolean)) {
      const ko = entry.replace(/^kernel\//, '');
      const dir = path.dirname(ko);
      const name = path.basename(ko, '.ko');
      const makefile = linesOf(FIXTURE, `${dir}/Makefile`).join('\n').replace(/\\\n/g, ' ');
      const esc = name.replace(/[-.]/g, '\\$&');
      const line = new RegExp(`^obj-\\$\\((CONFIG_\\w+)\\)\\s*[:+]?=.*(?<![\\w-])${esc}\\.o\\b`, 'm').exec(makefile);
      if (!line) continue;
      const symbol = line[1];
      const kconfig = run('grep', ['-rE', '-A3', '--include=Kconfig*', `^(menu)?config ${symbol.slice(7)}$`, '.'], FIXTURE);
      if (!/^\S+-\s+tristate\b/m.test(kconfig)) continue;
      // The module's own objects: `name-y`, `name-objs` and `name-$(CONFIG_Y)` with Y=y, else name.o itself.
      const own: string[] = [];
      for (const m of makefile.matchAll(new RegExp(`^${esc}-(y|objs|\\$\\((CONFIG_\\w+)\\))\\s*[:+]?=(.*)$`, 'gm'))) {
        if (m[2] && !new RegExp(`^${m[2]}=y$`, 'm').test(cfg)) continue;
        for (const w of m[3].split(/\s+/)) if (w.endsWith('.o')) own.push(path.posix.join(dir, w));
      }
      if (own.length === 0) own.push(`${dir}/${name}.o`);
      out.push({ ko, symbol, own });
    }
    return out;
  }

  test('each tristate that modules.builtin lists is a candidate whose bytes are its objects\' bytes (size -A bounds)', () => {
    const mods = builtinTristates();
    assert.ok(mods.length >= 12, `found only ${mods.length} tristate modules in modules.builtin`);
    const files = new Map<string, { bytes: Record<string, number> }>();
    const r = runCli(['report', FIXTURE, '--json']);
    for (const f of JSON.parse(r.stdout).files) if (f.status === 'built-in') files.set(f.object, f);
    for (const { ko, symbol, own } of mods) {
      const c = report.candidates.find((x) => x.symbol === symbol);
      assert.ok(c, `${symbol} (${ko}) is not a candidate`);
      assert.equal(c.type, 'tristate');
      assert.equal(c.value, 'y');
      const linked = own.filter((o) => members.includes(o));
      assert.ok(linked.length > 0, `${ko}: none of ${own.join(' ')} is in vmlinux.a`);
      for (const o of linked) assert.ok(c.objects.includes(o), `${symbol}: ${o} (part of ${ko}) missing`);
      for (const o of c.objects) assert.ok(members.includes(o), `${symbol}: ${o} is not in vmlinux.a`);
      // resident is the sum over the objects, each counted once.
      assert.equal(new Set(c.objects).size, c.objects.length);
      const sum = (k: 'resident' | 'init') => c.objects.reduce((a, o) => {
        const b = files.get(o)!.bytes;
        const all = Object.values(b).reduce((x, n) => x + n, 0);
        return a + (k === 'init' ? b.init ?? 0 : all - (b.init ?? 0));
      }, 0);
      assert.equal(c.resident, sum('resident'), symbol);
      assert.equal(c.init, sum('init'), symbol);
      const bounds = sizeBounds(FIXTURE, c.objects, place);
      assert.ok(c.resident >= bounds.resident[0] && c.resident <= bounds.resident[1], `${symbol}: resident ${c.resident} outside size -A bounds ${bounds.resident}`);
      assert.ok(c.init >= bounds.init[0] && c.init <= bounds.init[1], `${symbol}: init ${c.init} outside size -A bounds ${bounds.init}`);
    }
  });

  test('reference blockers are exactly the objects that stay built in and use the code (nm -u), with export status and a line that names the symbol', () => {
    const nm = nmAll(FIXTURE, members);
    const strongOwner = new Map<string, string>();
    const weakOwner = new Map<string, string>();
    for (const [o, s] of nm) {
      for (const n of s.strong) if (!strongOwner.has(n)) strongOwner.set(n, o);
      for (const n of s.weak) if (!weakOwner.has(n)) weakOwner.set(n, o);
    }
    const owner = (n: string) => strongOwner.get(n) ?? weakOwner.get(n);
    const exported = new Set(run('nm', [path.join(FIXTURE, 'vmlinux')]).split('\n').map((l) => /\s__ksymtab_(\S+)$/.exec(l)?.[1]).filter((x): x is string => !!x));
    let checked = 0;
    for (const c of report.candidates) {
      const moving = new Set(c.objects);
      const expected = new Set<string>();
      for (const [o, s] of nm) {
        if (moving.has(o)) continue;
        for (const u of s.undef) if (moving.has(owner(u) ?? '')) expected.add(o);
      }
      const refs = c.blockers.filter((b) => b.kind === 'reference');
      assert.equal(c.referringFiles, expected.size, c.symbol);
      const listed = refs.filter((b) => b.symbols).map((b) => b.object!);
      if (expected.size <= 20) assert.deepEqual(new Set(listed), expected, c.symbol);
      for (const b of refs.filter((x) => x.symbols)) {
        assert.ok(expected.has(b.object!), `${c.symbol}: ${b.object} does not refer to it`);
        for (const s of b.symbols!) {
          assert.ok(nm.get(b.object!)!.undef.has(s.name), `${b.object} does not use ${s.name} (nm -u)`);
          assert.ok(moving.has(owner(s.name)!), `${s.name} is not defined by ${c.symbol}'s objects`);
          assert.equal(s.exported, exported.has(s.name), `${s.name} exported`);
        }
        if (b.line !== undefined) assert.ok(b.symbols!.some((s) => new RegExp(`\\b${s.name}\\b`).test(linesOf(FIXTURE, b.file)[b.line! - 1])), `${b.file}:${b.line}`);
        checked++;
      }
    }
    assert.ok(checked > 100, `only ${checked} reference blockers`);
    // Core code that uses a modules.builtin tristate: CRC32 is used by code that stays built in.
    const crc32 = report.candidates.find((c) => c.symbol === 'CONFIG_CRC32')!;
    assert.ok(crc32.blockers.some((b) => b.kind === 'reference' && b.symbols?.some((s) => s.name.includes('crc32'))));
  });

  test('select blockers name a `select` line of a symbol that is y', () => {
    const cfg = config();
    let n = 0;
    for (const c of report.candidates) {
      for (const b of c.blockers.filter((x) => x.kind === 'selected-by-bool')) {
        const text = linesOf(FIXTURE, b.file)[b.line! - 1];
        assert.match(text, /^\s*select\s+\w+/, `${b.file}:${b.line}`);
        assert.match(cfg, new RegExp(`^${b.by}=y$`, 'm'));
        n++;
      }
    }
    const input = report.candidates.find((c) => c.symbol === 'CONFIG_INPUT')!;
    const vt = input.blockers.find((b) => b.by === 'CONFIG_VT')!;
    assert.match(linesOf(FIXTURE, vt.file)[vt.line! - 1], /^\s*select INPUT\b/);
    assert.ok(n >= 20, `only ${n} select blockers`);
  });

  test('initcall and param blockers: the object has the section (readelf) and the line names the macro', () => {
    let n = 0;
    for (const c of report.candidates) {
      for (const b of c.blockers.filter((x) => x.kind === 'initcall' || x.kind === 'param')) {
        const obj = c.objects.find((o) => analysis.forFile(b.file)?.object === o)!;
        assert.ok(obj, `${b.file} is not one of ${c.symbol}'s objects`);
        assert.ok(readelfSections(path.join(FIXTURE, obj)).some((s) => s.name === b.section && s.size > 0), `${obj} has no ${b.section}`);
        assert.match(b.section!, b.kind === 'param' ? /^\.init\.setup$/ : /^\.initcall(early|[0-3]s?)\.init$/);
        if (b.line !== undefined) assert.match(linesOf(FIXTURE, b.file)[b.line - 1], b.kind === 'param' ? /\b(__setup|early_param)\s*\(/ : /\b(early|pure|core|postcore|arch)_initcall(_sync)?\s*\(/);
        n++;
      }
    }
    assert.ok(n >= 10, `only ${n}`);
    const elf = report.candidates.find((c) => c.symbol === 'CONFIG_BINFMT_ELF')!;
    const b = elf.blockers.find((x) => x.kind === 'initcall')!;
    assert.equal(b.section, '.initcall1.init');
    assert.match(linesOf(FIXTURE, 'fs/binfmt_elf.c')[b.line! - 1], /^core_initcall\(/);
  });

  test('bool code under init/, mm/, kernel/ is blocked for its path; tristates never are', () => {
    for (const c of report.candidates) {
      const core = c.objects.some((o) => /^(init|mm|kernel)\//.test(o));
      const blocked = c.blockers.some((b) => b.kind === 'core-path');
      if (c.type === 'tristate') assert.ok(!blocked, c.symbol);
      else if (core) assert.ok(blocked, c.symbol);
    }
  });

  test('the headline: unblocked candidates first, and residentIfModularized counts each leaving object once', () => {
    const index = loadIndex(FIXTURE, { noCache: true }).index;
    assert.equal(report.resident, index.totals.resident);
    const unblocked = report.candidates.filter((c) => c.blockers.length === 0);
    const firstBlocked = report.candidates.findIndex((c) => c.blockers.length > 0);
    assert.equal(firstBlocked, unblocked.length);
    const leaving = new Set(unblocked.flatMap((c) => c.objects));
    const byObj = new Map(index.files.map((f) => [f.object, f]));
    let saved = 0;
    for (const o of leaving) {
      const b = byObj.get(o)!.bytes;
      saved += Object.values(b).reduce((a, n) => a + (n ?? 0), 0) - (b.init ?? 0);
    }
    assert.equal(report.residentIfModularized, report.resident - saved);
    // Nesting: CONFIG_HID takes CONFIG_HID_GENERIC's object along (HID_GENERIC depends on HID).
    const hid = report.candidates.find((c) => c.symbol === 'CONFIG_HID')!;
    assert.ok(hid.objects.includes('drivers/hid/hid-generic.o'));
    console.log(`fixture: resident ${report.resident}, if modularized ${report.residentIfModularized}, ${report.candidates.length} candidates, ${unblocked.length} unblocked; top: ${report.candidates.slice(0, 5).map((c) => `${c.symbol} ${c.resident}`).join(', ')}`);
  });

  test('forFile: the innermost symbol, the Makefile line naming the object, the Kconfig file to edit', () => {
    const f = analysis.forFile('drivers/tty/serial/8250/8250_core.c')!;
    assert.equal(f.candidate?.symbol, 'CONFIG_SERIAL_8250');
    assert.equal(f.candidate?.definition?.file, 'drivers/tty/serial/8250/Kconfig');
    assert.match(linesOf(FIXTURE, f.candidate!.definition!.file)[f.candidate!.definition!.line - 1], /^config SERIAL_8250$/);
    assert.match(linesOf(FIXTURE, f.makefileLine!.file)[f.makefileLine!.line - 1], /8250_core\.o/);
    assert.equal(f.kconfigFile, 'drivers/tty/serial/8250/Kconfig');
    // A plain obj-y file: no candidate, its obj-y line, the nearest Kconfig the tree reads.
    const fork = analysis.forFile('kernel/fork.c')!;
    assert.equal(fork.candidate, undefined);
    assert.equal(fork.makefileLine?.listVar, 'obj-y');
    assert.match(linesOf(FIXTURE, fork.makefileLine!.file)[fork.makefileLine!.line - 1], /\bfork\.o\b/);
    assert.equal(fork.kconfigFile, 'Kconfig');
    // A module's file, and a file the build does not know.
    const mod = analysis.index.files.find((x) => x.status === 'module')!;
    assert.match(analysis.forFile(mod.path)!.unavailable ?? '', /module/);
    assert.equal(analysis.forFile('no/such/file.c'), undefined);
  });

  test('the table and bad input', () => {
    const r = runCli(['modularize', FIXTURE, '--top', '3']);
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.split('\n');
    assert.match(rows[0], /^symbol\s+type\s+resident saved\s+init\s+blockers\s+first blocker$/);
    assert.match(rows[1], new RegExp(`^${report.candidates[0].symbol}\\s`));
    assert.match(rows[4], /^… \d+ more/);
    assert.ok(rows.some((l) => /^kernel proper today \S+ \S+ → without every unblocked candidate .* \(−/.test(l)));
    // The fixture without its configuration (.config and include/config/auto.conf), and without its Kconfig sources.
    for (const [missing, message] of [[['.config', 'include'], /no \.config/], [['Kconfig'], /no Kconfig sources/]] as const) {
      const dir = tempDir('modularize');
      for (const e of readdirSync(FIXTURE)) if (!(missing as readonly string[]).includes(e)) symlinkSync(path.join(FIXTURE, e), path.join(dir, e));
      const bad = runCli(['modularize', dir]);
      rmSync(dir, { recursive: true, force: true });
      assert.equal(bad.status, 2, bad.stderr);
      assert.match(bad.stderr, message);
      assert.equal(bad.stderr.trim().split('\n').length, 1);
    }
    assert.equal(runCli(['modularize', FIXTURE, '--top', 'x']).status, 2);
  });
});

describe('modularize on a build of the mini tree', () => {
  let b: MiniBuild;
  let report: JsonReport;
  let analysis: ModularizeAnalysis;
  const cand = (s: string): JsonCandidate => report.candidates.find((c) => c.symbol === s)!;

  before(() => {
    // Cases the tree lacks, added to the copy only: core code using a tristate
    // library, a core initcall in a driver, and a bool selected by a bool.
    b = buildMiniKernel({
      prepare: (src) => {
        appendFileSync(path.join(src, 'kernel/panic.c'), '\n#ifdef CONFIG_CRC16\n#include <linux/crc16.h>\nu16 panic_crc;\n\nvoid panic_checksum(const char *s, unsigned int n)\n{\n\tpanic_crc = crc16(0, (const u8 *)s, n);\n}\n#endif\n');
        appendFileSync(path.join(src, 'drivers/misc/eeprom_core.c'), '\nstatic int __init eeprom_early_probe(void)\n{\n\treturn 0;\n}\ncore_initcall(eeprom_early_probe);\n');
        appendFileSync(path.join(src, 'lib/Kconfig'), '\nconfig MINI_HASH\n\tbool\n');
        appendFileSync(path.join(src, 'lib/Makefile'), '\nobj-$(CONFIG_MINI_HASH)\t+= mini_hash.o\n');
        writeFileSync(path.join(src, 'lib/mini_hash.c'), 'unsigned int mini_hash(unsigned int x)\n{\n\treturn x * 2654435761u;\n}\n');
        const kc = path.join(src, 'drivers/serial/Kconfig');
        writeFileSync(kc, readFileSync(kc, 'utf8').replace('depends on SERIAL_MINI=y\n', 'depends on SERIAL_MINI=y\n\tselect MINI_HASH\n'));
        appendFileSync(path.join(src, 'arch/mini/configs/mini_defconfig'), 'CONFIG_MINI_HASH=y\n');
      },
    });
    report = modularizeJson(b.buildDir);
    analysis = ModularizeAnalysis.load(loadIndex(b.buildDir, { noCache: true }).index);
  });
  after(() => b && cleanupMiniBuild(b));

  test('the tristates built in are candidates with their objects and blockers', () => {
    const serial = cand('CONFIG_SERIAL_MINI');
    // MINI_HASH (an invisible bool that only SERIAL_MINI_CONSOLE selects) goes with the console, which needs SERIAL_MINI=y.
    assert.deepEqual(serial.objects, ['drivers/serial/serial_mini.o', 'lib/mini_hash.o']);
    assert.equal(serial.type, 'tristate');
    // __setup("mini_console=") in serial_mini.c: a parameter that a module ignores.
    const param = serial.blockers.find((x) => x.kind === 'param')!;
    assert.match(linesOf(b.srcDir, 'drivers/serial/serial_mini.c')[param.line! - 1], /__setup\("mini_console="/);
    // eeprom.o: both parts of the composite, and the core initcall added above.
    const eeprom = cand('CONFIG_EEPROM_MINI');
    assert.deepEqual(eeprom.objects, ['drivers/misc/eeprom_core.o', 'drivers/misc/eeprom_sysfs.o']);
    const ic = eeprom.blockers.find((x) => x.kind === 'initcall')!;
    assert.equal(ic.section, '.initcall1.init');
    assert.match(linesOf(b.srcDir, 'drivers/misc/eeprom_core.c')[ic.line! - 1], /^core_initcall\(eeprom_early_probe\)/);
  });

  test('CRC16: selected by a y tristate, used by kernel/panic.c and the serial driver (nm -u)', () => {
    const crc = cand('CONFIG_CRC16');
    const sel = crc.blockers.find((x) => x.kind === 'selected-by-bool')!;
    assert.equal(sel.by, 'CONFIG_SERIAL_MINI');
    assert.match(sel.detail, /could itself become m/);
    assert.match(linesOf(b.srcDir, sel.file)[sel.line! - 1], /^\s*select CRC16$/);
    const refs = crc.blockers.filter((x) => x.kind === 'reference');
    assert.deepEqual(refs.map((r) => r.file).sort(), ['drivers/serial/serial_mini.c', 'kernel/panic.c']);
    for (const r of refs) {
      const undef = run('nm', ['-u', path.join(b.buildDir, r.object!)]);
      assert.match(undef, /\bU crc16$/m);
      assert.match(linesOf(b.srcDir, r.file)[r.line! - 1], /\bcrc16\(/);
    }
    assert.equal(refs.find((r) => r.file === 'kernel/panic.c')!.exported, true);
  });

  test('a bool selected by a bool that is y; bool code in mm/ is blocked by its path', () => {
    // Not in the report's list: its only object already leaves with the tristate SERIAL_MINI.
    const hash = analysis.candidate('CONFIG_MINI_HASH')!;
    assert.equal(hash.type, 'bool');
    const sel = hash.blockers.find((x) => x.kind === 'selected-by-bool')!;
    assert.equal(sel.by, 'CONFIG_SERIAL_MINI_CONSOLE');
    assert.match(linesOf(b.srcDir, sel.file)[sel.line! - 1], /^\s*select MINI_HASH$/);
    const slub = cand('CONFIG_SLUB');
    assert.ok(slub.blockers.some((x) => x.kind === 'core-path' && x.file === 'mm/slub.c'));
  });

  test('SERIAL_MINI=m turns SERIAL_MINI_CONSOLE off (it depends on SERIAL_MINI=y); forFile finds the driver by its absolute path', () => {
    const c: Candidate = analysis.candidate('CONFIG_SERIAL_MINI')!;
    assert.deepEqual(c.alsoChanges, [{ symbol: 'CONFIG_SERIAL_MINI_CONSOLE', value: 'n' }, { symbol: 'CONFIG_MINI_HASH', value: 'n' }]);
    // As the tree's own make olddefconfig (the kernel's conf) has it.
    const file = path.join(b.buildDir, '.config');
    const saved = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, saved.replace(/^CONFIG_SERIAL_MINI=y$/m, 'CONFIG_SERIAL_MINI=m'));
      run('make', ['-s', '-C', b.buildDir, 'olddefconfig']);
      const after = readFileSync(file, 'utf8');
      for (const a of c.alsoChanges!) assert.doesNotMatch(after, new RegExp(`^${a.symbol}=`, 'm'), `${a.symbol} is off after make olddefconfig`);
      assert.match(after, /^CONFIG_SERIAL_MINI=m$/m);
    } finally {
      writeFileSync(file, saved);
    }
    const f = analysis.forFile(path.join(b.srcDir, 'drivers/serial/serial_mini.c'))!;
    assert.equal(f.candidate?.symbol, 'CONFIG_SERIAL_MINI');
    assert.equal(f.kconfigFile, 'drivers/serial/Kconfig');
    assert.equal(f.makefileLine?.listVar, 'obj-$(CONFIG_SERIAL_MINI)');
  });
});

describe('modularize on an O= build of the mini tree', () => {
  let b: MiniBuild;
  before(() => {
    b = buildMiniKernel({ outOfTree: true });
  });
  after(() => b && cleanupMiniBuild(b));

  test('sources through the `source` link, absolute paths; a Kconfig syntax error is reported for the files an action would edit', () => {
    const index = loadIndex(b.buildDir, { noCache: true }).index;
    const eepromSource = path.join(b.srcDir, 'drivers/misc/eeprom_core.c');
    const f = ModularizeAnalysis.load(index).forFile(eepromSource)!;
    assert.equal(f.candidate?.symbol, 'CONFIG_EEPROM_MINI');
    assert.equal(f.kconfigFile, 'drivers/misc/Kconfig');
    assert.equal(f.kconfigProblems, undefined);
    const crc = ModularizeAnalysis.load(index).candidate('CONFIG_CRC16')!;
    assert.deepEqual(crc.blockers.filter((x) => x.kind === 'reference').map((x) => x.file), ['drivers/serial/serial_mini.c']);
    // Break the Kconfig file the EEPROM actions would edit.
    const kconfig = path.join(b.srcDir, 'drivers/misc/Kconfig');
    appendFileSync(kconfig, '\nconfig MINI_BROKEN\n\tbool "broken"\n\tdepends\n');
    const badLine = readFileSync(kconfig, 'utf8').split('\n').lastIndexOf('\tdepends') + 1;
    const again = ModularizeAnalysis.load(index);
    const broken = again.forFile(eepromSource)!;
    assert.equal(broken.kconfigProblems?.length, 1);
    assert.equal(broken.kconfigProblems![0].file, 'drivers/misc/Kconfig');
    assert.equal(broken.kconfigProblems![0].line, badLine);
    assert.equal(again.forFile(path.join(b.srcDir, 'drivers/serial/serial_mini.c'))!.kconfigProblems, undefined);
  });
});

describe('Kconfig expressions', () => {
  const cfg = new Map([['A', 'y'], ['B', 'm'], ['S', 'foo'], ['N', '16']]);
  const value = (n: string) => cfg.get(n);
  test('tristate logic, comparisons and what cannot be told', () => {
    assert.equal(evalKconfigExpr('A && B', value), 1);
    assert.equal(evalKconfigExpr('A || B', value), 2);
    assert.equal(evalKconfigExpr('!B', value), 1);
    assert.equal(evalKconfigExpr('!(A && C)', value), 2);
    assert.equal(evalKconfigExpr('B=y', value), 0);
    assert.equal(evalKconfigExpr('B != y && A', value), 2);
    assert.equal(evalKconfigExpr('S = "foo"', value), 2);
    assert.equal(evalKconfigExpr('N >= 8 && N < 0x20', value), 2);
    assert.equal(evalKconfigExpr('A && $(cc-option,-m64)', value), undefined);
    assert.equal(evalKconfigExpr('A &&', value), undefined);
    assert.equal(evalKconfigExpr('(A', value), undefined);
    assert.equal(evalKconfigExpr('!'.repeat(100000) + 'A', value), undefined);
  });
});
