/**
 * Starts the language server (dist/server.js) and hands it the locations of the
 * WASM files shipped with the extension.
 */
import { ExtensionContext, workspace } from 'vscode';
import { TrustNotification } from '../../server/src/protocol';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

export async function startClient(context: ExtensionContext): Promise<LanguageClient> {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'c' },
      { scheme: 'file', language: 'cpp', pattern: '**/*.h' },
      { scheme: 'file', language: 'kconfig' },
      { scheme: 'file', language: 'makefile' },
    ],
    synchronize: { configurationSection: 'kbloat' },
    initializationOptions: {
      // Measuring compiles the buffer with the build's recorded command: only in a trusted workspace.
      trusted: workspace.isTrusted,
      wasm: {
        runtime: context.asAbsolutePath('dist/tree-sitter.wasm'),
        grammar: context.asAbsolutePath('dist/tree-sitter-c.wasm'),
      },
    },
  };
  client = new LanguageClient('kbloat', 'Kernel Bloat Lens', serverOptions, clientOptions);
  await client.start();
  const started = client;
  context.subscriptions.push(workspace.onDidGrantWorkspaceTrust(() => void started.sendNotification(TrustNotification.type, { trusted: true })));
  return client;
}

export async function stopClient(): Promise<void> {
  await client?.stop();
  client = undefined;
}
