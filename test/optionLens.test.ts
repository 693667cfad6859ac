/**
 * Lenses where options are written (render/optionLensText.ts over
 * index/optionLookups.ts, with the readers kbuild/makefileLines.ts,
 * kbuild/traceEvents.ts and kbuild/preproc.ts's branches), against binutils on
 * the Linux 6.1 fixture:
 * - a Kconfig entry's bytes are `size -A`'s over the objects its Makefile lines
 *   build in, the test finding those lines and objects itself (every Makefile
 *   of the tree, the folders' thin archives, vmlinux.a);
 * - a Makefile line's figures are its objects' (composites through their member lines);
 * - an `#ifdef` block's figure is the `nm -S` sizes of the functions and
 *   variables defined in it;
 * - of kernel/fork.c's three `thread_stack_free_rcu`, only the one addr2line
 *   places the built code in gets the size.
 * Trace events: the header reader on real headers of the Debian source tree
 * when it is there (their sizes are checked in `npm run bench -- --distro`).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { functionBaseName } from '../server/src/binary/symbolNames';
import { CFunction, findFunctions, parseC } from '../server/src/c/functions';
import { CParser, createCParser, defaultWasmLocations } from '../server/src/c/wasm';
import { loadIndex } from '../server/src/index/cache';
import { IndexLookups } from '../server/src/index/lookups';
import { OptionLookups, optionLookupsOf } from '../server/src/index/optionLookups';
import { configValue, KernelConfig, parseDotConfig } from '../server/src/kbuild/dotconfig';
import { readBuildKconfigTree } from '../server/src/kbuild/kconfig/buildTree';
import { parseKconfigFile } from '../server/src/kbuild/kconfig/parser';
import { KconfigDependents, takeAlongOff } from '../server/src/kbuild/kconfig/takeAlong';
import { objectListLines } from '../server/src/kbuild/makefileLines';
import { conditionalBranches } from '../server/src/kbuild/preproc';
import { createTracePointIncludes, traceEventsIn } from '../server/src/kbuild/traceEvents';
import { branchFigures, branchMap, builtDefinitions, makefileLineLens, symbolLens, takenAlong } from '../server/src/render/optionLensText';
import { humanSize } from '../server/src/shared/units';
import { FIXTURE, fixtureSkip, readelfSections, readelfSymbols, run, tempDir } from './helpers';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Sections the kernel's linker script drops for built-in code, and what is not loaded. */
const DROPPED = /^(\.discard(\..*)?|\.exitcall\.exit|\.modinfo|\.note\.GNU-stack|\.comment|\.eh_frame)$/;

/** `size -A` over objects, as bounds on their bytes in vmlinux: merged sections (SHF_MERGE) may shrink when equal strings fold. */
function sizeBounds(objects: string[]): { min: number; max: number } {
  const b = { min: 0, max: 0 };
  for (const object of objects) {
    const flags = new Map(readelfSections(path.join(FIXTURE, object)).map((s) => [s.name, s.flags]));
    for (const line of run('size', ['-A', '-d', object], FIXTURE).split('\n')) {
      const m = /^(\S+)\s+(\d+)\s+\d+$/.exec(line);
      if (!m || !flags.get(m[1])?.includes('A') || DROPPED.test(m[1])) continue;
      b.max += Number(m[2]);
      if (!flags.get(m[1])!.includes('M')) b.min += Number(m[2]);
    }
  }
  return b;
}

const within = (n: number, b: { min: number; max: number }) => n >= b.min && n <= b.max;

/** A Makefile's assignments to lists, read here with a regex of its own: `list-suffix op words`. */
function makefileAssignments(rel: string): { stem: string; suffix: string; words: string[] }[] {
  const file = path.join(FIXTURE, rel);
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^([\w.-]+?)-(\$\(CONFIG_\w+\)|y|objs)\s*[:+]?=(.*)$/.exec(line.replace(/#.*/, ''));
    if (m) out.push({ stem: m[1], suffix: m[2], words: m[3].split(/\s+/).filter((w) => w && !w.includes('$')) });
  }
  return out;
}

function kbuildFileOf(dir: string): string {
  return existsSync(path.join(FIXTURE, dir, 'Kbuild')) ? `${dir}/Kbuild` : `${dir}/Makefile`;
}

/**
 * The built-in objects that the Makefile lines of `symbol` build, each with the
 * innermost symbol that builds it: through folders (their Makefiles' `obj-y`
 * lines keep the owner, `obj-$(CONFIG_Z)` lines of a set Z hand it to Z) and
 * composites (their `-y`/`-objs` members keep it, `-$(CONFIG_Z)` members go to Z).
 */
function objectsOfSymbol(symbol: string, cfg: KernelConfig, builtIn: Set<string>, makefiles: string[]): Map<string, string> {
  const owner = new Map<string, string>();
  const on = (s: string) => configValue(cfg, s) === 'y';
  const word = (dir: string, mk: string, w: string, who: string, depth: number) => {
    if (depth > 12) return;
    const rel = path.posix.normalize(`${dir}/${w}`);
    if (w.endsWith('/')) return folder(rel.replace(/\/$/, ''), who, depth + 1);
    const stem = w.replace(/\.o$/, '');
    const members = makefileAssignments(mk).filter((a) => a.stem === stem);
    if (!members.length) {
      if (builtIn.has(rel) && !owner.has(rel)) owner.set(rel, who);
      return;
    }
    for (const a of members) {
      const cond = /^\$\((CONFIG_\w+)\)$/.exec(a.suffix)?.[1];
      if (cond && !on(cond)) continue;
      for (const m of a.words) word(dir, mk, m, cond ?? who, depth + 1);
    }
  };
  const folder = (dir: string, who: string, depth: number) => {
    const mk = kbuildFileOf(dir);
    for (const a of makefileAssignments(mk)) {
      if (a.stem !== 'obj') continue;
      const cond = /^\$\((CONFIG_\w+)\)$/.exec(a.suffix)?.[1];
      if (cond && !on(cond)) continue;
      if (!cond && a.suffix !== 'y') continue;
      for (const w of a.words) word(dir, mk, w, cond ?? who, depth);
    }
  };
  for (const mk of makefiles) {
    for (const a of makefileAssignments(mk)) {
      if (a.stem === 'obj' && a.suffix === `$(${symbol})`) for (const w of a.words) word(path.posix.dirname(mk), mk, w, symbol, 0);
    }
  }
  return owner;
}

/** Every Makefile and Kbuild file of the fixture, tree-relative. */
function allMakefiles(dir = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(FIXTURE, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...allMakefiles(rel));
    else if ((e.name === 'Makefile' || e.name === 'Kbuild') && dir) out.push(rel);
  }
  return out;
}

describe('option lenses on the Linux 6.1 fixture', { skip: fixtureSkip }, () => {
  let lookups: IndexLookups;
  let opt: OptionLookups;
  let cfg: KernelConfig;
  let builtIn: Set<string>;
  let makefiles: string[];
  let parser: CParser;
  const valueOf = (s: string) => configValue(cfg, s);

  before(async () => {
    cfg = parseDotConfig(readFileSync(path.join(FIXTURE, '.config'), 'utf8'));
    lookups = new IndexLookups(loadIndex(FIXTURE, { noCache: true, dwarf: true }).index, cfg);
    opt = optionLookupsOf(lookups);
    builtIn = new Set(run('ar', ['t', 'vmlinux.a'], FIXTURE).split('\n').filter(Boolean));
    makefiles = allMakefiles();
    parser = await createCParser(defaultWasmLocations());
  });

  for (const symbol of ['CONFIG_SERIAL_8250', 'CONFIG_HID', 'CONFIG_PERF_EVENTS', 'CONFIG_INPUT']) {
    test(`${symbol}: its own bytes and what it takes along are size -A's over the objects its Makefile lines build in`, () => {
      assert.equal(valueOf(symbol), 'y');
      const owners = objectsOfSymbol(symbol, cfg, builtIn, makefiles);
      const own = [...owners].filter(([, w]) => w === symbol).map(([o]) => o).sort();
      const nested = [...owners].filter(([, w]) => w !== symbol).map(([o]) => o).sort();
      assert.ok(own.length >= 1, `${symbol} builds objects of its own`);
      const s = opt.symbol(symbol);
      assert.deepEqual(s.own.map((f) => f.object).sort(), own, `${symbol}: its own objects`);
      assert.deepEqual(s.nested.map((f) => f.object).sort(), nested, `${symbol}: the objects of symbols inside its folders`);
      // The entry as the Kconfig file writes it: type, selects.
      const def = parseKconfigFile(readFileSync(path.join(FIXTURE, kconfigFileOf(symbol)), 'utf8'), kconfigFileOf(symbol)).symbols.find((x) => `CONFIG_${x.name}` === symbol)!;
      const lens = symbolLens(opt, { symbol, value: 'y', type: def.type, selects: def.selects.map((x) => `CONFIG_${x.symbol}`) });
      const bounds = sizeBounds(own);
      assert.ok(lens.bytes !== undefined && within(lens.bytes, bounds), `${symbol}: ${lens.bytes} B within size -A's ${bounds.min}..${bounds.max}`);
      const m = new RegExp(`^=y · ${esc(humanSize(lens.bytes))} in vmlinux \\((\\d+) files?\\)(?: · off takes (\\S+ \\S+) more along)?(?: · (could be a module))?$`).exec(lens.title);
      assert.ok(m, `${symbol}: "${lens.title}"`);
      assert.equal(Number(m[1]), own.length);
      if (nested.length) {
        const along = takenAlong(opt, { symbol, value: 'y' });
        const alongBytes = along.files.reduce((a, f) => a + Object.values(f.bytes).reduce((x, n) => x + (n ?? 0), 0), 0);
        assert.ok(within(alongBytes, sizeBounds(nested)), `${symbol}: taken along ${alongBytes} B within size -A of ${nested.join(' ')}`);
        assert.equal(m[2], humanSize(alongBytes));
      } else assert.equal(m[2], undefined);
      assert.equal(m[3] !== undefined, def.type === 'tristate', `${symbol} is ${def.type}`);
    });
  }

  test('not set, =m, no code of its own', () => {
    assert.equal(symbolLens(opt, { symbol: 'CONFIG_HIDRAW', value: valueOf('CONFIG_HIDRAW') }).title, 'not set');
    // EXT2_FS=m: the bytes of its module's objects (modules.order, *.mod, size -A).
    const objects = readFileSync(path.join(FIXTURE, 'fs/ext2/ext2.mod'), 'utf8').split(/\s+/).filter(Boolean);
    const lens = symbolLens(opt, { symbol: 'CONFIG_EXT2_FS', value: valueOf('CONFIG_EXT2_FS') });
    assert.match(lens.title, /^=m · \S+ \S+ in ext2\.ko$/);
    assert.ok(within(lens.bytes!, sizeBounds(objects)), `${lens.bytes} within size -A of ${objects.join(' ')}`);
    assert.equal(symbolLens(opt, { symbol: 'CONFIG_SERIAL_8250_DEPRECATED_OPTIONS', value: 'y', type: 'bool' }).title, '=y · no code of its own');
  });

  test('what turning a symbol off takes along: CONFIG_HID takes CONFIG_HID_GENERIC and hid-generic.o', () => {
    const tree = readBuildKconfigTree({ sourceDir: FIXTURE, config: path.join(FIXTURE, '.config') });
    const takeAlong = takeAlongOff(new KconfigDependents(tree), 'CONFIG_HID', (n) => configValue(cfg, `CONFIG_${n}`));
    assert.equal(takeAlong.get('CONFIG_HID_GENERIC')?.to, 'n');
    // The test's own reading: HID_GENERIC's entry is inside `if HID` (it depends on HID).
    const kconfig = readFileSync(path.join(FIXTURE, 'drivers/hid/Kconfig'), 'utf8');
    const between = kconfig.slice(kconfig.indexOf('\nif HID\n'), kconfig.indexOf('\nconfig HID_GENERIC\n'));
    assert.ok(between.length > 0 && !/\nendif\b/.test(between), 'config HID_GENERIC is inside if HID');
    const along = takenAlong(opt, { symbol: 'CONFIG_HID', value: 'y', takeAlong });
    assert.ok(along.symbols.includes('CONFIG_HID_GENERIC'));
    assert.deepEqual(along.files.map((f) => f.object), ['drivers/hid/hid-generic.o']);
  });

  // The kernel's own Kconfig (scripts/kconfig/conf, linked from the fixture's host objects) run on the
  // same sources (Debian's linux-source-6.1, which has the scripts its Kconfig macros call).
  const kconfigSource = process.env.KBLOAT_LINUX_SOURCE ?? path.join(os.homedir(), '.cache/kbloat-bench/linux-source-6.1');
  test('what turning a symbol off takes along is what the kernel\'s make olddefconfig turns off', { skip: existsSync(path.join(kconfigSource, 'scripts/cc-version.sh')) ? false : `no Linux 6.1 source tree at ${kconfigSource} (KBLOAT_LINUX_SOURCE)` }, () => {
    const dir = tempDir('olddefconfig');
    try {
      const objects = ['conf', 'confdata', 'expr', 'lexer.lex', 'menu', 'parser.tab', 'preprocess', 'symbol', 'util'].map((o) => path.join(FIXTURE, `scripts/kconfig/${o}.o`));
      run('gcc', ['-o', path.join(dir, 'conf'), ...objects]);
      const olddefconfig = (text: string): Map<string, string> => {
        const file = path.join(dir, 'config');
        writeFileSync(file, text);
        // Run in the scratch folder, the sources read through srctree: conf writes include/config/ into its working folder.
        execFileSync(path.join(dir, 'conf'), ['--olddefconfig', 'Kconfig'], { cwd: dir, env: { ...process.env, KCONFIG_CONFIG: file, SRCARCH: 'x86', ARCH: 'i386', srctree: path.resolve(kconfigSource), CC: 'gcc', LD: 'ld', HOSTCC: 'gcc' }, stdio: 'ignore' });
        return new Map([...readFileSync(file, 'utf8').matchAll(/^(CONFIG_\w+)=([ym])$/gm)].map((m) => [m[1], m[2]]));
      };
      const dotconfig = readFileSync(path.join(FIXTURE, '.config'), 'utf8');
      const base = olddefconfig(dotconfig);
      const deps = new KconfigDependents(readBuildKconfigTree({ sourceDir: FIXTURE, config: path.join(FIXTURE, '.config') }));
      for (const symbol of ['CONFIG_HID', 'CONFIG_SERIAL_8250', 'CONFIG_INPUT', 'CONFIG_PERF_EVENTS', 'CONFIG_TTY', 'CONFIG_BLOCK', 'CONFIG_MODULES', 'CONFIG_PRINTK', 'CONFIG_PROC_FS', 'CONFIG_SYSFS', 'CONFIG_MOUSE_PS2', 'CONFIG_BINFMT_ELF', 'CONFIG_INPUT_KEYBOARD']) {
        const changed = olddefconfig(dotconfig.replace(new RegExp(`^${symbol}=y$`, 'm'), `# ${symbol} is not set`));
        const real = [...base].filter(([s]) => s !== symbol && !changed.has(s)).map(([s]) => s).sort();
        const ours = [...takeAlongOff(deps, symbol, (n) => configValue(cfg, `CONFIG_${n}`)).keys()].sort();
        assert.deepEqual(ours, real, `${symbol}=n: what olddefconfig turns off`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Makefile lines: each object\'s figure is size -A\'s, composites through their member lines, unset options say so', () => {
    const checkLine = (mk: string, pattern: RegExp, expected: Record<string, string[]>) => {
      const text = readFileSync(path.join(FIXTURE, mk), 'utf8');
      const lines = objectListLines(text);
      const lineNo = text.split('\n').findIndex((l) => pattern.test(l));
      const line = lines.find((l) => l.line === lineNo)!;
      assert.ok(line, `${mk}: a lens line at ${lineNo + 1}`);
      const lens = makefileLineLens(opt, path.posix.dirname(mk), line, lines, valueOf);
      for (const [word, objects] of Object.entries(expected)) {
        const m = new RegExp(`(?:^|· |, )${esc(word)} (\\S+ \\S+)`).exec(lens.title);
        assert.ok(m, `${mk}: ${word} in "${lens.title}"`);
        const b = sizeBounds(objects);
        const shown = m[1];
        // The shown size stands for a figure within size -A's bounds.
        assert.ok([...new Set([b.min, b.max])].some((n) => humanSize(n) === shown) || lensWithin(shown, b), `${mk}: ${word} ${shown} for size -A ${b.min}..${b.max}`);
      }
      return lens;
    };
    // The test reads the composites' members from the Makefile itself.
    const members = (mk: string, stem: string) => makefileAssignments(mk).filter((a) => a.stem === stem && (a.suffix === 'y' || a.suffix === 'objs' || valueOf(a.suffix.slice(2, -1)) === 'y')).flatMap((a) => a.words.map((w) => `${path.posix.dirname(mk)}/${w}`));
    const serial = 'drivers/tty/serial/8250/Makefile';
    const lens8250 = checkLine(serial, /^obj-\$\(CONFIG_SERIAL_8250\)\s/, { '8250.o': members(serial, '8250'), '8250_base.o': members(serial, '8250_base') });
    assert.match(lens8250.title, /^SERIAL_8250=y · /);
    const hid = 'drivers/hid/Makefile';
    checkLine(hid, /^obj-\$\(CONFIG_HID\)\s/, { 'hid.o': members(hid, 'hid') });
    checkLine(hid, /^obj-\$\(CONFIG_HID_GENERIC\)\s/, { 'hid-generic.o': ['drivers/hid/hid-generic.o'] });
    // A folder: everything of vmlinux.a under it.
    const kernelMk = 'kernel/Makefile';
    checkLine(kernelMk, /^obj-y\s*\+=\s*irq\/\s*$/, { 'irq/': [...builtIn].filter((o) => o.startsWith('kernel/irq/')) });
    // An option that is not set.
    const text = readFileSync(path.join(FIXTURE, hid), 'utf8');
    const lines = objectListLines(text);
    const uhid = lines.find((l) => l.condition === 'CONFIG_UHID')!;
    assert.equal(valueOf('CONFIG_UHID'), 'n');
    assert.equal(makefileLineLens(opt, 'drivers/hid', uhid, lines, valueOf).title, 'not built: CONFIG_UHID is not set');
  });

  test('#if blocks: a taken block shows the symbol sizes (nm -S, readelf) of the functions and variables in it, an unset one is configured out', () => {
    let checked = 0;
    let off = 0;
    for (const source of ['kernel/fork.c', 'kernel/printk/printk.c', 'kernel/sched/core.c', 'mm/page_alloc.c', 'kernel/panic.c']) {
      const text = readFileSync(path.join(FIXTURE, source), 'utf8');
      const fns = cFunctions(parser, text);
      const map = branchMap(conditionalBranches(text), text.split('\n').length, valueOf);
      const file = lookups.file(source);
      const fates = builtDefinitions(fns.map((f) => ({ name: f.name, line: f.nameRange.start.line })), map, file);
      const defs = fns.map((f) => ({ name: f.name, line: f.nameRange.start.line, startLine: f.range.start.line, endLine: f.range.end.line }));
      const figures = branchFigures(text, map, defs, fates, file);
      // Ground truth: the object's symbol table (readelf; nm -S gives the same sizes), clones folded into
      // their function, two names at one place of one section (an alias) counted once.
      const sizes = new Map<string, number>();
      const data = new Set<string>();
      const places = new Set<string>();
      for (const sym of readelfSymbols(path.join(FIXTURE, source.replace(/\.c$/, '.o')))) {
        if ((sym.type !== 'FUNC' && sym.type !== 'OBJECT') || sym.size === 0 || sym.ndx === 'UND' || places.has(`${sym.ndx}:${sym.value}`)) continue;
        places.add(`${sym.ndx}:${sym.value}`);
        const name = sym.type === 'FUNC' ? functionBaseName(sym.name) : sym.name;
        if (sym.type === 'OBJECT') data.add(name);
        sizes.set(name, (sizes.get(name) ?? 0) + sym.size);
      }
      const lines = text.split('\n');
      const scope = fileScopeOf(text);
      for (const f of figures) {
        const b = f.branch;
        if (f.title.startsWith('configured out: ')) {
          off++;
          // Nothing the block defines on its own lines is in the object.
          const defined = [...lines.slice(b.line + 1, b.end).join('\n').matchAll(/^(?:static\s+)?(?:[\w*]+\s+)+\**(\w+)\(/gm)].map((m) => m[1]);
          for (const name of defined) if (lines.filter((l) => new RegExp(`^[^\\s#].*\\b${name}\\(`).test(l) && !/;\s*$/.test(l)).length === 1) assert.ok(!sizes.has(name), `${source}:${b.line + 1} is configured out, yet ${name} is in the object`);
          continue;
        }
        if (f.bytes === undefined) continue;
        // The test's own reading of the block: file-scope definitions that nm names
        // (a function's definition line; a variable's first file-scope line in the file).
        let expected = 0;
        const names: string[] = [];
        for (let i = b.line + 1; i < b.end; i++) {
          const l = scope.lines[i];
          if (!scope.fileScope[i] || !/^[A-Za-z_]/.test(l) || /^(extern|typedef)\b/.test(l)) continue;
          const fn = !/;\s*$/.test(l) ? /\b(\w+)\s*\(/.exec(l.replace(/^(SYSCALL_DEFINE\d)\((\w+).*/, 'sys_$2('))?.[1] : undefined;
          const vars = [...l.matchAll(/\b\w+\b/g)].map((m) => m[0]).filter((n) => data.has(n) && scope.firstLine.get(n) === i);
          for (const n of [fn, ...vars]) if (n && sizes.has(n) && !names.includes(n)) names.push(n), (expected += sizes.get(n)!);
        }
        const listed = [...f.functions, ...f.variables].map((x) => x.name).sort();
        assert.deepEqual(listed, [...names].sort(), `${source}:${b.line + 1} (#${b.directive} ${b.written}): what it defines`);
        assert.equal(f.bytes, expected, `${source}:${b.line + 1}: nm -S of ${names.join(', ')}`);
        assert.match(f.title, new RegExp(`^${esc(humanSize(expected))} in vmlinux · `));
        checked++;
      }
    }
    assert.ok(checked >= 10, `${checked} blocks checked`);
    assert.ok(off >= 10, `${off} blocks configured out`);
  });

  test('kernel/fork.c\'s thread_stack_free_rcu: the size at the one definition addr2line places the built code in, the others say why not', () => {
    const text = readFileSync(path.join(FIXTURE, 'kernel/fork.c'), 'utf8');
    const fns = cFunctions(parser, text);
    const map = branchMap(conditionalBranches(text), text.split('\n').length, valueOf);
    const fates = builtDefinitions(fns.map((f) => ({ name: f.name, line: f.nameRange.start.line })), map, lookups.file('kernel/fork.c'));
    const defs = fns.map((f, i) => ({ f, fate: fates[i] })).filter((x) => x.f.name === 'thread_stack_free_rcu');
    assert.equal(defs.length, 3, 'three definitions in exclusive branches');
    const sym = run('nm', ['-S', 'vmlinux'], FIXTURE).split('\n').map((l) => /^([0-9a-f]+) ([0-9a-f]+) t thread_stack_free_rcu$/.exec(l)).find(Boolean)!;
    const where = run('addr2line', ['-e', 'vmlinux', sym[1]], FIXTURE).trim();
    const line = Number(/:(\d+)/.exec(where)![1]) - 1;
    const built = defs.filter((d) => d.fate.built);
    assert.equal(built.length, 1, JSON.stringify(defs.map((d) => d.fate)));
    assert.ok(line >= built[0].f.range.start.line && line <= built[0].f.range.end.line, `addr2line says ${where}; the built definition is at line ${built[0].f.nameRange.start.line + 1}`);
    assert.equal(lookups.file('kernel/fork.c')!.functions.find((f) => f.name === 'thread_stack_free_rcu')!.size, parseInt(sym[2], 16));
    for (const d of defs.filter((x) => !x.fate.built)) assert.match((d.fate as { why: string }).why, /^(CONFIG_VMAP_STACK is not set|the definition at line \d+ is the one built)$/);
  });
});

describe('option readers on written text', () => {
  test('Makefile lines: continuations, composites, comments, half-written lines', () => {
    const text = ['obj-y += a.o \\', '\tsub/ # a comment', 'foo-y := x.o y.o', 'foo-$(CONFIG_BAR) += z.o', 'ccflags-y += -DX', 'obj-$(CONFIG_Q) += $(call cc-option,q.o) r.o', 'obj-$(CONFIG_', 'define x', 'obj-y += no.o', 'endef', '\tobj-y += recipe.o'].join('\n');
    const lines = objectListLines(text);
    assert.deepEqual(lines.map((l) => [l.line, l.lastLine, l.listVar, l.kind, l.condition ?? '', l.words.map((w) => `${w.text}@${w.line}:${w.character}`).join(' ')]), [
      [0, 1, 'obj-y', 'obj', '', 'a.o@0:9 sub/@1:1'],
      [2, 2, 'foo-y', 'composite', '', 'x.o@2:9 y.o@2:13'],
      [3, 3, 'foo-$(CONFIG_BAR)', 'composite', 'CONFIG_BAR', 'z.o@3:21'],
      [5, 5, 'obj-$(CONFIG_Q)', 'obj', 'CONFIG_Q', 'r.o@5:41'],
    ]);
    assert.equal(lines[3].unresolved, true);
  });

  test('trace events: TRACE_EVENT, DECLARE_EVENT_CLASS, DEFINE_EVENT, and the instantiating #include', () => {
    const header = [
      '/* TRACE_EVENT(commented_out, ...) */',
      '#define TRACE_SYSTEM demo',
      'TRACE_EVENT(demo_one,',
      '\tTP_PROTO(int x), TP_ARGS(x), TP_STRUCT__entry(__field(int, x)),',
      '\tTP_fast_assign(__entry->x = x;), TP_printk("TRACE_EVENT(no)")',
      ');',
      'DECLARE_EVENT_CLASS(demo_class, TP_PROTO(int x), TP_ARGS(x), TP_STRUCT__entry(), TP_fast_assign(), TP_printk(""));',
      'DEFINE_EVENT(demo_class, demo_two, TP_PROTO(int x), TP_ARGS(x));',
      '  DEFINE_EVENT_PRINT(demo_class, demo_three, TP_PROTO(int x), TP_ARGS(x), TP_printk(""));',
    ].join('\n');
    assert.deepEqual(traceEventsIn(header).map((d) => [d.macro, d.kind, d.name, d.eventClass, d.ownOutput, d.line, d.character]), [
      ['TRACE_EVENT', 'event', 'demo_one', 'demo_one', true, 2, 0],
      ['DECLARE_EVENT_CLASS', 'class', 'demo_class', 'demo_class', true, 6, 0],
      ['DEFINE_EVENT', 'class-event', 'demo_two', 'demo_class', false, 7, 0],
      ['DEFINE_EVENT_PRINT', 'class-event', 'demo_three', 'demo_class', true, 8, 2],
    ]);
    const c = ['#include <trace/events/sched.h>', '', '#define CREATE_TRACE_POINTS', '#include <trace/events/task.h>', '#include "trace.h"', '#undef CREATE_TRACE_POINTS', '#include <linux/x.h>'].join('\n');
    assert.deepEqual(createTracePointIncludes(c), [
      { line: 3, written: 'trace/events/task.h', angled: true },
      { line: 4, written: 'trace.h', angled: false },
    ]);
  });

  const debianSource = process.env.KBLOAT_LINUX_SOURCE ?? path.join(os.homedir(), '.cache/kbloat-bench/linux-source-6.1');
  test('trace events of real headers: every TRACE_EVENT-family line of include/trace/events/ is read', { skip: existsSync(path.join(debianSource, 'include/trace/events')) ? false : `no Linux source tree at ${debianSource} (KBLOAT_LINUX_SOURCE)` }, () => {
    const dir = path.join(debianSource, 'include/trace/events');
    let events = 0;
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.h'))) {
      const text = readFileSync(path.join(dir, name), 'utf8');
      const decls = traceEventsIn(text);
      // The test's own count: lines that start with one of the macros and an identifier argument.
      // (not in a `#define` body: those lines follow one ending in a backslash)
      const lines = text.split('\n').filter((l, i, all) => !/\\\s*$/.test(all[i - 1] ?? '') && /^\s*(TRACE_EVENT|TRACE_EVENT_FN|TRACE_EVENT_FN_COND|TRACE_EVENT_CONDITION|DECLARE_EVENT_CLASS|DEFINE_EVENT|DEFINE_EVENT_FN|DEFINE_EVENT_CONDITION|DEFINE_EVENT_PRINT)\s*\(/.test(l));
      assert.ok(decls.length <= lines.length, `${name}: ${decls.length} of ${lines.length}`);
      assert.ok(decls.length >= lines.length - 2, `${name}: ${decls.length} declarations for ${lines.length} macro lines`);
      events += decls.length;
    }
    assert.ok(events > 500, `${events} declarations`);
    assert.deepEqual(traceEventsIn(readFileSync(path.join(dir, 'task.h'), 'utf8')).map((d) => d.name), ['task_newtask', 'task_rename']);
  });
});

/**
 * Which lines of a C file are at file scope (brace depth 0, comments and
 * strings left out), and the first such line naming each identifier.
 */
function fileScopeOf(text: string): { lines: string[]; fileScope: boolean[]; firstLine: Map<string, number> } {
  const lines = text.split('\n');
  const fileScope: boolean[] = [];
  const firstLine = new Map<string, number>();
  let depth = 0;
  let inComment = false;
  let inDirective = false;
  lines.forEach((raw, i) => {
    let l = raw;
    // A preprocessor directive and its continuation lines: no code of the file's scope.
    const directive = inDirective || /^\s*#/.test(l);
    inDirective = directive && /\\\s*$/.test(l);
    if (directive && !inComment) return fileScope.push(false);
    if (inComment) {
      const end = l.indexOf('*/');
      if (end < 0) return fileScope.push(false);
      l = ' '.repeat(end + 2) + l.slice(end + 2);
      inComment = false;
    }
    l = l.replace(/\/\*.*?\*\//g, ' ').replace(/"(?:\\.|[^"\\])*"/g, '""').replace(/'(?:\\.|[^'\\])*'/g, "''").replace(/\/\/.*$/, '');
    const open = l.indexOf('/*');
    if (open >= 0) (l = l.slice(0, open)), (inComment = true);
    fileScope.push(depth === 0 && !/^\s*#/.test(l));
    if (depth === 0 && !/^\s*#/.test(l) && !/^(extern|typedef)\b/.test(l)) for (const m of l.matchAll(/\b[A-Za-z_]\w*\b/g)) if (!firstLine.has(m[0])) firstLine.set(m[0], i);
    depth = Math.max(0, depth + (l.match(/\{/g) ?? []).length - (l.match(/\}/g) ?? []).length);
  });
  return { lines, fileScope, firstLine };
}

/** Where the fixture's Kconfig defines a symbol (the tests' symbols only). */
function kconfigFileOf(symbol: string): string {
  return ({ CONFIG_SERIAL_8250: 'drivers/tty/serial/8250/Kconfig', CONFIG_HID: 'drivers/hid/Kconfig', CONFIG_PERF_EVENTS: 'init/Kconfig', CONFIG_INPUT: 'drivers/input/Kconfig' } as Record<string, string>)[symbol];
}

function cFunctions(parser: CParser, text: string): CFunction[] {
  const tree = parseC(parser, text)!;
  try {
    return findFunctions(tree, text);
  } finally {
    tree.delete();
  }
}

/** Whether a size as the lens writes it (`7,667 B`, `15.2 KiB`) can stand for a figure within the bounds. */
function lensWithin(shown: string, b: { min: number; max: number }): boolean {
  const m = /^([\d,.]+) (B|KiB|MiB)$/.exec(shown);
  if (!m) return false;
  const unit = m[2] === 'B' ? 1 : m[2] === 'KiB' ? 1024 : 1024 * 1024;
  const v = Number(m[1].replace(/,/g, '')) * unit;
  const slack = m[2] === 'B' ? 0 : 0.05 * unit;
  return v + slack >= b.min && v - slack <= b.max;
}
