/**
 * Language server entry point: it only wires the connection. The features
 * (CodeLens, hover, diagnostics) arrive with the language-server issue; for now
 * the server answers `initialize` and reports the build it found.
 */
import { createConnection, ProposedFeatures, TextDocumentSyncKind } from 'vscode-languageserver/node';

const connection = createConnection(ProposedFeatures.all);

connection.onInitialize(() => ({
  capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
  serverInfo: { name: 'kbloat' },
}));

connection.listen();
