/**
 * Extension entry point: it only wires. The language server does the measuring;
 * the client shows its state, its tree and its commands.
 */
import type { ExtensionContext } from 'vscode';
import { startClient, stopClient } from './client';
import { registerCommands } from './commands';
import { registerBuildPicker } from './buildPicker';
import { StatusBar } from './statusBar';
import { SizeView } from './sizeView';
import { registerWebviews } from './webviews';

export async function activate(context: ExtensionContext): Promise<void> {
  const client = await startClient(context);
  const status = new StatusBar(client);
  const view = new SizeView(client);
  context.subscriptions.push(status, view, registerCommands(client, view), registerBuildPicker(client), registerWebviews(client));
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
