/**
 * "Modularize…" code actions: in a built-in C file (anywhere, and as the quick
 * fix of a new-built-in-code diagnostic), on a `config` entry of a Kconfig
 * file, and on an object list line of a Makefile. Each action is one
 * WorkspaceEdit across .config, Kconfig, Makefile and C files; an action that
 * would break something is still offered, and its title says what.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CodeAction, CodeActionKind, CodeActionTriggerKind, CodeActionParams, Connection, Diagnostic, TextEdit, WorkspaceEdit } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { sourcePathOf } from '../workspace/builds';
import { readText } from '../common/fsRead';
import { parseKconfigFile } from '../kbuild/kconfig/parser';
import type { IndexService } from '../workspace/indexService';
import { PlanContext, PlannedAction, planForCandidate, planForFile, ModularizeView } from '../modularize/plan';
import { URI } from '../workspace/uri';
import type { ServerContext } from './context';
import { isKconfigDocument } from './kconfigDiagnostics';
import { NEW_CODE } from './newCode';
import * as prove from './prove';

export const MODULARIZE_KIND = `${CodeActionKind.RefactorRewrite}.kbloat.modularize`;

/** Objects on one Makefile line that get an action each, at most. */
const MAX_LINE_OBJECTS = 8;

export function register(connection: Connection, ctx: ServerContext): void {
  // The command of the "Prove by rebuilding…" actions below.
  prove.register(connection, ctx);
  connection.onCodeAction(async (params): Promise<CodeAction[]> => {
    const doc = ctx.documents.get(params.textDocument.uri);
    const svc = ctx.builds.forDocument(params.textDocument.uri);
    if (!doc || !svc?.lookups) return [];
    const fix = params.context.diagnostics.filter((d) => d.code === NEW_CODE);
    // Made on the first request the user makes (Ctrl+., the refactor menu, a new-code quick fix), not on every cursor move.
    const asked = params.context.triggerKind !== CodeActionTriggerKind.Automatic || fix.length > 0;
    const index = svc.lookups.index;
    const view = asked ? await ctx.modularize.load(index) : ctx.modularize.peek(index);
    if (!view) return [];
    const pc = planContext(ctx, svc, view);
    const planned = plans(doc, params, svc, view, pc);
    const only = params.context.only;
    return planned
      // "Prove by rebuilding…" next to each "Build CONFIG_X as a module" (trusted workspaces only).
      .flatMap((p) => [toCodeAction(p, fix), ...(p.kind === 'module' && p.symbol ? [prove.proveAction(ctx, params.textDocument.uri, p.symbol, MODULARIZE_KIND)] : [])])
      .filter((a): a is CodeAction => a !== undefined)
      .filter((a) => !only || only.some((k) => a.kind === k || a.kind?.startsWith(`${k}.`)));
  });
}

/** A planned action with the Kconfig symbol it sets to m, when it comes from a candidate. */
type SymbolAction = PlannedAction & { symbol?: string };
const ofSymbol = (symbol: string | undefined, planned: PlannedAction[]): SymbolAction[] => planned.map((p) => ({ ...p, symbol }));

function plans(doc: TextDocument, params: CodeActionParams, svc: IndexService, view: ModularizeView, pc: PlanContext): SymbolAction[] {
  const line = params.range.start.line;
  if (isKconfigDocument(doc)) {
    // The entry the cursor is in: from its `config` line to its last help line.
    const file = sourcePathOf(svc, doc.uri) ?? path.basename(URI.toFsPath(doc.uri) ?? 'Kconfig');
    const sym = parseKconfigFile(doc.getText(), file).symbols.find((s) => line + 1 >= s.pos.line && line + 1 <= s.endLine);
    const c = sym ? view.candidate(`CONFIG_${sym.name}`) : undefined;
    return c ? ofSymbol(c.symbol, planForCandidate(c, pc)) : [];
  }
  const fsPath = URI.toFsPath(doc.uri);
  if (fsPath && /^(Makefile|Kbuild)$/.test(path.basename(fsPath))) {
    const text = doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
    const cond = /obj-\$\((CONFIG_[A-Za-z0-9_]+)\)/.exec(text);
    if (cond) {
      const c = view.candidate(cond[1]);
      return c ? ofSymbol(c.symbol, planForCandidate(c, pc)) : [];
    }
    const dir = sourcePathOf(svc, pathToFileURL(path.dirname(fsPath)).toString()) ?? '';
    const listed = [...text.replace(/#.*$/, '').matchAll(/(?:^|\s)([\w./-]+\.o)(?=\s|\\|$)/g)].map((m) => ({ name: m[1], from: m.index + m[0].length - m[1].length }));
    // The object under the cursor, else every object on the line.
    const ch = params.range.start.character;
    const under = listed.filter((o) => ch >= o.from && ch <= o.from + o.name.length);
    const objects = (under.length ? under : listed).slice(0, MAX_LINE_OBJECTS).map((o) => o.name);
    const out: SymbolAction[] = [];
    for (const o of objects) {
      const f = view.forObject(path.posix.join(dir, o));
      if (f) out.push(...ofSymbol(f.candidate?.symbol, planForFile(f, pc)));
    }
    return out;
  }
  const sourcePath = sourcePathOf(svc, doc.uri);
  const f = sourcePath ? view.forFile(sourcePath) : undefined;
  return f ? ofSymbol(f.candidate?.symbol, planForFile(f, pc)) : [];
}

function planContext(ctx: ServerContext, svc: IndexService, view: ModularizeView): PlanContext {
  const build = svc.lookups!.index.build;
  return {
    sourceDir: build.sourceDir,
    buildDir: build.dir,
    read: (abs) => ctx.documents.get(pathToFileURL(abs).toString())?.getText() ?? readText(abs),
    cannotWrite: (abs) => (ctx.builds.inWorkspace(abs) ? undefined : `${abs} is outside the workspace: kbloat does not edit it`),
    symbolExists: (name) => view.symbolExists(name),
  };
}

function toCodeAction(p: PlannedAction, diagnostics: Diagnostic[]): CodeAction {
  const changes: WorkspaceEdit['changes'] = {};
  for (const [file, edits] of p.edits) changes[pathToFileURL(file).toString()] = edits as TextEdit[];
  const quickFix = diagnostics.length > 0 && !p.disabled;
  return {
    title: p.title,
    kind: quickFix ? CodeActionKind.QuickFix : MODULARIZE_KIND,
    ...(quickFix ? { diagnostics } : {}),
    ...(p.disabled ? { disabled: { reason: p.disabled } } : { edit: { changes } }),
    ...(p.blockers.length === 0 && !p.disabled ? { isPreferred: p.kind !== 'new-option' } : {}),
  };
}
