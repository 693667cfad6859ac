/**
 * The Kernel Size History webview's page: a `kbloat track` history file the
 * user picked, drawn here so that the client knows nothing of its format. A file
 * that cannot be read is an answer with the reason, not a failed request.
 */
import * as path from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { KbloatInputError } from '../common/errors';
import { historyHtml } from '../render/historyPage';
import { SizeHistoryRequest } from '../shared/protocol';
import { readHistory } from '../tracker/history';

export function register(connection: Connection): void {
  connection.onRequest(SizeHistoryRequest.type, ({ file, nonce, cspSource }) => {
    try {
      const records = readHistory(file);
      return { html: historyHtml(records, { title: `Kernel size history (${path.basename(file)})`, webview: { nonce, cspSource } }) };
    } catch (e) {
      if (e instanceof KbloatInputError || (e as NodeJS.ErrnoException).code) return { error: e instanceof Error ? e.message : String(e) };
      throw e;
    }
  });
}
