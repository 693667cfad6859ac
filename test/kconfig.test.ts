/**
 * The Kconfig parser on the real Linux 6.1 tree of the fixture, with ground
 * truth from the tree itself: `find` for the files there are, `grep` for the
 * `source`, `config`, `select` and `depends on` lines, and the build's own
 * `.config` for the symbols that must exist. Small snippets cover the forms
 * the tree lacks and the limits (cycles, depth, file count, long lines).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { KbloatInputError } from '../server/src/common/errors';
import { warningText } from '../server/src/common/warnings';
import { KconfigSymbol, KconfigTree, parseKconfigFile, parseKconfigTree, symbolType } from '../server/src/kbuild/kconfig/parser';

const FIXTURE = process.env.KBLOAT_FIXTURE ?? path.resolve(__dirname, '../../shared/fixtures/linux-6.1-tinyconfig-i386');
const skip = existsSync(path.join(FIXTURE, 'Kconfig')) ? false : `the Linux 6.1 fixture is not at ${FIXTURE} (set KBLOAT_FIXTURE)`;
const readFx = (rel: string): string | undefined => {
  try { return readFileSync(path.join(FIXTURE, rel), 'utf8'); } catch { return undefined; }
};
const sh = (cmd: string, args: string[]): string => {
  try {
    return execFileSync(cmd, args, { cwd: FIXTURE, encoding: 'utf8', maxBuffer: 1 << 28 });
  } catch (e) {
    // grep exits with 1 when nothing matched; its output is still the answer.
    const out = (e as { stdout?: string }).stdout;
    if (typeof out === 'string') return out;
    throw e;
  }
};
/** `grep -n` over the given files, as `{ file, line, text }`. */
const grep = (re: string, files: string[]) => sh('grep', ['-nE', re, '--', ...files]).split('\n').filter(Boolean).map((l) => {
  const m = /^([^:]+):(\d+):(.*)$/.exec(l)!;
  return { file: m[1], line: Number(m[2]), text: m[3] };
});

let cached: { tree: KconfigTree; ms: number; cpuMs: number } | undefined;
function fixtureTree() {
  if (!cached) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const tree = parseKconfigTree(readFx, { srcArch: 'x86', arch: 'i386' });
    const cpu = process.cpuUsage(c0);
    cached = { tree, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
  }
  return cached;
}

/**
 * Lines of a Kconfig file that are not help text, found independently of the
 * parser by a simpler rule: help text is the blank lines and the lines
 * indented deeper than the `help` keyword that follow it.
 */
function nonHelpLines(text: string): Set<number> {
  const width = (l: string) => { let w = 0; for (const c of l) { if (c === '\t') w = (w & ~7) + 8; else if (c === ' ') w++; else break; } return w; };
  const keep = new Set<number>();
  let helpIndent = -1;
  text.split('\n').forEach((l, i) => {
    if (helpIndent >= 0 && (/^\s*$/.test(l) || width(l) > helpIndent)) return;
    helpIndent = /^\s*(help|---help---)\s*$/.test(l) ? width(l) : -1;
    keep.add(i + 1);
  });
  return keep;
}

describe('the whole Linux 6.1 tree', { skip }, () => {
  test('parses without syntax warnings, well under a second', () => {
    const { tree, ms, cpuMs } = fixtureTree();
    console.log(`parsed ${tree.files.length} Kconfig files, ${tree.symbols.size} symbols in ${ms.toFixed(0)} ms (${cpuMs.toFixed(0)} ms CPU), reading the files included`);
    // Again with the texts in memory, to time the parser alone.
    const texts = new Map(tree.files.map((f) => [f, readFx(f)]));
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const again = parseKconfigTree((rel) => texts.get(rel), { srcArch: 'x86', arch: 'i386' });
    const cpu = process.cpuUsage(c0);
    const warm = { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
    console.log(`parsed again from memory in ${warm.ms.toFixed(0)} ms (${warm.cpuMs.toFixed(0)} ms CPU)`);
    assert.equal(again.symbols.size, tree.symbols.size);
    // The only allowed warnings: the top Kconfig and lib/Kconfig.debug source Documentation/Kconfig,
    // which the fixture does not ship (it has no Documentation/ folder at all).
    assert.equal(existsSync(path.join(FIXTURE, 'Documentation/Kconfig')), false);
    const unexpected = tree.warnings.map(warningText).filter((w) => !/: cannot open 'Documentation\/Kconfig'$/.test(w));
    assert.deepEqual(unexpected, []);
    assert.equal(tree.warnings.length, 2);
    assert.ok(warm.cpuMs < 1000, `parsing took ${warm.cpuMs} ms of CPU`);
  });

  test('reads exactly the Kconfig files that grep says are reachable from the top Kconfig', () => {
    const { tree } = fixtureTree();
    const all = sh('find', ['.', '-name', 'Kconfig*', '-type', 'f']).split('\n').filter(Boolean).map((f) => f.replace(/^\.\//, ''));
    // Every source line of the tree, resolved the way make would for ARCH=i386 (SRCARCH=x86).
    const refs = new Map<string, string[]>();
    for (const g of grep('^\\s*(o|r|or)?source\\s+"', all)) {
      const m = /^\s*(\w+)\s+"([^"]*)"/.exec(g.text)!;
      let p = m[2].replace(/\$\(SRCARCH\)/g, 'x86').replace(/^\$\(srctree\)\//, '');
      if (m[1] === 'rsource' || m[1] === 'orsource') p = path.posix.join(path.posix.dirname(g.file), p);
      if (!refs.has(g.file)) refs.set(g.file, []);
      refs.get(g.file)!.push(p);
    }
    const reachable = new Set<string>();
    const todo = ['Kconfig'];
    while (todo.length) {
      const f = todo.pop()!;
      if (reachable.has(f) || !existsSync(path.join(FIXTURE, f))) continue;
      reachable.add(f);
      todo.push(...(refs.get(f) ?? []));
    }
    assert.deepEqual([...tree.files].sort(), [...reachable].sort());
    assert.equal(new Set(tree.files).size, tree.files.length, 'each file is listed once');
    // The folders a tinyconfig x86 kernel is made of: everything there is read, except
    // arch/x86/um/Kconfig, which only arch/um sources (through $(HEADER_ARCH)).
    const read = new Set(tree.files);
    const unread = all.filter((f) => !read.has(f));
    for (const dir of ['drivers/tty/', 'fs/', 'kernel/', 'mm/', 'lib/', 'init/', 'crypto/', 'security/', 'block/']) {
      assert.deepEqual(unread.filter((f) => f.startsWith(dir)), [], dir);
    }
    assert.deepEqual(unread.filter((f) => f.startsWith('arch/x86/')), ['arch/x86/um/Kconfig']);
    assert.ok(all.filter((f) => f.startsWith('arch/x86/')).length > 5);
    assert.match(readFx('arch/um/Kconfig')!, /source "arch\/\$\(HEADER_ARCH\)\/um\/Kconfig"/);
    assert.ok(!read.has('arch/um/Kconfig'));
  });

  test('every symbol set in .config is defined, with a type that fits its value', () => {
    const { tree } = fixtureTree();
    const conf = readFx('.config')!;
    let checked = 0;
    for (const m of conf.matchAll(/^CONFIG_(\w+)=(.*)$/gm)) {
      const [, name, value] = m;
      assert.ok(tree.symbols.has(name), `CONFIG_${name} has no Kconfig entry`);
      const type = symbolType(tree, name);
      if (value === 'm') assert.equal(type, 'tristate', name);
      else if (value === 'y') assert.ok(type === 'bool' || type === 'tristate', `${name}: ${type}`);
      else if (value.startsWith('"')) assert.equal(type, 'string', name);
      else if (value.startsWith('0x')) assert.equal(type, 'hex', name);
      else assert.ok(type === 'int' || type === 'hex', `${name}=${value}: ${type}`);
      checked++;
    }
    assert.ok(checked > 300, `${checked} symbols`);
    assert.ok([...conf.matchAll(/^CONFIG_\w+=m$/gm)].length >= 5);
  });

  test('positions, types, selects and depends of the .config symbols match the text at those lines', () => {
    const { tree } = fixtureTree();
    const conf = readFx('.config')!;
    const texts = new Map<string, string[]>();
    const linesOf = (f: string) => texts.get(f) ?? texts.set(f, readFx(f)!.split('\n')).get(f)!;
    let defs = 0;
    for (const [, name] of conf.matchAll(/^CONFIG_(\w+)=/gm)) {
      for (const s of tree.symbols.get(name)!) {
        const lines = linesOf(s.pos.file);
        assert.match(lines[s.pos.line - 1], new RegExp(`^\\s*${s.kind}\\s+${name}\\s*(#.*)?$`));
        if (s.typePos) {
          assert.equal(s.typePos.file, s.pos.file);
          const kw = lines[s.typePos.line - 1].slice(s.typePos.col).split(/\s/)[0];
          assert.equal({ bool: 'bool', def_bool: 'bool', tristate: 'tristate', def_tristate: 'tristate' }[kw] ?? kw, s.type, `${name} at ${s.typePos.line}`);
        }
        // The entry's own lines, up to its help text, as grep would see them.
        let end = s.endLine;
        for (let k = s.pos.line; k < s.endLine; k++) if (/^\s*(help|---help---)\s*$/.test(lines[k])) { end = k; break; }
        const body = lines.slice(s.pos.line, end);
        assert.deepEqual(s.selects.map((r) => r.symbol), body.flatMap((l) => /^\s*select\s+(\w+)/.exec(l)?.[1] ?? []), name);
        assert.equal(s.ownDepends.length, body.filter((l) => /^\s*depends\s+on\s/.test(l)).length, name);
        assert.notEqual(lines[s.endLine - 1].trim(), '', `${name} ends on a blank line`);
        assert.ok(s.endLine >= (s.typePos?.line ?? s.pos.line));
        defs++;
      }
    }
    assert.ok(defs > 300);
  });

  test('known entries: SERIAL_8250, EXT2_FS, MODULES, CRYPTO_SHA256', () => {
    const { tree } = fixtureTree();
    const one = (n: string): KconfigSymbol => { const d = tree.symbols.get(n); assert.equal(d?.length, 1, n); return d![0]; };
    const s8250 = one('SERIAL_8250');
    assert.equal(s8250.pos.file, 'drivers/tty/serial/8250/Kconfig');
    assert.equal(s8250.type, 'tristate');
    assert.equal(s8250.prompt, '8250/16550 and compatible serial support');
    assert.deepEqual(s8250.selects.map((r) => [r.symbol, r.condition]), [['SERIAL_CORE', undefined], ['SERIAL_MCTRL_GPIO', 'GPIOLIB']]);
    // `if TTY` in drivers/tty/Kconfig and `menu "Serial drivers" depends on HAS_IOMEM` enclose it.
    assert.match(readFx('drivers/tty/Kconfig')!, /^if TTY$/m);
    assert.match(readFx('drivers/tty/serial/Kconfig')!, /^menu "Serial drivers"\n\tdepends on HAS_IOMEM$/m);
    assert.deepEqual(s8250.dependsOn, ['TTY', 'HAS_IOMEM', '!S390']);
    assert.deepEqual(s8250.ownDepends.map((d) => d.expr), ['!S390']);
    assert.match(s8250.help!, /^This selects whether you want to include the driver/);
    const lines = readFx(s8250.pos.file)!.split('\n');
    assert.match(lines[s8250.endLine - 1], /modems and similar devices connecting to the standard serial ports\.$/);
    assert.match(lines[s8250.endLine], /^\s*$/);
    assert.equal(one('EXT2_FS').type, 'tristate');
    const modules = one('MODULES');
    assert.equal(modules.kind, 'menuconfig');
    assert.equal(modules.type, 'bool');
    assert.match(readFx(modules.pos.file)!.split('\n')[modules.typePos!.line - 1], /^\tbool "Enable loadable module support"/);
    const sha = one('CRYPTO_SHA256');
    assert.deepEqual(sha.selects.map((r) => r.symbol), ['CRYPTO_HASH', 'CRYPTO_LIB_SHA256']);
    const x86 = tree.symbols.get('X86_32')!;
    assert.deepEqual(x86[0].defaults.map((d) => d.value), ['y']);
    assert.equal(x86[0].typePos!.col, 1);
  });

  test('selectedBy and the whole-tree counts agree with grep outside help text', () => {
    const { tree } = fixtureTree();
    const outside = new Map(tree.files.map((f) => [f, nonHelpLines(readFx(f)!)]));
    const hits = (re: string) => grep(re, tree.files).filter((g) => outside.get(g.file)!.has(g.line));
    for (const sym of ['SERIAL_CORE', 'CRYPTO_HASH', 'CRYPTO_LIB_SHA256', 'MODULES_USE_ELF_REL']) {
      const want = hits(`^\\s*select\\s+${sym}(\\s|$)`).map((g) => `${g.file}:${g.line}`).sort();
      const got = (tree.selectedBy.get(sym) ?? []).map((r) => `${r.pos.file}:${r.pos.line}`).sort();
      assert.ok(want.length > 0, sym);
      assert.deepEqual(got, want, sym);
    }
    const all = [...tree.symbols.values()].flat();
    assert.equal(all.length, hits('^\\s*(menu)?config\\s+\\w').length);
    assert.equal(all.reduce((n, s) => n + s.selects.length, 0), hits('^\\s*select\\s').length);
    assert.equal(all.reduce((n, s) => n + s.implies.length, 0), hits('^\\s*imply\\s').length);
    assert.equal([...tree.impliedBy.values()].reduce((n, l) => n + l.length, 0), hits('^\\s*imply\\s').length);
    assert.equal(tree.choices.size, hits('^\\s*choice(\\s|$)').length);
  });
});

/** A tree in memory, for parseKconfigTree. */
const memTree = (files: Record<string, string>, root = 'Kconfig', extra: { maxDepth?: number; maxFiles?: number } = {}) =>
  parseKconfigTree((rel) => files[rel], { srcArch: 'x86', root, ...extra });
const sym = (t: KconfigTree, n: string) => t.symbols.get(n)![0];

describe('Kconfig snippets', () => {
  test('help text ends at a less indented line, keeps blank lines and deeper indentation', () => {
    const r = parseKconfigFile([
      'config A', '\tbool "a"', '\thelp', '\t  First line.', '', '\t    indented', '\t  Last line.', '\t \t', '\tdepends on B',
      'config C', '        tristate', '        ---help---', '          Spaces.', '# comment', 'config D', '\tbool',
    ].join('\n'), 'k');
    assert.deepEqual(r.warnings, []);
    const [a, c, d] = r.symbols;
    assert.equal(a.help, 'First line.\n\n  indented\nLast line.');
    assert.deepEqual(a.dependsOn, ['B']);
    assert.equal(a.endLine, 9);
    assert.equal(c.help, 'Spaces.');
    assert.equal(c.endLine, 13);
    assert.equal(d.type, 'bool');
    assert.equal(d.endLine, 16);
  });

  test('if, menu depends and visible if reach the entries inside, and stop at endif/endmenu', () => {
    const r = parseKconfigFile([
      'if X86', 'menu "M"', '\tdepends on PCI', '\tvisible if EXPERT', 'if !FOO || BAR', 'config IN',
      '\ttristate "in"', '\tdepends on  A &&  (B || C)', 'endif', 'config MID', '\tbool', 'endmenu', 'endif', 'config OUT', '\tbool',
    ].join('\n'), 'k');
    assert.deepEqual(r.warnings, []);
    const [inner, mid, out] = r.symbols;
    assert.deepEqual(inner.dependsOn, ['X86', 'PCI', '!FOO || BAR', 'A && (B || C)']);
    assert.deepEqual(inner.visibleIf, ['EXPERT']);
    assert.deepEqual(mid.dependsOn, ['X86', 'PCI']);
    assert.deepEqual(out.dependsOn, []);
    assert.equal(out.visibleIf, undefined);
  });

  test('choice blocks: members, prompt, defaults, depends and optional', () => {
    const r = parseKconfigFile([
      'choice', '\tprompt "Pick"', '\tdefault B', '\tdepends on X', 'config A', '\tbool "a"', 'config B', '\tbool "b"', 'endchoice',
      'choice NAMED', '\ttristate "T" if Y', '\toptional', 'config C', '\ttristate "c"', 'endchoice', 'config AFTER', '\tbool',
    ].join('\n'), 'f/Kconfig');
    assert.deepEqual(r.warnings, []);
    const [c1, c2] = r.choices;
    assert.equal(c1.id, 'f/Kconfig:1');
    assert.equal(c1.prompt, 'Pick');
    assert.deepEqual(c1.defaults.map((d) => d.value), ['B']);
    assert.deepEqual(c1.members, ['A', 'B']);
    assert.equal(c1.endLine, 9);
    assert.deepEqual(r.symbols[0].dependsOn, ['X']);
    assert.equal(r.symbols[0].choice, 'f/Kconfig:1');
    assert.deepEqual([c2.id, c2.type, c2.prompt, c2.optional, c2.members], ['NAMED', 'tristate', 'T', true, ['C']]);
    assert.equal(r.symbols[3].choice, undefined);
  });

  test('source, rsource, osource, orsource with macros', () => {
    const t = memTree({
      Kconfig: 'DIR := drivers\nsub = $(1)/$(SRCARCH)\nsource "arch/$(SRCARCH)/Kconfig"\nsource "$(srctree)/$(DIR)/Kconfig"\n'
        + 'osource "missing/Kconfig"\nsource "$(shell,find . -name Kconfig)"\nsource "also/missing"\nrsource "../../etc/Kconfig"\n',
      'arch/x86/Kconfig': 'config ARCH_X86\n\tdef_bool y\n',
      'drivers/Kconfig': 'rsource "net/Kconfig"\norsource "nothere"\nrsource "../$(sub,lib)/Kconfig"\n',
      'drivers/net/Kconfig': 'config NET_DRV\n\ttristate "n"\n',
      'lib/x86/Kconfig': 'config LIBX\n\tbool\n',
    });
    assert.deepEqual(t.files, ['Kconfig', 'arch/x86/Kconfig', 'drivers/Kconfig', 'drivers/net/Kconfig', 'lib/x86/Kconfig']);
    assert.deepEqual(t.warnings.map(warningText), [
      `Kconfig:6: cannot expand the file name '$(shell,find . -name Kconfig)'`,
      `Kconfig:7: cannot open 'also/missing'`,
      `Kconfig:8: '../../etc/Kconfig' is outside the source tree: not read`,
    ]);
    assert.equal(sym(t, 'NET_DRV').pos.file, 'drivers/net/Kconfig');
    // Before Linux 4.18 the same path was written `$SRCARCH`.
    assert.deepEqual(memTree({ Kconfig: 'source "arch/$SRCARCH/Kconfig"\n', 'arch/x86/Kconfig': '' }).files, ['Kconfig', 'arch/x86/Kconfig']);
  });

  test('source cycles, depth and file count are bounded and warned about', () => {
    const self = memTree({ Kconfig: 'config A\n\tbool\nsource "Kconfig"\n' });
    assert.deepEqual(self.warnings.map(warningText), [`Kconfig:3: 'Kconfig' is already being read (source cycle): not read again`]);
    assert.equal(self.symbols.get('A')!.length, 1);
    const loop = memTree({ Kconfig: 'source "a"\n', a: 'source "b"\nconfig A\n\tbool\n', b: 'source "a"\n' });
    assert.deepEqual(loop.warnings.map(warningText), [`b:1: 'a' is already being read (source cycle): not read again`]);
    const chain: Record<string, string> = { Kconfig: 'source "f1"\n' };
    for (let k = 1; k <= 100; k++) chain[`f${k}`] = `source "f${k + 1}"\nconfig S${k}\n\tbool\n`;
    const deep = memTree(chain);
    assert.equal(deep.files.length, 64);
    assert.deepEqual(deep.warnings.map(warningText), [`f63:1: sources nested deeper than 64: 'f64' not read`]);
    // Each level sources the next twice: 2^24 readings without the bound.
    const fan: Record<string, string> = { Kconfig: 'source "g1"\n' };
    for (let k = 1; k <= 24; k++) fan[`g${k}`] = `source "g${k + 1}"\nsource "g${k + 1}"\nconfig G${k}\n\tbool\n`;
    // Without g25 every reading of g24 fails twice: the warnings stop at 1000.
    const noisy = memTree(fan, 'Kconfig', { maxFiles: 5000 });
    assert.equal(noisy.warnings.length, 1001);
    assert.deepEqual(noisy.warnings[1000], { message: 'further warnings left out' });
    const wide = memTree({ ...fan, g25: '' }, 'Kconfig', { maxFiles: 5000 });
    assert.equal(wide.warnings.length, 1);
    assert.match(warningText(wide.warnings[0]), /more than 5000 files sourced/);
    assert.ok(wide.symbols.get('G24')!.length < 5000);
    // Variables that each use the next one twice would take 2^25 expansions.
    let defs = 'z =\n';
    for (let k = 0; k < 25; k++) defs += `v${k} = $(v${k + 1})$(v${k + 1})\n`;
    const macros = memTree({ Kconfig: `${defs.replace(/v25/g, 'z')}source "x$(v0)"\n` });
    assert.deepEqual(macros.warnings.map(warningText), [`Kconfig:27: cannot expand the file name 'x$(v0)'`]);
  });

  test('line continuations, def_bool with a condition, quoted strings, CRLF', () => {
    const r = parseKconfigFile([
      'config A', '\tdef_bool y if X && \\', '\t\t Y', '\tselect B if \\', '\t\tC', '\tdef_bool n',
      'config S', '\tstring "say \\"hi\\" # not a comment" if E # a comment', '\tdefault "a#b"', '\tdefault $(cc-option,-mfoo, "x y")',
      'config T', '\tdef_tristate m if MODULES', '\trange 1 2', '\toption modules',
    ].join('\r\n'), 'k');
    assert.deepEqual(r.warnings, []);
    const [a, s, t] = r.symbols;
    assert.equal(a.type, 'bool');
    assert.deepEqual(a.defaults.map((d) => [d.value, d.condition, d.pos.line]), [['y', 'X && Y', 2], ['n', undefined, 6]]);
    assert.deepEqual(a.selects.map((x) => [x.symbol, x.condition, x.pos.line]), [['B', 'C', 4]]);
    assert.equal(a.endLine, 6);
    assert.equal(s.prompt, 'say "hi" # not a comment');
    assert.equal(s.promptIf, 'E');
    assert.deepEqual(s.defaults.map((d) => d.value), ['"a#b"', '$(cc-option,-mfoo, "x y")']);
    assert.deepEqual([t.type, t.defaults[0].value, t.defaults[0].condition, t.typePos], ['tristate', 'm', 'MODULES', { file: 'k', line: 12, col: 1 }]);
  });

  test('bad syntax is warned about with file:line; unterminated blocks close at the end of their file', () => {
    const t = memTree({
      Kconfig: 'source "broken"\nconfig AFTER\n\tbool\nendmenu\n',
      broken: 'if FOO\nmenu "m"\nconfig IN\n\tbool\n\tfrobnicate yes\n\tselect\nendmenu\nwhatever this is\n\tdepends on X\n'
        + '$(error-if,y,stop)\nmacro := $(info,hi)\nmenu "n"\n\tvisible if Y\n',
    });
    assert.deepEqual(t.warnings.map(warningText), [
      `broken:5: unknown attribute 'frobnicate yes'`,
      `broken:6: 'select' needs a symbol`,
      `broken:8: unknown statement 'whatever this is'`,
      `broken:9: 'depends' outside of an entry`,
      `broken:12: 'menu' is not closed at the end of the file`,
      `broken:1: 'if' is not closed at the end of the file`,
      `Kconfig:4: 'endmenu' without a matching 'menu' in this file`,
    ]);
    assert.deepEqual(sym(t, 'IN').dependsOn, ['FOO']);
    assert.deepEqual(sym(t, 'AFTER').dependsOn, []);
    const long = parseKconfigFile(`config L\n\tbool "${'x'.repeat(70000)}"\n`, 'k');
    assert.deepEqual(long.warnings, [{ file: 'k', line: 2, message: 'line too long: ignored' }]);
    assert.throws(() => memTree({}), (e) => e instanceof KbloatInputError && e.code === 'bad-config');
  });
});
