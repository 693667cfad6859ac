/**
 * The Kernel Size Map webview's page: the treemap of the indexed build, made
 * here because the server holds the index. With `colorBy: 'delta'`, colours
 * show the change against kbloat.baselineBuildDirectory.
 */
import type { Connection } from 'vscode-languageserver/node';
import { sizeMapHtml } from '../render/sizeMapPage';
import { SizeMapRequest } from '../shared/protocol';
import type { ServerContext } from './context';

export function register(connection: Connection, ctx: ServerContext): void {
  connection.onRequest(SizeMapRequest.type, ({ nonce, cspSource, colorBy }) => {
    const indexed = ctx.builds.all().filter((s) => s.lookups);
    const index = indexed[0]?.lookups?.index;
    if (!index) return null;
    const baseline = colorBy === 'delta' ? ctx.builds.baselineForDocument('')?.lookups?.index : undefined;
    return { html: sizeMapHtml(index, { nonce, cspSource, colorBy: colorBy ?? 'class', baseline }), sourceDir: index.build.sourceDir };
  });
}
