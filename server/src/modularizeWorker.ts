/**
 * Worker-thread entry (bundled as dist/modularizeWorker.js): runs the
 * Modularize analysis of one build index and posts its snapshot, so that the
 * language server answers lenses and hovers meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BuildIndex } from './core/buildIndex';
import { KbloatInputError } from './core/errors';
import { makeModularizeSnapshot } from './modularizeSnapshot';

const { index } = workerData as { index: BuildIndex };
try {
  parentPort!.postMessage({ snapshot: makeModularizeSnapshot(index) });
} catch (e) {
  parentPort!.postMessage({ error: e instanceof KbloatInputError ? e.message : String((e as Error)?.stack ?? e) });
}
