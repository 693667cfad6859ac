/**
 * Worker-thread entry (bundled as dist/indexWorker.js): loads or builds the index
 * of one kernel build so that the language server stays responsive meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KbloatInputError } from '../common/errors';
import { loadIndex, peekIndex } from '../index/cache';
import { IndexServiceOptions, IndexWorkerMessage, loadAnyIndex } from '../workspace/indexService';

const { dir, noCache, distro } = workerData as { dir: string; noCache: boolean; distro?: IndexServiceOptions['distro'] };
const post = (m: IndexWorkerMessage): void => parentPort!.postMessage(m);
const onProgress = (message: string): void => post({ progress: message });
try {
  if (distro) post(loadAnyIndex(dir, distro, { noCache, onProgress }));
  else {
    // The figures first; DWARF's lines and inlined copies follow in a second index,
    // unless the cache already has that one.
    const full = peekIndex(dir, { noCache, dwarf: true });
    if (full) post({ index: full, fromCache: true });
    else {
      const base = loadIndex(dir, { noCache, onProgress });
      post(base);
      try {
        const full = loadIndex(dir, { noCache, onProgress, dwarf: true, base: base.index });
        // A vmlinux without DWARF adds nothing: no second index, no second refresh.
        if (full.index.inlined !== undefined) post(full);
      } catch (e) {
        // The index without DWARF stands; a build rewritten meanwhile is noticed by the watcher.
        if (!(e instanceof KbloatInputError)) throw e;
      }
    }
  }
} catch (e) {
  post(e instanceof KbloatInputError ? { error: e.message, code: e.code } : { error: String((e as Error)?.stack ?? e) });
}
