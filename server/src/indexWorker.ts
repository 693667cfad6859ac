/**
 * Worker-thread entry (bundled as dist/indexWorker.js): loads or builds the index
 * of one kernel build so that the language server stays responsive meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadIndex } from './core/cache';
import { KbloatInputError } from './core/errors';
import type { IndexWorkerMessage } from './indexService';

const { dir, noCache } = workerData as { dir: string; noCache: boolean };
const post = (m: IndexWorkerMessage): void => parentPort!.postMessage(m);
try {
  const { index, fromCache } = loadIndex(dir, { noCache, onProgress: (message) => post({ progress: message }) });
  post({ index, fromCache });
} catch (e) {
  post(e instanceof KbloatInputError ? { error: e.message, code: e.code } : { error: String((e as Error)?.stack ?? e) });
}
