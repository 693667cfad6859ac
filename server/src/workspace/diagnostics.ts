/**
 * One owner for the diagnostics of each document. LSP replaces a document's
 * whole set on every publish, so features that flag different things in the
 * same file (new built-in code, Kconfig problems) each keep their own part
 * here and every publish sends the union.
 */
import type { Connection, Diagnostic } from 'vscode-languageserver/node';

export class DiagnosticSets {
  private readonly sets = new Map<string, Map<string, Diagnostic[]>>();

  constructor(private readonly connection: Connection) {}

  /** Replaces what `source` says about `uri` and publishes the union. */
  set(source: string, uri: string, diagnostics: Diagnostic[], version?: number): void {
    let byUri = this.sets.get(uri);
    if (!byUri) this.sets.set(uri, (byUri = new Map()));
    if (diagnostics.length) byUri.set(source, diagnostics);
    else byUri.delete(source);
    const all = [...byUri.values()].flat();
    if (byUri.size === 0) this.sets.delete(uri);
    void this.connection.sendDiagnostics({ uri, ...(version === undefined ? {} : { version }), diagnostics: all });
  }

  /** The document was closed: everything said about it is withdrawn. */
  clear(uri: string): void {
    this.sets.delete(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }
}
