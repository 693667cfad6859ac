/**
 * Worker-thread entry (bundled as dist/sourceFactsWorker.js): computes the
 * source facts of a build while the indexing thread reads vmlinux, which joins
 * it synchronously (see startSourceFacts).
 */
import { serveJob } from '../common/worker';
import { computeSourceFacts } from '../kbuild/sourceFacts';

serveJob(computeSourceFacts);
