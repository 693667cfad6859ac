/**
 * Extension entry point: it only wires. The language server does the measuring;
 * the client shows its state, its tree and its commands.
 */
import type { ExtensionContext } from 'vscode';
import { createClient, stopClient } from './client';
import { registerCommands } from './commands';
import { registerBuildPicker } from './buildPicker';
import { StatusBar } from './statusBar';
import { SizeView } from './sizeView';
import { registerWebviews } from './webviews';
import { ServerStatus } from './serverStatus';

export async function activate(context: ExtensionContext): Promise<void> {
  const client = createClient(context);
  const serverStatus = new ServerStatus(client);
  const view = new SizeView(client, serverStatus);
  context.subscriptions.push(serverStatus, new StatusBar(serverStatus), view, registerCommands(client, view), registerBuildPicker(client), registerWebviews(client, serverStatus));
  await client.start();
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
