/**
 * Lenses and hovers where options are written, for codeLens.ts and hover.ts:
 * above every `config`/`menuconfig` entry and `choice` of a Kconfig file, on
 * every `CONFIG_X=` line of `.config` and `include/config/auto.conf`, on every
 * object line of a Kbuild Makefile, on the file-scope `#if` lines of a C file
 * that name a Kconfig symbol, on the `#include` that instantiates trace events
 * and on each event of a trace header. All of it reads the build index as it
 * is (index/optionLookups.ts); the texts are render/optionLensText.ts.
 *
 * What turning a symbol off would take along needs the whole Kconfig tree
 * (a second to read): it is read once per build as a job, off this thread when
 * the bundled worker is there, and the lenses say more once it is (a refresh).
 */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { CFunction } from '../c/functions';
import { readText } from '../common/fsRead';
import { runJob } from '../common/worker';
import type { IndexLookups } from '../index/lookups';
import { optionLookupsOf, OptionLookups } from '../index/optionLookups';
import { configValue } from '../kbuild/dotconfig';
import { readBuildKconfigTree } from '../kbuild/kconfig/buildTree';
import { parseKconfigFile, KconfigFileResult, KconfigTree, symbolType } from '../kbuild/kconfig/parser';
import { KconfigDependents, takeAlongOff } from '../kbuild/kconfig/takeAlong';
import { locateBuild } from '../kbuild/layout';
import { inferSrcArch } from '../kbuild/makefiles';
import { isKbuildMakefileName, objectListLines, ObjectListLine } from '../kbuild/makefileLines';
import { conditionalBranches } from '../kbuild/preproc';
import { createTracePointIncludes, traceEventsIn, traceHeaderCandidates, TraceEventDecl } from '../kbuild/traceEvents';
import {
  branchFigures, branchMap, builtDefinitions, choiceLens, DefinitionFate, makefileLineHover, makefileLineLens, symbolHover, symbolLens,
  SymbolFacts, TakeAlong, traceDeclLens, traceFigure, traceHover, traceIncludeLens,
} from '../render/optionLensText';
import { URI } from '../workspace/uri';
import type { IndexService } from '../workspace/indexService';
import type { ServerContext } from './context';
import { isKconfigDocument } from './kconfigDiagnostics';

/** A lens as codeLens.ts remembers it. */
export interface PlacedLens {
  line: number;
  character: number;
  title: string;
}

export type OptionDocumentKind = 'kconfig' | 'dotconfig' | 'makefile';

/** Kconfig files, `.config` and `include/config/auto.conf`, Kbuild Makefiles: whatever language id the editor gave them. */
export function optionDocumentKind(doc: Pick<TextDocument, 'uri' | 'languageId'>): OptionDocumentKind | undefined {
  if (isKconfigDocument(doc)) return 'kconfig';
  const p = URI.toFsPath(doc.uri);
  if (!p) return undefined;
  const base = path.basename(p);
  if (base === '.config' || /(^|[\\/])include[\\/]config[\\/]auto\.conf$/.test(p)) return 'dotconfig';
  if (isKbuildMakefileName(base)) return 'makefile';
  return undefined;
}

// ---- The Kconfig tree of each build (take-along and holders) ----

interface TreeState {
  deps?: KconfigDependents;
  tree?: KconfigTree;
  failed?: string;
  whatIf: Map<string, TakeAlong>;
}

/** By build folder and configuration file (its size and time): the index of a build arrives twice, the tree is read once. */
const trees = new Map<string, TreeState>();
/** A few builds at most (baselines, O= folders). */
const MAX_TREES = 4;
/** Without a worker, how long the tree's read waits after the request that asked for it. */
const INLINE_READ_DELAY_MS = 300;
const readyListeners: (() => void)[] = [];

/** Called when a build's Kconfig tree has been read (lenses can say more). */
export function onKconfigTreeReady(listener: () => void): void {
  readyListeners.push(listener);
}

/** The state of each index's build, so that a lens request does not look at the disk for every entry. */
const treeOfLookups = new WeakMap<IndexLookups, TreeState>();

/** The Kconfig tree of the build, once read; asks for it on the first call. */
function treeOf(lookups: IndexLookups): TreeState {
  const known = treeOfLookups.get(lookups);
  if (known) return known;
  const s = buildTreeState(lookups);
  treeOfLookups.set(lookups, s);
  return s;
}

function buildTreeState(lookups: IndexLookups): TreeState {
  const build = lookups.index.build;
  const config = build.attribution === 'dwarf' ? undefined : locateBuild(build.dir).config;
  const key = `${build.dir}\0${config ?? ''}\0${stamp(config)}`;
  let state = trees.get(key);
  if (state) return state;
  state = { whatIf: new Map() };
  trees.set(key, state);
  for (const old of trees.keys()) if (trees.size > MAX_TREES) trees.delete(old);
  const s = state;
  if (!config || !lookups.config) {
    s.failed = 'the build has no configuration file to read the Kconfig tree with';
    return s;
  }
  const worker = path.join(__dirname, 'kconfigTreeWorker.js');
  const workerFile = existsSync(worker) ? worker : undefined;
  // Without the worker the read runs on this thread: after the lenses that asked for it have gone out.
  const read = new Promise<void>((resolve) => (workerFile ? resolve() : setTimeout(resolve, INLINE_READ_DELAY_MS)));
  read.then(() => runJob(readBuildKconfigTree, { sourceDir: build.sourceDir, config }, { workerFile }).result).then(
    (tree) => {
      s.tree = tree;
      s.deps = new KconfigDependents(tree);
      for (const l of readyListeners) l();
    },
    (e: Error) => {
      s.failed = e.message;
    },
  );
  return s;
}

function stamp(file: string | undefined): string {
  try {
    const st = file ? statSync(file) : undefined;
    return st ? `${st.size}:${st.mtimeMs}` : 'none';
  } catch {
    return 'none';
  }
}

/** What turning `symbol` off takes along, when the tree is there. */
function takeAlongOf(lookups: IndexLookups, symbol: string): TakeAlong | undefined {
  const s = treeOf(lookups);
  if (!s.deps) return undefined;
  let t = s.whatIf.get(symbol);
  if (!t) {
    const cfg = lookups.config!;
    t = takeAlongOff(s.deps, symbol, (name) => {
      const v = cfg.values.get(`CONFIG_${name}`);
      return v === undefined ? 'n' : v.replace(/^"(.*)"$/, '$1');
    });
    s.whatIf.set(symbol, t);
  }
  return t;
}

function factsOf(lookups: IndexLookups, symbol: string, parsed?: { type?: string; selects?: string[] }): SymbolFacts {
  const value = configValue(lookups.config!, symbol);
  const tree = treeOf(lookups).tree;
  const type = parsed?.type ?? (tree ? symbolType(tree, symbol.replace(/^CONFIG_/, '')) : undefined);
  const takeAlong = value === 'y' ? takeAlongOf(lookups, symbol) : undefined;
  return { symbol, value, ...(type ? { type } : {}), ...(parsed?.selects ? { selects: parsed.selects } : {}), ...(takeAlong ? { takeAlong } : {}) };
}

/** Why the symbol has its value, from the tree: the selectors that are set, its defaults, its dependencies. */
function holdersOf(lookups: IndexLookups, symbol: string): string[] {
  const tree = treeOf(lookups).tree;
  if (!tree) return [];
  const cfg = lookups.config!;
  const out: string[] = [];
  const name = symbol.replace(/^CONFIG_/, '');
  for (const sel of tree.selectedBy.get(name) ?? []) {
    const v = configValue(cfg, `CONFIG_${sel.by}`);
    if (v === 'y' || v === 'm') out.push(`selected by \`CONFIG_${sel.by}\`=${v}${sel.condition ? ` if ${sel.condition}` : ''} at ${sel.pos.file}:${sel.pos.line}`);
  }
  for (const imp of tree.impliedBy.get(name) ?? []) {
    const v = configValue(cfg, `CONFIG_${imp.by}`);
    if (v === 'y' || v === 'm') out.push(`implied by \`CONFIG_${imp.by}\`=${v} at ${imp.pos.file}:${imp.pos.line}`);
  }
  const defs = tree.symbols.get(name) ?? [];
  if (!defs.some((d) => d.prompt !== undefined)) out.push('no prompt: the user cannot set it, its defaults and selects do');
  for (const d of defs) for (const df of d.defaults.slice(0, 2)) out.push(`\`default ${df.value}${df.condition ? ` if ${df.condition}` : ''}\` at ${df.pos.file}:${df.pos.line}`);
  const deps = [...new Set(defs.flatMap((d) => d.dependsOn))];
  if (deps.length) out.push(`depends on ${deps.slice(0, 4).map((d) => `\`${d}\``).join(' && ')}`);
  return out;
}

// ---- Per-document readers, cached by version ----

const parsedKconfig = new Map<string, { version: number; result: KconfigFileResult }>();
const parsedMakefile = new Map<string, { version: number; lines: ObjectListLine[] }>();

function kconfigOf(doc: TextDocument, file: string): KconfigFileResult {
  const hit = parsedKconfig.get(doc.uri);
  if (hit && hit.version === doc.version) return hit.result;
  const result = parseKconfigFile(doc.getText(), file);
  parsedKconfig.set(doc.uri, { version: doc.version, result });
  return result;
}

function makefileOf(doc: TextDocument): ObjectListLine[] {
  const hit = parsedMakefile.get(doc.uri);
  if (hit && hit.version === doc.version) return hit.lines;
  const lines = objectListLines(doc.getText());
  parsedMakefile.set(doc.uri, { version: doc.version, lines });
  return lines;
}

/** Forgets a closed document. */
export function optionDocumentClosed(uri: string): void {
  cAnalyses.delete(uri);
  made.delete(uri);
  clearTimeout(rereadTimers.get(uri));
  rereadTimers.delete(uri);
  parsedKconfig.delete(uri);
  parsedMakefile.delete(uri);
}

const DOTCONFIG_LINE = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$|^# (CONFIG_[A-Za-z0-9_]+) is not set$/;

/** The lenses of a Kconfig, `.config` or Makefile document. */
/** Quiet time after an edit before an option document is read again for fresh lenses (as for C files). */
const REREAD_DELAY_MS = 30;
const rereadTimers = new Map<string, NodeJS.Timeout>();
/** The lenses made for a document: by version, index and whether the Kconfig tree was there. */
const made = new Map<string, { version: number; lookups: IndexLookups; tree: boolean; lenses: PlacedLens[] }>();

/**
 * The lenses of a Kconfig, `.config` or Makefile document. While the user
 * types, the last lenses (moved by the edits, `remembered`) are answered at
 * once and the document is read again when typing pauses; `refresh` then asks
 * the client for the fresh ones.
 */
export function optionDocumentLenses(ctx: ServerContext, doc: TextDocument, svc: IndexService, sourcePath: string, kind: OptionDocumentKind, remembered?: PlacedLens[], refresh?: () => void): PlacedLens[] {
  const lookups = svc.lookups!;
  const tree = !!treeOf(lookups).deps;
  const hit = made.get(doc.uri);
  if (hit && hit.version === doc.version && hit.lookups === lookups && hit.tree === tree) return hit.lenses;
  if (remembered && refresh && hit && hit.version !== doc.version) {
    clearTimeout(rereadTimers.get(doc.uri));
    rereadTimers.set(doc.uri, setTimeout(() => {
      rereadTimers.delete(doc.uri);
      const current = ctx.documents.get(doc.uri);
      if (current && svc.lookups) optionDocumentLenses(ctx, current, svc, sourcePath, kind);
      refresh();
    }, REREAD_DELAY_MS));
    return remembered;
  }
  const lenses = computeOptionLenses(doc, lookups, sourcePath, kind);
  made.set(doc.uri, { version: doc.version, lookups, tree, lenses });
  return lenses;
}

function computeOptionLenses(doc: TextDocument, lookups: IndexLookups, sourcePath: string, kind: OptionDocumentKind): PlacedLens[] {
  if (!lookups.config) return [{ line: 0, character: 0, title: 'kbloat: the build has no .config: option sizes need it' }];
  const opt = optionLookupsOf(lookups);
  const out: PlacedLens[] = [];
  if (kind === 'kconfig') {
    const k = kconfigOf(doc, sourcePath);
    for (const s of k.symbols) {
      const facts = factsOf(lookups, `CONFIG_${s.name}`, { type: s.type, selects: s.selects.map((x) => `CONFIG_${x.symbol}`) });
      out.push({ line: s.pos.line - 1, character: 0, title: symbolLens(opt, facts).title });
    }
    for (const c of k.choices) {
      out.push({ line: c.pos.line - 1, character: 0, title: choiceLens(opt, c.members.map((m) => `CONFIG_${m}`), (x) => configValue(lookups.config!, x)).title });
    }
  } else if (kind === 'dotconfig') {
    const lines = doc.getText().split(/\r?\n/);
    lines.forEach((l, i) => {
      const m = DOTCONFIG_LINE.exec(l);
      if (!m) return;
      const symbol = m[1] ?? m[3];
      const written = m[1] ? m[2] : 'n';
      const facts = factsOf(lookups, symbol);
      let title = symbolLens(opt, facts).title;
      const built = facts.value === '' ? 'n' : facts.value;
      if (written !== built && (/^[ymn]$/.test(written) || /^[ymn]$/.test(built))) title = `set to ${written} here; the build has ${built === 'n' ? 'it not set' : `=${built}`}: ${title}`;
      out.push({ line: i, character: 0, title });
    });
  } else {
    const dir = path.posix.dirname(sourcePath) === '.' ? '' : path.posix.dirname(sourcePath);
    const lines = makefileOf(doc);
    const valueOf = (x: string) => configValue(lookups.config!, x);
    for (const l of lines) out.push({ line: l.line, character: 0, title: makefileLineLens(opt, dir, l, lines, valueOf).title });
  }
  return out;
}

/** The hover of an option document at a line, or undefined. */
export function optionDocumentHover(ctx: ServerContext, doc: TextDocument, svc: IndexService, sourcePath: string, kind: OptionDocumentKind, line: number): string | undefined {
  const lookups = svc.lookups!;
  if (!lookups.config) return undefined;
  const opt = optionLookupsOf(lookups);
  const extra = (symbol: string) => ({
    holders: holdersOf(lookups, symbol),
    blockers: ctx.modularize.peek(lookups.index)?.candidate(symbol)?.blockers.map((b) => b.detail),
    ...(treeOf(lookups).failed ? { treeProblem: treeOf(lookups).failed } : {}),
  });
  if (kind === 'kconfig') {
    const k = kconfigOf(doc, sourcePath);
    const s = k.symbols.find((x) => x.pos.line - 1 === line);
    if (!s) return undefined;
    const symbol = `CONFIG_${s.name}`;
    return symbolHover(opt, factsOf(lookups, symbol, { type: s.type, selects: s.selects.map((x) => `CONFIG_${x.symbol}`) }), extra(symbol));
  }
  if (kind === 'dotconfig') {
    const m = DOTCONFIG_LINE.exec(doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, ''));
    if (!m) return undefined;
    const symbol = m[1] ?? m[3];
    return symbolHover(opt, factsOf(lookups, symbol), extra(symbol));
  }
  const dir = path.posix.dirname(sourcePath) === '.' ? '' : path.posix.dirname(sourcePath);
  const lines = makefileOf(doc);
  const l = lines.find((x) => line >= x.line && line <= x.lastLine);
  return l ? makefileLineHover(opt, dir, l, lines, (x) => configValue(lookups.config!, x)) : undefined;
}

// ---- C files: #if branches, duplicate definitions, trace events ----

interface CAnalysis {
  version: number;
  lookups: IndexLookups;
  functions: CFunction[];
  fates?: DefinitionFate[];
  branches?: PlacedLens[];
}

/** Per C document: its branches and definitions under the build's configuration, for one version and one index. */
const cAnalyses = new Map<string, CAnalysis>();

function cAnalysis(doc: TextDocument, lookups: IndexLookups, sourcePath: string, functions: CFunction[]): CAnalysis {
  const hit = cAnalyses.get(doc.uri);
  if (hit && hit.version === doc.version && hit.lookups === lookups && hit.functions === functions) return hit;
  const a: CAnalysis = { version: doc.version, lookups, functions };
  if (lookups.config) {
    const text = doc.getText();
    const map = branchMap(conditionalBranches(text), doc.lineCount, (x) => configValue(lookups.config!, x));
    const file = lookups.file(sourcePath);
    a.fates = builtDefinitions(functions.map((f) => ({ name: f.name, line: f.nameRange.start.line })), map, file);
    const defs = functions.map((f) => ({ name: f.name, line: f.nameRange.start.line, startLine: f.range.start.line, endLine: f.range.end.line }));
    a.branches = branchFigures(text, map, defs, a.fates, file).map((b) => ({ line: b.branch.line, character: 0, title: b.title }));
  }
  cAnalyses.set(doc.uri, a);
  return a;
}

/** Which definitions of the document the build has (see builtDefinitions); undefined without a configuration. */
export function definitionFates(lookups: IndexLookups, sourcePath: string, doc: TextDocument, functions: CFunction[]): DefinitionFate[] | undefined {
  return cAnalysis(doc, lookups, sourcePath, functions).fates;
}

/** The lenses a C file or header gets beyond its functions': `#if` branches, trace includes, trace declarations. */
export function cFileOptionLenses(ctx: ServerContext, doc: TextDocument, lookups: IndexLookups, sourcePath: string, functions: CFunction[]): PlacedLens[] {
  const text = doc.getText();
  const opt = optionLookupsOf(lookups);
  const out: PlacedLens[] = [...(cAnalysis(doc, lookups, sourcePath, functions).branches ?? [])];
  for (const t of traceIncludes(ctx, lookups, sourcePath, text, opt)) out.push({ line: t.line, character: 0, title: t.title });
  if (sourcePath.endsWith('.h') && /\bTRACE_SYSTEM\b/.test(text)) {
    const decls = traceEventsIn(text);
    for (const d of decls) out.push({ line: d.line, character: d.character, title: traceDeclLens(opt, d, decls).title });
  }
  return out;
}

/** The hover of a C file's option lines (an `#include` of trace events, a trace declaration), or undefined. */
export function cFileOptionHover(ctx: ServerContext, doc: TextDocument, lookups: IndexLookups, sourcePath: string, line: number): string | undefined {
  const text = doc.getText();
  const opt = optionLookupsOf(lookups);
  const inc = traceIncludes(ctx, lookups, sourcePath, text, opt).find((t) => t.line === line);
  if (inc) return traceHover(inc.title, inc.figure);
  if (sourcePath.endsWith('.h') && /\bTRACE_SYSTEM\b/.test(text)) {
    const decls = traceEventsIn(text);
    const d = decls.find((x) => x.line === line);
    if (d) return traceHover(`${d.macro}(${d.name}) — ${traceDeclLens(opt, d, decls).title}`, traceFigure(opt, [d]));
  }
  return undefined;
}

const headerCache = new Map<string, { mtimeMs: number; decls: TraceEventDecl[] }>();

/** The trace events of a header: from its open buffer, else from disk (cached by modification time). */
function headerEvents(ctx: ServerContext, abs: string): TraceEventDecl[] | undefined {
  const open = ctx.documents.get(URI.fromFsPath(abs));
  if (open) return traceEventsIn(open.getText());
  let mtimeMs: number;
  try {
    mtimeMs = statSync(abs).mtimeMs;
  } catch {
    return undefined;
  }
  const hit = headerCache.get(abs);
  if (hit && hit.mtimeMs === mtimeMs) return hit.decls;
  const text = readText(abs);
  if (text === undefined) return undefined;
  const decls = traceEventsIn(text);
  headerCache.set(abs, { mtimeMs, decls });
  return decls;
}

function traceIncludes(ctx: ServerContext, lookups: IndexLookups, sourcePath: string, text: string, opt: OptionLookups) {
  if (!/\bCREATE_TRACE_POINTS\b/.test(text)) return [];
  const srcArch = lookups.config ? inferSrcArch(lookups.config) : undefined;
  const out: { line: number; title: string; figure: ReturnType<typeof traceFigure> }[] = [];
  for (const inc of createTracePointIncludes(text)) {
    for (const rel of traceHeaderCandidates(inc, sourcePath, srcArch)) {
      const decls = headerEvents(ctx, path.join(lookups.index.build.sourceDir, rel));
      if (!decls) continue;
      const figure = traceFigure(opt, decls, sourcePath);
      out.push({ line: inc.line, title: traceIncludeLens(figure, rel).title, figure });
      break;
    }
  }
  return out;
}
