/**
 * New built-in code flagged as it is typed, over a real LSP connection on a
 * real build of the mini tree: the reason comes from the Makefile and the
 * config; modules, #ifdef'd-out code and files no Makefile names are not flagged.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServerOnMiniBuild, TestServer } from './lspClient';
import type { MiniBuild } from './minikernel';

describe('new built-in code, on the mini tree', () => {
  let b: MiniBuild;
  let server: TestServer;
  const settings: Record<string, unknown> = {};
  let stop: () => Promise<void>;
  before(async () => {
    ({ build: b, server, stop } = await startServerOnMiniBuild(settings));
  });
  after(() => stop?.());

  async function typeInto(rel: string, code: string) {
    const r = await server.edit(path.join(b.srcDir, rel), 'end', code);
    return { uri: r.uri, opened: r.opened, typed: r.diagnostics, firstNewLine: r.line };
  }

  test('a new function in a built-in file is flagged with the Makefile reason; the old ones are not', async () => {
    const { opened, typed, firstNewLine } = await typeInto('kernel/fork.c', '\nint fork_new_feature(int x)\n{\n\treturn x * 3;\n}\n');
    assert.deepEqual(opened, [], 'nothing is flagged in the file as built (statics the compiler inlined included)');
    assert.equal(typed.length, 1);
    assert.match(typed[0].message, /^new built-in code: fork_new_feature\(\) will be linked into vmlinux \(built in because obj-y in kernel\/Makefile\)( — ≈ \+[\d,]+ B \(estimate\))?(; not measured: the workspace is not trusted)?$/);
    assert.equal(typed[0].range.start.line, firstNewLine + 1);
    assert.equal(typed[0].code, 'new-built-in-code');
    assert.equal(typed[0].severity, 3, 'information by default');
    assert.match(typed[0].codeDescription?.href ?? '', /README\.md#new-built-in-code$/);
  });

  test('__init code is boot-only; a tristate =y file names its symbol', async () => {
    const { typed } = await typeInto('drivers/serial/serial_mini.c', '\nstatic int __init serial_mini_probe_more(void)\n{\n\treturn 0;\n}\n');
    assert.equal(typed.length, 1);
    assert.match(typed[0].message, /^new boot-only code: serial_mini_probe_more\(\) will be linked into vmlinux's init section and freed after boot \(built in because CONFIG_SERIAL_MINI=y in drivers\/serial\/Makefile\)( — ≈ \+[\d,]+ B \(estimate\))?(; not measured: the workspace is not trusted)?$/);
  });

  test('not flagged: a module file, and code under an #ifdef the config turns off', async () => {
    const inModule = await typeInto('fs/ext2/super.c', '\nint ext2_new_helper(void)\n{\n\treturn 1;\n}\n');
    assert.deepEqual(inModule.typed, []);
    const config = readFileSync(path.join(b.buildDir, '.config'), 'utf8');
    assert.match(config, /# CONFIG_EXT2_FS_XATTR is not set/);
    const ifdef = await typeInto('kernel/panic.c', '\n#ifdef CONFIG_EXT2_FS_XATTR\nint panic_xattr_only(void)\n{\n\treturn 2;\n}\n#else\nint panic_without_xattr(void)\n{\n\treturn 3;\n}\n#endif\n');
    assert.deepEqual(ifdef.typed.map((d) => d.message.split(':')[1].trim().split('(')[0]), ['panic_without_xattr']);
    // Its lens says where it goes: nowhere in this build.
    const lenses = await server.connection.sendRequest<{ range: { start: { line: number } }; command: { title: string } }[]>('textDocument/codeLens', { textDocument: { uri: ifdef.uri } });
    assert.ok(lenses.some((l) => l.command.title === 'not built — CONFIG_EXT2_FS_XATTR is not set'), JSON.stringify(lenses.slice(-3)));
  });

  test('a new file: built in when its Makefile names it, nothing when no Makefile does', async () => {
    writeFileSync(path.join(b.srcDir, 'drivers/misc/newdrv.c'), 'int newdrv_init(void)\n{\n\treturn 0;\n}\n');
    appendFileSync(path.join(b.srcDir, 'drivers/misc/Makefile'), '\nobj-y += newdrv.o\n');
    const named = await server.open(path.join(b.srcDir, 'drivers/misc/newdrv.c'));
    const d = await server.waitForDiagnostics(named.uri);
    assert.equal(d.length, 1);
    assert.equal(d[0].range.start.line, 0);
    assert.equal(d[0].message, 'new built-in file: newdrv.c will be linked into vmlinux (built in because obj-y in drivers/misc/Makefile)');
    writeFileSync(path.join(b.srcDir, 'drivers/misc/orphan.c'), 'int orphan(void)\n{\n\treturn 0;\n}\n');
    const orphan = await server.open(path.join(b.srcDir, 'drivers/misc/orphan.c'));
    assert.deepEqual(await server.waitForDiagnostics(orphan.uri), []);
  });

  test('the severity is a setting', async () => {
    settings.newCode = { enabled: true, severity: 'warning' };
    await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    const { typed } = await typeInto('kernel/sched/core.c', '\nint sched_new_knob(void)\n{\n\treturn 4;\n}\n');
    assert.equal(typed[0]?.severity, 2);
  });
});
