/**
 * Worker-thread entry (bundled as dist/modularizeWorker.js): runs the
 * Modularize analysis of one build index and posts its snapshot, so that the
 * language server answers lenses and hovers meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BuildIndex } from '../index/model';
import { KbloatInputError } from '../common/errors';
import { makeModularizeSnapshot } from '../modularize/snapshot';

const { index } = workerData as { index: BuildIndex };
try {
  parentPort!.postMessage({ snapshot: makeModularizeSnapshot(index) });
} catch (e) {
  parentPort!.postMessage({ error: e instanceof KbloatInputError ? e.message : String((e as Error)?.stack ?? e) });
}
