/**
 * The C functions of each open document, from tree-sitter, parsed incrementally
 * on every edit and cached per document version. Documents too large to parse
 * within bounds give no functions (their file-level lens still shows).
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver/node';
import { CFunction, findFunctions } from '../c/functions';
import { DocumentTrees } from '../c/trees';
import type { Tree } from '../c/wasm';

type RangeChange = { range: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string };

export class DocumentFunctions {
  private readonly cache = new Map<string, { version: number; functions: CFunction[] }>();
  /**
   * Edits not yet fed to the parser, in order. Parsing waits until functions are
   * asked for, so a didChange costs nothing and several edits parse as one.
   */
  private readonly pending = new Map<string, RangeChange[] | 'full'>();

  constructor(private readonly trees: DocumentTrees) {}

  /** Functions of the document at its current version. */
  get(doc: TextDocument): CFunction[] {
    const hit = this.cache.get(doc.uri);
    if (hit && hit.version === doc.version) return hit.functions;
    const text = doc.getText();
    const pending = this.pending.get(doc.uri);
    this.pending.delete(doc.uri);
    const tree = pending && pending !== 'full' ? this.trees.applyEdits(doc.uri, doc.version, text, pending) : this.trees.tryGet(doc.uri, doc.version, text);
    const functions = tree ? findFunctions(tree, text) : [];
    this.cache.set(doc.uri, { version: doc.version, functions });
    return functions;
  }

  /** The parse tree of the document at its current version (parsing it if needed). */
  tree(doc: TextDocument): Tree | undefined {
    this.get(doc);
    return this.trees.tryGet(doc.uri, doc.version, doc.getText());
  }

  /** Functions of the document at its current version, only when already parsed. */
  peek(doc: TextDocument): CFunction[] | undefined {
    const hit = this.cache.get(doc.uri);
    return hit && hit.version === doc.version ? hit.functions : undefined;
  }

  /** Remembers an edit so that the next parse is incremental. */
  edited(doc: TextDocument, changes: TextDocumentContentChangeEvent[]): void {
    const list = this.pending.get(doc.uri);
    if (list === 'full') return;
    if (!changes.every((c) => 'range' in c && c.range)) {
      this.pending.set(doc.uri, 'full');
      return;
    }
    const ranged = changes as RangeChange[];
    if (list) list.push(...ranged);
    else this.pending.set(doc.uri, [...ranged]);
  }

  closed(uri: string): void {
    this.cache.delete(uri);
    this.pending.delete(uri);
    this.trees.delete(uri);
  }

  dispose(): void {
    this.cache.clear();
    this.pending.clear();
    this.trees.dispose();
  }
}
