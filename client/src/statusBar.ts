/**
 * The status-bar item: the kernel proper's resident size and the index state
 * (indexing, ready, stale, error), coloured by theme; a click opens the Kernel
 * Size view.
 */
import { Disposable, StatusBarAlignment, StatusBarItem, ThemeColor, window } from 'vscode';
import { CommandIds, EssayFigures, StatusParams } from '../../server/src/shared/protocol';
import { humanSize } from '../../server/src/shared/units';
import type { ServerStatus } from './serverStatus';

export class StatusBar implements Disposable {
  private readonly item: StatusBarItem;
  private readonly subscription: Disposable;

  constructor(status: ServerStatus) {
    this.item = window.createStatusBarItem('kbloat.status', StatusBarAlignment.Left, 10);
    this.item.name = 'Kernel Bloat Lens';
    this.item.command = CommandIds.openSizeView;
    this.subscription = status.onDidChange((p) => this.show(p));
  }

  private show(p: StatusParams): void {
    const size = p.resident !== undefined ? humanSize(p.resident) : '';
    const texts: Record<StatusParams['state'], string> = {
      'no-build': '$(circle-slash) kernel: no build',
      indexing: '$(sync~spin) kernel: indexing',
      ready: `$(package) kernel ${size}`,
      stale: `$(history) kernel ${size} (stale)`,
      error: '$(error) kernel: build unreadable',
    };
    this.item.text = texts[p.state];
    this.item.tooltip = [p.buildDir && `Build: ${p.buildDir}`, p.image !== undefined && `Image ${humanSize(p.image)}, resident ${size}`, p.modularized && essayText(p.modularized), p.message].filter(Boolean).join('\n');
    this.item.backgroundColor = p.state === 'error' ? new ThemeColor('statusBarItem.errorBackground') : p.state === 'stale' ? new ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}

/** The essay's number: the kernel proper today → without every unblocked candidate → the floor. */
export function essayText(e: EssayFigures): string {
  const lines = [`Kernel proper ${humanSize(e.resident)} → ${humanSize(e.residentIfModularized)} without the ${e.unblocked} unblocked Modularize candidate${e.unblocked === 1 ? '' : 's'}`];
  if (e.floor !== undefined) {
    const edits = e.tristateEdits ? ` with ${e.tristateEdits} bool${e.tristateEdits === 1 ? '' : 's'} made tristate` : '';
    const byConfig = e.tristateEdits && e.floorByConfig !== undefined ? `; ${humanSize(e.floorByConfig)} by .config changes alone` : '';
    lines.push(`Floor: ${humanSize(e.floor)}${edits}${byConfig}`);
  }
  return lines.join('\n');
}
