/**
 * Starts the language server (dist/server.js) and hands it the locations of the
 * WASM files shipped with the extension.
 */
import type { ExtensionContext } from 'vscode';
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
      wasm: {
        runtime: context.asAbsolutePath('dist/tree-sitter.wasm'),
        grammar: context.asAbsolutePath('dist/tree-sitter-c.wasm'),
      },
    },
  };
  client = new LanguageClient('kbloat', 'Kernel Bloat Lens', serverOptions, clientOptions);
  await client.start();
  return client;
}

export async function stopClient(): Promise<void> {
  await client?.stop();
  client = undefined;
}
