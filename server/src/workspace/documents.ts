/**
 * The open documents, kept in sync with incremental didChange events, and the
 * functions the C parser finds in each. Also keeps, per document, the last good
 * lenses and shifts them with every edit, so that lenses never vanish while the
 * user types or while the build is re-indexed.
 */
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Connection, TextDocumentContentChangeEvent } from 'vscode-languageserver/node';
import { URI } from './uri';

export interface ShiftableLens {
  line: number;
}

interface Tracked {
  doc: TextDocument;
  lastLenses?: ShiftableLens[];
}

export type ChangeListener = (doc: TextDocument, changes: TextDocumentContentChangeEvent[], previousText: string) => void;

export class Documents {
  private readonly docs = new Map<string, Tracked>();
  private readonly changeListeners: ChangeListener[] = [];
  private readonly closeListeners: ((uri: string) => void)[] = [];
  private readonly openListeners: ((doc: TextDocument) => void)[] = [];

  listen(connection: Connection): void {
    connection.onDidOpenTextDocument(({ textDocument: t }) => {
      const doc = TextDocument.create(t.uri, t.languageId, t.version, t.text);
      this.docs.set(t.uri, { doc });
      for (const l of this.openListeners) l(doc);
    });
    connection.onDidChangeTextDocument(({ textDocument, contentChanges }) => {
      const tracked = this.docs.get(textDocument.uri);
      if (!tracked) return;
      const previousText = tracked.doc.getText();
      tracked.doc = TextDocument.update(tracked.doc, contentChanges, textDocument.version);
      if (tracked.lastLenses) shiftLenses(tracked.lastLenses, contentChanges);
      for (const l of this.changeListeners) l(tracked.doc, contentChanges, previousText);
    });
    connection.onDidCloseTextDocument(({ textDocument }) => {
      this.docs.delete(textDocument.uri);
      for (const l of this.closeListeners) l(textDocument.uri);
    });
  }

  get(uri: string): TextDocument | undefined {
    return this.docs.get(uri)?.doc;
  }

  all(): TextDocument[] {
    return [...this.docs.values()].map((t) => t.doc);
  }

  onChange(l: ChangeListener): void {
    this.changeListeners.push(l);
  }

  onOpen(l: (doc: TextDocument) => void): void {
    this.openListeners.push(l);
  }

  onClose(l: (uri: string) => void): void {
    this.closeListeners.push(l);
  }

  rememberLenses(uri: string, lenses: ShiftableLens[]): void {
    const t = this.docs.get(uri);
    if (t) t.lastLenses = lenses;
  }

  lastLenses(uri: string): ShiftableLens[] | undefined {
    return this.docs.get(uri)?.lastLenses;
  }

  /** The file system path of a document, for file: URIs. */
  static fsPath(uri: string): string | undefined {
    return URI.toFsPath(uri);
  }
}

/** Moves remembered lenses with the lines an edit inserted or removed above them. */
function shiftLenses(lenses: ShiftableLens[], changes: TextDocumentContentChangeEvent[]): void {
  for (const c of changes) {
    if (!('range' in c) || !c.range) continue; // a full-text replacement: positions are unknown until re-parsed
    const removed = c.range.end.line - c.range.start.line;
    const added = (c.text.match(/\n/g) ?? []).length;
    const delta = added - removed;
    if (delta === 0) continue;
    const { start, end } = c.range;
    for (const l of lenses) {
      // Text inserted at the very start of a lens's line pushes that line down too.
      if (l.line > end.line || (l.line === end.line && end.character === 0 && (start.line < end.line || start.character === 0))) l.line += delta;
      else if (l.line > start.line) l.line = start.line; // its line was removed
    }
  }
}
