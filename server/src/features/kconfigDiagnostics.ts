/**
 * Problems in the Kconfig file being edited, as the Kconfig parser finds them
 * (an unterminated string, a `config` without a name, an `if` left open), on
 * their lines. The "Modularize…" actions refuse to edit a Kconfig file that has
 * any, and say so; this is where the user sees why.
 */
import * as path from 'node:path';
import { Connection, DiagnosticSeverity } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { kconfigProblems } from '../kbuild/kconfig/problems';
import { URI } from '../workspace/uri';
import type { ServerContext } from './context';

const KCONFIG_SYNTAX = 'kconfig-syntax';
const DEBOUNCE_MS = 50;

/** Kconfig, Kconfig.debug, arch/x86/Kconfig.cpu, ... or any file the client calls Kconfig. */
export function isKconfigDocument(doc: Pick<TextDocument, 'uri' | 'languageId'>): boolean {
  if (doc.languageId === 'kconfig') return true;
  const p = URI.toFsPath(doc.uri);
  return !!p && /^Kconfig(\..+)?$/.test(path.basename(p));
}

export function register(connection: Connection, ctx: ServerContext): void {
  const timers = new Map<string, NodeJS.Timeout>();
  const publish = (uri: string) => {
    const doc = ctx.documents.get(uri);
    if (!doc || !isKconfigDocument(doc)) return;
    const name = path.basename(URI.toFsPath(uri) ?? 'Kconfig');
    const lines = doc.lineCount;
    const diagnostics = kconfigProblems(doc.getText(), name).map((p) => {
      const line = Math.min(Math.max(p.line - 1, 0), lines - 1);
      return {
        range: { start: { line, character: 0 }, end: { line, character: doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '').length } },
        severity: DiagnosticSeverity.Error,
        source: 'kbloat',
        code: KCONFIG_SYNTAX,
        message: `Kconfig: ${p.message}`,
      };
    });
    ctx.diagnostics.set(KCONFIG_SYNTAX, uri, diagnostics, doc.version);
  };
  const schedule = (uri: string) => {
    clearTimeout(timers.get(uri));
    timers.set(uri, setTimeout(() => { timers.delete(uri); publish(uri); }, DEBOUNCE_MS));
  };
  ctx.documents.onOpen((doc) => schedule(doc.uri));
  ctx.documents.onChange((doc) => schedule(doc.uri));
  ctx.documents.onClose((uri) => clearTimeout(timers.get(uri)));
}
