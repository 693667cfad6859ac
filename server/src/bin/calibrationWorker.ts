/**
 * Worker-thread entry (bundled as dist/calibrationWorker.js): calibrates the
 * size estimator on a sample of the build's C files off the server's thread
 * (see estimate/calibration.ts).
 */
import { serveJob } from '../common/worker';
import { calibrateBuild } from '../estimate/calibration';

serveJob(calibrateBuild);
