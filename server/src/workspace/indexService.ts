/**
 * One kernel build as the language server sees it: its index (loaded in a
 * worker thread), its state, and a watcher that re-indexes when make rewrites
 * vmlinux. A half-written vmlinux is retried, not reported as corrupt, and the
 * last good index keeps serving until the new one is complete: lenses never
 * show numbers mixed from two builds.
 */
import { existsSync, FSWatcher, watch } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BuildIndex } from '../index/model';
import { LoadedIndex, loadIndex, LoadOptions } from '../index/cache';
import { loadDistroIndex } from '../index/distro';
import type { KernelConfig } from '../kbuild/dotconfig';
import { KbloatInputError } from '../common/errors';
import { locateBuild } from '../kbuild/layout';
import { readConfig } from '../kbuild/sourceFacts';
import { IndexLookups } from '../index/lookups';
import type { IndexState, StatusParams } from '../shared/protocol';

export type IndexWorkerMessage =
  | { progress: string }
  | { index: BuildIndex; fromCache: boolean }
  | { error: string; code?: string };

export interface IndexServiceListener {
  status(params: StatusParams): void;
  /** Long steps of indexing, for work-done progress. */
  progress?(message: string): void;
  /** A new index is ready (lenses should be refreshed). */
  indexed?(lookups: IndexLookups): void;
}

export interface IndexServiceOptions {
  /** dist/indexWorker.js; without it (running from sources) indexing runs on this thread. */
  workerFile?: string;
  noCache?: boolean;
  /** Quiet time after the last change of a build file before re-indexing. */
  debounceMs?: number;
  /** How often a build that is being rewritten is retried before it is reported as broken. */
  retries?: number;
  retryDelayMs?: number;
  /** Distro mode: buildDir is a debug vmlinux, indexed from its DWARF with this source tree. */
  distro?: { source: string };
}

/** Files whose change means the index is out of date. */
const WATCHED = new Set(['vmlinux', 'vmlinux.unstripped', 'System.map', 'vmlinux.map', '.config', 'modules.order']);
/** Errors that a build in progress produces: retried, not shown as the build's fault. */
const TRANSIENT = new Set(['build-changed', 'bad-elf', 'bad-system-map', 'io']);

export class IndexService {
  state: IndexState = 'indexing';
  lookups?: IndexLookups;
  message?: string;
  private worker?: Worker;
  private watcher?: FSWatcher;
  private debounce?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private attempts = 0;
  private disposed = false;
  private generation = 0;

  constructor(
    readonly buildDir: string,
    private readonly listener: IndexServiceListener,
    private readonly options: IndexServiceOptions = {},
  ) {}

  start(): void {
    this.watch();
    this.reindex();
  }

  /** Indexes now (again); the last good index keeps serving meanwhile. */
  reindex(): void {
    if (this.disposed) return;
    const generation = ++this.generation;
    this.worker?.terminate();
    this.setState(this.lookups ? 'stale' : 'indexing', this.lookups ? 'the build changed: re-indexing' : 'indexing the kernel build');
    const done = (m: IndexWorkerMessage): void => {
      if (generation !== this.generation || this.disposed) return;
      if ('progress' in m) this.listener.progress?.(m.progress);
      else if ('index' in m) this.accept(m.index);
      else this.fail(m.error, m.code);
    };
    const workerFile = this.options.workerFile;
    if (workerFile && existsSync(workerFile)) {
      const worker = new Worker(workerFile, { workerData: { dir: this.buildDir, noCache: !!this.options.noCache, distro: this.options.distro } });
      this.worker = worker;
      worker.on('message', done);
      worker.on('error', (e) => done({ error: String(e) }));
      worker.on('exit', () => {
        if (this.worker === worker) this.worker = undefined;
      });
      return;
    }
    // From sources (tests of the core): index on this thread, after the current turn.
    setImmediate(() => {
      try {
        done({ index: loadAnyIndex(this.buildDir, this.options.distro, { noCache: this.options.noCache, onProgress: (p) => done({ progress: p }) }).index, fromCache: false });
      } catch (e) {
        done(e instanceof KbloatInputError ? { error: e.message, code: e.code } : { error: String(e) });
      }
    });
  }

  private accept(index: BuildIndex): void {
    this.attempts = 0;
    let config: KernelConfig | undefined;
    try {
      config = readConfig(locateBuild(this.buildDir));
    } catch {
      // A build without a readable config still has sizes; only config-based answers are lost.
    }
    this.lookups = new IndexLookups(index, config);
    this.setState('ready', index.warnings.length ? index.warnings.join('; ') : undefined);
    this.listener.indexed?.(this.lookups);
  }

  private fail(message: string, code: string | undefined): void {
    const retries = this.options.retries ?? 5;
    if (code && TRANSIENT.has(code) && this.attempts < retries) {
      // make is probably still writing: try again in a moment, keep the last good index.
      this.attempts++;
      this.setState(this.lookups ? 'stale' : 'indexing', `the build is being rewritten (${message}); retrying`);
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.reindex(), this.options.retryDelayMs ?? 2000);
      return;
    }
    this.attempts = 0;
    this.setState('error', message);
  }

  private setState(state: IndexState, message?: string): void {
    this.state = state;
    this.message = message;
    const t = this.lookups?.index.totals;
    const debugInfo = this.lookups?.index.inlined !== undefined;
    this.listener.status({ state, buildDir: this.buildDir, message, ...(t ? { resident: t.resident, image: t.image } : {}), ...(debugInfo ? { debugInfo } : {}) });
  }

  private watch(): void {
    try {
      this.watcher = watch(this.buildDir, { persistent: false }, (_event, name) => {
        if (!name || !WATCHED.has(path.basename(name.toString()))) return;
        if (this.lookups && this.state === 'ready') this.setState('stale', 'the build changed: waiting for make to finish');
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.reindex(), this.options.debounceMs ?? 1500);
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // A folder we cannot watch still works; it is re-indexed on request.
    }
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.debounce);
    clearTimeout(this.retryTimer);
    this.watcher?.close();
    void this.worker?.terminate();
  }
}

/** A build folder's index, or in distro mode a debug vmlinux's (from DWARF). */
export function loadAnyIndex(dir: string, distro: IndexServiceOptions['distro'], options: LoadOptions): LoadedIndex {
  return distro ? loadDistroIndex({ ...options, vmlinux: dir, source: distro.source }) : loadIndex(dir, { ...options, dwarf: true });
}
