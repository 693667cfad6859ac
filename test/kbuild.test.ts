/**
 * The Kbuild Makefile model. On the real Linux 6.1 fixture the ground truth is
 * what the build itself did: the members of vmlinux.a (`ar t`), the objects of each
 * module (*.mod), the object lists Kbuild handed to `ar` (each folder's
 * .built-in.a.cmd and .lib.a.cmd) and which .o files exist at all. Small trees
 * cover forms the fixture lacks: pre-6.1 top-level lists, composite members in
 * sibling folders, unknowable conditions, and inputs built to loop forever.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { KernelConfig, parseDotConfig } from '../server/src/kbuild/dotconfig';
import { KbloatInputError } from '../server/src/common/errors';
import { KbuildTree } from '../server/src/kbuild/makefiles';
import { ObjLine, parseKbuildMakefile } from '../server/src/kbuild/objLines';

const FIXTURE = path.resolve(__dirname, '../../shared/fixtures/linux-6.1-tinyconfig-i386');
const skip = existsSync(path.join(FIXTURE, 'vmlinux.a')) ? false : `the Linux 6.1 fixture is not at ${FIXTURE}`;
const readFx = (p: string): string | undefined => {
  try {
    return readFileSync(path.join(FIXTURE, p), 'utf8');
  } catch {
    return undefined;
  }
};
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: FIXTURE, encoding: 'utf8', maxBuffer: 1 << 30 });

/**
 * vmlinux.a members that no Makefile line can explain. Empty for this fixture:
 * every member, including lib-y objects and generated ones like
 * arch/x86/entry/vdso/vdso-image-32.o, is named by a Makefile. An entry needs a
 * reason, and the test fails if an entry is no longer needed.
 */
const BUILTIN_EXCEPTIONS = new Map<string, string>();

let cached: { tree: KbuildTree; cfg: KernelConfig } | undefined;
function fixtureTree() {
  if (!cached) cached = { tree: new KbuildTree(readFx), cfg: parseDotConfig(readFx('.config')!, '.config') };
  return cached;
}

/** Every folder the build can enter, with the config: breadth-first over subdir lines, whatever their value. */
function allDirs(tree: KbuildTree, cfg?: KernelConfig): string[] {
  const seen = new Set(['']);
  const queue = [''];
  for (let i = 0; i < queue.length; i++) {
    for (const l of tree.objectsNamed(queue[i], cfg)) {
      const d = l.target.replace(/\/$/, '');
      if (l.kind === 'subdir' && !seen.has(d)) seen.add(d), queue.push(d);
    }
  }
  return queue;
}

test('every Makefile and Kbuild file of the tree parses, with and without a configuration', { skip }, () => {
  const { cfg } = fixtureTree();
  const files = sh('find', ['.', '-type', 'f', '(', '-name', 'Makefile', '-o', '-name', 'Kbuild', '-o', '-name', 'Makefile.*', '-o', '-name', 'Kbuild.*', ')'])
    .split('\n')
    .filter(Boolean)
    .map((f) => f.slice(2));
  assert.ok(files.length > 2000, `${files.length} files`);
  let lines = 0;
  for (const f of files) {
    const dir = path.posix.dirname(f) === '.' ? '' : path.posix.dirname(f);
    for (const config of [cfg, undefined]) {
      const d = parseKbuildMakefile(readFx(f)!, dir, f, { config, readFile: readFx });
      lines += d.lines.length;
      assert.ok(!d.unknowns.some((u) => /too much|too long|too many/.test(u.reason)), f);
      for (const l of d.lines) assert.ok(l.target && !l.target.includes('\0') && !l.target.includes('$('), `${f}:${l.line} ${l.target}`);
    }
  }
  assert.ok(lines > 50000, `${lines} object lines`);
});

test('every member of vmlinux.a (ar t) is explained as built-in', { skip }, () => {
  const { tree, cfg } = fixtureTree();
  const members = sh('ar', ['t', 'vmlinux.a']).split('\n').filter(Boolean);
  assert.ok(members.length > 500, `${members.length} members`);
  const wrong: string[] = [];
  for (const m of members) {
    const r = tree.explainObject(m, cfg);
    if (BUILTIN_EXCEPTIONS.has(m)) assert.notEqual(r.status, 'built-in', `${m} no longer needs its exception`);
    else if (r.status !== 'built-in') wrong.push(`${m}: ${r.status}: ${r.text}`);
    else {
      assert.ok(r.chain.length >= 2, m); // its own line and at least the descent from the root
      assert.equal(r.chain[0].target, m);
      assert.ok(r.chain.every((l) => l.value === 'y'), m);
    }
  }
  assert.deepEqual(wrong, []);
});

test('every object of every module in modules.order (its *.mod) is explained as module', { skip }, () => {
  const { tree, cfg } = fixtureTree();
  const modules = readFx('modules.order')!.split('\n').filter(Boolean);
  assert.ok(modules.length >= 5);
  for (const ko of modules) {
    const objs = readFx(ko.replace(/\.ko$/, '.mod'))!.split(/\s+/).filter(Boolean);
    for (const o of objs) {
      const r = tree.explainObject(o, cfg);
      assert.equal(r.status, 'module', `${o}: ${r.text}`);
      const m = /^(CONFIG_\w+)=m in (\S+)$/.exec(r.text);
      assert.ok(m, `${o}: ${r.text}`);
      assert.ok(readFx('.config')!.includes(`\n${m[1]}=m\n`), `${m[1]} is m in .config`);
      assert.ok(r.configSymbols.some((s) => s.name === m[1] && s.value === 'm'));
    }
  }
});

/** Kbuild's own record of a folder's built-in.a: `printf "dir/%s " a.o sub/built-in.a | xargs ar ...`. */
function builtInCmd(dir: string): string[] | undefined {
  const text = readFx(dir ? `${dir}/.built-in.a.cmd` : '.built-in.a.cmd');
  const m = text && /printf "[^"]*" (.*?) \| xargs/.exec(text);
  return m ? m[1].split(/\s+/).filter(Boolean) : text ? [] : undefined;
}

test('each folder: built-in lines equal the list Kbuild gave ar (.built-in.a.cmd), both ways', { skip }, () => {
  const { tree, cfg } = fixtureTree();
  let folders = 0;
  for (const dir of allDirs(tree, cfg)) {
    const truth = builtInCmd(dir);
    if (truth === undefined) continue;
    folders++;
    const lines = tree.objectsNamed(dir, cfg);
    const prefix = dir ? dir + '/' : '';
    const parents = new Set(lines.filter((l) => l.kind === 'composite').map((l) => l.composite));
    const ours = new Set<string>();
    for (const l of lines) {
      if (l.value !== 'y') continue;
      if (l.kind === 'subdir' && l.list && !l.list.startsWith('subdir-')) ours.add(l.target + 'built-in.a');
      else if (l.kind === 'obj' && !parents.has(l.target)) ours.add(l.target);
      else if (l.kind === 'composite' && lines.some((p) => p.kind === 'obj' && p.target === l.composite && p.value === 'y')) ours.add(l.target);
    }
    assert.deepEqual([...ours].sort(), truth.map((t) => path.posix.normalize(prefix + t)).sort(), dir || '(root)');
  }
  assert.ok(folders > 300, `${folders} folders`);
});

test('lib-y lines equal the members Kbuild put in lib/lib.a and arch/x86/lib/lib.a', { skip }, () => {
  const { tree, cfg } = fixtureTree();
  for (const dir of ['lib', 'arch/x86/lib']) {
    const m = /ar cDPrsT \S+ (.*)$/m.exec(readFx(`${dir}/.lib.a.cmd`)!);
    assert.ok(m, dir);
    const ours = tree.objectsNamed(dir, cfg).filter((l) => l.kind === 'lib' && l.value === 'y').map((l) => l.target);
    assert.deepEqual([...new Set(ours)].sort(), m[1].split(/\s+/).filter(Boolean).sort(), dir);
  }
});

test('every object line reachable from the root agrees with the files the build left', { skip }, () => {
  const { tree, cfg } = fixtureTree();
  const vm = new Set(sh('ar', ['t', 'vmlinux.a']).split('\n').filter(Boolean));
  let notBuilt = 0;
  const counts = { 'built-in': 0, module: 0, 'not-built': 0, unknown: 0 };
  for (const dir of allDirs(tree, cfg)) {
    const lines = tree.objectsNamed(dir, cfg);
    const parents = new Set(lines.filter((l) => l.kind === 'composite').map((l) => l.composite));
    for (const l of lines) {
      if (l.kind === 'subdir') continue;
      const r = tree.explainObject(l.target, cfg);
      counts[r.status]++;
      const exists = existsSync(path.join(FIXTURE, l.target));
      if (r.status === 'not-built') {
        notBuilt++;
        assert.ok(!exists, `${l.target} is said not built (${r.text}) but exists`);
      } else if (r.status === 'built-in' && !parents.has(l.target)) {
        assert.ok(vm.has(l.target), `${l.target} is said built-in but is not in vmlinux.a`);
      } else if (r.status === 'module') {
        assert.ok(exists, `${l.target} is said to be (part of) a module but was not built`);
      }
    }
  }
  assert.equal(counts.unknown, 0, 'nothing in this tree needs to be unknown');
  assert.ok(notBuilt > 10000, `${notBuilt} not-built lines`);
});

test('specific objects: fork.o, 8250_core.o through its composite, ext2 super.o, kexec.o', { skip }, () => {
  const { tree, cfg } = fixtureTree();
  const fork = tree.explainObject('kernel/fork.o', cfg);
  assert.equal(fork.status, 'built-in');
  assert.equal(fork.text, 'obj-y in kernel/Makefile');
  const forkLine = sh('grep', ['-n', 'fork.o', 'kernel/Makefile']).split(':')[0];
  assert.equal(fork.chain[0].line, Number(forkLine));
  assert.equal(fork.chain[fork.chain.length - 1].file, 'Kbuild');
  assert.equal(fork.chain[fork.chain.length - 1].target, 'kernel/');

  const c = tree.explainObject('./drivers/tty/serial/8250/8250_core.o', cfg);
  assert.equal(c.status, 'built-in');
  assert.equal(c.text, 'CONFIG_SERIAL_8250=y in drivers/tty/serial/8250/Makefile');
  assert.equal(c.chain[0].kind, 'composite');
  assert.equal(c.chain[0].composite, 'drivers/tty/serial/8250/8250.o');
  assert.equal(c.chain[1].target, 'drivers/tty/serial/8250/8250.o');
  assert.equal(c.chain[1].listVar, 'obj-$(CONFIG_SERIAL_8250)');
  assert.equal(c.chain[1].condition, 'CONFIG_SERIAL_8250');
  assert.deepEqual(
    c.chain.filter((l) => l.kind === 'subdir').map((l) => l.target),
    ['drivers/tty/serial/8250/', 'drivers/tty/serial/', 'drivers/tty/', 'drivers/'],
  );
  assert.deepEqual(c.configSymbols.find((s) => s.name === 'CONFIG_SERIAL_8250'), { name: 'CONFIG_SERIAL_8250', value: 'y' });

  const s = tree.explainObject('fs/ext2/super.o', cfg);
  assert.equal(s.status, 'module');
  assert.equal(s.text, 'CONFIG_EXT2_FS=m in fs/ext2/Makefile');
  assert.equal(s.chain[1].target, 'fs/ext2/ext2.o');

  // kernel/Makefile: obj-$(CONFIG_KEXEC) += kexec.o, and .config says "# CONFIG_KEXEC is not set".
  assert.ok(readFx('.config')!.includes('# CONFIG_KEXEC is not set'));
  assert.ok(!existsSync(path.join(FIXTURE, 'kernel/kexec.o')));
  const k = tree.explainObject('kernel/kexec.o', cfg);
  assert.equal(k.status, 'not-built');
  assert.equal(k.text, 'CONFIG_KEXEC is not set (obj-$(CONFIG_KEXEC) in kernel/Makefile)');
  assert.equal(k.chain[0].value, 'n');

  // Objects of 64-bit-only lines: CONFIG_X86_64 is off in this 32-bit build.
  assert.equal(tree.explainObject('arch/x86/kernel/sys_x86_64.o', cfg).status, 'not-built');
  assert.equal(tree.explainObject('arch/x86/kernel/sys_x86_64.o', cfg).text, 'CONFIG_X86_64 is not set (obj-$(CONFIG_X86_64) in arch/x86/kernel/Makefile)');
  assert.equal(tree.explainObject('arch/x86/kernel/head_32.o', cfg).status, 'built-in');
  const none = tree.explainObject('kernel/no_such_file.o', cfg);
  assert.equal(none.status, 'unknown');
  assert.match(none.text, /no Kbuild Makefile names kernel\/no_such_file.o/);
});

test('a folder only an unset option leads to: its objects are not built, the reason is the folder line', { skip }, () => {
  const { tree, cfg } = fixtureTree();
  const dotconfig = readFx('.config')!;
  let checked = 0;
  for (const sub of tree.objectsNamed('drivers', cfg)) {
    if (sub.kind !== 'subdir' || !sub.condition || sub.value !== 'n' || sub.guards.length) continue;
    // Ground truth: grep finds the line in drivers/Makefile, and .config does not set the option.
    const grepped = sh('grep', ['-nF', sub.listVar, 'drivers/Makefile']).split('\n').filter(Boolean);
    assert.ok(grepped.some((g) => g.startsWith(`${sub.line}:`) && g.includes(path.posix.basename(sub.target.slice(0, -1)) + '/')), sub.target);
    assert.ok(!new RegExp(`^${sub.condition}=[ym]$`, 'm').test(dotconfig), sub.condition);
    const inner = tree.objectsNamed(sub.target.slice(0, -1), cfg).find((l) => l.kind === 'obj' && l.list === 'obj-y' && !l.guards.length);
    if (!inner) continue;
    const r = tree.explainObject(inner.target, cfg);
    assert.equal(r.status, 'not-built', inner.target);
    assert.ok(!existsSync(path.join(FIXTURE, inner.target)), inner.target);
    assert.equal(r.text, `${sub.condition} is not set (${sub.listVar} in drivers/Makefile)`);
    assert.ok(r.chain.includes(sub));
    checked++;
  }
  assert.ok(checked >= 5, `${checked} folders checked`);
});

test('another configuration of the same tree: BITS from arch/x86/Makefile follows CONFIG_X86_32', { skip }, () => {
  const { tree, cfg } = fixtureTree();
  // Ground truth from the Makefiles: the arch Makefile sets BITS per CONFIG_X86_32, kernel/Makefile uses it.
  assert.ok(sh('grep', ['-c', 'BITS := 64', 'arch/x86/Makefile']).trim() !== '0');
  assert.ok(sh('grep', ['-c', 'head_$(BITS).o', 'arch/x86/kernel/Makefile']).trim() !== '0');
  const values = new Map(cfg.values);
  values.delete('CONFIG_X86_32');
  values.set('CONFIG_X86_64', 'y');
  values.set('CONFIG_64BIT', 'y');
  const cfg64: KernelConfig = { values, notSet: new Set([...cfg.notSet].filter((n) => n !== 'CONFIG_X86_64')) };
  assert.equal(tree.explainObject('arch/x86/kernel/head_64.o', cfg64).status, 'built-in');
  assert.equal(tree.explainObject('arch/x86/kernel/sys_x86_64.o', cfg64).text, 'CONFIG_X86_64=y in arch/x86/kernel/Makefile');
  assert.equal(tree.explainObject('arch/x86/kernel/head_32.o', cfg64).status, 'unknown'); // no line names it any more
  // The first configuration's answers are unchanged (each configuration has its own cache).
  assert.equal(tree.explainObject('arch/x86/kernel/head_32.o', cfg).status, 'built-in');
});

test('without a configuration, lines depending on Kconfig are unknown, unconditional ones are not', { skip }, () => {
  const tree = new KbuildTree(readFx);
  const lines = tree.objectsNamed('kernel');
  const fork = lines.find((l) => l.target === 'kernel/fork.o')!;
  assert.equal(fork.value, 'y');
  const kexec = lines.find((l) => l.target === 'kernel/kexec.o')!;
  assert.equal(kexec.value, 'unknown');
  assert.equal(kexec.list, null);
  assert.equal(kexec.condition, 'CONFIG_KEXEC');
  // The same tree object serves configurations side by side.
  const { cfg } = fixtureTree();
  assert.equal(tree.objectsNamed('kernel', cfg).find((l) => l.target === 'kernel/kexec.o')!.value, 'n');
});

// ---------------------------------------------------------------- small Makefiles

const CFG = parseDotConfig('CONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_S="hello"\n');
const byTarget = (lines: ObjLine[], t: string) => lines.filter((l) => l.target === t);
const valueOf = (lines: ObjLine[], t: string) => {
  const ls = byTarget(lines, t);
  assert.equal(ls.length, 1, `${t}: ${ls.length} lines`);
  return ls[0].value;
};

test('object lists: obj-y/m/$(CONFIG), lib-y, +=, :=, =, continuations, comments, variables', () => {
  const mk = [
    '# obj-y += commented.o',
    'common := a.o \\',
    '          b.o',
    'obj-y += $(common) c.o # trailing comment',
    'obj-y += $(defined-later)',
    'defined-later = late.o',
    'obj-$(CONFIG_A) += d.o',
    'obj-$(CONFIG_B) += e.o',
    'obj-$(CONFIG_C) += f.o',
    'obj-m += g.o',
    'obj-$(CONFIG_A) += sub/ other/x.o',
    'lib-y += l1.o',
    'lib-$(CONFIG_C) += l2.o',
    'obj-y += \\#hash.o',
    'ccflags-y := -DX',
    'CFLAGS_a.o := -O0',
    'asflags-y += -DZ',
    'subdir-ccflags-$(CONFIG_A) += -Werror',
    'extra-y += vmlinux.lds',
    'always-y += always.o',
    'targets += t.o',
    'obj-vdso := vdso.o',
    'rule.o: dep.h',
    '\tobj-y += recipe.o',
    'define body',
    'obj-y += indefine.o',
    'endef',
  ].join('\n');
  const d = parseKbuildMakefile(mk, 'drivers/x', 'drivers/x/Makefile', { config: CFG });
  const L = d.lines;
  for (const t of ['a', 'b', 'c', 'late', 'd', '#hash']) assert.equal(valueOf(L, `drivers/x/${t}.o`), 'y', t);
  assert.equal(valueOf(L, 'drivers/x/e.o'), 'm');
  assert.equal(valueOf(L, 'drivers/x/f.o'), 'n');
  assert.equal(valueOf(L, 'drivers/x/g.o'), 'm');
  assert.equal(valueOf(L, 'drivers/x/other/x.o'), 'y');
  assert.equal(byTarget(L, 'drivers/x/sub/')[0].kind, 'subdir');
  assert.equal(byTarget(L, 'drivers/x/l1.o')[0].kind, 'lib');
  assert.equal(valueOf(L, 'drivers/x/l1.o'), 'y');
  assert.equal(valueOf(L, 'drivers/x/l2.o'), 'n');
  const a = byTarget(L, 'drivers/x/a.o')[0];
  assert.deepEqual([a.line, a.listVar, a.list, a.condition], [4, 'obj-y', 'obj-y', null]);
  const dLine = byTarget(L, 'drivers/x/d.o')[0];
  assert.deepEqual([dLine.listVar, dLine.list, dLine.condition], ['obj-$(CONFIG_A)', 'obj-y', 'CONFIG_A']);
  // Flags, extra targets, recipes and define bodies are not objects.
  const named = new Set(L.map((l) => path.posix.basename(l.target)));
  for (const n of ['commented.o', 'recipe.o', 'indefine.o', 'always.o', 't.o', 'vdso.o', 'vmlinux.lds', '-DX', '-O0', '-Werror', 'a.o:'])
    assert.ok(!named.has(n) || n === 'a.o', n);
  assert.equal(L.length, 13);
});

test('composite objects: -y, -objs, -$(CONFIG), -m members, and filter-out removal', () => {
  const mk = [
    'obj-$(CONFIG_A) += big.o',
    'obj-$(CONFIG_B) += mod.o',
    'big-y := b1.o',
    'big-$(CONFIG_A) += b2.o',
    'big-$(CONFIG_C) += b3.o',
    'big-objs += b4.o',
    'big-m += b5.o',
    'mod-y := m1.o',
    'mod-m += m2.o',
    'hostprog-objs := h.o', // a host program's parts: hostprog.o is in no object list
    'obj-y += keep.o drop.o',
    'obj-y := $(filter-out drop.o,$(obj-y))',
  ].join('\n');
  const tree = new KbuildTree((p) => ({ Kbuild: 'obj-y += d/\n', 'd/Makefile': mk } as Record<string, string>)[p], { srcArch: 'x86' });
  const L = tree.objectsNamed('d', CFG);
  const m = (t: string) => byTarget(L, `d/${t}`)[0];
  assert.equal(m('b1.o').kind, 'composite');
  assert.equal(m('b1.o').composite, 'd/big.o');
  assert.deepEqual(['b1.o', 'b2.o', 'b3.o', 'b4.o', 'b5.o'].map((t) => m(t).value), ['y', 'y', 'n', 'y', 'm']);
  assert.equal(byTarget(L, 'd/h.o').length, 0);
  const st = (o: string) => tree.explainObject(`d/${o}`, CFG);
  assert.equal(st('b1.o').status, 'built-in');
  assert.equal(st('b3.o').status, 'not-built');
  assert.equal(st('b3.o').text, 'CONFIG_C is not set (big-$(CONFIG_C) in d/Makefile)');
  // foo-m members are linked only into a modular foo (scripts/Makefile.lib, multi-obj-m).
  assert.equal(st('b5.o').status, 'not-built');
  assert.match(st('b5.o').text, /only when big.o is a module/);
  assert.equal(st('m1.o').status, 'module');
  assert.equal(st('m2.o').status, 'module');
  assert.equal(st('m2.o').text, 'CONFIG_B=m in d/Makefile');
  assert.equal(st('keep.o').status, 'built-in');
  assert.equal(st('drop.o').status, 'not-built');
  assert.match(st('drop.o').text, /removed from obj-y further down/);
});

test('conditionals: ifeq/ifneq/ifdef/ifndef/else/else-if with a config; unknown without one or for $(shell)', () => {
  const mk = [
    'ifeq ($(CONFIG_A),y)',
    'obj-y += i1.o',
    'else',
    'obj-y += i2.o',
    'endif',
    'ifneq ($(CONFIG_C),)',
    'obj-y += i3.o',
    'else ifdef CONFIG_B',
    '  ifndef CONFIG_A',
    '  obj-y += i4.o',
    '  else',
    '  obj-y += i5.o',
    '  endif',
    'else',
    'obj-y += i6.o',
    'endif',
    'ifeq "$(CONFIG_S)" "hello"',
    'obj-y += s1.o',
    'endif',
    'ifeq ($(shell uname -m),x86_64)',
    'obj-y += u1.o',
    'BITS := 64',
    'else',
    'obj-y += u2.o',
    'BITS := 32',
    'endif',
    'obj-y += arch_$(BITS).o',
    'obj-y += $(if $(CONFIG_A),w1.o) $(if $(CONFIG_C),w2.o,w3.o) $(filter y,$(CONFIG_C:y=y))',
    'obj-$(if $(CONFIG_A),y) += p.o',
    'obj-$(subst m,y,$(CONFIG_B)) += q.o',
    'obj-$(CONFIG_A)$(CONFIG_C) += r.o',
  ].join('\n');
  const d = parseKbuildMakefile(mk, 'x', 'x/Makefile', { config: CFG });
  const v = (t: string) => valueOf(d.lines, `x/${t}`);
  assert.deepEqual(['i1', 'i2', 'i3', 'i4', 'i5', 'i6', 's1'].map((t) => v(`${t}.o`)), ['y', 'n', 'n', 'n', 'y', 'n', 'y']);
  assert.deepEqual(byTarget(d.lines, 'x/i2.o')[0].guards, [{ text: 'ifeq ($(CONFIG_A),y)', negated: true, line: 1, state: 'off' }]);
  assert.deepEqual(byTarget(d.lines, 'x/i4.o')[0].configRefs, ['CONFIG_C', 'CONFIG_B', 'CONFIG_A']);
  // $(shell) cannot be known: both branches, and what they define, are unknown rather than guessed.
  assert.equal(v('u1.o'), 'unknown');
  assert.equal(v('u2.o'), 'unknown');
  assert.equal(byTarget(d.lines, 'x/arch_64.o').length + byTarget(d.lines, 'x/arch_32.o').length, 0);
  assert.ok(d.unknowns.some((u) => u.line === 27));
  assert.equal(v('w1.o'), 'y');
  assert.equal(v('w3.o'), 'y');
  assert.equal(v('w2.o'), 'n'); // left out by $(if $(CONFIG_C),...)
  assert.match(byTarget(d.lines, 'x/w2.o')[0].note!, /\$\(if\/filter\)/);
  assert.equal(v('p.o'), 'y');
  assert.equal(v('q.o'), 'y');
  assert.equal(v('r.o'), 'y');
  assert.equal(byTarget(d.lines, 'x/q.o')[0].condition, 'CONFIG_B');

  // A reassignment in a branch not taken never hides the same word in the branch taken.
  const re = parseKbuildMakefile('ifeq ($(CONFIG_C),y)\nobj-y := ra.o\nelse\nobj-y := ra.o rb.o\nendif\n', 'x', 'x/Makefile', { config: CFG });
  assert.deepEqual(byTarget(re.lines, 'x/ra.o').map((l) => `${l.line}:${l.value}`), ['2:n', '4:y']);

  const none = parseKbuildMakefile(mk, 'x', 'x/Makefile');
  const n = (t: string) => valueOf(none.lines, `x/${t}`);
  for (const t of ['i1', 'i2', 'i3', 'i4', 'i5', 'i6', 's1', 'p', 'q', 'u1']) assert.equal(n(`${t}.o`), 'unknown', t);
  assert.equal(n('w2.o'), 'unknown');
  assert.equal(none.withConfig, false);
});

test('a Kbuild file wins over the Makefile; unknown conditions make explainObject say unknown', () => {
  const files: Record<string, string> = {
    Kbuild: 'obj-y += a/ b/\nsubdir-y += c\n',
    'a/Kbuild': 'obj-y += from-kbuild.o\n',
    'a/Makefile': 'obj-y += from-makefile.o\n',
    'b/Makefile': 'ifeq ($(shell cat /proc/cpuinfo),x)\nobj-y += maybe.o\nendif\n',
    'c/Makefile': 'obj-y += entered.o\n',
  };
  const tree = new KbuildTree((p) => files[p], { srcArch: 'x86' });
  assert.equal(tree.explainObject('a/from-kbuild.o', CFG).status, 'built-in');
  assert.equal(tree.explainObject('a/from-makefile.o', CFG).status, 'unknown');
  const maybe = tree.explainObject('b/maybe.o', CFG);
  assert.equal(maybe.status, 'unknown');
  assert.equal(maybe.text, 'cannot evaluate ifeq ($(shell cat /proc/cpuinfo),x) at b/Makefile:1');
  // subdir-y enters a folder without linking its objects into vmlinux.
  const c = tree.explainObject('c/entered.o', CFG);
  assert.equal(c.status, 'unknown');
  assert.match(c.text, /subdir-y/);
  assert.equal(tree.dir('nonexistent', CFG), undefined);
});

test('pre-6.1 layout: the top Makefile and the arch Makefile name the first folders (core-y, head-y, libs-y)', () => {
  const files: Record<string, string> = {
    Makefile: [
      'VERSION = 4',
      'PATCHLEVEL = 19',
      'ifeq ($(KBUILD_EXTMOD),)',
      'init-y\t\t:= init/',
      'drivers-y\t:= drivers/',
      'libs-y\t\t:= lib/',
      'core-y\t\t:= usr/',
      'endif',
      'include arch/$(SRCARCH)/Makefile',
      'core-y\t\t+= kernel/',
      // Linux 4.13 - 6.0 rewrite the lists in place once the folders are known (built-in.o before 4.13).
      'vmlinux-dirs\t:= $(patsubst %/,%,$(filter %/, $(init-y) $(core-y) $(drivers-y) $(libs-y)))',
      'init-y\t\t:= $(patsubst %/, %/built-in.a, $(init-y))',
      'core-y\t\t:= $(patsubst %/, %/built-in.a, $(core-y))',
      'drivers-y\t:= $(patsubst %/, %/built-in.o, $(drivers-y))',
      'libs-y1\t\t:= $(patsubst %/, %/lib.a, $(libs-y))',
      'libs-y\t\t:= $(libs-y1)',
    ].join('\n'),
    'arch/foo/Makefile': [
      'ifeq ($(CONFIG_A),y)',
      'BITS := 32',
      'endif',
      'export BITS',
      'head-y := arch/foo/kernel/head_$(BITS).o',
      'core-y += arch/foo/',
      'libs-y += arch/foo/lib/',
      'drivers-$(CONFIG_C) += arch/foo/pci/',
    ].join('\n'),
    'arch/foo/Kbuild': 'obj-y += kernel/\n',
    'arch/foo/kernel/Makefile': 'extra-y := head_$(BITS).o\nobj-y += setup_$(BITS).o\n',
    'arch/foo/lib/Makefile': 'lib-y := memcpy.o\n',
    'arch/foo/pci/Makefile': 'obj-y := pci.o\n',
    'kernel/Makefile': 'obj-y = fork.o\n',
    'init/Makefile': 'obj-y := main.o\n',
  };
  const tree = new KbuildTree((p) => files[p], { srcArch: 'foo' });
  const root = tree.objectsNamed('', CFG);
  assert.deepEqual(root.filter((l) => l.kind === 'subdir').map((l) => `${l.target}=${l.value}`).sort(), [
    'arch/foo/=y', 'arch/foo/lib/=y', 'arch/foo/pci/=n', 'drivers/=y', 'init/=y', 'kernel/=y', 'lib/=y', 'usr/=y',
  ]);
  const fork = tree.explainObject('kernel/fork.o', CFG);
  assert.equal(fork.status, 'built-in');
  assert.deepEqual(fork.chain.map((l) => `${l.file}:${l.line} ${l.listVar}`), ['kernel/Makefile:1 obj-y', 'Makefile:10 core-y']);
  assert.equal(tree.explainObject('init/main.o', CFG).text, 'obj-y in init/Makefile');
  // BITS comes from the arch Makefile (exported), evaluated with the config.
  assert.equal(tree.explainObject('arch/foo/kernel/setup_32.o', CFG).status, 'built-in');
  const head = tree.explainObject('arch/foo/kernel/head_32.o', CFG);
  assert.equal(head.status, 'built-in');
  assert.equal(head.chain[0].file, 'arch/foo/Makefile');
  assert.equal(head.chain[0].listVar, 'head-y');
  assert.equal(tree.explainObject('arch/foo/lib/memcpy.o', CFG).status, 'built-in');
  const pci = tree.explainObject('arch/foo/pci/pci.o', CFG);
  assert.equal(pci.status, 'not-built');
  assert.equal(pci.text, 'CONFIG_C is not set (drivers-$(CONFIG_C) in arch/foo/Makefile)');
});

test('composite members in a sibling folder are found tree-wide', () => {
  const files: Record<string, string> = {
    Kbuild: 'obj-y += drv/\n',
    'drv/Makefile': 'obj-y += core/ display/\n',
    'drv/core/Makefile': 'obj-$(CONFIG_B) += gpu.o\ngpu-y := main.o ../display/dc.o\n',
    'drv/display/Makefile': '# built through ../core\n',
  };
  const tree = new KbuildTree((p) => files[p], { srcArch: 'x86' });
  // A folder entered only from its sibling, and two siblings that name each other.
  files['drv/Makefile'] += 'obj-$(CONFIG_A) += core/../side/\n';
  files['drv/core/Makefile'] += 'obj-y += ../ping/\n';
  files['drv/ping/Makefile'] = 'obj-y += ../pong/ p.o\n';
  files['drv/pong/Makefile'] = 'obj-y += ../ping/ q.o\n';
  files['drv/side/Makefile'] = 'obj-y += s.o\n';
  assert.equal(tree.explainObject('drv/side/s.o', CFG).text, 'CONFIG_A=y in drv/Makefile');
  const q = tree.explainObject('drv/pong/q.o', CFG);
  assert.equal(q.status, 'built-in');
  assert.deepEqual(
    q.chain.map((l) => `${l.file} ${l.target}`),
    ['drv/pong/Makefile drv/pong/q.o', 'drv/ping/Makefile drv/pong/', 'drv/core/Makefile drv/ping/', 'drv/Makefile drv/core/', 'Kbuild drv/'],
  );
  const r = tree.explainObject('drv/display/dc.o', CFG);
  assert.equal(r.status, 'module');
  assert.equal(r.chain[0].composite, 'drv/core/gpu.o');
  assert.equal(r.text, 'CONFIG_B=m in drv/core/Makefile');
});

test('bounded: self-references, include and eval loops, folder loops, long lines, garbage', () => {
  const long = 'obj-y += ' + 'x'.repeat(2 << 20) + '.o';
  const files: Record<string, string> = {
    Kbuild: 'obj-y += loop/\n',
    'loop/Makefile': [
      'A = $(A) self.o',
      'obj-y += $(A)',
      'include loop/Makefile', // includes itself
      'F = $(eval $(F))',
      'G := $(F)',
      'recurse = $(call recurse)',
      'H := $(call recurse)',
      'obj-y += ok.o ../loop/',
      long,
      'ifeq (unbalanced',
      'obj-y += $(foreach i,$(shell seq 1 100000),n$(i).o)',
    ].join('\n'),
    // Each level doubles the work without growing the text.
    'loop/sub/Makefile': ['A0 =', ...Array.from({ length: 40 }, (_, i) => `A${i + 1} = $(A${i})$(A${i})`), 'obj-y += $(A40) fine.o'].join('\n'),
  };
  const tree = new KbuildTree((p) => files[p], { srcArch: 'x86' });
  const t0 = Date.now();
  const d = tree.dir('loop', CFG)!;
  assert.ok(Date.now() - t0 < 10000);
  assert.ok(d.unknowns.length > 0 && d.unknowns.length <= 200);
  assert.ok(d.unknowns.some((u) => /too long/.test(u.reason)));
  assert.ok(d.unknowns.some((u) => /without endif/.test(u.reason)));
  assert.ok(d.lines.some((l) => l.target === 'loop/ok.o'));
  // loop/ names itself ("../loop/"): the descent must still end.
  const ok = tree.explainObject('loop/ok.o', CFG);
  assert.equal(ok.status, 'built-in');
  const t1 = Date.now();
  const sub = parseKbuildMakefile(files['loop/sub/Makefile'], 'loop/sub', 'loop/sub/Makefile', { config: CFG });
  assert.ok(Date.now() - t1 < 10000);
  assert.ok(sub.unknowns.some((u) => /too much expansion work/.test(u.reason) && u.file === 'loop/sub/Makefile'));
  assert.deepEqual(sub.lines.map((l) => `${l.target}=${l.value}`), ['loop/sub/fine.o=y']);

  assert.throws(
    () => parseKbuildMakefile('obj-y += a.o\0\0', 'x', 'x/Makefile'),
    (e: unknown) => e instanceof KbloatInputError && e.code === 'bad-makefile' && e.file === 'x/Makefile',
  );
  // A tree whose Makefile is binary still answers, with the problem as an unknown.
  const bin = new KbuildTree((p) => ({ Kbuild: 'obj-y += b/\n', 'b/Makefile': '\0\x7fELF' } as Record<string, string>)[p], { srcArch: 'x86' });
  assert.match(bin.dir('b', CFG)!.unknowns[0].reason, /b\/Makefile: is not a text file/);
  assert.equal(bin.explainObject('b/x.o', CFG).status, 'unknown');
});
