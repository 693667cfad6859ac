/**
 * Language server entry point: it only wires the connection to the features.
 * Nothing below workspace/ knows of LSP; features/ translate it (ARCHITECTURE.md).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { CodeActionKind, createConnection, ProposedFeatures, TextDocumentSyncKind, WorkDoneProgressServerReporter } from 'vscode-languageserver/node';
import { Builds, WorkspaceFolderInfo } from '../workspace/builds';
import { DiagnosticSets } from '../workspace/diagnostics';
import { Documents } from '../workspace/documents';
import { ModularizeViews } from '../modularize/service';
import type { IndexServiceOptions } from '../workspace/indexService';
import type { ServerContext } from '../features/context';
import * as codeLens from '../features/codeLens';
import * as hover from '../features/hover';
import * as codeActions from '../features/codeActions';
import * as compare from '../features/compare';
import * as kconfigDiagnostics from '../features/kconfigDiagnostics';
import * as newCodeFeature from '../features/newCode';
import * as sizeMap from '../features/sizeMap';
import * as sizeHistory from '../features/sizeHistory';
import * as sizeTree from '../features/sizeTree';
import { DocumentFunctions } from '../workspace/functions';
import { createCParser, defaultWasmLocations, WasmLocations } from '../c/wasm';
import { BuildEstimator } from '../estimate/calibration';
import type { Calibration } from '../estimate/estimator';
import type { IndexLookups } from '../index/lookups';
import { DocumentTrees } from '../c/trees';
import { BuildCandidatesNotification, StatusNotification, StatusParams, TrustNotification } from '../shared/protocol';
import { Settings } from '../workspace/settings';
import { URI } from '../workspace/uri';

/** What the client passes in initializationOptions. */
interface InitOptions {
  /** Absolute paths of the WASM files shipped in the extension. */
  wasm?: WasmLocations;
  /** How a build that is being rewritten is waited for (tests shorten these). */
  indexing?: { retries?: number; retryDelayMs?: number; debounceMs?: number };
  /** VS Code's workspace trust; absent means untrusted: nothing from the workspace is run. */
  trusted?: boolean;
}

/** After an index is ready, how long the Modularize analysis waits to start (see `indexed` below). */
const MODULARIZE_START_DELAY_MS = 3000;

const connection = createConnection(ProposedFeatures.all);
const settings = new Settings(connection);
const documents = new Documents();
let folders: WorkspaceFolderInfo[] = [];
let progress: WorkDoneProgressServerReporter | undefined;

const indexOptions: IndexServiceOptions = { workerFile: path.join(__dirname, 'indexWorker.js') };
const builds = new Builds(
  settings,
  {
    status: (params) => {
      lastStatus = params;
      void connection.sendNotification(StatusNotification.type, withEssay(params));
      if (params.state === 'indexing' || params.state === 'stale') {
        if (!progress) {
          void connection.window.createWorkDoneProgress().then((p) => {
            progress = p;
            p.begin('Kernel Bloat Lens', undefined, params.message);
          }, () => undefined);
        }
      } else if (progress) {
        progress.done();
        progress = undefined;
      }
      if (params.state === 'error' && params.message) connection.console.error(params.message);
    },
    progress: (message) => progress?.report(message),
    indexed: (lookups) => {
      void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
      newCode?.refreshAll();
      // The Modularize analysis of a workspace build (not a baseline), in its worker: the status
      // bar gives its figures, and the Modularize lenses need it. Handing the index to the worker
      // costs this thread a moment (a quarter of a second on a defconfig build): it starts once the
      // first lenses are out, unless a request for actions asks for it sooner.
      if (lookups && builds.all().some((b) => b.lookups === lookups)) {
        setTimeout(() => {
          if (builds.all().some((b) => b.lookups === lookups)) void ctx.modularize.load(lookups.index);
        }, MODULARIZE_START_DELAY_MS).unref();
      }
    },
    candidates: (folder, candidates) => void connection.sendNotification(BuildCandidatesNotification.type, { candidates }),
  },
  indexOptions,
);

const estimators = new WeakMap<IndexLookups, BuildEstimator>();
/** The last fit of each build folder, which a new index's estimator starts from. */
const lastCalibration = new Map<string, Calibration>();
const latestEstimator = new Map<string, BuildEstimator>();
/** The parser's WASM files once they loaded: the estimator's worker loads its own parser from them. */
let wasmLoaded: WasmLocations | undefined;
const ctx: ServerContext = {
  documents,
  builds,
  settings,
  newFunctions: new Map(),
  measuredFileDelta: new Map(),
  trust: { trusted: false },
  diagnostics: new DiagnosticSets(connection),
  modularize: new ModularizeViews(path.join(__dirname, 'modularizeWorker.js'), (m) => connection.console.warn(m), (index) => {
    // Lenses and new-code diagnostics say more once an analysis exists; so does the status.
    newCode?.refreshAll();
    void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
    if (lastStatus?.buildDir === index.build.dir) void connection.sendNotification(StatusNotification.type, withEssay(lastStatus));
  }),
  estimator(lookups) {
    let e = estimators.get(lookups);
    if (!e && wasmLoaded) {
      const worker = path.join(__dirname, 'calibrationWorker.js');
      const dir = lookups.index.build.dir;
      const onReady = (calibration: Calibration): void => {
        lastCalibration.set(dir, calibration);
        newCode?.refreshAll();
      };
      // A new index of the same folder supersedes the last one: its fit, if still running, is dropped.
      latestEstimator.get(dir)?.dispose();
      e = new BuildEstimator(lookups, wasmLoaded, existsSync(worker) ? worker : undefined, onReady, lastCalibration.get(dir));
      latestEstimator.set(dir, e);
      estimators.set(lookups, e);
      e.start();
    }
    return e;
  },
};
let newCode: { refreshAll(): void } | undefined;
/** The last status of the workspace build, sent again with the essay's figures once its analysis is made. */
let lastStatus: StatusParams | undefined;

/** A ready status with the Modularize figures of its build's current index, when that analysis is made. */
function withEssay(params: StatusParams): StatusParams {
  if (params.state !== 'ready' || !params.buildDir) return params;
  const lookups = builds.all().find((b) => b.buildDir === params.buildDir)?.lookups;
  const essay = lookups ? ctx.modularize.peek(lookups.index)?.essay?.() : undefined;
  return essay ? { ...params, modularized: essay } : params;
}

connection.onInitialize(async (params) => {
  folders = (params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: 'root' }] : []))
    .map((f) => ({ uri: f.uri, path: URI.toFsPath(f.uri) ?? '' }))
    .filter((f) => f.path);
  settings.setSupported(!!params.capabilities.workspace?.configuration);
  const init = (params.initializationOptions ?? {}) as InitOptions;
  Object.assign(indexOptions, init.indexing ?? {});
  ctx.trust.trusted = init.trusted === true;
  try {
    const shipped = { runtime: path.join(__dirname, 'tree-sitter.wasm'), grammar: path.join(__dirname, 'tree-sitter-c.wasm') };
    const wasm = init.wasm ?? (existsSync(shipped.runtime) ? shipped : defaultWasmLocations());
    ctx.functions = new DocumentFunctions(new DocumentTrees(await createCParser(wasm)));
    wasmLoaded = wasm;
  } catch (e) {
    connection.console.error(`kbloat: the C parser did not load (${(e as Error).message}); only file-level sizes are shown`);
  }
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      codeLensProvider: { resolveProvider: false },
      hoverProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, codeActions.MODULARIZE_KIND], resolveProvider: false },
    },
    serverInfo: { name: 'kbloat' },
  };
});

connection.onInitialized(() => {
  void builds.configure(folders);
});

connection.onDidChangeConfiguration(() => {
  settings.clear();
  void builds.configure(folders);
});

documents.listen(connection);
documents.onChange((doc, changes) => ctx.functions?.edited(doc, changes));
documents.onClose((uri) => ctx.functions?.closed(uri));
codeLens.register(connection, ctx);
hover.register(connection, ctx);
sizeTree.register(connection, ctx);
sizeMap.register(connection, ctx);
sizeHistory.register(connection);
compare.register(connection, ctx);
codeActions.register(connection, ctx);
kconfigDiagnostics.register(connection, ctx);
newCode = newCodeFeature.register(connection, ctx);
connection.onRequest('kbloat/reindex', () => builds.reindexAll());
connection.onNotification(TrustNotification.type, ({ trusted }) => {
  ctx.trust.trusted = trusted;
  newCode?.refreshAll();
});
connection.onShutdown(() => {
  builds.dispose();
  ctx.functions?.dispose();
});

connection.listen();
