/**
 * Worker-thread entry (bundled as dist/sourceFactsWorker.js): computes the source
 * facts of a build and hands them back through the port it was given, then raises
 * the shared flag the indexing thread waits on.
 */
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { KbloatInputError } from '../common/errors';
import { computeSourceFacts, SourceFactsReply, SourceFactsRequest } from '../kbuild/sourceFacts';

const { req, port, signal } = workerData as { req: SourceFactsRequest; port: MessagePort; signal: Int32Array };
let reply: SourceFactsReply;
try {
  reply = { ok: computeSourceFacts(req) };
} catch (e) {
  reply = e instanceof KbloatInputError ? { error: e.message, code: e.code } : { error: String((e as Error)?.message ?? e) };
} finally {
  port.postMessage(reply!);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}
