/**
 * Hover on a function's name: its bytes by section, its parts, its rank among
 * vmlinux's functions and its share of the kernel proper. On line 1: the file's
 * breakdown and its largest functions.
 */
import type { Connection } from 'vscode-languageserver/node';
import { sourcePathOf } from '../workspace/builds';
import { fileHover, functionHover } from '../render/lensText';
import type { ServerContext } from './context';
import { cFileOptionHover, optionDocumentHover, optionDocumentKind } from './optionLens';

export function register(connection: Connection, ctx: ServerContext): void {
  connection.onHover(({ textDocument, position }) => {
    const doc = ctx.documents.get(textDocument.uri);
    const svc = ctx.builds.forDocument(textDocument.uri);
    const lookups = svc?.lookups;
    const sourcePath = svc ? sourcePathOf(svc, textDocument.uri) : undefined;
    if (!doc || !lookups || !sourcePath) return null;
    // Kconfig entries, .config lines, Makefile object lines: the option's figures (optionLens.ts).
    const optionKind = optionDocumentKind(doc);
    if (optionKind) {
      const value = optionDocumentHover(ctx, doc, svc!, sourcePath, optionKind, position.line);
      return value ? { contents: { kind: 'markdown', value } } : null;
    }
    const fn = ctx.functions?.get(doc).find((f) => {
      const { start, end } = f.nameRange;
      return position.line === start.line && position.character >= start.character && position.character <= end.character;
    });
    if (fn) {
      let value = functionHover(lookups, sourcePath, { ...fn, line: fn.nameRange.start.line });
      const fresh = ctx.newFunctions.get(textDocument.uri);
      const cal = ctx.estimator(lookups)?.calibration;
      if (fresh?.has(fn.name) && cal) {
        value += `\n\nNew since the last build. The estimate comes from a fit on ${cal.fitted} functions of this build; on ${cal.tested} others it was off by a median of ${cal.medianAbsError.toLocaleString('en-US')} B (${Math.round(cal.medianRelError * 100)}%).`;
      }
      return { contents: { kind: 'markdown', value }, range: fn.nameRange };
    }
    if (position.line === 0) return { contents: { kind: 'markdown', value: fileHover(lookups, sourcePath) } };
    const option = cFileOptionHover(ctx, doc, lookups, sourcePath, position.line);
    if (option) return { contents: { kind: 'markdown', value: option } };
    return null;
  });
}
