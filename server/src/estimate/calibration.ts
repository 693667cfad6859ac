/**
 * Calibrates the size estimator on the current build: a sample of the build's
 * built-in C files is parsed, and every function that has a symbol of its own
 * in vmlinux becomes a sample of (syntax features, size). The parsing runs in a
 * worker thread (`bin/calibrationWorker.ts`): sixty files of a large tree take
 * seconds of CPU, and on the server's thread each one would hold up the lens
 * and hover answers queued behind it.
 */
import * as path from 'node:path';
import { readText } from '../common/fsRead';
import { runJob, type RunningJob } from '../common/worker';
import { Calibration, calibrate, Features, functionFeatures, predict } from './estimator';
import type { IndexLookups } from '../index/lookups';
import { findFunctions, type CFunction } from '../c/functions';
import { DocumentTrees } from '../c/trees';
import { createCParser, type Tree, type WasmLocations } from '../c/wasm';

const MAX_FILES = 60;

/** What the calibration job is given: the sampled files with the sizes vmlinux has for their functions. */
export interface CalibrationInput {
  sourceDir: string;
  files: { path: string; sizes: [name: string, size: number][] }[];
  wasm: WasmLocations;
}

/** The files to learn from: an even spread over the build's built-in C files with three functions or more. */
export function calibrationInput(lookups: IndexLookups, wasm: WasmLocations): CalibrationInput {
  const files = lookups.index.files
    .filter((f) => f.status === 'built-in' && f.path.endsWith('.c') && f.functions.length >= 3)
    .sort((a, b) => a.path.localeCompare(b.path));
  // An even spread over the tree rather than the first directories.
  const step = Math.max(1, Math.floor(files.length / MAX_FILES));
  const sample = files.filter((_, i) => i % step === 0).slice(0, MAX_FILES);
  return {
    sourceDir: lookups.index.build.sourceDir,
    files: sample.map((f) => ({ path: f.path, sizes: f.functions.filter((fn) => !fn.section.startsWith('.init')).map((fn) => [fn.name, fn.size]) })),
    wasm,
  };
}

/**
 * The job: parses each file and pairs its functions' features with their sizes.
 * It yields between files, so that running inline (from the sources, without
 * the bundled worker) still leaves the thread to answer between them.
 */
export async function calibrateBuild(input: CalibrationInput): Promise<Calibration | undefined> {
  const trees = new DocumentTrees(await createCParser(input.wasm), 1);
  const samples: { features: Features; size: number }[] = [];
  try {
    for (const f of input.files) {
      const text = readText(path.join(input.sourceDir, f.path));
      const tree = text === undefined ? undefined : trees.tryGet(f.path, 0, text);
      if (tree && text !== undefined) {
        const sizes = new Map(f.sizes);
        for (const fn of findFunctions(tree, text)) {
          const size = sizes.get(fn.name);
          if (size !== undefined && !fn.isInline) samples.push({ features: functionFeatures(tree, fn), size });
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    trees.dispose();
  }
  return calibrate(samples);
}

export class BuildEstimator {
  calibration?: Calibration;
  private job?: RunningJob<Calibration | undefined>;

  constructor(
    private readonly lookups: IndexLookups,
    private readonly wasm: WasmLocations,
    /** The bundled worker entry (dist/calibrationWorker.js), or undefined to run on this thread. */
    private readonly workerFile: string | undefined,
    private readonly onReady: (calibration: Calibration) => void,
    /**
     * The fit on the previous index of the same build folder (the figures before
     * their DWARF facts, the build before a rebuild): it answers until this one's
     * own fit is there, so estimates do not come and go with each new index.
     */
    previous?: Calibration,
  ) {
    this.calibration = previous;
  }

  /** Starts calibrating; `onReady` is called once the estimator can answer. */
  start(): void {
    this.job = runJob(calibrateBuild, calibrationInput(this.lookups, this.wasm), { workerFile: this.workerFile });
    this.job.result.then(
      (calibration) => {
        if (!calibration) return;
        this.calibration = calibration;
        this.onReady(calibration);
      },
      // Terminated, or a file the parser could not take: no estimates, as before calibration.
      () => undefined,
    );
  }

  estimate(tree: Tree, fn: CFunction): number | undefined {
    return this.calibration ? predict(this.calibration.weights, functionFeatures(tree, fn)) : undefined;
  }

  dispose(): void {
    this.job?.terminate();
  }
}
