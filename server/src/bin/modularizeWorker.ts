/**
 * Worker-thread entry (bundled as dist/modularizeWorker.js): runs the
 * Modularize analysis of one build index and sends back its snapshot, so that
 * the language server answers lenses and hovers meanwhile.
 */
import { serveJob } from '../common/worker';
import { makeModularizeSnapshot } from '../modularize/snapshot';

serveJob(makeModularizeSnapshot);
