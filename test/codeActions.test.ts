/**
 * "Modularize…" code actions over a real LSP connection, on a copy of the
 * Linux 6.1 fixture: each action's WorkspaceEdit is applied to the files on
 * disk the way an editor would, the edited .config, Kconfig, Makefile and C
 * files are parsed again to check what changed, and asking again afterwards
 * offers nothing for the step already taken. Plus the Kconfig problems
 * diagnostic, and an O= build whose .config lies outside the workspace.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configValue, parseDotConfig } from '../server/src/kbuild/dotconfig';
import { parseKbuildMakefile } from '../server/src/kbuild/objLines';
import { parseKconfigFile } from '../server/src/kbuild/kconfig/parser';
import { blankCommentsAndStrings } from '../server/src/c/blank';
import { applyTextEdits, TextEdit } from '../server/src/modularize/edits/text';
import { FIXTURE, fixtureSkip, run, tempDir } from './helpers';
import { startServer, TestServer } from './lspClient';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';

interface Action {
  title: string;
  kind?: string;
  diagnostics?: { code?: string }[];
  disabled?: { reason: string };
  edit?: { changes?: Record<string, TextEdit[]> };
}

async function actions(server: TestServer, uri: string, line: number, character = 0, diagnostics: unknown[] = []): Promise<Action[]> {
  return server.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: { start: { line, character }, end: { line, character } },
    context: { diagnostics, triggerKind: 1 },
  });
}

/** Versions of the documents the tests opened, to send their new text after an edit. */
const versions = new Map<string, number>();

/**
 * Applies a WorkspaceEdit as an editor does: to the files on disk, and to the
 * open buffers of those files. Returns the workspace-relative paths it changed.
 */
async function applyEdit(server: TestServer, root: string, a: Action): Promise<string[]> {
  assert.ok(a.edit?.changes, `${a.title} carries an edit`);
  const changed: string[] = [];
  for (const [uri, edits] of Object.entries(a.edit.changes)) {
    const file = fileURLToPath(uri);
    const text = applyTextEdits(readFileSync(file, 'utf8'), edits);
    writeFileSync(file, text);
    const v = versions.get(uri);
    if (v !== undefined) {
      versions.set(uri, v + 1);
      await server.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: v + 1 }, contentChanges: [{ text }] });
    }
    changed.push(path.relative(root, file).split(path.sep).join('/'));
  }
  return changed.sort();
}

async function open(server: TestServer, file: string, languageId?: string): Promise<string> {
  const { uri } = await server.open(file, languageId);
  versions.set(uri, 1);
  return uri;
}

const lineOf = (file: string, re: RegExp) => readFileSync(file, 'utf8').split('\n').findIndex((l) => re.test(l));

describe('Modularize code actions on the Linux 6.1 fixture', { skip: fixtureSkip }, () => {
  let ws: string;
  let server: TestServer;
  const at = (rel: string) => path.join(ws, rel);
  const config = () => parseDotConfig(readFileSync(at('.config'), 'utf8'));

  before(async () => {
    ws = tempDir('modularize-ws');
    cpSync(FIXTURE, ws, { recursive: true });
    server = await startServer(ws);
    await server.waitForStatus((s) => s.state === 'ready');
  });
  after(async () => {
    await server?.stop();
    if (ws) rmSync(ws, { recursive: true, force: true });
  });

  it('offers "build as a module" as the quick fix of new built-in code in a tristate driver', async () => {
    const file = at('drivers/tty/serial/8250/8250_core.c');
    const r = await server.edit(file, 'end', '\nint kbloat_added(int x)\n{\n\treturn x * 3;\n}\n', (d) => d.some((x) => x.code === 'new-built-in-code'));
    const diag = r.diagnostics.find((x) => x.code === 'new-built-in-code')!;
    const list = await actions(server, r.uri, diag.range.start.line, diag.range.start.character, [diag]);
    const fix = list.find((a) => /^Build CONFIG_SERIAL_8250 as a module \(−[\d.,]+ (KiB|B) resident/.test(a.title));
    assert.ok(fix, list.map((a) => a.title).join('\n'));
    assert.equal(fix.kind, 'quickfix');
    assert.equal(fix.diagnostics?.[0]?.code, 'new-built-in-code');
    const saved = /\(−([\d.,]+ (?:KiB|B)) resident/.exec(fix.title)![1];
    // The analysis now exists: the diagnostic says what the step would take out, and the file gets a lens for it.
    const again = await server.waitForDiagnostics(r.uri, (d) => d.some((x) => x.code === 'new-built-in-code' && x.message.includes('would take')));
    assert.match(again.find((x) => x.code === 'new-built-in-code')!.message, new RegExp(`CONFIG_SERIAL_8250=m would take ${saved.replace('.', '\\.')} out of vmlinux`));
    const lenses: { range: { start: { line: number } }; command: { title: string; command: string; arguments: unknown[] } }[] = await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: r.uri } });
    const lens = lenses.find((l) => l.command.title.startsWith('Modularize:'));
    assert.ok(lens, lenses.map((l) => l.command.title).join('\n'));
    assert.equal(lens.range.start.line, 0);
    assert.equal(lens.command.title, `Modularize: CONFIG_SERIAL_8250=m saves ${saved}`);
    assert.equal(lens.command.command, 'editor.action.codeAction');
    assert.deepEqual(lens.command.arguments, [{ kind: 'refactor.rewrite.kbloat.modularize', apply: 'never' }]);
  });

  it('flags a Kconfig syntax error at its line and withholds the edit of that file', async () => {
    const file = at('drivers/tty/Kconfig');
    const lines = readFileSync(file, 'utf8').split('\n');
    const vt = lines.findIndex((l) => l === 'config VT');
    lines.splice(vt + 2, 0, '\tdepends on "BROKEN');
    const uri = await open(server, file, 'kconfig');
    // The buffer, not the file, gets the error: an editor's unsaved text.
    versions.set(uri, 2);
    await server.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: lines.join('\n') }] });
    const diags = await server.waitForDiagnostics(uri, (d) => d.some((x) => x.code === 'kconfig-syntax'));
    const syntax = diags.find((x) => x.code === 'kconfig-syntax')!;
    assert.equal(syntax.range.start.line, vt + 2);
    assert.match(syntax.message, /unterminated string/);
    const list = await actions(server, uri, vt);
    const withheld = list.find((a) => /^Make CONFIG_VT tristate/.test(a.title));
    assert.ok(withheld, list.map((a) => a.title).join('\n'));
    assert.match(withheld.disabled?.reason ?? '', new RegExp(`drivers/tty/Kconfig:${vt + 3} does not parse`));
    assert.equal(withheld.edit, undefined);
    // Fixed in the buffer: the diagnostic goes and the action comes back.
    versions.set(uri, 3);
    await server.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text: readFileSync(file, 'utf8') }] });
    await server.waitForDiagnostics(uri, (d) => !d.some((x) => x.code === 'kconfig-syntax'));
    const again = (await actions(server, uri, vt)).find((a) => /^Make CONFIG_VT tristate/.test(a.title));
    assert.equal(again?.disabled, undefined);
  });

  it('builds a tristate option as a module by editing .config, once', async () => {
    assert.equal(configValue(config(), 'CONFIG_SERIAL_8250'), 'y');
    const uri = await open(server, at('drivers/tty/serial/8250/8250_core.c'));
    const act = (await actions(server, uri, 0)).find((a) => a.title.startsWith('Build CONFIG_SERIAL_8250 as a module'))!;
    assert.ok(act);
    assert.deepEqual(await applyEdit(server, ws, act), ['.config']);
    const after = config();
    assert.equal(configValue(after, 'CONFIG_SERIAL_8250'), 'm');
    assert.equal(configValue(after, 'CONFIG_TTY'), 'y');
    const again = await actions(server, uri, 0);
    assert.ok(!again.some((a) => a.title.includes('CONFIG_SERIAL_8250')), again.map((a) => a.title).join('\n'));
  });

  it('makes a bool option tristate: Kconfig, .config and the C files, with what would break in the title, once', async () => {
    const kconfig = at('drivers/tty/Kconfig');
    const uri = await open(server, kconfig, 'kconfig');
    const vt = lineOf(kconfig, /^config VT$/);
    const act = (await actions(server, uri, vt + 1)).find((a) => a.title.startsWith('Make CONFIG_VT tristate'))!;
    assert.ok(act);
    // What stays built in and calls into the code is named, in a few words.
    assert.match(act.title, /would break \d+ things?: \S+\.c uses \w+/);
    assert.ok(act.title.length < 220, act.title);
    const changed = await applyEdit(server, ws, act);
    assert.ok(changed.includes('drivers/tty/Kconfig') && changed.includes('.config'), changed.join(' '));
    const sym = parseKconfigFile(readFileSync(kconfig, 'utf8'), 'drivers/tty/Kconfig').symbols.find((s) => s.name === 'VT')!;
    assert.equal(sym.type, 'tristate');
    assert.equal(configValue(config(), 'CONFIG_VT'), 'm');
    const cFiles = changed.filter((f) => f.endsWith('.c'));
    assert.ok(cFiles.length > 0);
    for (const f of cFiles) {
      const code = blankCommentsAndStrings(readFileSync(at(f), 'utf8'));
      assert.match(code, /^MODULE_LICENSE\(/m, f);
      assert.match(code, /^#include <linux\/module\.h>$/m, f);
    }
    const again = await actions(server, uri, vt + 1);
    assert.ok(!again.some((a) => a.title.startsWith('Make CONFIG_VT tristate')), again.map((a) => a.title).join('\n'));
  });

  it('puts a plain obj-y object behind a new tristate option: Makefile, Kconfig, .config and its C file, once', async () => {
    const makefile = at('kernel/Makefile');
    const uri = await open(server, makefile, 'makefile');
    const line = lineOf(makefile, /\bexec_domain\.o\b/);
    const character = readFileSync(makefile, 'utf8').split('\n')[line].indexOf('exec_domain.o') + 2;
    const list = await actions(server, uri, line, character);
    assert.equal(list.length, 1, 'only the object under the cursor');
    const act = list[0];
    const name = /new tristate option CONFIG_(\w+)/.exec(act.title)![1];
    // What would break, checked with nm: the named file's object uses a symbol exec_domain.o defines.
    const uses = /would break \d+ things?: (\S+)\.c uses (\w+)/.exec(act.title);
    assert.ok(uses, act.title);
    assert.ok(run('nm', ['-u', at(`${uses[1]}.o`)]).split('\n').some((l) => l.trim() === `U ${uses[2]}`), `${uses[1]}.o does not use ${uses[2]}`);
    assert.match(run('nm', ['-g', '--defined-only', at('kernel/exec_domain.o')]), new RegExp(` T ${uses[2]}$`, 'm'));
    assert.match(act.title, /core code in kernel\/exec_domain\.c/);
    const changed = await applyEdit(server, ws, act);
    assert.deepEqual(changed.filter((f) => f !== 'Kconfig'), ['.config', 'kernel/Makefile', 'kernel/exec_domain.c']);
    const kconfigFile = changed.find((f) => /(^|\/)Kconfig/.test(f)) ?? 'Kconfig';
    const entry = parseKconfigFile(readFileSync(at(kconfigFile), 'utf8'), kconfigFile).symbols.find((s) => s.name === name)!;
    assert.equal(entry.type, 'tristate');
    assert.equal(configValue(config(), `CONFIG_${name}`), 'm');
    const lines = parseKbuildMakefile(readFileSync(makefile, 'utf8'), 'kernel', 'kernel/Makefile', { config: config() }).lines;
    assert.equal(lines.find((l) => l.target === 'kernel/exec_domain.o')?.condition, `CONFIG_${name}`);
    assert.equal(lines.find((l) => l.target === 'kernel/fork.o')?.list, 'obj-y');
    assert.match(readFileSync(at('kernel/exec_domain.c'), 'utf8'), /^MODULE_LICENSE\("GPL"\);$/m);
    const again = await actions(server, uri, line, character);
    assert.deepEqual(again.map((a) => a.title).filter((t) => t.includes('exec_domain.o')), []);
  });
});

describe('Modularize code actions on an O= build', () => {
  let build: MiniBuild;
  let server: TestServer;
  before(async () => {
    build = buildMiniKernel({ outOfTree: true });
    server = await startServer(build.srcDir, { buildDirectory: build.buildDir });
    await server.waitForStatus((s) => s.state === 'ready');
  });
  after(async () => {
    await server?.stop();
    if (build) cleanupMiniBuild(build);
  });

  it('never edits the .config outside the workspace, and says why', async () => {
    const { uri } = await server.open(path.join(build.srcDir, 'drivers/serial/serial_mini.c'));
    const list = await actions(server, uri, 0);
    const act = list.find((a) => a.title.startsWith('Build CONFIG_SERIAL_MINI as a module'));
    assert.ok(act, list.map((a) => a.title).join('\n'));
    assert.equal(act.edit, undefined);
    assert.match(act.disabled?.reason ?? '', /\.config is outside the workspace: kbloat does not edit it/);
  });
});
