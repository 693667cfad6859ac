/**
 * "Prove by rebuilding…" over a real LSP connection to dist/server.js, on a
 * build of the mini tree: the command sits next to the Modularize action and
 * on the line-1 lens in a trusted workspace only; executing it rebuilds the
 * kernel in a scratch copy with LSP work-done progress (the server creates it
 * with window/workDoneProgress/create, or reports on the client's own token)
 * and answers the proof's text; a cancel (window/workDoneProgress/cancel, or
 * $/cancelRequest) stops make and removes the scratch folder; the build folder
 * stays byte for byte as it was.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { startServer, startServerOnMiniBuild, TestServer } from './lspClient';
import type { MiniBuild } from './minikernel';

interface Command { title: string; command: string; arguments?: unknown[] }
interface Action { title: string; kind?: string; command?: Command; disabled?: { reason: string } }
interface Lens { range: { start: { line: number } }; command: Command }
interface Progress { token: string | number; value: { kind: 'begin' | 'report' | 'end'; title?: string; message?: string; percentage?: number; cancellable?: boolean } }
interface Result { ran: boolean; ok: boolean; cancelled?: boolean; title: string; text: string }

const PROVE = 'kbloat.proveModularize';
const METHOD = 'kbloat/proveModularize';

/** Every file and link under `root` with its size, time and content hash. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const abs = path.join(root, rel);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(abs)}`);
    else if (st.isDirectory()) for (const e of readdirSync(abs).sort()) walk(path.join(rel, e));
    else out.push(`${rel} ${st.size} ${st.mtimeMs} ${createHash('sha1').update(readFileSync(abs)).digest('hex')}`);
  };
  walk('');
  return out;
}

const scratchFolders = (): string[] => readdirSync(os.tmpdir()).filter((n) => n.startsWith('kbloat-prove-'));

async function actionsAt(server: TestServer, uri: string, line: number): Promise<Action[]> {
  return server.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: { start: { line, character: 0 }, end: { line, character: 0 } },
    context: { diagnostics: [], triggerKind: 1 },
  });
}

/** Records the progress the server creates and reports. */
function watchProgress(server: TestServer): { created: (string | number)[]; progress: Progress[]; next(pred: (p: Progress) => boolean): Promise<Progress> } {
  const created: (string | number)[] = [];
  const progress: Progress[] = [];
  let waiters: { pred: (p: Progress) => boolean; resolve: (p: Progress) => void }[] = [];
  server.connection.onRequest('window/workDoneProgress/create', (p: { token: string | number }) => {
    created.push(p.token);
    return null;
  });
  server.connection.onNotification('$/progress', (p: Progress) => {
    progress.push(p);
    const ready = waiters.filter((w) => w.pred(p));
    waiters = waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(p);
  });
  return {
    created,
    progress,
    next: (pred) => new Promise((resolve) => waiters.push({ pred, resolve })),
  };
}

describe('Prove by rebuilding over LSP, in a trusted workspace', () => {
  let mini: { build: MiniBuild; server: TestServer; stop(): Promise<void> };
  let watch: ReturnType<typeof watchProgress>;
  let uri: string;
  let args: unknown;
  before(async () => {
    mini = await startServerOnMiniBuild({}, { trusted: true });
    watch = watchProgress(mini.server);
    uri = (await mini.server.open(path.join(mini.build.srcDir, 'drivers/misc/eeprom_core.c'))).uri;
  });
  after(() => mini?.stop());

  test('offered next to "Build CONFIG_X as a module" and on the line-1 lens', async () => {
    const actions = await actionsAt(mini.server, uri, 20);
    const build = actions.findIndex((a) => /^Build CONFIG_EEPROM_MINI as a module/.test(a.title));
    assert.ok(build >= 0, JSON.stringify(actions.map((a) => a.title)));
    const prove = actions[build + 1];
    assert.match(prove.title, /^Prove by rebuilding: CONFIG_EEPROM_MINI=m/);
    assert.equal(prove.command?.command, PROVE);
    assert.deepEqual(prove.command?.arguments, [{ uri, symbols: ['CONFIG_EEPROM_MINI'] }]);
    assert.equal(actions.filter((a) => a.command?.command === PROVE).length, 1);
    // The analysis the actions made gives line 1 its Modularize lens, and the proof beside it.
    const lenses: Lens[] = await mini.server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
    const line1 = lenses.filter((l) => l.range.start.line === 0).map((l) => l.command);
    assert.ok(line1.some((c) => /^Modularize: CONFIG_EEPROM_MINI=m saves /.test(c.title)), JSON.stringify(line1));
    const lens = line1.find((c) => c.command === PROVE);
    assert.equal(lens?.title, 'Prove by rebuilding…');
    assert.deepEqual(lens?.arguments, prove.command?.arguments);
    args = lens!.arguments![0];
  });

  test('executing it: progress from window/workDoneProgress/create to end, then the proof; the build is untouched', async () => {
    assert.ok(args, 'the lens of the test before');
    const state = snapshot(mini.build.buildDir);
    const scratchBefore = scratchFolders();
    const creates = watch.created.length;
    const result: Result = await mini.server.connection.sendRequest(METHOD, args);
    assert.equal(result.ran, true, result.text);
    assert.equal(result.ok, true, result.text);
    assert.equal(result.title, 'Proof: CONFIG_EEPROM_MINI=m');
    assert.match(result.text, /^proof of CONFIG_EEPROM_MINI=m$/m);
    assert.match(result.text, /^CONFIG_EEPROM_MINI +y → m +y → m +-[\d,]+ B +-[\d,]+ B +[-+]?[\d,]+ B$/m);
    assert.match(result.text, /^rebuilt after +[\d,]+ B /m);
    assert.match(result.text, /^drivers\/misc\/eeprom_core\.c .* built-in → module$/m);
    assert.match(result.text, /\(removed\)/);
    // The server made its own progress (the request carried no token) and ended it.
    assert.equal(watch.created.length, creates + 1);
    const token = watch.created[creates];
    const mine = watch.progress.filter((p) => p.token === token).map((p) => p.value);
    assert.equal(mine[0].kind, 'begin');
    assert.equal(mine[0].cancellable, true);
    assert.match(mine[0].title ?? '', /CONFIG_EEPROM_MINI=m/);
    assert.equal(mine[mine.length - 1].kind, 'end');
    const reports = mine.filter((v) => v.kind === 'report');
    assert.ok(reports.some((v) => /^make olddefconfig/.test(v.message ?? '')), JSON.stringify(reports));
    assert.ok(reports.some((v) => /^copying /.test(v.message ?? '')));
    const percents = reports.map((v) => v.percentage ?? 0);
    assert.deepEqual(percents, [...percents].sort((a, b) => a - b), 'the percentage never goes back');
    assert.deepEqual(snapshot(mini.build.buildDir), state, 'the build folder is untouched');
    assert.deepEqual(scratchFolders(), scratchBefore, 'the scratch folder is removed');
  });

  test('window/workDoneProgress/cancel stops the proof and removes its scratch folder', async () => {
    const scratchBefore = scratchFolders();
    const creates = watch.created.length;
    const begun = watch.next((p) => p.value.kind === 'begin' && p.token === watch.created[creates]);
    const answer = mini.server.connection.sendRequest(METHOD, args) as Promise<Result>;
    const begin = await begun;
    await mini.server.connection.sendNotification('window/workDoneProgress/cancel', { token: begin.token });
    const result = await answer;
    assert.equal(result.cancelled, true, result.text);
    assert.equal(result.ran, false);
    assert.match(result.text, /cancelled: make was stopped and its scratch folder removed/);
    assert.equal(watch.progress.filter((p) => p.token === begin.token).at(-1)?.value.kind, 'end');
    assert.deepEqual(scratchFolders(), scratchBefore, 'no scratch folder is left');
  });

  test('on the client\'s own token, a cancelled request stops the proof too', async () => {
    const scratchBefore = scratchFolders();
    const creates = watch.created.length;
    const token = 'client-token-1';
    const source = new CancellationTokenSource();
    const begun = watch.next((p) => p.token === token && p.value.kind === 'report' && /^copying|^make/.test(p.value.message ?? ''));
    const answer = mini.server.connection.sendRequest(METHOD, { ...(args as object), workDoneToken: token }, source.token) as Promise<Result>;
    await begun;
    source.cancel();
    const result = await answer.catch((e: Error) => ({ ran: false, ok: false, cancelled: true, title: '', text: `rejected: ${e.message}` }));
    assert.equal(result.cancelled, true, result.text);
    assert.equal(watch.created.length, creates, 'no progress was created: the client gave its token');
    assert.equal(watch.progress.filter((p) => p.token === token)[0].value.kind, 'begin');
    // The answer may come before the server's end of the progress: wait for it.
    if (watch.progress.filter((p) => p.token === token).at(-1)?.value.kind !== 'end') await watch.next((p) => p.token === token && p.value.kind === 'end');
    assert.deepEqual(scratchFolders(), scratchBefore, 'no scratch folder is left');
  });

  describe('in an untrusted workspace, on the same build', () => {
    let untrusted: TestServer;
    let doc: string;
    before(async () => {
      untrusted = await startServer(mini.build.srcDir);
      await untrusted.waitForStatus((s) => s.state === 'ready');
      doc = (await untrusted.open(path.join(mini.build.srcDir, 'drivers/misc/eeprom_core.c'))).uri;
    });
    after(() => untrusted?.stop());

    test('neither the action nor the lens is offered, and the request is refused', async () => {
      const actions = await actionsAt(untrusted, doc, 20);
      assert.ok(actions.some((a) => /^Build CONFIG_EEPROM_MINI as a module/.test(a.title)), JSON.stringify(actions.map((a) => a.title)));
      assert.deepEqual(actions.filter((a) => a.command?.command === PROVE), []);
      const lenses: Lens[] = await untrusted.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: doc } });
      assert.ok(lenses.some((l) => /^Modularize: /.test(l.command.title)));
      assert.deepEqual(lenses.filter((l) => l.command.command === PROVE), []);
      const before = scratchFolders();
      const result: Result = await untrusted.connection.sendRequest(METHOD, { uri: doc, symbols: ['CONFIG_EEPROM_MINI'] });
      assert.equal(result.ran, false);
      assert.match(result.text, /trust the workspace first/);
      assert.deepEqual(scratchFolders(), before);
    });
  });
});
