/**
 * "Prove by rebuilding…": the Modularize prediction checked by rebuilding the
 * kernel with the symbols at m in a scratch copy of the build
 * (modularize/prove.ts), offered next to each "Build CONFIG_X as a module"
 * action and on the line-1 Modularize lens, in a trusted workspace only (it
 * runs the tree's make). The request reports LSP work-done progress, on the
 * client's token or on one it creates, and a cancel ends make and removes the
 * scratch folder. The answer is the text `kbloat modularize --prove` prints,
 * which the client opens as a read-only document.
 */
import type { CodeAction, Connection, WorkDoneProgressReporter } from 'vscode-languageserver/node';
import { KbloatInputError } from '../common/errors';
import { ModularizeAnalysis } from '../modularize/analysis';
import { ProofAborted, proveModularize } from '../modularize/prove';
import { formatProof } from '../render/proofText';
import { CommandIds, ProveModularizeArgs, ProveModularizeRequest, ProveModularizeResult } from '../shared/protocol';
import type { IndexService } from '../workspace/indexService';
import type { ServerContext } from './context';

/** The lens and action title. */
export const PROVE_TITLE = 'Prove by rebuilding…';
/** make's own lines go to the progress at most this often. */
const OUTPUT_EVERY_MS = 250;

/** The `kbloat.proveModularize` command for some symbols of the build of `uri`. */
function proveCommand(uri: string, symbols: string[], title: string): { title: string; command: string; arguments: [ProveModularizeArgs] } {
  return { title, command: CommandIds.proveModularize, arguments: [{ uri, symbols }] };
}

/** The code action next to "Build CONFIG_X as a module": the same change, rebuilt and measured. Undefined in an untrusted workspace. */
export function proveAction(ctx: ServerContext, uri: string, symbol: string, kind: string): CodeAction | undefined {
  if (!ctx.trust.trusted) return undefined;
  const title = `Prove by rebuilding: ${symbol}=m in a scratch copy of the build, then compare with the prediction…`;
  return { title, kind, command: proveCommand(uri, [symbol], title) };
}

/**
 * The line-1 lens beside "Modularize: CONFIG_X=m saves …" when CONFIG_X is a
 * tristate at y (a bool needs Kconfig edits no .config change makes). Shaped as
 * codeLens.ts remembers lenses.
 */
export function proveLens(ctx: ServerContext, svc: IndexService, sourcePath: string, uri: string): { line: number; character: number; title: string; command: { id: string; args: unknown[] } } | undefined {
  if (!ctx.trust.trusted || !svc.lookups) return undefined;
  const c = ctx.modularize.peek(svc.lookups.index)?.forFile(sourcePath)?.candidate;
  if (!c || c.type !== 'tristate' || c.value !== 'y') return undefined;
  const cmd = proveCommand(uri, [c.symbol], PROVE_TITLE);
  return { line: 0, character: 0, title: PROVE_TITLE, command: { id: cmd.command, args: cmd.arguments } };
}

export function register(connection: Connection, ctx: ServerContext): void {
  /** The build being proved: one proof at a time (each is a kernel build). */
  let running: string | undefined;
  connection.onRequest(ProveModularizeRequest.type, async (params, cancel): Promise<ProveModularizeResult> => {
    const symbols = Array.isArray(params.symbols) ? params.symbols.filter((s) => typeof s === 'string') : [];
    const title = `Proof: ${symbols.length ? symbols.map((s) => `${s}=m`).join(' ') : 'every unblocked candidate =m'}`;
    if (!ctx.trust.trusted) return { ran: false, ok: false, title, text: 'Proving runs make on the workspace: trust the workspace first (nothing is run in an untrusted one).' };
    const svc = (params.uri ? ctx.builds.forDocument(params.uri) : undefined) ?? ctx.builds.all().find((s) => s.lookups);
    const index = svc?.lookups?.index;
    if (!index) return { ran: false, ok: false, title, text: 'The kernel build is not indexed yet.' };
    if (running) return { ran: false, ok: false, title, text: `A proof is running already (${running}): wait for it, or cancel it.` };
    running = index.build.dir;
    const controller = new AbortController();
    cancel.onCancellationRequested(() => controller.abort());
    let reporter: WorkDoneProgressReporter | undefined;
    let percent = 0;
    let lastOutput = 0;
    try {
      if (params.workDoneToken !== undefined) {
        reporter = connection.window.attachWorkDoneProgress(params.workDoneToken);
      } else {
        const created = await connection.window.createWorkDoneProgress();
        created.token.onCancellationRequested(() => controller.abort());
        reporter = created;
      }
      const progress = reporter;
      progress.begin(`Kernel Bloat Lens: ${title}`, 0, 'reading the Modularize analysis', true);
      // Let the progress out before the analysis takes this thread.
      await new Promise((resolve) => setImmediate(resolve));
      const analysis = ModularizeAnalysis.load(index, { onProgress: (m) => progress.report(percent, m) });
      const result = await proveModularize({
        index,
        analysis,
        symbols,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.output) {
            if (Date.now() - lastOutput < OUTPUT_EVERY_MS) return;
            lastOutput = Date.now();
          }
          if (p.percent !== undefined) percent = Math.max(percent, p.percent);
          progress.report(percent, p.message);
        },
      });
      return { ran: true, ok: result.outcome === 'rebuilt', title: `Proof: ${result.requested.map((s) => `${s}=m`).join(' ')}`, text: formatProof(result) };
    } catch (e) {
      if (e instanceof ProofAborted) return { ran: false, ok: false, cancelled: true, title, text: 'The proof was cancelled: make was stopped and its scratch folder removed.' };
      if (e instanceof KbloatInputError) return { ran: false, ok: false, title, text: e.message };
      connection.console.error(`kbloat: the proof failed: ${(e as Error)?.stack ?? String(e)}`);
      return { ran: false, ok: false, title, text: `The proof failed: ${(e as Error)?.message ?? String(e)}` };
    } finally {
      reporter?.done();
      running = undefined;
    }
  });
}
