/**
 * Flags code that the next build will link into vmlinux, as it is typed: a
 * function the last build does not have, in a file that is built in, gets a
 * diagnostic on its name saying why it will be built in; a new file gets one on
 * line 1 when its directory's Makefile builds it in. Code in a module, in a file
 * that is not built, or under an #ifdef the config turns off, is not flagged.
 *
 * "The last build does not have it" is decided against the functions of the
 * file as it was built: the file on disk when it is not newer than vmlinux (so
 * static functions the compiler inlined are not mistaken for new ones), else
 * the symbols of the index alone, and then static functions are not flagged.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Connection, Diagnostic, DiagnosticSeverity } from 'vscode-languageserver/node';
import { sourcePathOf } from '../workspace/builds';
import { configValue } from '../kbuild/dotconfig';
import { KbuildTree } from '../kbuild/makefiles';
import { readText } from '../common/fsRead';
import { humanSize } from '../shared/units';
import type { IndexService } from '../workspace/indexService';
import { enclosingConditionals, isConfiguredOut } from '../kbuild/preproc';
import { URI } from '../workspace/uri';
import type { NewFunction, ServerContext } from './context';
import { measure, MeasureResult } from '../estimate/measure';
import type { KbloatSettings } from '../workspace/settings';

export const NEW_CODE = 'new-built-in-code';

/**
 * Once the Modularize analysis is at hand (it is made on the first request for
 * actions), each new-code diagnostic also says what moving the code into a
 * module would take: the step, the bytes, and what it would break, each
 * blocker a related location.
 */
function attachModularizeNote(ctx: ServerContext, svc: IndexService, sourcePath: string, out: Diagnostic[]): void {
  const view = svc.lookups ? ctx.modularize.peek(svc.lookups.index) : undefined;
  const f = view?.forFile(sourcePath);
  const c = f?.candidate;
  if (!f || f.unavailable || !c || c.value !== 'y') return;
  const sourceDir = svc.lookups!.index.build.sourceDir;
  const step = c.type === 'tristate' ? `${c.symbol}=m` : `${c.symbol} as a tristate set to m`;
  const note = c.blockers.length
    ? `. ${step} would take ${humanSize(c.resident)} out of vmlinux but break ${c.blockers.length === 1 ? '1 thing' : `${c.blockers.length} things`} (see below)`
    : `. ${step} would take ${humanSize(c.resident)} out of vmlinux, and nothing found depends on it being built in`;
  const related = c.blockers.slice(0, 20).map((b) => ({
    location: { uri: pathToFileURL(path.join(sourceDir, b.file)).toString(), range: { start: { line: Math.max((b.line ?? 1) - 1, 0), character: 0 }, end: { line: Math.max((b.line ?? 1) - 1, 0), character: 0 } } },
    message: b.detail,
  }));
  for (const d of out) {
    if (!d.message.startsWith('new ')) continue;
    d.message += note;
    if (related.length) d.relatedInformation = related;
  }
}
/** The shipped README's section on this diagnostic. */
const EXPLANATION = pathToFileURL(path.join(__dirname, '..', 'README.md')).toString() + '#new-built-in-code';
const DEBOUNCE_MS = 25;
const LARGE_FILE_CHARS = 200_000;
const LARGE_FILE_DEBOUNCE_MS = 300;
const BUILD_SLACK_MS = 5000;
/** Quiet time after the last edit before the buffer is compiled. */
const MEASURE_DELAY_MS = 800;

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
const SEVERITY = { hint: DiagnosticSeverity.Hint, information: DiagnosticSeverity.Information, warning: DiagnosticSeverity.Warning } as const;

export function register(connection: Connection, ctx: ServerContext): { refreshAll(): void } {
  const timers = new Map<string, NodeJS.Timeout>();
  const measureTimers = new Map<string, NodeJS.Timeout>();
  const pending = new Map<string, AbortController>();
  const measurements = new Map<string, { version: number; text: string; result: MeasureResult }>();
  /** Function names of each file as it was built, by source path (undefined: unknown). */
  const baselines = new Map<string, Set<string> | undefined>();
  const kbuildTrees = new WeakMap<IndexService, KbuildTree>();

  const schedule = (uri: string): void => {
    clearTimeout(timers.get(uri));
    // Re-parsing a very large file takes tens of milliseconds: wait for a longer pause there,
    // so that typing and lens requests are not held up behind it.
    const large = (ctx.documents.get(uri)?.getText().length ?? 0) > LARGE_FILE_CHARS;
    timers.set(
      uri,
      setTimeout(() => {
        timers.delete(uri);
        void publish(uri);
      }, large ? LARGE_FILE_DEBOUNCE_MS : DEBOUNCE_MS),
    );
  };

  const publish = async (uri: string): Promise<void> => {
    const doc = ctx.documents.get(uri);
    if (!doc) return;
    const settings = await ctx.settings.get(uri);
    const measured = measurements.get(uri);
    // A measurement belongs to one text: versions restart when a document is reopened.
    const m = measured && measured.version === doc.version && measured.text === doc.getText() ? measured.result : undefined;
    const diagnostics = settings.newCode.enabled ? compute(doc, SEVERITY[settings.newCode.severity], settings, m) : [];
    ctx.diagnostics.set(NEW_CODE, uri, diagnostics, doc.version);
    if (!m && doc.version > 1) scheduleMeasure(doc, settings);
  };

  /** After a pause in typing, compile the buffer for real (trusted workspaces only). */
  const scheduleMeasure = (doc: TextDocument, settings: KbloatSettings): void => {
    pending.get(doc.uri)?.abort();
    clearTimeout(measureTimers.get(doc.uri));
    const svc = ctx.builds.forDocument(doc.uri);
    const sourcePath = svc ? sourcePathOf(svc, doc.uri) : undefined;
    const file = sourcePath ? svc?.lookups?.file(sourcePath) : undefined;
    if (!svc || !file || file.status !== 'built-in' || !settings.measure.enabled || !ctx.trust.trusted) return;
    const uri = doc.uri;
    measureTimers.set(
      uri,
      setTimeout(() => {
        const current = ctx.documents.get(uri);
        if (!current || current.version !== doc.version) return;
        const abort = new AbortController();
        pending.set(uri, abort);
        void measure({
          buildDir: svc.lookups!.index.build.dir,
          object: file.object,
          sourceFile: path.join(svc.lookups!.index.build.sourceDir, file.path),
          text: current.getText(),
          timeoutMs: settings.measure.timeoutSeconds * 1000,
          signal: abort.signal,
        }).then((result) => {
          if (pending.get(uri) === abort) pending.delete(uri);
          if (abort.signal.aborted || ctx.documents.get(uri)?.version !== doc.version) return;
          measurements.set(uri, { version: doc.version, text: current.getText(), result });
          void publish(uri);
        });
      }, MEASURE_DELAY_MS),
    );
  };

  const compute = (doc: TextDocument, severity: DiagnosticSeverity, settings: KbloatSettings, measured?: MeasureResult): Diagnostic[] => {
    const svc = ctx.builds.forDocument(doc.uri);
    const lookups = svc?.lookups;
    const sourcePath = svc ? sourcePathOf(svc, doc.uri) : undefined;
    if (!svc || !lookups || !sourcePath || !ctx.functions || !/\.c$/.test(sourcePath)) return [];
    const valueOf = (name: string): string => (lookups.config ? configValue(lookups.config, name) : 'y');
    const file = lookups.file(sourcePath);
    if (!file) return newFile(svc, sourcePath, severity);
    if (file.status !== 'built-in') return [];
    const known = new Set(file.functions.map((f) => f.name));
    const baseline = baselineOf(svc, sourcePath, doc);
    const conditionals = enclosingConditionals(doc.getText());
    const estimator = ctx.estimator(lookups);
    const tree = estimator?.calibration ? ctx.functions.tree(doc) : undefined;
    const fresh = new Map<string, NewFunction>();
    const out: Diagnostic[] = [];
    const diagnostic = (range: Diagnostic['range'], message: string): Diagnostic => ({ range, severity, source: 'kbloat', code: NEW_CODE, codeDescription: { href: EXPLANATION }, message });
    const notMeasured = measured && !measured.ok ? `; not measured: ${measured.reason}` : !ctx.trust.trusted && settings.measure.enabled ? '; not measured: the workspace is not trusted' : '';
    for (const fn of ctx.functions.get(doc)) {
      const before = file.functions.find((f) => f.name === fn.name);
      if (before) {
        // A function that grew against the build, by more than the threshold, measured.
        const now = measured?.ok ? measured.functions.get(fn.name) : undefined;
        if (now !== undefined && now - before.size > settings.measure.growthThreshold) {
          out.push(diagnostic(fn.nameRange, `${fn.name}() grew by +${humanSize(now - before.size)} (measured) against the build: ${humanSize(before.size)} → ${humanSize(now)}`));
        }
        continue;
      }
      if (known.has(fn.name) || baseline?.has(fn.name)) continue;
      // A __weak default that another file overrides was in the last build too.
      if (fn.annotations.includes('__weak') && lookups.outOfLineCopies(fn.name).length > 0) continue;
      // Without the file as built, a static function may simply have been inlined.
      if (!baseline && fn.isStatic) continue;
      if (isConfiguredOut(conditionals(fn.nameRange.start.line), valueOf)) continue;
      const why = file.reason ? ` (built in because ${file.reason})` : '';
      const init = fn.annotations.includes('__init');
      const estimate = tree && estimator ? estimator.estimate(tree, fn) : undefined;
      let cost: string;
      if (measured?.ok) {
        const bytes = measured.functions.get(fn.name);
        fresh.set(fn.name, { bytes: bytes ?? 0, measured: true });
        cost = bytes !== undefined ? ` — +${humanSize(bytes)} (measured)` : ' — no code of its own: inlined or unused (measured)';
      } else {
        fresh.set(fn.name, { bytes: estimate, measured: false });
        cost = (estimate !== undefined ? ` — ≈ +${humanSize(estimate)} (estimate)` : '') + notMeasured;
      }
      out.push(
        diagnostic(
          fn.nameRange,
          init
            ? `new boot-only code: ${fn.name}() will be linked into vmlinux's init section and freed after boot${why}${cost}`
            : `new built-in code: ${fn.name}() will be linked into vmlinux${why}${cost}`,
        ),
      );
    }
    if (out.length) attachModularizeNote(ctx, svc, sourcePath, out);
    rememberNew(doc.uri, fresh);
    if (measured?.ok && measured.baselineObjectBytes !== undefined) ctx.measuredFileDelta.set(doc.uri, measured.objectBytes - measured.baselineObjectBytes);
    else ctx.measuredFileDelta.delete(doc.uri);
    return out;
  };

  /** Keeps the new functions for the lenses, and asks for fresh lenses when they changed. */
  const rememberNew = (uri: string, fresh: Map<string, NewFunction>): void => {
    const old = ctx.newFunctions.get(uri);
    const same = old && old.size === fresh.size && [...fresh].every(([k, v]) => old.get(k)?.bytes === v.bytes && old.get(k)?.measured === v.measured);
    ctx.newFunctions.set(uri, fresh);
    if (!same && (fresh.size || old?.size)) void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
  };

  /** A .c file the build has no object for: what its directory's Makefile says. */
  const newFile = (svc: IndexService, sourcePath: string, severity: DiagnosticSeverity): Diagnostic[] => {
    const lookups = svc.lookups!;
    if (!lookups.config) return [];
    let tree = kbuildTrees.get(svc);
    const sourceDir = lookups.index.build.sourceDir;
    if (!tree) kbuildTrees.set(svc, (tree = new KbuildTree((rel) => readText(path.join(sourceDir, rel)), { treeWideLookup: false })));
    const reason = tree.explainObject(sourcePath.replace(/\.c$/, '.o'), lookups.config);
    // A file no Makefile names yet is "not built yet", not built in.
    if (reason.status !== 'built-in') return [];
    return [
      {
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        severity,
        source: 'kbloat',
        code: NEW_CODE,
        codeDescription: { href: EXPLANATION },
        message: `new built-in file: ${path.basename(sourcePath)} will be linked into vmlinux (built in because ${reason.text})`,
      },
    ];
  };

  const baselineOf = (svc: IndexService, sourcePath: string, doc: TextDocument): Set<string> | undefined => {
    const key = `${svc.buildDir}\0${sourcePath}`;
    if (baselines.has(key)) return baselines.get(key);
    let names: Set<string> | undefined;
    const build = svc.lookups!.index.build;
    const file = path.join(build.sourceDir, sourcePath);
    try {
      // The file on disk is the file as built only if it was not saved after its object
      // and vmlinux were made (a few seconds' slack for trees copied or unpacked with their build).
      const entry = svc.lookups!.file(sourcePath);
      const builtAt = Math.max(build.vmlinux ? statSync(build.vmlinux).mtimeMs : 0, entry ? mtime(path.join(build.dir, entry.object)) : 0);
      if (builtAt > 0 && statSync(file).mtimeMs <= builtAt + BUILD_SLACK_MS && ctx.functions) {
        const text = readText(file);
        if (text === doc.getText()) {
          // Unchanged since it was built (as when it was just opened): the document's own parse serves.
          names = new Set(ctx.functions.get(doc).map((f) => f.name));
        } else if (text !== undefined) {
          const uri = `kbloat-baseline:${URI.fromFsPath(file)}`;
          names = new Set(ctx.functions.get(TextDocument.create(uri, 'c', 0, text)).map((f) => f.name));
          ctx.functions.closed(uri);
        }
      }
    } catch {
      names = undefined;
    }
    baselines.set(key, names);
    return names;
  };

  ctx.documents.onChange((doc) => {
    // A new edit cancels the measurement of the text before it.
    pending.get(doc.uri)?.abort();
    clearTimeout(measureTimers.get(doc.uri));
    schedule(doc.uri);
  });
  ctx.documents.onOpen((doc) => schedule(doc.uri));
  ctx.documents.onClose((uri) => {
    clearTimeout(timers.get(uri));
    ctx.newFunctions.delete(uri);
    ctx.measuredFileDelta.delete(uri);
    measurements.delete(uri);
    pending.get(uri)?.abort();
    clearTimeout(measureTimers.get(uri));
    ctx.diagnostics.clear(uri);
  });
  return {
    /** A new index: the baselines and every open document are checked again. */
    refreshAll() {
      baselines.clear();
      for (const doc of ctx.documents.all()) schedule(doc.uri);
    },
  };
}
