/**
 * Limits and hostile layouts: a huge generated C file and a binary file opened
 * in the editor do not stall the server (lenses degrade to the file-level
 * figure), and symlink loops in the build folder end every walk.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildIndex } from '../server/src/index/buildTree';
import { findBuildCandidates } from '../server/src/workspace/discover';
import { tempDir } from './helpers';
import { startServerOnMiniBuild, TestServer } from './lspClient';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';

describe('limits in the language server', () => {
  let b: MiniBuild;
  let server: TestServer;
  let stop: () => Promise<void>;
  before(async () => {
    ({ build: b, server, stop } = await startServerOnMiniBuild());
  });
  after(() => stop?.());

  test('a generated 5 MB C file: only the file-level lens, answered quickly; the server keeps answering', async () => {
    const file = path.join(b.srcDir, 'drivers/misc/generated_tables.c');
    const fn = 'static int gen_%d(int x)\n{\n\treturn x * %d + %d;\n}\n';
    let text = '';
    for (let i = 0; text.length < 5 * 1024 * 1024; i++) text += fn.replace(/%d/g, String(i));
    writeFileSync(file, text);
    const { uri } = await server.open(file);
    const t = performance.now();
    const lenses: { range: { start: { line: number } }; command: { title: string } }[] = await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
    const ms = performance.now() - t;
    assert.equal(lenses.length, 1, 'the parser refused the file, so only the file lens is left');
    assert.match(lenses[0].command.title, /^generated_tables\.c: not built/);
    assert.ok(ms < 2000, `answered in ${ms.toFixed(0)} ms`);
    // And it still serves other files.
    const fork = await server.open(path.join(b.srcDir, 'kernel/fork.c'));
    const forkLenses: unknown[] = await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: fork.uri } });
    assert.ok(forkLenses.length > 3);
  });

  test('a binary file opened as C: no crash, the file-level lens still answers', async () => {
    const file = path.join(b.srcDir, 'drivers/misc/blob.c');
    const bytes = Buffer.alloc(256 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    writeFileSync(file, bytes);
    const { uri } = await server.open(file);
    const lenses: { command: { title: string } }[] = await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
    assert.ok(lenses.length >= 1);
    assert.match(lenses[0].command.title, /^blob\.c: /);
    const hover = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    assert.ok(hover === null || typeof hover === 'object');
  });
});

describe('symlink loops in the build folder', () => {
  test('discovery and indexing terminate', () => {
    const b = buildMiniKernel({});
    try {
      // A loop that points back at the folder itself, and two folders pointing at each other.
      symlinkSync(b.buildDir, path.join(b.buildDir, 'loop'));
      mkdirSync(path.join(b.buildDir, 'a'));
      mkdirSync(path.join(b.buildDir, 'b'));
      symlinkSync(path.join(b.buildDir, 'b'), path.join(b.buildDir, 'a', 'to-b'));
      symlinkSync(path.join(b.buildDir, 'a'), path.join(b.buildDir, 'b', 'to-a'));
      assert.deepEqual(findBuildCandidates(b.buildDir), [b.buildDir]);
      const index = buildIndex(b.buildDir);
      assert.ok(index.files.some((f) => f.path === 'kernel/fork.c'));
      assert.ok(readdirSync(b.buildDir).includes('loop'));
    } finally {
      cleanupMiniBuild(b);
    }
  });

  test('a workspace folder that is one big loop', () => {
    const dir = tempDir('loopws');
    symlinkSync(dir, path.join(dir, 'self'));
    assert.deepEqual(findBuildCandidates(dir), []);
  });
});
