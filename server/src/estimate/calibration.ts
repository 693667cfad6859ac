/**
 * Calibrates the size estimator on the current build: a sample of the build's
 * built-in C files is parsed in small steps (so the server keeps answering), and
 * every function that has a symbol of its own in vmlinux becomes a sample of
 * (syntax features, size).
 */
import * as path from 'node:path';
import { readText } from '../common/fsRead';
import { Calibration, calibrate, Features, functionFeatures, predict } from './estimator';
import type { IndexLookups } from '../index/lookups';
import { findFunctions, type CFunction } from '../c/functions';
import { DocumentTrees } from '../c/trees';
import type { CParser, Tree } from '../c/wasm';

const MAX_FILES = 60;

export class BuildEstimator {
  calibration?: Calibration;
  private cancelled = false;

  constructor(
    private readonly lookups: IndexLookups,
    private readonly parser: CParser,
    private readonly onReady: () => void,
  ) {}

  /** Starts calibrating, one file per turn of the event loop. */
  start(): void {
    const files = this.lookups.index.files
      .filter((f) => f.status === 'built-in' && f.path.endsWith('.c') && f.functions.length >= 3)
      .sort((a, b) => a.path.localeCompare(b.path));
    // An even spread over the tree rather than the first directories.
    const step = Math.max(1, Math.floor(files.length / MAX_FILES));
    const sample = files.filter((_, i) => i % step === 0).slice(0, MAX_FILES);
    const trees = new DocumentTrees(this.parser, 1);
    const samples: { features: Features; size: number }[] = [];
    const sourceDir = this.lookups.index.build.sourceDir;
    let i = 0;
    const next = (): void => {
      if (this.cancelled) return trees.dispose();
      if (i >= sample.length) {
        trees.dispose();
        this.calibration = calibrate(samples);
        if (this.calibration) this.onReady();
        return;
      }
      const f = sample[i++];
      const text = readText(path.join(sourceDir, f.path));
      const tree = text === undefined ? undefined : trees.tryGet(f.path, 0, text);
      if (tree && text !== undefined) {
        const sizes = new Map(f.functions.filter((fn) => !fn.section.startsWith('.init')).map((fn) => [fn.name, fn.size]));
        for (const fn of findFunctions(tree, text)) {
          const size = sizes.get(fn.name);
          if (size !== undefined && !fn.isInline) samples.push({ features: functionFeatures(tree, fn), size });
        }
      }
      setImmediate(next);
    };
    setImmediate(next);
  }

  estimate(tree: Tree, fn: CFunction): number | undefined {
    return this.calibration ? predict(this.calibration.weights, functionFeatures(tree, fn)) : undefined;
  }

  dispose(): void {
    this.cancelled = true;
  }
}
