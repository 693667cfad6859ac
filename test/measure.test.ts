/**
 * Measuring new code for real: the unsaved buffer compiled with the command
 * Kbuild recorded, in a trusted workspace only. Ground truth: the same source
 * built by make, read with nm -S. Bad inputs say why the measurement failed and
 * keep the estimate; an untrusted workspace starts no compiler.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { humanSize } from '../server/src/shared/units';
import { nmSized, tempDir } from './helpers';
import { startServer, startServerOnMiniBuild, TestServer } from './lspClient';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';

describe('measuring, trusted workspace', () => {
  let b: MiniBuild;
  let server: TestServer;
  const settings: Record<string, unknown> = {};
  let stop: () => Promise<void>;
  before(async () => {
    ({ build: b, server, stop } = await startServerOnMiniBuild(settings, { trusted: true }));
  });
  after(() => stop?.());

  test('bad inputs: a missing compiler, a buffer that does not compile, a compile over the time limit', async () => {
    const cmdFile = path.join(b.buildDir, 'kernel/.panic.o.cmd');
    const original = readFileSync(cmdFile, 'utf8');
    writeFileSync(cmdFile, original.replace(/^(cmd_kernel\/panic\.o := )gcc /m, '$1kbloat-no-such-cc '));
    const missing = await server.edit(path.join(b.srcDir, 'kernel/panic.c'), 'end', '\nint panic_extra(int x)\n{\n\treturn x + 1;\n}\n', (d) => d.some((x) => /not measured/.test(x.message)));
    assert.match(missing.diagnostics[0].message, /; not measured: the compiler kbloat-no-such-cc was not found$/);
    writeFileSync(cmdFile, original);
    const broken = await server.edit(path.join(b.srcDir, 'kernel/panic.c'), 'end', '\nint panic_broken(int x)\n{\n\treturn x +;\n}\n', (d) => d.some((x) => /not measured/.test(x.message)));
    assert.match(broken.diagnostics[0].message, /; not measured: the buffer does not compile: panic\.c:\d+:\d+: error: /);
    settings.measure = { enabled: true, timeoutSeconds: 0.001, growthThreshold: 64 };
    await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    const slow = await server.edit(path.join(b.srcDir, 'kernel/panic.c'), 'end', '\nint panic_slow(int x)\n{\n\treturn x + 2;\n}\n', (d) => d.some((x) => /not measured/.test(x.message)));
    assert.match(slow.diagnostics[0].message, /; not measured: the compile took longer than 1 ms$/);
    delete settings.measure;
    await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  });

  test('a new function and a grown one: measured sizes equal what make and nm -S give for the same source', async () => {
    const fork = path.join(b.srcDir, 'kernel/fork.c');
    const added = await server.edit(fork, 'end', '\nint fork_measured(int x)\n{\n\tint s = 0;\n\tfor (int i = 0; i < x; i++)\n\t\ts += i * x;\n\treturn s;\n}\n', (d) => d.some((x) => /\(measured\)/.test(x.message)));
    const m = /— \+([\d,]+) B \(measured\)$/.exec(added.diagnostics.find((d) => /fork_measured/.test(d.message))!.message);
    assert.ok(m);
    const sched = path.join(b.srcDir, 'kernel/sched/fair.c');
    const fairText = readFileSync(sched, 'utf8');
    const fnLine = fairText.split('\n').findIndex((l) => /^\{/.test(l));
    assert.ok(fnLine > 0);
    const grown = await server.edit(sched, new RegExp(`^${fairText.split('\n')[fnLine].replace(/[{}]/g, '\\$&')}$`), '\tasm volatile(".rept 200\\n\\tnop\\n\\t.endr");\n', (d) => d.some((x) => /grew by/.test(x.message)));
    const grew = grown.diagnostics.find((d) => /grew by/.test(d.message))!;
    const fileLenses = await server.connection.sendRequest<{ command: { title: string } }[]>('textDocument/codeLens', { textDocument: { uri: added.uri } });
    const fileDelta = /this buffer: \+([\d,]+) B \(measured\)$/.exec(fileLenses[0].command.title);
    assert.ok(fileDelta, fileLenses[0].command.title);
    const forkBefore = Number(/^\.text\s+(\d+)/m.exec(execFileSync('size', ['-A', path.join(b.buildDir, 'kernel/fork.o')], { encoding: 'utf8' }))![1]);
    // Ground truth: the same sources through make, then nm.
    writeFileSync(fork, added.newText);
    writeFileSync(sched, grown.newText);
    const before = new Map(nmSized(path.join(b.buildDir, 'kernel/sched/fair.o')).map((s) => [s.name, s.size]));
    execFileSync('make', ['-s', '-C', b.srcDir], { stdio: 'ignore' });
    const forkSyms = nmSized(path.join(b.buildDir, 'kernel/fork.o'));
    assert.equal(m[1], humanSize(forkSyms.find((s) => s.name === 'fork_measured')!.size).replace(/ B$/, ''));
    // The file's delta covers all its sections; its .text part alone is what size -A shows growing.
    const forkAfter = Number(/^\.text\s+(\d+)/m.exec(execFileSync('size', ['-A', path.join(b.buildDir, 'kernel/fork.o')], { encoding: 'utf8' }))![1]);
    assert.ok(Number(fileDelta[1].replace(/,/g, '')) >= forkAfter - forkBefore && forkAfter > forkBefore, `${fileDelta[1]} vs .text +${forkAfter - forkBefore}`);
    const fairAfter = nmSized(path.join(b.buildDir, 'kernel/sched/fair.o'));
    const grewName = /^(\w+)\(\) grew by \+([\d,]+) B \(measured\)/.exec(grew.message)!;
    const delta = fairAfter.filter((s) => s.name.split('.')[0] === grewName[1]).reduce((a, s) => a + s.size, 0) - [...before].filter(([n]) => n.split('.')[0] === grewName[1]).reduce((a, [, n]) => a + n, 0);
    assert.equal(Number(grewName[2].replace(/,/g, '')), delta);
  });
});

describe('measuring, untrusted workspace', () => {
  let b: MiniBuild;
  let server: TestServer;
  after(async () => {
    await server?.stop();
    if (b) cleanupMiniBuild(b);
  });

  test('no compiler is started until the workspace is trusted', async () => {
    b = buildMiniKernel({});
    // A compiler wrapper that leaves a mark when it runs.
    const bin = tempDir('fakecc');
    const marker = path.join(bin, 'ran');
    const wrapper = path.join(bin, 'fakecc');
    writeFileSync(wrapper, `#!/bin/sh\ntouch '${marker}'\nexec gcc "$@"\n`);
    chmodSync(wrapper, 0o755);
    const cmdFile = path.join(b.buildDir, 'kernel/.panic.o.cmd');
    writeFileSync(cmdFile, readFileSync(cmdFile, 'utf8').replace(/^(cmd_kernel\/panic\.o := )gcc /m, `$1${wrapper} `));
    server = await startServer(b.srcDir, {}, { trusted: false });
    await server.waitForStatus((s) => s.state === 'ready');
    const untrusted = await server.edit(path.join(b.srcDir, 'kernel/panic.c'), 'end', '\nint panic_untrusted(int x)\n{\n\treturn x * 5;\n}\n', (d) => d.length > 0);
    assert.match(untrusted.diagnostics[0].message, /; not measured: the workspace is not trusted$/);
    assert.equal(existsSync(marker), false, 'the compiler did not run');
    const measured = server.waitForDiagnostics(untrusted.uri, (d) => d.some((x) => /\(measured\)/.test(x.message)), 60_000);
    await server.connection.sendNotification('kbloat/trust', { trusted: true });
    await measured;
    assert.equal(existsSync(marker), true, 'once trusted, the recorded compiler runs');
  });
});
