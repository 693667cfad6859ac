/**
 * Lenses against a baseline build (kbloat.baselineBuildDirectory): every lens
 * shows its delta, from two real builds of the mini tree; ground truth from nm.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { humanSize } from '../server/src/shared/units';
import { nmSized, runCli } from './helpers';
import { startServer, TestServer } from './lspClient';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';

describe('lenses against a baseline build', () => {
  let base: MiniBuild;
  let changed: MiniBuild;
  let server: TestServer;
  before(async () => {
    base = buildMiniKernel({});
    changed = buildMiniKernel({
      prepare: (src) => {
        // Grow one function and add another.
        const fork = path.join(src, 'kernel/fork.c');
        const text = readFileSync(fork, 'utf8');
        const at = text.indexOf('{', text.indexOf('kernel_clone('));
        writeFileSync(fork, text.slice(0, at + 1) + '\n\tasm volatile(".rept 96\\n\\tnop\\n\\t.endr");' + text.slice(at + 1));
        appendFileSync(fork, '\nint fork_baseline_new(int x)\n{\n\treturn x * 11;\n}\n');
      },
    });
    server = await startServer(changed.srcDir, { baselineBuildDirectory: base.buildDir });
    await server.waitForStatus((s) => s.state === 'ready');
  });
  after(async () => {
    await server?.stop();
    for (const b of [base, changed]) if (b) cleanupMiniBuild(b);
  });

  test('function and file lenses show the delta against the baseline', async () => {
    const { uri, text } = await server.open(path.join(changed.srcDir, 'kernel/fork.c'));
    // The baseline indexes in the background: wait for the lens to carry deltas.
    let lenses: { range: { start: { line: number } }; command: { title: string } }[] = [];
    for (let i = 0; i < 200 && !lenses.some((l) => /\(\+/.test(l.command.title)); i++) {
      if (i > 0) await server.nextRefresh();
      lenses = await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
    }
    const lines = text.split('\n');
    const size = (b: MiniBuild, name: string) => nmSized(path.join(b.buildDir, 'vmlinux')).filter((s) => s.name === name || s.name.startsWith(`${name}.`)).reduce((a, s) => a + s.size, 0);
    const cloneLine = lines.findIndex((l) => /^[a-z].*\bkernel_clone\(/.test(l));
    const now = size(changed, 'kernel_clone');
    const was = size(base, 'kernel_clone');
    assert.ok(now > was);
    assert.equal(lenses.find((l) => l.range.start.line === cloneLine)?.command.title, `${humanSize(now)} (+${humanSize(now - was)}) in vmlinux`);
    const newLine = lines.findIndex((l) => /fork_baseline_new\(/.test(l));
    assert.equal(lenses.find((l) => l.range.start.line === newLine)?.command.title, `${humanSize(size(changed, 'fork_baseline_new'))} (new) in vmlinux`);
    assert.match(lenses[0].command.title, /^fork\.c: \S+ \S+ \(\+[\d,.]+ (B|KiB)\) in vmlinux/);
  });

  test('Compare with Baseline: the diff as kbloat diff prints it', async () => {
    const r = await server.connection.sendRequest<{ ok: boolean; text: string }>('kbloat/compareWithBaseline', {});
    assert.equal(r.ok, true, r.text);
    assert.match(r.text, /kernel_clone/);
    assert.match(r.text, /fork_baseline_new/);
    // Its totals line agrees with the two builds' own images.
    const cli = runCli(['diff', base.buildDir, changed.buildDir]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(r.text.split('\n').find((l) => /image/.test(l)), cli.stdout.split('\n').find((l) => /image/.test(l)));
  });
});
