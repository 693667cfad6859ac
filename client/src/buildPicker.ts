/**
 * When the server finds several kernel builds and kbloat.buildDirectory is unset,
 * ask the user which one to measure and remember it in the workspace settings.
 */
import { commands, ConfigurationTarget, Disposable, Uri, window, workspace } from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { BuildCandidatesNotification, CommandIds } from '../../server/src/shared/protocol';

export function registerBuildPicker(client: LanguageClient): Disposable {
  let last: string[] = [];
  const pick = async (candidates: string[]): Promise<void> => {
    const items = candidates.map((c) => ({ label: workspace.asRelativePath(c) || c, description: c, path: c }));
    const chosen = await window.showQuickPick(items, { title: 'Kernel Bloat Lens: which kernel build should it measure?', ignoreFocusOut: true });
    if (!chosen) return;
    const folder = workspace.getWorkspaceFolder(Uri.file(chosen.path));
    await workspace.getConfiguration('kbloat', folder?.uri).update('buildDirectory', chosen.path, folder ? ConfigurationTarget.WorkspaceFolder : ConfigurationTarget.Workspace);
  };
  return Disposable.from(
    client.onNotification(BuildCandidatesNotification.type, ({ candidates }) => {
      last = candidates;
      void pick(candidates);
    }),
    commands.registerCommand(CommandIds.pickBuild, async () => {
      if (last.length) return pick(last);
      const chosen = await window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this kernel build' });
      if (chosen?.[0]) await workspace.getConfiguration('kbloat').update('buildDirectory', chosen[0].fsPath, ConfigurationTarget.Workspace);
    }),
  );
}
