/**
 * Worker-thread entry (bundled as dist/indexWorker.js): loads or builds the index
 * of one kernel build so that the language server stays responsive meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KbloatInputError } from './core/errors';
import { IndexServiceOptions, IndexWorkerMessage, loadAnyIndex } from './indexService';

const { dir, noCache, distro } = workerData as { dir: string; noCache: boolean; distro?: IndexServiceOptions['distro'] };
const post = (m: IndexWorkerMessage): void => parentPort!.postMessage(m);
try {
  const { index, fromCache } = loadAnyIndex(dir, distro, { noCache, onProgress: (message) => post({ progress: message }) });
  post({ index, fromCache });
} catch (e) {
  post(e instanceof KbloatInputError ? { error: e.message, code: e.code } : { error: String((e as Error)?.stack ?? e) });
}
