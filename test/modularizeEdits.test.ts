/**
 * The text edits behind "Modularize…", applied to copies of the Linux 6.1
 * fixture's own .config, Kconfig, Makefiles and C sources. Results are checked
 * by parsing the edited files again — .config with the .config reader, Kconfig
 * with the Kconfig parser, Makefiles with the Kbuild evaluator, C with
 * tree-sitter — and every step applied a second time must change nothing.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDotConfig, configValue } from '../server/src/kbuild/dotconfig';
import { parseKconfigFile } from '../server/src/kbuild/kconfig/parser';
import { parseKbuildMakefile } from '../server/src/kbuild/objLines';
import { blankCommentsAndStrings } from '../server/src/c/blank';
import { kconfigProblems } from '../server/src/kbuild/kconfig/problems';
import { cSourceModuleEdits, moduleLicenseFor } from '../server/src/modularize/edits/csource';
import { dotconfigSetModule } from '../server/src/modularize/edits/dotconfig';
import { kconfigAddEntry, kconfigMakeTristate, newOptionName } from '../server/src/modularize/edits/kconfig';
import { makefileNewOption } from '../server/src/modularize/edits/makefile';
import { applyTextEdits, EditResult } from '../server/src/modularize/edits/text';
import { parseC } from '../server/src/c/functions';
import { CParser, createCParser, defaultWasmLocations } from '../server/src/c/wasm';
import { FIXTURE, fixtureSkip } from './helpers';

const read = (rel: string) => readFileSync(path.join(FIXTURE, rel), 'utf8');

/** Applies a step, then asks for it again on the result: the second answer must be empty. */
function applyOnce(text: string, step: (t: string) => EditResult): string {
  const first = step(text);
  assert.equal(first.problem, undefined, first.problem);
  assert.ok(first.edits.length > 0, 'the step has something to do on the original text');
  const out = applyTextEdits(text, first.edits);
  const again = step(out);
  assert.equal(again.problem, undefined, again.problem);
  assert.deepEqual(again.edits, [], 'applying the step a second time changes nothing');
  return out;
}

function errorNodes(parser: CParser, text: string): number {
  const tree = parseC(parser, text);
  assert.ok(tree);
  try {
    let n = 0;
    const walk = (node: { isError: boolean; isMissing: boolean; childCount: number; child(i: number): unknown }) => {
      if (node.isError || node.isMissing) n++;
      for (let i = 0; i < node.childCount; i++) walk(node.child(i) as typeof node);
    };
    walk(tree.rootNode as unknown as Parameters<typeof walk>[0]);
    return n;
  } finally {
    tree.delete();
  }
}

describe('.config', { skip: fixtureSkip }, () => {
  it('sets a built-in tristate option to m, once', () => {
    const text = read('.config');
    assert.equal(configValue(parseDotConfig(text), 'CONFIG_SERIAL_8250'), 'y');
    const out = applyOnce(text, (t) => dotconfigSetModule(t, 'CONFIG_SERIAL_8250'));
    const cfg = parseDotConfig(out);
    assert.equal(configValue(cfg, 'CONFIG_SERIAL_8250'), 'm');
    // Nothing else changed: every other option keeps its value.
    const before = parseDotConfig(text);
    for (const [k, v] of before.values) if (k !== 'CONFIG_SERIAL_8250') assert.equal(cfg.values.get(k), v, k);
  });

  it('adds a new option as m, and turns "is not set" into m', () => {
    const text = read('.config');
    const out = applyOnce(text, (t) => dotconfigSetModule(t, 'CONFIG_KBLOAT_NEW'));
    assert.equal(configValue(parseDotConfig(out), 'CONFIG_KBLOAT_NEW'), 'm');
    const unset = /^# (CONFIG_\w+) is not set$/m.exec(text)![1];
    const out2 = applyOnce(text, (t) => dotconfigSetModule(t, unset));
    assert.equal(configValue(parseDotConfig(out2), unset), 'm');
  });

  it('refuses a value that is not tristate', () => {
    const r = dotconfigSetModule('CONFIG_LOG_BUF_SHIFT=17\n', 'CONFIG_LOG_BUF_SHIFT');
    assert.deepEqual(r.edits, []);
    assert.match(r.problem ?? '', /CONFIG_LOG_BUF_SHIFT=17 .* not a tristate value/);
  });
});

describe('Kconfig', { skip: fixtureSkip }, () => {
  it('makes a bool option tristate, once, and leaves the rest of the entry alone', () => {
    const file = 'drivers/tty/Kconfig';
    const text = read(file);
    const before = parseKconfigFile(text, file);
    const tty = before.symbols.find((s) => s.name === 'TTY')!;
    assert.equal(tty.type, 'bool');
    const out = applyOnce(text, (t) => kconfigMakeTristate(t, file, 'CONFIG_TTY'));
    const after = parseKconfigFile(out, file);
    assert.deepEqual(after.warnings, []);
    const tty2 = after.symbols.find((s) => s.name === 'TTY')!;
    assert.equal(tty2.type, 'tristate');
    assert.equal(tty2.prompt, tty.prompt);
    assert.deepEqual(tty2.defaults.map((d) => d.value), tty.defaults.map((d) => d.value));
    assert.equal(after.symbols.length, before.symbols.length);
    for (const s of after.symbols) if (s.name !== 'TTY') assert.equal(s.type, before.symbols.find((b) => b.name === s.name && b.pos.line === s.pos.line)?.type, s.name);
  });

  it('turns def_bool into def_tristate', () => {
    const file = 'drivers/xen/Kconfig';
    const text = read(file);
    const sym = parseKconfigFile(text, file).symbols.find((s) => s.type === 'bool' && s.typePos && /def_bool/.test(text.split('\n')[s.typePos.line - 1]))!;
    assert.ok(sym, 'the file has a def_bool entry');
    const out = applyOnce(text, (t) => kconfigMakeTristate(t, file, sym.name));
    const line = out.split('\n')[sym.typePos!.line - 1];
    assert.match(line, /^\s*def_tristate\b/);
    const again = parseKconfigFile(out, file).symbols.find((s) => s.name === sym.name)!;
    assert.equal(again.type, 'tristate');
    assert.deepEqual(again.defaults.map((d) => d.value), sym.defaults.map((d) => d.value));
  });

  it('adds a new tristate entry at the end of a file, once', () => {
    const file = 'drivers/tty/Kconfig';
    const text = read(file);
    const entry = { name: 'KBLOAT_TEST', prompt: 'Test option', dependsOn: ['TTY'], help: ['Builds n_null.o.', '', 'Say M to build it as a module.'] };
    const out = applyOnce(text, (t) => kconfigAddEntry(t, file, entry));
    const parsed = parseKconfigFile(out, file);
    assert.deepEqual(parsed.warnings, []);
    const s = parsed.symbols.find((x) => x.name === 'KBLOAT_TEST')!;
    assert.equal(s.type, 'tristate');
    assert.equal(s.prompt, 'Test option');
    assert.deepEqual(s.defaults.map((d) => d.value), ['y']);
    assert.deepEqual(s.ownDepends.map((d) => d.expr), ['TTY']);
    assert.equal(s.help, 'Builds n_null.o.\n\nSay M to build it as a module.');
    assert.equal(s.pos.line, parsed.symbols.reduce((m, x) => Math.max(m, x.pos.line), 0), 'the last entry of the file');
  });

  it('adds a new entry inside the menu a file closes with', () => {
    const file = 'net/ax25/Kconfig';
    const text = read(file);
    const out = applyOnce(text, (t) => kconfigAddEntry(t, file, { name: 'KBLOAT_IN_MENU', prompt: 'In menu', dependsOn: [], help: ['x'] }));
    assert.deepEqual(parseKconfigFile(out, file).warnings, []);
    const lines = out.split('\n');
    const at = lines.findIndex((l) => l === 'config KBLOAT_IN_MENU');
    const closer = lines.findIndex((l, i) => i > at && /^\s*endmenu\b/.test(l));
    assert.ok(at > 0 && closer > at, 'the entry sits before the closing endmenu');
    assert.ok(lines.slice(closer + 1).every((l) => /^\s*(#.*)?$/.test(l)), 'and that endmenu is still the last statement');
  });

  it('appends to a file that does not end in a block', () => {
    const text = 'config A\n\tbool "a"\n';
    const out = applyOnce(text, (t) => kconfigAddEntry(t, 'Kconfig', { name: 'B', prompt: 'b', dependsOn: [], help: ['x'] }));
    const names = parseKconfigFile(out, 'Kconfig').symbols.map((s) => `${s.name}:${s.type}`);
    assert.deepEqual(names, ['A:bool', 'B:tristate']);
  });

  it('withholds edits from a file that does not parse, naming the line', () => {
    const file = 'drivers/tty/Kconfig';
    const lines = read(file).split('\n');
    const at = lines.findIndex((l) => /^config TTY$/.test(l));
    lines.splice(at + 2, 0, '\tdepends on "FOO');
    const broken = lines.join('\n');
    const problems = kconfigProblems(broken, file);
    assert.equal(problems[0]?.line, at + 3);
    const r = kconfigMakeTristate(broken, file, 'TTY');
    assert.deepEqual(r.edits, []);
    assert.match(r.problem ?? '', new RegExp(`^drivers/tty/Kconfig:${at + 3} does not parse`));
    assert.match(kconfigAddEntry(broken, file, { name: 'X', prompt: 'x', dependsOn: [], help: [] }).problem ?? '', /does not parse/);
  });
});

describe('Makefile', { skip: fixtureSkip }, () => {
  const cfg = () => parseDotConfig(read('.config'));
  const lineFor = (text: string, file: string, target: string) => parseKbuildMakefile(text, path.posix.dirname(file), file, { config: cfg() }).lines.filter((l) => l.target === target);

  it('takes an object out of a multi-line obj-y list and puts it behind the new option, once', () => {
    const file = 'kernel/Makefile';
    const text = read(file);
    const [orig] = lineFor(text, file, 'kernel/exec_domain.o');
    assert.equal(orig.list, 'obj-y');
    const out = applyOnce(text, (t) => makefileNewOption(t, file, orig.line, 'exec_domain.o', 'CONFIG_KBLOAT_EXEC_DOMAIN'));
    const moved = lineFor(out, file, 'kernel/exec_domain.o');
    assert.equal(moved.length, 1);
    assert.equal(moved[0].condition, 'CONFIG_KBLOAT_EXEC_DOMAIN');
    // Its neighbours on the original statement are still obj-y, and no object was lost or added.
    assert.equal(lineFor(out, file, 'kernel/fork.o')[0].list, 'obj-y');
    assert.equal(lineFor(out, file, 'kernel/panic.o')[0].list, 'obj-y');
    const targets = (t: string) => parseKbuildMakefile(t, 'kernel', file, { config: cfg() }).lines.map((l) => l.target).sort();
    assert.deepEqual(targets(out), targets(text));
  });

  it('rewrites a statement that lists only the object', () => {
    const file = 'kernel/Makefile';
    const text = read(file);
    const single = parseKbuildMakefile(text, 'kernel', file, { config: cfg() }).lines.find((l) => l.list === 'obj-y' && l.kind === 'obj' && l.listVar === 'obj-y'
      && /^obj-y\s*\+=\s*\S+\.o\s*$/.test(text.split('\n')[l.line - 1]))!;
    assert.ok(single, 'kernel/Makefile has a one-object obj-y line');
    const obj = path.posix.basename(single.target);
    const out = applyOnce(text, (t) => makefileNewOption(t, file, single.line, obj, 'KBLOAT_ONE'));
    assert.equal(out.split('\n').length, text.split('\n').length);
    const moved = lineFor(out, file, single.target);
    assert.equal(moved[0].condition, 'CONFIG_KBLOAT_ONE');
    assert.equal(moved[0].line, single.line);
  });

  it('refuses a line that is not obj-y', () => {
    const r = makefileNewOption('obj-$(CONFIG_A) += a.o\n', 'Makefile', 1, 'a.o', 'B');
    assert.match(r.problem ?? '', /listed under obj-\$\(CONFIG_A\)/);
  });
});

describe('C sources', { skip: fixtureSkip }, () => {
  let parser: CParser;
  before(async () => {
    parser = await createCParser(defaultWasmLocations());
  });

  it('gives a built-in driver what a module needs, once, and the file still parses', () => {
    const file = 'arch/x86/kernel/rtc.c';
    const text = read(file);
    const step = (t: string) => cSourceModuleEdits(t, { description: 'x86 RTC' });
    const out = applyOnce(text, step);
    const code = blankCommentsAndStrings(out);
    assert.match(code, /^#include <linux\/module\.h>$/m);
    assert.match(out, /^MODULE_LICENSE\("GPL"\);$/m);
    assert.match(out, /^MODULE_DESCRIPTION\("x86 RTC"\);$/m);
    // The built-in device_initcall became module_init; nothing else changed its kind.
    const initcalls = (t: string) => [...blankCommentsAndStrings(t).matchAll(/^(\w+)\((\w+)\);/gm)].filter((m) => /initcall|module_init/.test(m[1])).map((m) => `${m[1]}(${m[2]})`);
    assert.deepEqual(initcalls(text).map((s) => s.replace(/^device_initcall/, 'module_init')), initcalls(out));
    assert.ok(initcalls(out).some((s) => s.startsWith('module_init(')));
    assert.ok(errorNodes(parser, out) <= errorNodes(parser, text), 'no new parse errors');
  });

  it('turns builtin_<bus>_driver into module_<bus>_driver and keeps an early initcall with a note', () => {
    const text = [
      '// SPDX-License-Identifier: GPL-2.0 OR MIT',
      '/* A driver. */',
      '#include <linux/platform_device.h>',
      'static int __init early(void) { return 0; }',
      'core_initcall(early);',
      'static struct platform_driver foo_driver = { .driver = { .name = "foo" } };',
      'builtin_platform_driver(foo_driver);',
      '',
    ].join('\n');
    const r = cSourceModuleEdits(text, { description: 'Foo' });
    const out = applyTextEdits(text, r.edits);
    assert.match(out, /^module_platform_driver\(foo_driver\);$/m);
    assert.match(out, /^core_initcall\(early\);$/m);
    assert.match(out, /^MODULE_LICENSE\("Dual MIT\/GPL"\);$/m);
    assert.ok(r.notes.some((n) => /line 5: core_initcall\(\) runs earlier in the boot/.test(n)), r.notes.join('; '));
    assert.deepEqual(cSourceModuleEdits(out, { description: 'Foo' }).edits, []);
  });

  it('reads the module license from the SPDX line', () => {
    assert.equal(moduleLicenseFor('// SPDX-License-Identifier: GPL-2.0-only\n'), 'GPL');
    assert.equal(moduleLicenseFor('/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */\n'), 'Dual BSD/GPL');
    assert.equal(moduleLicenseFor('int x;\n'), 'GPL');
  });

  it('does not see code in comments or strings', () => {
    const text = '/* MODULE_LICENSE("GPL"); */\nconst char *s = "module_init(x)";\n';
    const out = applyTextEdits(text, cSourceModuleEdits(text, { description: 'd' }).edits);
    assert.match(out, /^MODULE_LICENSE\("GPL"\);$/m);
  });
});

describe('new option names', () => {
  it('follows the folder and the object, and avoids names in use', () => {
    const taken = new Set(['TTY_N_NULL']);
    assert.equal(newOptionName('drivers/tty/n_null.o', (n) => taken.has(n)), 'TTY_N_NULL_2');
    assert.equal(newOptionName('drivers/tty/tty_io.o', () => false), 'TTY_IO');
    assert.equal(newOptionName('kernel/fork.o', () => false), 'KERNEL_FORK');
  });
});
