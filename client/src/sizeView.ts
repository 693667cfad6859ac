/**
 * The Kernel Size tree view: directory → file → function, largest first, from
 * the server; a click opens the source.
 */
import { Disposable, EventEmitter, TreeDataProvider, TreeItem, TreeItemCollapsibleState, TreeView, Uri, window } from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { SizeTreeNode, SizeTreeRequest } from '../../server/src/shared/protocol';
import { humanSize } from '../../server/src/shared/units';
import type { ServerStatus } from './serverStatus';

export class SizeView implements TreeDataProvider<SizeTreeNode>, Disposable {
  private readonly changed = new EventEmitter<SizeTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: TreeView<SizeTreeNode>;
  private readonly subscription: Disposable;

  constructor(
    private readonly client: LanguageClient,
    status: ServerStatus,
  ) {
    this.view = window.createTreeView('kbloat.sizeView', { treeDataProvider: this, showCollapseAll: true });
    this.subscription = status.onDidChange((p) => {
      if (p.state === 'ready') this.changed.fire(undefined);
    });
  }

  getChildren(node?: SizeTreeNode): Promise<SizeTreeNode[]> {
    return this.client.sendRequest(SizeTreeRequest.type, { parent: node?.id });
  }

  getTreeItem(node: SizeTreeNode): TreeItem {
    const item = new TreeItem(node.label, node.hasChildren ? TreeItemCollapsibleState.Collapsed : TreeItemCollapsibleState.None);
    item.description = humanSize(node.bytes) + (node.resident !== node.bytes ? ` (${humanSize(node.resident)} resident)` : '');
    item.tooltip = `${node.bytes.toLocaleString('en-US')} B in vmlinux, ${node.resident.toLocaleString('en-US')} B resident after boot`;
    if (node.file) {
      item.resourceUri = Uri.file(node.file);
      if (!node.hasChildren || node.kind === 'file') item.command = { title: 'Open', command: 'vscode.open', arguments: [Uri.file(node.file)] };
    }
    return item;
  }

  reveal(): void {
    void this.view.reveal(undefined as unknown as SizeTreeNode, { focus: true }).then(undefined, () => undefined);
  }

  dispose(): void {
    this.subscription.dispose();
    this.view.dispose();
    this.changed.dispose();
  }
}
