/**
 * The changes the diff tests make to a second build of the example tree: a
 * static function renamed, a function moved to another file, one grown, one
 * added with a 4 KiB table, and a Kconfig option turned off.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export function edit(src: string, rel: string, change: (text: string) => string): void {
  const file = path.join(src, rel);
  const before = readFileSync(file, 'utf8');
  const after = change(before);
  assert.notEqual(after, before, `the edit of ${rel} changed nothing`);
  writeFileSync(file, after);
}

const STRLEN = /\nsize_t strlen\(const char \*s\)\n\{[^}]*\}\nEXPORT_SYMBOL\(strlen\);\n/;

/** The changes of the second build, made in its copied source tree before make. */
export function mutate(src: string): void {
  // A renamed static function; and a caller that passes a real node, so that gcc no
  // longer makes dup_task_struct.constprop.0 (the clone changes, the function stays).
  edit(src, 'kernel/fork.c', (t) => t.replace(/\btask_weight\b/g, 'task_load_weight').replace('dup_task_struct(&init_task, NUMA_NO_NODE, 0)', 'dup_task_struct(&init_task, cpu, 0)'));
  let strlen = '';
  edit(src, 'lib/string.c', (t) => t.replace(STRLEN, (m) => ((strlen = m), '\n')));
  edit(src, 'kernel/panic.c', (t) =>
    t.replace('tainted_mask |= 1UL << flag;', 'tainted_mask |= 1UL << flag;\n\tif (flag > 3)\n\t\tpanic_timeout += flag;') +
    strlen +
    '\nint panic_extra_table[1024] = { 1, 2, 3 };\n\nint panic_extra_lookup(int i)\n{\n\treturn panic_extra_table[i & 1023] + (int)tainted_mask;\n}\n');
  edit(src, 'arch/mini/configs/mini_defconfig', (t) => t.replace('CONFIG_EEPROM_MINI_SYSFS=y', '# CONFIG_EEPROM_MINI_SYSFS is not set'));
}
