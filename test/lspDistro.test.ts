/**
 * The language server on a workspace with no build, pointed by kbloat.vmlinux at
 * a debug vmlinux (the fixture's stands in for a distro's -dbg package): lenses
 * and hovers from DWARF, with sizes checked against nm -S, and a static inline
 * helper shown with what its inlined copies cost.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { humanSize } from '../server/src/shared/units';
import { FIXTURE, fixtureSkip, nmSized, tempDir } from './helpers';
import { startServer, TestServer } from './lspClient';

interface Lens {
  range: { start: { line: number } };
  command: { title: string };
}

const FILES = ['kernel/fork.c', 'lib/maple_tree.c'];

describe('kbloat.vmlinux: a workspace with sources only', { skip: fixtureSkip }, () => {
  let workspace: string;
  let server: TestServer;
  before(async () => {
    workspace = tempDir('lsp-distro');
    for (const f of FILES) {
      mkdirSync(path.join(workspace, path.dirname(f)), { recursive: true });
      copyFileSync(path.join(FIXTURE, f), path.join(workspace, f));
    }
    server = await startServer(workspace, { vmlinux: path.join(FIXTURE, 'vmlinux') });
    await server.waitForStatus((s) => s.state === 'ready', 120_000);
  });
  after(async () => {
    await server?.stop();
    rmSync(workspace, { recursive: true, force: true });
  });

  test('function lenses carry the sizes nm -S gives', async () => {
    const { uri, text } = await server.open(path.join(workspace, 'kernel/fork.c'));
    const lenses = await server.connection.sendRequest<Lens[]>('textDocument/codeLens', { textDocument: { uri } });
    const lines = text.split('\n');
    const sizes = new Map(nmSized(path.join(FIXTURE, 'vmlinux')).filter((s) => /^[tT]$/.test(s.type)).map((s) => [s.name, s.size]));
    let checked = 0;
    for (const name of ['copy_mm', 'dup_mmap', 'mm_release', 'replace_mm_exe_file']) {
      const line = lines.findIndex((l) => new RegExp(`^[a-z].*\\b${name}\\(`).test(l) && !l.trim().endsWith(';'));
      const size = sizes.get(name);
      if (line < 0 || size === undefined) continue;
      const lens = lenses.find((l) => l.range.start.line === line);
      assert.ok(lens?.command.title.startsWith(`${humanSize(size)} in vmlinux`), `${name}: ${lens?.command.title} should say ${humanSize(size)}`);
      checked++;
    }
    assert.ok(checked >= 2, `${checked} functions checked`);
  });

  test('a static inline helper: inlined into N callers, ≈ bytes', async () => {
    const { uri, text } = await server.open(path.join(workspace, 'lib/maple_tree.c'));
    const line = text.split('\n').findIndex((l) => /^static inline .*\bmte_node_type\(/.test(l));
    assert.ok(line >= 0);
    const lenses = await server.connection.sendRequest<Lens[]>('textDocument/codeLens', { textDocument: { uri } });
    const lens = lenses.find((l) => l.range.start.line === line);
    const m = /^inlined into (\d+) callers, ≈ (\S+ (?:B|KiB))$/.exec(lens?.command.title ?? '');
    assert.ok(m, `lens: ${lens?.command.title}`);
    // The maple tree's node-type helper sits in dozens of its functions.
    assert.ok(Number(m[1]) > 10);
    const character = text.split('\n')[line].indexOf('mte_node_type');
    const hover = await server.connection.sendRequest<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position: { line, character: character + 2 } });
    assert.match(hover.contents.value, new RegExp(`Inlined [\\d,]+ times into ${m[1]} callers`));
  });
});
