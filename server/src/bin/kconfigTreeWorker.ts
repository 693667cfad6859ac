/**
 * Worker-thread entry (bundled as dist/kconfigTreeWorker.js): reads a build's
 * Kconfig tree for the option lenses off the server's thread (see
 * features/optionLens.ts).
 */
import { serveJob } from '../common/worker';
import { readBuildKconfigTree } from '../kbuild/kconfig/buildTree';

serveJob(readBuildKconfigTree);
