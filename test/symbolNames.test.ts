/**
 * Clone folding and bloat-o-meter's name rules, on the names gcc really emitted
 * in the fixture's vmlinux (read with nm) and on the forms other compilers use.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { bloatOMeterName, functionBaseName, isGeneratedSymbol } from '../server/src/binary/symbolNames';
import { FIXTURE, fixtureSkip, nmSized } from './helpers';

test('forms of clones and padding fold to the function', () => {
  const cases: [string, string][] = [
    ['copy_process', 'copy_process'],
    ['dup_task_struct.constprop.0', 'dup_task_struct'],
    ['console_emit.part.0.isra.0', 'console_emit'],
    ['alloc_pages.cold', 'alloc_pages'],
    ['do_one_initcall.cold.12', 'do_one_initcall'],
    ['kmem_cache_free.llvm.1234567890123', 'kmem_cache_free'],
    ['helper.lto_priv.0', 'helper'],
    ['__pfx_schedule', 'schedule'],
    ['__cfi_schedule', 'schedule'],
    ['__se_sys_read', 'sys_read'],
    ['__do_sys_read', 'sys_read'],
    ['__x64_sys_read', 'sys_read'],
    ['__ia32_compat_sys_ioctl', 'compat_sys_ioctl'],
    // Not clones: a function-local static keeps its number, a name is not a suffix.
    ['dropped_msg.0', 'dropped_msg.0'],
    ['.cold', '.cold'],
  ];
  for (const [name, base] of cases) assert.equal(functionBaseName(name), base, name);
});

test('every clone gcc emitted in the fixture folds to a function that exists or an identifier', { skip: fixtureSkip }, () => {
  const syms = nmSized(path.join(FIXTURE, 'vmlinux')).filter((s) => /[Tt]/.test(s.type));
  const names = new Set(syms.map((s) => s.name));
  const clones = syms.filter((s) => /\.(constprop|isra|part|cold)/.test(s.name));
  assert.ok(clones.length > 50, `${clones.length} clones`);
  for (const c of clones) {
    const base = functionBaseName(c.name);
    assert.match(base, /^[A-Za-z_][A-Za-z0-9_]*$/, c.name);
    // When the plain function exists too, folding must land on it.
    if (names.has(base)) assert.ok(c.name.startsWith(base + '.'), c.name);
  }
});

test("bloat-o-meter's rules", () => {
  assert.equal(bloatOMeterName('scratch.0'), 'scratch');
  assert.equal(bloatOMeterName('foo.constprop.0.isra.12'), 'foo.constprop.isra');
  assert.ok(isGeneratedSymbol('__mod_ext2__alias'));
  assert.ok(isGeneratedSymbol('__addressable_foo'));
  assert.ok(isGeneratedSymbol('__se_sys_read'));
  assert.ok(!isGeneratedSymbol('sys_read'));
});
