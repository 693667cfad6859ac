/**
 * The server's kbloat/status notifications, for every part of the client that
 * shows them (status bar, Kernel Size view, size map). The language client keeps
 * one handler per notification method — a second `onNotification` for the same
 * method replaces the first — so the client subscribes once, here, and fans out.
 */
import { Disposable, Event, EventEmitter } from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { StatusNotification, StatusParams } from '../../server/src/shared/protocol';

export class ServerStatus implements Disposable {
  private readonly changed = new EventEmitter<StatusParams>();
  readonly onDidChange: Event<StatusParams> = this.changed.event;
  private readonly subscription: Disposable;

  constructor(client: LanguageClient) {
    this.subscription = client.onNotification(StatusNotification.type, (p) => this.changed.fire(p));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
