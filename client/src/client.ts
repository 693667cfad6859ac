/**
 * Creates the client of the language server (dist/server.js) and hands the server
 * the locations of the WASM files shipped with the extension. The extension
 * registers its notification handlers before it starts the client, so that it
 * misses none of the server's first messages.
 */
import { ExtensionContext, window, workspace } from 'vscode';
import { TrustNotification } from '../../server/src/shared/protocol';
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
      // Said here, not through the result's message: vscode-languageclient 9 only logs a
      // restart's message to the output channel (its notification needs revealOutputChannelOn
      // at Info), so the user would never see it.
      if (!told) void window.showInformationMessage('Kernel Bloat Lens: the language server stopped and was restarted.');
      told = true;
      return { action: CloseAction.Restart, handled: true };
    },
  };
}

let client: LanguageClient | undefined;

export function createClient(context: ExtensionContext): LanguageClient {
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
      // Where options are written, whatever language id the editor gives these files (VS Code has none for .config).
      { scheme: 'file', pattern: '**/Kbuild' },
      { scheme: 'file', pattern: '**/.config' },
      { scheme: 'file', pattern: '**/include/config/auto.conf' },
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
  const created = new LanguageClient('kbloat', 'Kernel Bloat Lens', serverOptions, clientOptions);
  client = created;
  context.subscriptions.push(workspace.onDidGrantWorkspaceTrust(() => void created.sendNotification(TrustNotification.type, { trusted: true })));
  return created;
}

export async function stopClient(): Promise<void> {
  await client?.stop();
  client = undefined;
}
