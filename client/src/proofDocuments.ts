/**
 * The documents "Prove by rebuilding…" opens: read-only texts under their own
 * scheme (`kbloat-proof:`), one per proof, the last few kept.
 */
import { TextDocumentContentProvider, Uri } from 'vscode';

export const PROOF_SCHEME = 'kbloat-proof';

/** Proofs kept for their documents; older ones read as empty. */
const KEEP = 16;

export class ProofDocuments implements TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private count = 0;

  provideTextDocumentContent(uri: Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  /** A new document for a proof's text; its name is the proof's title. */
  add(title: string, text: string): Uri {
    const name = title.replace(/[\\/:*?"<>|\s]+/g, ' ').trim().slice(0, 120) || 'Proof';
    const uri = Uri.from({ scheme: PROOF_SCHEME, path: `/${++this.count}/${name}.txt` });
    this.texts.set(uri.toString(), text);
    for (const old of this.texts.keys()) if (this.texts.size > KEEP) this.texts.delete(old);
    return uri;
  }
}
