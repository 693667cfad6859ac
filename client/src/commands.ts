/** The commands, as factories in one table, ids from the shared protocol file. */
import { commands, Disposable, Position, Range, Selection, TextEditorRevealType, Uri, window, workspace } from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CommandIds, CompareWithBaselineRequest } from '../../server/src/shared/protocol';
import type { SizeView } from './sizeView';

export function registerCommands(client: LanguageClient, view: SizeView): Disposable {
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
    [CommandIds.openSizeView]: () => commands.executeCommand('kbloat.sizeView.focus').then(undefined, () => view.reveal()),
  };
  return Disposable.from(...Object.entries(table).map(([id, fn]) => commands.registerCommand(id, fn)));
}
