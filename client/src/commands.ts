/** The commands, as factories in one table, ids from the shared protocol file. */
import { commands, Disposable, Position, ProgressLocation, Range, Selection, TextEditorRevealType, Uri, window, workspace } from 'vscode';
import { LanguageClient, WorkDoneProgress } from 'vscode-languageclient/node';
import { CommandIds, CompareWithBaselineRequest, ProveModularizeArgs, ProveModularizeRequest, ProveModularizeResult } from '../../server/src/shared/protocol';
import { PROOF_SCHEME, ProofDocuments } from './proofDocuments';
import type { SizeView } from './sizeView';

export function registerCommands(client: LanguageClient, view: SizeView): Disposable {
  const proofs = new ProofDocuments();
  const table: Record<string, (...args: unknown[]) => unknown> = {
    // A lens click: put the cursor on the function and show its hover breakdown.
    [CommandIds.showBreakdown]: async (uri: unknown, pos: unknown) => {
      const p = pos as { line: number; character: number };
      const editor = await window.showTextDocument(Uri.parse(String(uri)));
      const at = new Position(p.line, p.character);
      editor.selection = new Selection(at, at);
      editor.revealRange(new Range(at, at), TextEditorRevealType.InCenterIfOutsideViewport);
      await commands.executeCommand('editor.action.showHover');
    },
    [CommandIds.reindex]: () => client.sendRequest('kbloat/reindex'),
    // The current build against kbloat.baselineBuildDirectory, in a new editor.
    [CommandIds.compareWithBaseline]: async () => {
      const uri = window.activeTextEditor?.document.uri.toString();
      const r = await client.sendRequest(CompareWithBaselineRequest.type, { uri });
      if (!r.ok) return window.showWarningMessage(r.text);
      await window.showTextDocument(await workspace.openTextDocument({ content: r.text, language: 'plaintext' }));
    },
    // Rebuild with symbols at m in a scratch copy of the build (trusted workspaces only), then show the proof.
    [CommandIds.proveModularize]: (arg?: unknown) => proveModularize(client, proofs, arg),
    [CommandIds.openSizeView]: () => commands.executeCommand('kbloat.sizeView.focus').then(undefined, () => view.reveal()),
  };
  return Disposable.from(
    workspace.registerTextDocumentContentProvider(PROOF_SCHEME, proofs),
    ...Object.entries(table).map(([id, fn]) => commands.registerCommand(id, fn)),
  );
}

/**
 * The server rebuilds and reports its progress on a token of ours, shown as a
 * notification whose cancel button cancels the request (the server then stops
 * make and removes its scratch folder); the proof opens as a read-only document.
 */
async function proveModularize(client: LanguageClient, proofs: ProofDocuments, arg: unknown): Promise<unknown> {
  if (!workspace.isTrusted) return window.showWarningMessage('Kernel Bloat Lens: proving rebuilds the kernel with make, which runs only in a trusted workspace.');
  const given = (arg ?? {}) as Partial<ProveModularizeArgs>;
  const uri = typeof given.uri === 'string' ? given.uri : window.activeTextEditor?.document.uri.toString() ?? '';
  const symbols = Array.isArray(given.symbols) ? given.symbols.filter((s): s is string => typeof s === 'string') : [];
  const what = symbols.length ? symbols.map((s) => `${s}=m`).join(' ') : 'every unblocked candidate at m';
  const token = `kbloat-prove-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const result = await window.withProgress({ location: ProgressLocation.Notification, title: `Kernel Bloat Lens: proving ${what} by rebuilding`, cancellable: true }, async (progress, cancel): Promise<ProveModularizeResult> => {
    let reported = 0;
    const listening = client.onProgress(WorkDoneProgress.type, token, (v) => {
      if (v.kind === 'end') return;
      const pct = v.percentage;
      progress.report({ message: v.message, ...(pct !== undefined && pct > reported ? { increment: pct - reported } : {}) });
      if (pct !== undefined) reported = Math.max(reported, pct);
    });
    try {
      return await client.sendRequest(ProveModularizeRequest.type, { uri, symbols, workDoneToken: token }, cancel);
    } catch (e) {
      if (cancel.isCancellationRequested) return { ran: false, ok: false, cancelled: true, title: 'Proof', text: 'cancelled' };
      throw e;
    } finally {
      listening.dispose();
    }
  });
  if (result.cancelled) return window.showInformationMessage('Kernel Bloat Lens: the proof was cancelled; make was stopped and its scratch folder removed.');
  if (!result.ran) return window.showWarningMessage(`Kernel Bloat Lens: ${result.text}`);
  const doc = await workspace.openTextDocument(proofs.add(result.title, result.text));
  await window.showTextDocument(doc, { preview: false });
  if (!result.ok) void window.showWarningMessage('Kernel Bloat Lens: the rebuild failed; the proof names what broke it.');
  return undefined;
}
