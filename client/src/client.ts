/**
 * Starts the language server (dist/server.js) and hands it the locations of the
 * WASM files shipped with the extension.
 */
import { ExtensionContext, workspace } from 'vscode';
import { TrustNotification } from '../../server/src/protocol';
import { CloseAction, ErrorAction, LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';

/** Restarts a server that died, up to a few times in a few minutes, and says so once. */
function restartingErrorHandler(): LanguageClientOptions['errorHandler'] {
  const restarts: number[] = [];
  let told = false;
  return {
    error: () => ({ action: ErrorAction.Continue }),
    closed: () => {
      const now = Date.now();
      while (restarts.length && now - restarts[0] > 3 * 60_000) restarts.shift();
      restarts.push(now);
      if (restarts.length > 4) return { action: CloseAction.DoNotRestart, message: 'Kernel Bloat Lens: the language server stopped 5 times in 3 minutes and is not restarted again. Run "Developer: Reload Window" to try again.' };
      const message = told ? undefined : 'Kernel Bloat Lens: the language server stopped and was restarted.';
      told = true;
      return { action: CloseAction.Restart, message, handled: !message };
    },
  };
}

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
    errorHandler: restartingErrorHandler(),
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
