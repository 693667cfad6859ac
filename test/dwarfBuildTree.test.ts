/**
 * DWARF on top of a build tree's attribution (the Linux 6.1 fixture's vmlinux
 * carries DWARF 5): `kbloat report --dwarf` gives each function the line it is
 * declared on and lists inlined copies, and the language server puts lenses on
 * functions that a macro makes, which the C parser cannot see. Checked against
 * the fixture's sources and `nm -S` of the objects.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BuildIndex } from '../server/src/index/model';
import { FIXTURE, fixtureSkip, nmSized, runCli, tempDir } from './helpers';
import { startServer, TestServer } from './lspClient';

describe('DWARF facts on a build tree', { skip: fixtureSkip }, () => {
  let index: BuildIndex;
  before(() => {
    const r = runCli(['report', FIXTURE, '--json', '--dwarf'], { KBLOAT_CACHE_DIR: tempDir('dwarf-cache') });
    assert.equal(r.status, 0, r.stderr);
    index = JSON.parse(r.stdout) as BuildIndex;
  });

  it('keeps the build tree attribution and adds declaration lines that name the function in the source', () => {
    assert.equal(index.build.attribution, 'linker-map');
    const fork = index.files.find((f) => f.path === 'kernel/fork.c')!;
    const withLine = fork.functions.filter((f) => f.line !== undefined);
    assert.ok(withLine.length >= fork.functions.length * 0.9, `${withLine.length} of ${fork.functions.length} functions have a line`);
    // Header functions emitted out of line in fork.o are declared in their header.
    assert.ok(withLine.some((f) => f.declFile?.startsWith('include/')));
    for (const fn of withLine) {
      const file = fn.declFile ?? 'kernel/fork.c';
      // The fixture ships the compiled .c files, not every header.
      if (!existsSync(path.join(FIXTURE, file))) continue;
      const base = fn.name.replace(/\..*$/, '');
      // Macro-made functions (SYSCALL_DEFINE) are declared on the macro's line, which names the syscall.
      const text = readFileSync(path.join(FIXTURE, file), 'utf8').split('\n')[fn.line! - 1];
      assert.ok(text.includes(base) || /SYSCALL_DEFINE/.test(text), `${file}:${fn.line} does not name ${fn.name}: ${text}`);
    }
  });

  it('lists inlined copies, and leaves them out without --dwarf', () => {
    assert.ok((index.inlined?.length ?? 0) > 100);
    const r = runCli(['report', FIXTURE, '--json'], { KBLOAT_CACHE_DIR: tempDir('nodwarf-cache') });
    const plain = JSON.parse(r.stdout) as BuildIndex;
    assert.equal(plain.inlined, undefined);
    assert.equal(plain.files.find((f) => f.path === 'kernel/fork.c')!.functions.some((f) => f.line !== undefined), false);
  });
});

describe('lenses on macro-made functions', { skip: fixtureSkip }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(FIXTURE);
    // The figures come first; DWARF's lines follow in a second index.
    await server.waitForStatus((s) => s.state === 'ready' && s.debugInfo === true);
  });
  after(async () => {
    await server?.stop();
  });

  it('puts a lens with the function name and its nm size on the line of the macro that makes it', async () => {
    const rel = 'arch/x86/events/amd/core.c';
    const { uri, text } = await server.open(path.join(FIXTURE, rel));
    const lenses: { range: { start: { line: number } }; command: { title: string } }[] = await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
    const sizes = new Map(nmSized(path.join(FIXTURE, 'arch/x86/events/amd/core.o')).map((s) => [s.name, s.size]));
    const lines = text.split('\n');
    let checked = 0;
    for (const attr of ['event', 'umask', 'edge', 'inv', 'cmask']) {
      const line = lines.findIndex((l) => l.startsWith(`PMU_FORMAT_ATTR(${attr},`));
      assert.ok(line >= 0);
      const lens = lenses.find((l) => l.range.start.line === line && l.command.title.startsWith(`${attr}_show: `));
      assert.ok(lens, `no lens for ${attr}_show on line ${line + 1}: ${lenses.filter((l) => l.range.start.line === line).map((l) => l.command.title).join(' | ')}`);
      assert.equal(lens.command.title, `${attr}_show: ${sizes.get(`${attr}_show`)} B in vmlinux`);
      checked++;
    }
    assert.equal(checked, 5);
  });

  it('says in the hover when the text no longer has a function where the debug info declares it', async () => {
    const file = path.join(FIXTURE, 'kernel/fork.c');
    const { uri, text } = await server.open(file);
    const lines = text.split('\n');
    const at = lines.findIndex((l) => /\bcopy_process\(/.test(l) && !l.trim().endsWith(';'));
    const hover = async (line: number): Promise<string> => {
      const character = lines[at].indexOf('copy_process') + 2;
      const h: { contents: { value: string } } = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character } });
      return h.contents.value;
    };
    assert.doesNotMatch(await hover(at), /debug info declares it/);
    // Two lines typed above it: the built function was declared two lines higher.
    await server.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '/* a */\n/* b */\n' }] });
    assert.match(await hover(at + 2), new RegExp(`debug info declares it at line ${at + 1}; here it is at line ${at + 3}`));
  });
});
