/**
 * CodeLens above every function definition and on line 1 of the file: the bytes
 * it adds to vmlinux (or to its module), from the build index. While the build
 * is being (re)indexed, the last good lenses are answered, moved with the edits.
 */
import * as path from 'node:path';
import type { CodeLens, Connection } from 'vscode-languageserver/node';
import { sourcePathOf } from '../workspace/builds';
import type { IndexLookups } from '../index/lookups';
import { baselineBytes, deltaNote, fileLens, functionLens } from '../render/lensText';
import { humanSize, signedSize } from '../shared/units';
import { cFileOptionLenses, definitionFates, onKconfigTreeReady, optionDocumentClosed, optionDocumentKind, optionDocumentLenses } from './optionLens';
import { CommandIds } from '../shared/protocol';
import type { ServerContext } from './context';
import type { IndexService } from '../workspace/indexService';
import { MODULARIZE_KIND } from './codeActions';
import { proveLens } from './prove';

interface RememberedLens {
  line: number;
  title: string;
  character: number;
  /** A command other than the breakdown (the Modularize lens). */
  command?: { id: string; args: unknown[] };
}

/** VS Code's command that lists the code actions of a kind at the cursor. */
const CODE_ACTION_COMMAND = 'editor.action.codeAction';

/** Quiet time after an edit before the document is re-parsed for fresh lenses. */
const REPARSE_DELAY_MS = 30;
/**
 * Documents at least this large (about 3,500 lines of kernel C) get their first
 * lenses from the index, then the parser's: a parse of one takes 100 ms and
 * more, several hundred for the largest files of the tree.
 */
const PROVISIONAL_MIN_CHARS = 128 * 1024;

export function register(connection: Connection, ctx: ServerContext): void {
  const reparseTimers = new Map<string, NodeJS.Timeout>();
  ctx.documents.onClose(optionDocumentClosed);
  // What turning an option off takes along is known once the build's Kconfig tree is read.
  onKconfigTreeReady(() => void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined));
  connection.onCodeLens(async ({ textDocument }) => {
    const doc = ctx.documents.get(textDocument.uri);
    if (!doc) return [];
    const settings = await ctx.settings.get(textDocument.uri);
    if (!settings.codeLens.enabled) return [];
    const svc = ctx.builds.forDocument(textDocument.uri);
    const lookups = svc?.lookups;
    const remembered = ctx.documents.lastLenses(textDocument.uri) as RememberedLens[] | undefined;
    const sourcePath = svc ? sourcePathOf(svc, textDocument.uri) : undefined;
    // Kconfig, .config and Makefiles: the options written there (optionLens.ts).
    const optionKind = optionDocumentKind(doc);
    if (optionKind) {
      if (!lookups || !sourcePath) return toCodeLenses(textDocument.uri, remembered ?? []);
      const refresh = () => void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
      const optionLenses = optionDocumentLenses(ctx, doc, svc!, sourcePath, optionKind, remembered, refresh);
      ctx.documents.rememberLenses(textDocument.uri, optionLenses);
      return toCodeLenses(textDocument.uri, optionLenses);
    }
    if (!lookups || !sourcePath || !ctx.functions) return toCodeLenses(textDocument.uri, remembered ?? []);
    const fns = ctx.functions;
    /** Parses once typing pauses, then asks the client to ask again. */
    const reparseSoon = (): void => {
      clearTimeout(reparseTimers.get(textDocument.uri));
      reparseTimers.set(
        textDocument.uri,
        setTimeout(() => {
          reparseTimers.delete(textDocument.uri);
          const current = ctx.documents.get(textDocument.uri);
          if (!current) return;
          fns.get(current);
          void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
        }, REPARSE_DELAY_MS),
      );
    };
    let functions = fns.peek(doc);
    if (!functions && remembered) {
      // While the user types, answer at once with the last lenses moved by the edits.
      reparseSoon();
      return toCodeLenses(textDocument.uri, remembered);
    }
    const baseline = ctx.builds.baselineForDocument(textDocument.uri)?.lookups;
    const lenses = headLenses(ctx, svc!, lookups, baseline, sourcePath, textDocument.uri);
    if (!functions && doc.getText().length >= PROVISIONAL_MIN_CHARS) {
      // A large file just opened: its parse would hold the first answer up for a good
      // part of a second. Answer from the index now, the parser's lenses right after.
      lenses.push(...indexPlacedLenses(lookups, sourcePath, doc.getText()));
      ctx.documents.rememberLenses(textDocument.uri, lenses);
      reparseSoon();
      return toCodeLenses(textDocument.uri, lenses);
    }
    functions ??= fns.get(doc);
    // Functions under an #if the build's config turns off are not built, whatever their file;
    // of one name defined in exclusive branches, only the definition built gets the size.
    const fates = definitionFates(lookups, sourcePath, doc, functions);
    for (const [i, fn] of functions.entries()) {
      const line = fn.nameRange.start.line;
      const fate = fates?.[i];
      if (fate && !fate.built) {
        lenses.push({ line, character: fn.nameRange.start.character, title: `not built — ${fate.why}` });
        continue;
      }
      const added = ctx.newFunctions.get(textDocument.uri)?.get(fn.name);
      const lens = functionLens(lookups, sourcePath, { ...fn, line }, added);
      // Against a baseline build: `1.2 KiB in vmlinux (+96 B)`.
      const title = baseline && lens.bytes !== undefined && !added ? lens.title.replace(/^(\S+ \S+)/, `$1${deltaNote(lens.bytes, baselineBytes(baseline, sourcePath, fn.name))}`) : lens.title;
      lenses.push({ line, character: fn.nameRange.start.character, title });
    }
    lenses.push(...macroMadeLenses(lookups, sourcePath, functions, lenses, doc.lineCount));
    lenses.push(...cFileOptionLenses(ctx, doc, lookups, sourcePath, functions));
    ctx.documents.rememberLenses(textDocument.uri, lenses);
    return toCodeLenses(textDocument.uri, lenses);
  });
}

/** The lenses of line 1: the file's bytes (against the baseline, and as measured in this buffer), Modularize and its proof. */
function headLenses(ctx: ServerContext, svc: IndexService, lookups: IndexLookups, baseline: IndexLookups | undefined, sourcePath: string, uri: string): RememberedLens[] {
  const delta = ctx.measuredFileDelta.get(uri);
  const file = fileLens(lookups, sourcePath);
  const fileVsBaseline = baseline && file.bytes !== undefined ? deltaNote(file.bytes, baselineBytes(baseline, sourcePath)) : '';
  const fileTitle = file.title.replace(/^([^:]+: \S+ \S+)/, `$1${fileVsBaseline}`) + (delta !== undefined ? ` · this buffer: ${signedSize(delta, { zero: '+0 B' })} (measured)` : '');
  const lenses: RememberedLens[] = [{ line: 0, character: 0, title: fileTitle }];
  const modularize = modularizeLens(ctx, svc, sourcePath);
  if (modularize) lenses.push(modularize);
  const prove = modularize ? proveLens(ctx, svc, sourcePath, uri) : undefined;
  if (prove) lenses.push(prove);
  return lenses;
}

/**
 * The function lenses the index alone can place, before the file is parsed:
 * each function the build has a symbol for, on the line DWARF declares it at,
 * else on the first top-level line that defines it (a line starting with a
 * type or the name, the name followed by `(`, and `{` before any `;`); with
 * DWARF, the inlined helpers too. The parser's lenses replace them a moment
 * later (configured-out branches, functions with no symbol, #if blocks).
 */
function indexPlacedLenses(lookups: IndexLookups, sourcePath: string, text: string): RememberedLens[] {
  const file = lookups.file(sourcePath);
  if (!file || file.status === 'not-built') return [];
  const lines = text.split('\n');
  const wanted = new Map<string, { line: number; character: number } | undefined>();
  for (const fn of file.functions) wanted.set(fn.name, fn.line !== undefined && !fn.declFile && !fn.lineStale && fn.line <= lines.length ? { line: fn.line - 1, character: Math.max(0, lines[fn.line - 1].indexOf(fn.name)) } : undefined);
  for (const inl of lookups.inlinedIn(sourcePath)) if (!wanted.has(inl.name) && inl.line <= lines.length) wanted.set(inl.name, { line: inl.line - 1, character: Math.max(0, lines[inl.line - 1].indexOf(inl.name)) });
  if ([...wanted.values()].some((w) => w === undefined)) {
    // No DWARF line: the definition of the name in the text, when there is one only
    // (of several, in exclusive #if branches, the parser tells which is built).
    const found = new Map<string, { line: number; character: number } | null>();
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (!/^[A-Za-z_]/.test(l)) continue;
      const m = /^[^;({=]*?\b([A-Za-z_]\w*)\s*\(/.exec(l);
      if (!m || !wanted.has(m[1]) || wanted.get(m[1]) !== undefined) continue;
      if (!isDefinitionAt(lines, i, m.index + m[0].length)) continue;
      found.set(m[1], found.has(m[1]) ? null : { line: i, character: m.index + m[0].lastIndexOf(m[1]) });
    }
    for (const [name, at] of found) if (at) wanted.set(name, at);
  }
  const out: RememberedLens[] = [];
  const taken = new Set<number>();
  for (const [name, at] of wanted) {
    if (!at || at.line === 0 || taken.has(at.line)) continue;
    taken.add(at.line);
    const inlined = !file.functions.some((f) => f.name === name);
    out.push({ ...at, title: functionLens(lookups, sourcePath, { name, line: at.line, isInline: inlined, isStatic: inlined, annotations: [] }).title });
  }
  return out.sort((a, b) => a.line - b.line);
}

/** Whether the `(` before `from` on line `i` opens a definition: a `{` comes before any `;` (a few lines at most). */
function isDefinitionAt(lines: string[], i: number, from: number): boolean {
  for (let k = i, col = from; k < Math.min(lines.length, i + 12); k++, col = 0) {
    const rest = lines[k].slice(col);
    const semi = rest.indexOf(';');
    const brace = rest.indexOf('{');
    if (brace >= 0 && (semi < 0 || brace < semi)) return true;
    if (semi >= 0) return false;
  }
  return false;
}

/**
 * Functions that DWARF declares in this file but the parser cannot see, because
 * a macro makes them (`DEFINE_SHOW_ATTRIBUTE(foo)`, `DEVICE_ATTR_RO(bar)`): a
 * lens on the line DWARF names, with the function's name, since the line shows
 * only the macro.
 */
function macroMadeLenses(lookups: IndexLookups, sourcePath: string, parsed: { name: string }[], placed: RememberedLens[], lineCount: number): RememberedLens[] {
  const file = lookups.file(sourcePath);
  if (!file || file.status !== 'built-in') return [];
  const seen = new Set(parsed.map((f) => f.name));
  const taken = new Set(placed.map((l) => l.line));
  const out: RememberedLens[] = [];
  for (const fn of file.functions) {
    if (fn.line === undefined || fn.declFile || fn.lineStale || seen.has(fn.name) || fn.line > lineCount) continue;
    const line = fn.line - 1;
    if (taken.has(line)) continue;
    const lens = functionLens(lookups, sourcePath, { name: fn.name, line, isInline: false, isStatic: false, annotations: [] });
    out.push({ line, character: 0, title: `${fn.name}: ${lens.title}` });
  }
  return out;
}

/**
 * "Modularize: CONFIG_X=m saves 22.0 KiB" on line 1 of a built-in file, once the
 * analysis exists (the first request for actions makes it); it opens the
 * Modularize actions.
 */
function modularizeLens(ctx: ServerContext, svc: IndexService, sourcePath: string): RememberedLens | undefined {
  const f = svc.lookups ? ctx.modularize.peek(svc.lookups.index)?.forFile(sourcePath) : undefined;
  if (!f || f.unavailable) return undefined;
  const c = f.candidate;
  const blocked = (n: number) => (n ? ` · ${n === 1 ? '1 blocker' : `${n} blockers`}` : '');
  let title: string | undefined;
  if (c && c.value === 'y') title = `Modularize: ${c.symbol}${c.type === 'bool' ? ' (bool → tristate)' : ''}=m saves ${humanSize(c.resident)}${blocked(c.blockers.length)}`;
  else if (!c && f.makefileLine?.listVar === 'obj-y') title = `Modularize: a new option for ${path.posix.basename(f.object)} saves ${humanSize(f.resident)}${blocked(f.objectBlockers?.length ?? 0)}`;
  return title ? { line: 0, character: 0, title, command: { id: CODE_ACTION_COMMAND, args: [{ kind: MODULARIZE_KIND, apply: 'never' }] } } : undefined;
}

function toCodeLenses(uri: string, lenses: RememberedLens[]): CodeLens[] {
  return lenses.map((l) => {
    const position = { line: l.line, character: l.character };
    return {
      range: { start: position, end: position },
      command: l.command ? { title: l.title, command: l.command.id, arguments: l.command.args } : { title: l.title, command: CommandIds.showBreakdown, arguments: [uri, position] },
    };
  });
}
