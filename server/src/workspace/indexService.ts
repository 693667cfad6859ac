/**
 * One kernel build as the language server sees it: its index (loaded in a
 * worker thread, dist/indexWorker.js, through common/worker.ts), its state,
 * and a watcher that re-indexes when make rewrites vmlinux. A half-written
 * vmlinux is retried, not reported as corrupt, and the last good index keeps
 * serving until the new one is complete: lenses never show numbers mixed from
 * two builds.
 */
import { FSWatcher, watch } from 'node:fs';
import * as path from 'node:path';
import type { BuildIndex } from '../index/model';
import { LoadedIndex, loadIndex, LoadOptions, peekIndex } from '../index/cache';
import { loadDistroIndex } from '../index/distro';
import type { KernelConfig } from '../kbuild/dotconfig';
import { KbloatInputError } from '../common/errors';
import { RunningJob, runJob } from '../common/worker';
import { locateBuild } from '../kbuild/layout';
import { readConfig } from '../kbuild/sourceFacts';
import { IndexLookups } from '../index/lookups';
import type { IndexState, StatusParams } from '../shared/protocol';
import { warningText } from '../common/warnings';

/** What the indexing job is given (it crosses to the worker thread). */
export interface IndexJobInput {
  dir: string;
  noCache: boolean;
  distro?: IndexServiceOptions['distro'];
}

/** What the indexing job says before it is done: a long step, or an index that a more complete one will follow. */
export type IndexJobProgress = { step: string } | { index: BuildIndex };

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
  private job?: RunningJob<BuildIndex | undefined>;
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
    this.job?.terminate();
    this.setState(this.lookups ? 'stale' : 'indexing', this.lookups ? 'the build changed: re-indexing' : 'indexing the kernel build');
    // A job that a newer one replaced, or that outlived the service, has nothing more to say.
    const current = (): boolean => generation === this.generation && !this.disposed;
    const job = runJob(indexJob, { dir: this.buildDir, noCache: !!this.options.noCache, distro: this.options.distro }, {
      workerFile: this.options.workerFile,
      onProgress: (p) => {
        if (!current()) return;
        if ('step' in p) this.listener.progress?.(p.step);
        else this.accept(p.index);
      },
    });
    this.job = job;
    job.result.then(
      (index) => {
        if (current() && index) this.accept(index);
      },
      (e: unknown) => {
        if (!current()) return;
        if (e instanceof KbloatInputError) this.fail(e.message, e.code);
        else this.fail(String((e as Error)?.stack ?? e), undefined);
      },
    );
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
    this.setState('ready', index.warnings.length ? index.warnings.map(warningText).join('; ') : undefined);
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
    this.job?.terminate();
  }
}

/**
 * The indexing job (run in dist/indexWorker.js, or inline from sources): the
 * figures first, as progress, then the index with DWARF's lines and inlined
 * copies as the result, unless the cache already has that one. The result is
 * undefined when there is nothing to add to the figures already sent.
 */
export function indexJob(input: IndexJobInput, progress: (p: IndexJobProgress) => void): BuildIndex | undefined {
  const { dir, noCache, distro } = input;
  const onProgress = (step: string): void => progress({ step });
  if (distro) return loadAnyIndex(dir, distro, { noCache, onProgress }).index;
  const cached = peekIndex(dir, { noCache, dwarf: true });
  if (cached) return cached;
  const base = loadIndex(dir, { noCache, onProgress });
  progress({ index: base.index });
  try {
    const full = loadIndex(dir, { noCache, onProgress, dwarf: true, base: base.index });
    // A vmlinux without DWARF adds nothing: no second index, no second refresh.
    return full.index.inlined !== undefined ? full.index : undefined;
  } catch (e) {
    // The index without DWARF stands; a build rewritten meanwhile is noticed by the watcher.
    if (!(e instanceof KbloatInputError)) throw e;
    return undefined;
  }
}

/** A build folder's index, or in distro mode a debug vmlinux's (from DWARF). */
function loadAnyIndex(dir: string, distro: IndexServiceOptions['distro'], options: LoadOptions): LoadedIndex {
  return distro ? loadDistroIndex({ ...options, vmlinux: dir, source: distro.source }) : loadIndex(dir, { ...options, dwarf: true });
}
