/**
 * Worker-thread entry (bundled as dist/indexWorker.js): loads or builds the index
 * of one kernel build so that the language server stays responsive meanwhile.
 */
import { serveJob } from '../common/worker';
import { indexJob } from '../workspace/indexService';

serveJob(indexJob);
