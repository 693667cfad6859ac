/**
 * Compare with Baseline: the current build against kbloat.baselineBuildDirectory,
 * as `kbloat diff` prints it (rollups by directory, file and Kconfig symbol,
 * renames and moves, .config differences).
 */
import type { Connection } from 'vscode-languageserver/node';
import { diffBuilds, readBuildConfig } from '../tracker/diff';
import { formatDiff } from '../render/diffText';
import { CompareWithBaselineRequest } from '../shared/protocol';
import type { ServerContext } from './context';

export function register(connection: Connection, ctx: ServerContext): void {
  connection.onRequest(CompareWithBaselineRequest.type, ({ uri }) => {
    const current = uri ? ctx.builds.forDocument(uri) : ctx.builds.all().find((s) => s.lookups);
    const baseline = ctx.builds.baselineForDocument(uri ?? '');
    if (!baseline) return { ok: false, text: 'No baseline: set kbloat.baselineBuildDirectory to an older build folder.' };
    if (!current?.lookups) return { ok: false, text: 'The current build is not indexed yet.' };
    if (!baseline.lookups) return { ok: false, text: `The baseline ${baseline.buildDir} is ${baseline.state === 'error' ? `unreadable: ${baseline.message}` : 'still being indexed'}.` };
    const diff = diffBuilds(baseline.lookups.index, current.lookups.index, {
      oldConfig: readBuildConfig(baseline.buildDir),
      newConfig: readBuildConfig(current.buildDir),
    });
    return { ok: true, text: formatDiff(diff, { top: 50, split: false }) };
  });
}
