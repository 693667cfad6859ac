/**
 * The two webviews: the Kernel Size Map (a treemap the server draws from its
 * index) and the Kernel Size History (a `kbloat track` history file, drawn by the server too).
 * Both pages have a strict Content-Security-Policy with a fresh nonce and load
 * nothing from outside; a click in the map opens the file at the function.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import {
  commands,
  DocumentSymbol,
  Disposable,
  Position,
  Range,
  Selection,
  SymbolInformation,
  TextEditorRevealType,
  Uri,
  ViewColumn,
  WebviewPanel,
  window,
  workspace,
} from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CommandIds, SizeHistoryRequest, SizeMapRequest } from '../../server/src/shared/protocol';
import type { ServerStatus } from './serverStatus';

function nonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

interface OpenMessage {
  type: 'open';
  file: string;
  name?: string;
}

function isOpenMessage(m: unknown): m is OpenMessage {
  const o = m as Partial<OpenMessage> | undefined;
  return o?.type === 'open' && typeof o.file === 'string' && (o.name === undefined || typeof o.name === 'string');
}

/** Where `name` is defined in the document: its symbol when a provider knows it, else the first `name(`. */
async function findFunction(uri: Uri, name: string): Promise<Range | undefined> {
  try {
    const symbols = await commands.executeCommand<(DocumentSymbol | SymbolInformation)[] | undefined>('vscode.executeDocumentSymbolProvider', uri);
    const stack = [...(symbols ?? [])];
    while (stack.length) {
      const s = stack.shift()!;
      if (s.name === name || s.name.startsWith(name + '(')) return 'selectionRange' in s ? s.selectionRange : s.location.range;
      if ('children' in s) stack.push(...s.children);
    }
  } catch {
    // No symbol provider: fall back to the text.
  }
  const doc = await workspace.openTextDocument(uri);
  const m = new RegExp(`^[^;\\n]*\\b${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\(`, 'm').exec(doc.getText());
  if (!m) return undefined;
  const at = doc.positionAt(m.index + m[0].lastIndexOf(name));
  return new Range(at, new Position(at.line, at.character + name.length));
}

async function openAt(file: string, name: string | undefined): Promise<void> {
  const uri = Uri.file(file);
  try {
    await workspace.fs.stat(uri);
  } catch {
    void window.showWarningMessage(`Kernel Bloat Lens: ${file} does not exist (a generated file?)`);
    return;
  }
  const range = name ? await findFunction(uri, name) : undefined;
  const editor = await window.showTextDocument(uri, { viewColumn: ViewColumn.One, preview: true });
  if (range) {
    editor.selection = new Selection(range.start, range.start);
    editor.revealRange(range, TextEditorRevealType.InCenterIfOutsideViewport);
  }
}

class SizeMapPanel implements Disposable {
  private panel: WebviewPanel | undefined;
  private sourceDir = '';
  private readonly subscriptions: Disposable[] = [];

  constructor(
    private readonly client: LanguageClient,
    status: ServerStatus,
  ) {
    this.subscriptions.push(
      status.onDidChange((p) => {
        if (p.state === 'ready' && this.panel) void this.render();
      }),
    );
  }

  async show(): Promise<void> {
    if (this.panel) {
      this.panel.reveal();
    } else {
      this.panel = window.createWebviewPanel('kbloat.sizeMap', 'Kernel Size Map', ViewColumn.Active, { enableScripts: true, localResourceRoots: [], retainContextWhenHidden: false });
      const panel = this.panel;
      const listeners = [
        panel.webview.onDidReceiveMessage((m: unknown) => {
          if (isOpenMessage(m) && this.sourceDir) void openAt(path.resolve(this.sourceDir, m.file), m.name);
        }),
      ];
      panel.onDidDispose(() => {
        listeners.forEach((l) => l.dispose());
        this.panel = undefined;
      });
    }
    await this.render();
  }

  private async render(): Promise<void> {
    const panel = this.panel;
    if (!panel) return;
    const result = await this.client.sendRequest(SizeMapRequest.type, { nonce: nonce(), cspSource: panel.webview.cspSource, colorBy: 'class' });
    if (panel !== this.panel) return;
    if (!result) {
      const n = nonce();
      panel.webview.html = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${n}'"><style nonce="${n}">body{color:var(--vscode-foreground);font-family:var(--vscode-font-family)}</style></head><body><p>No kernel build is indexed yet.</p></body></html>`;
      return;
    }
    this.sourceDir = result.sourceDir;
    panel.webview.html = result.html;
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.panel?.dispose();
  }
}

async function openHistory(client: LanguageClient, panels: Set<WebviewPanel>): Promise<void> {
  const picked = await window.showOpenDialog({ canSelectMany: false, openLabel: 'Open History', filters: { 'kbloat history': ['jsonl'], 'All files': ['*'] } });
  const file = picked?.[0]?.fsPath;
  if (!file) return;
  const panel = window.createWebviewPanel('kbloat.sizeHistory', `Kernel Size History: ${path.basename(file)}`, ViewColumn.Active, { enableScripts: false, localResourceRoots: [] });
  const result = await client.sendRequest(SizeHistoryRequest.type, { file, nonce: nonce(), cspSource: panel.webview.cspSource });
  if ('error' in result) {
    panel.dispose();
    void window.showErrorMessage(`Kernel Bloat Lens: ${result.error}`);
    return;
  }
  panels.add(panel);
  panel.onDidDispose(() => panels.delete(panel));
  panel.webview.html = result.html;
}

export function registerWebviews(client: LanguageClient, status: ServerStatus): Disposable {
  const map = new SizeMapPanel(client, status);
  const histories = new Set<WebviewPanel>();
  return Disposable.from(
    map,
    commands.registerCommand(CommandIds.openSizeMap, () => map.show()),
    commands.registerCommand(CommandIds.openSizeHistory, () => openHistory(client, histories)),
    { dispose: () => [...histories].forEach((p) => p.dispose()) },
  );
}
