/** What every feature needs: the open documents, their functions, the builds, the settings. */
import type { Documents } from '../documents';
import type { DocumentFunctions } from '../functions';
import type { Builds } from '../builds';
import type { Settings } from '../settings';

export interface ServerContext {
  documents: Documents;
  /** Undefined until the WASM parser has loaded. */
  functions?: DocumentFunctions;
  builds: Builds;
  settings: Settings;
}
