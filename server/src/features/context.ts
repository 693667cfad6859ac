/** What every feature needs: the open documents, their functions, the builds, the settings. */
import type { Documents } from '../workspace/documents';
import type { DocumentFunctions } from '../workspace/functions';
import type { Builds } from '../workspace/builds';
import type { Settings } from '../workspace/settings';
import type { BuildEstimator } from '../estimate/calibration';
import type { IndexLookups } from '../index/lookups';
import type { DiagnosticSets } from '../workspace/diagnostics';
import type { ModularizeViews } from '../modularize/service';

export interface NewFunction {
  bytes?: number;
  measured: boolean;
}

export interface ServerContext {
  documents: Documents;
  /** Undefined until the WASM parser has loaded. */
  functions?: DocumentFunctions;
  builds: Builds;
  settings: Settings;
  /** The size estimator calibrated on a build (created on first use, once the parser is loaded). */
  estimator(lookups: IndexLookups): BuildEstimator | undefined;
  /** Per document: the functions the last build does not have, with their bytes when estimated or measured. */
  newFunctions: Map<string, Map<string, NewFunction>>;
  /** Per document: the measured change of its object's bytes against the build's object. */
  measuredFileDelta: Map<string, number>;
  /**
   * Workspace trust, as the client reports it. Untrusted (the default for a client
   * that does not say) means nothing from the workspace is ever executed.
   */
  trust: { trusted: boolean };
  /** Each feature's diagnostics per document, published together. */
  diagnostics: DiagnosticSets;
  /**
   * The Modularize analysis of each build: made in a worker on the first
   * request for actions (it reads every built-in object's symbol table), then
   * read at once by the actions, the lens and the new-code diagnostics.
   */
  modularize: ModularizeViews;
}
