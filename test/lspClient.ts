/**
 * Starts the real language server (dist/server.js, as the extension ships it)
 * over stdio and talks LSP to it. Waits on events, never sleeps.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { StatusParams } from '../server/src/shared/protocol';
import { REPO, tempDir } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';

export interface TestServer {
  connection: MessageConnection;
  process: ChildProcess;
  statuses: StatusParams[];
  /** Every kbloat/buildCandidates notification's candidates. */
  candidates: string[][];
  /** Resolves with the first status notification that satisfies `pred` (past or future). */
  waitForStatus(pred: (s: StatusParams) => boolean, timeoutMs?: number): Promise<StatusParams>;
  open(file: string, languageId?: string): Promise<{ uri: string; text: string }>;
  /**
   * Opens `file`, waits for its first diagnostics, inserts `code` (at the end, or
   * after the first line matching a pattern) as one edit, and returns the next
   * diagnostics that satisfy `pred`, with the text the buffer now holds.
   */
  edit(file: string, at: 'end' | RegExp, code: string, pred?: (d: PublishedDiagnostic[]) => boolean): Promise<EditResult>;
  /** Resolves with the next diagnostics published for `uri` that satisfy `pred`. */
  waitForDiagnostics(uri: string, pred?: (d: PublishedDiagnostic[]) => boolean, timeoutMs?: number): Promise<PublishedDiagnostic[]>;
  /** Resolves with the first kbloat/buildCandidates notification (past or future). */
  waitForCandidates(): Promise<string[]>;
  /** Resolves at the server's next workspace/codeLens/refresh request. */
  nextRefresh(): Promise<void>;
  stop(): Promise<void>;
}

export interface PublishedDiagnostic {
  range: { start: { line: number; character: number } };
  severity?: number;
  code?: string;
  message: string;
  codeDescription?: { href: string };
}

export interface EditResult {
  uri: string;
  /** Diagnostics of the file as opened, before the edit. */
  opened: PublishedDiagnostic[];
  diagnostics: PublishedDiagnostic[];
  /** Zero-based line where the inserted code starts. */
  line: number;
  newText: string;
}

export async function startServer(workspace: string, settings: Record<string, unknown> = {}, initializationOptions: Record<string, unknown> = {}): Promise<TestServer> {
  const child = spawn(process.execPath, [path.join(REPO, 'dist/server.js'), '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, KBLOAT_CACHE_DIR: tempDir('lsp-cache') },
  });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const statuses: StatusParams[] = [];
  const waiters: { pred: (s: StatusParams) => boolean; resolve: (s: StatusParams) => void }[] = [];
  connection.onNotification('kbloat/status', (s: StatusParams) => {
    statuses.push(s);
    for (const w of [...waiters]) if (w.pred(s)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(s));
  });
  const candidates: string[][] = [];
  const diagnosticWaiters: { uri: string; pred: (d: PublishedDiagnostic[]) => boolean; resolve: (d: PublishedDiagnostic[]) => void }[] = [];
  connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: PublishedDiagnostic[] }) => {
    for (const w of [...diagnosticWaiters]) if (w.uri === p.uri && w.pred(p.diagnostics)) (diagnosticWaiters.splice(diagnosticWaiters.indexOf(w), 1), w.resolve(p.diagnostics));
  });
  let candidateWaiters: ((c: string[]) => void)[] = [];
  connection.onNotification('kbloat/buildCandidates', (p: { candidates: string[] }) => {
    candidates.push(p.candidates);
    const ws = candidateWaiters;
    candidateWaiters = [];
    ws.forEach((w) => w(p.candidates));
  });
  connection.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map(() => ({ buildDirectory: '', codeLens: { enabled: true }, ...settings })));
  connection.onRequest('window/workDoneProgress/create', () => null);
  let refreshWaiters: (() => void)[] = [];
  connection.onRequest('workspace/codeLens/refresh', () => {
    const ws = refreshWaiters;
    refreshWaiters = [];
    ws.forEach((w) => w());
    return null;
  });
  connection.onNotification('$/progress', () => undefined);
  connection.onNotification('window/logMessage', () => undefined);
  connection.listen();
  const rootUri = pathToFileURL(workspace).toString();
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: 'kernel' }],
    capabilities: { workspace: { configuration: true, codeLens: { refreshSupport: true } }, window: { workDoneProgress: true } },
    initializationOptions,
  });
  await connection.sendNotification('initialized', {});
  const { readFileSync } = await import('node:fs');
  const server: TestServer = {
    connection,
    process: child,
    statuses,
    candidates,
    waitForStatus(pred, timeoutMs = 60_000) {
      const seen = statuses.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching status within ${timeoutMs} ms; saw ${JSON.stringify(statuses)}`)), timeoutMs);
        waiters.push({ pred, resolve: (s) => (clearTimeout(timer), resolve(s)) });
      });
    },
    waitForDiagnostics(uri, pred = () => true, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching diagnostics for ${uri} within ${timeoutMs} ms`)), timeoutMs);
        diagnosticWaiters.push({ uri, pred, resolve: (d) => (clearTimeout(timer), resolve(d)) });
      });
    },
    async edit(file, at, code, pred = () => true) {
      const { uri, text } = await server.open(file);
      const opened = await server.waitForDiagnostics(uri);
      const lines = text.split('\n');
      const line = at === 'end' ? lines.length - 1 : lines.findIndex((l) => at.test(l)) + 1;
      const waiting = server.waitForDiagnostics(uri, pred, 60_000);
      await connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: 2 },
        contentChanges: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: code }],
      });
      const newText = [...lines.slice(0, line), ...code.split('\n').slice(0, -1), ...lines.slice(line)].join('\n');
      return { uri, opened, diagnostics: await waiting, line, newText };
    },
    waitForCandidates() {
      if (candidates.length) return Promise.resolve(candidates[0]);
      return new Promise<string[]>((resolve) => candidateWaiters.push(resolve));
    },
    nextRefresh() {
      return new Promise<void>((resolve) => refreshWaiters.push(resolve));
    },
    async open(file, languageId = 'c') {
      const uri = pathToFileURL(file).toString();
      const text = readFileSync(file, 'utf8');
      await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
      return { uri, text };
    },
    async stop() {
      await connection.sendRequest('shutdown').catch(() => undefined);
      await connection.sendNotification('exit').catch(() => undefined);
      connection.dispose();
      child.kill();
    },
  };
  return server;
}

/**
 * The mini tree built in a temp folder with a language server on it, ready.
 * `stop()` stops the server and removes the build.
 */
export async function startServerOnMiniBuild(
  settings: Record<string, unknown> = {},
  initializationOptions: Record<string, unknown> = {},
): Promise<{ build: MiniBuild; server: TestServer; stop(): Promise<void> }> {
  const build = buildMiniKernel({});
  const server = await startServer(build.srcDir, settings, initializationOptions);
  await server.waitForStatus((s) => s.state === 'ready');
  return {
    build,
    server,
    async stop() {
      await server.stop();
      cleanupMiniBuild(build);
    },
  };
}
