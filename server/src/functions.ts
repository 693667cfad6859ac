/**
 * The C functions of each open document, from tree-sitter, parsed incrementally
 * on every edit and cached per document version. Documents too large to parse
 * within bounds give no functions (their file-level lens still shows).
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver/node';
import { CFunction, findFunctions } from './parsing/cFunctions';
import { DocumentTrees } from './parsing/trees';

export class DocumentFunctions {
  private readonly cache = new Map<string, { version: number; functions: CFunction[] }>();

  constructor(private readonly trees: DocumentTrees) {}

  /** Functions of the document at its current version. */
  get(doc: TextDocument): CFunction[] {
    const hit = this.cache.get(doc.uri);
    if (hit && hit.version === doc.version) return hit.functions;
    const text = doc.getText();
    const tree = this.trees.tryGet(doc.uri, doc.version, text);
    const functions = tree ? findFunctions(tree, text) : [];
    this.cache.set(doc.uri, { version: doc.version, functions });
    return functions;
  }

  /** Functions of the document at its current version, only when already parsed. */
  peek(doc: TextDocument): CFunction[] | undefined {
    const hit = this.cache.get(doc.uri);
    return hit && hit.version === doc.version ? hit.functions : undefined;
  }

  /** Feeds an edit to the parse tree cache so the next parse is incremental. */
  edited(doc: TextDocument, changes: TextDocumentContentChangeEvent[]): void {
    if (changes.every((c) => 'range' in c && c.range)) {
      this.trees.applyEdits(doc.uri, doc.version, doc.getText(), changes as { range: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string }[]);
    } else {
      this.trees.delete(doc.uri);
    }
  }

  closed(uri: string): void {
    this.cache.delete(uri);
    this.trees.delete(uri);
  }

  dispose(): void {
    this.cache.clear();
    this.trees.dispose();
  }
}
