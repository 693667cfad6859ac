/**
 * The Modularize analysis of each build, made once per build and .config in
 * a worker thread (modularizeWorker.ts) on the first request for actions, and
 * kept as a snapshot the planner, the lens and the diagnostics read at once.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { runJob } from '../common/worker';
import type { BuildIndex } from '../index/model';
import type { ModularizeView } from './plan';
import { makeModularizeSnapshot, ModularizeSnapshot, snapshotView } from './snapshot';

/** A few builds at most (baselines, O= folders). */
const MAX_BUILDS = 4;

export class ModularizeViews {
  /**
   * By build (folder, build-id, image size, .config), not by index object: the
   * index of a build arrives twice (its figures, then with DWARF's facts), and
   * the analysis of the first serves the second.
   */
  private readonly views = new Map<string, ModularizeView>();
  private readonly pending = new Map<string, Promise<ModularizeView | undefined>>();

  constructor(
    /** dist/modularizeWorker.js; without it (running from sources) the analysis runs on this thread. */
    private readonly workerFile: string | undefined,
    private readonly log: (message: string) => void,
    /** Called when a build's analysis is ready (lenses, diagnostics and the status can say more). */
    private readonly ready: (index: BuildIndex, view: ModularizeView) => void,
  ) {}

  /** The analysis of the build of `index`, when it has been made. */
  peek(index: BuildIndex): ModularizeView | undefined {
    return this.views.get(keyOf(index));
  }

  /** The analysis of the build of `index`, made now if it was not (once, however many ask). */
  load(index: BuildIndex): Promise<ModularizeView | undefined> {
    const key = keyOf(index);
    const made = this.views.get(key);
    if (made) return Promise.resolve(made);
    let p = this.pending.get(key);
    if (!p) {
      p = this.snapshot(index).then(
        (s) => {
          if (s.unavailable) this.log(`kbloat: Modularize actions are off for ${index.build.dir}: ${s.unavailable}`);
          const view = snapshotView(s);
          this.views.set(key, view);
          for (const old of this.views.keys()) if (this.views.size > MAX_BUILDS) this.views.delete(old);
          this.ready(index, view);
          return view;
        },
        (e: Error) => {
          this.log(`kbloat: the Modularize analysis of ${index.build.dir} failed: ${e.message}`);
          return undefined;
        },
      ).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  private snapshot(index: BuildIndex): Promise<ModularizeSnapshot> {
    return runJob(makeModularizeSnapshot, index, { workerFile: this.workerFile }).result;
  }
}

function keyOf(index: BuildIndex): string {
  return `${index.build.dir}\0${index.build.buildId ?? ''}\0${index.totals.image}\0${stamp(path.join(index.build.dir, '.config'))}`;
}

/** The .config's size and time: the analysis reads it, so a changed one needs a new analysis. */
function stamp(file: string): string {
  try {
    const st = statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return 'none';
  }
}
