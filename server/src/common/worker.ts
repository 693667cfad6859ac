/**
 * The one way kbloat runs work off the calling thread. A job is a plain
 * function of structured-cloneable input that may report progress; the same
 * function runs in a worker thread (the bundled `dist/*Worker.js` entry, which
 * only calls `serveJob` with it) or, when that file is not there because the
 * code runs from its sources under tsx, inline on the calling thread, so that
 * tests and the CLI get the same answers either way.
 *
 * Two ways to wait for a job: `runJob` hands back a promise (the language
 * server indexes and analyses while it keeps answering), and `startSyncJob`
 * hands back a `join` that blocks (indexing reads the Kbuild tree in a worker
 * while it reads vmlinux, and stays a plain synchronous function). Errors come
 * back typed: a `KbloatInputError` thrown in the worker arrives as one, with
 * its code, reason and file. No worker outlives its job or keeps a process
 * alive: a finished or terminated job's worker is terminated, and a job joined
 * synchronously runs in an unreferenced worker.
 */
import { existsSync } from 'node:fs';
import { isMainThread, MessageChannel, MessagePort, parentPort, receiveMessageOnPort, Worker, workerData } from 'node:worker_threads';
import { CarriedError, carryError, revivedError } from './errors';

/** The work itself: the same function runs in the worker and inline. */
export type JobFunction<I, R, P = never> = (input: I, progress: (message: P) => void) => R;
/** A job that answers later (it loads WASM, or yields between steps so that running inline keeps the thread answering); `runJob` only. */
export type AsyncJobFunction<I, R, P = never> = (input: I, progress: (message: P) => void) => R | Promise<R>;

/** The one answer of a job. */
type JobAnswer<R> = { kind: 'result'; result: R } | { kind: 'error'; error: CarriedError };
/** What the worker thread sends back, in order: progress messages, then the answer. */
type JobMessage<R, P> = { kind: 'progress'; progress: P } | JobAnswer<R>;

/** What the worker thread is given. */
interface JobData<I> {
  input: I;
  /** For a job joined synchronously: the port its messages go to, and the flag raised once its answer is there. */
  sync?: { port: MessagePort; signal: Int32Array };
}

/** The rejection of a job that was terminated before it answered; its owner asked for that and ignores it. */
export class JobTerminated extends Error {
  constructor() {
    super('the job was terminated');
    this.name = 'JobTerminated';
  }
}

/**
 * The worker side: runs `job` on the input this worker was started with and
 * sends back its progress and its result or error. A `bin/*Worker.ts` entry
 * is this one call.
 */
export function serveJob<I, R, P = never>(job: AsyncJobFunction<I, R, P>): void {
  if (isMainThread || !parentPort) throw new Error('serveJob is the entry of a worker thread');
  const { input, sync } = workerData as JobData<I>;
  const port = sync?.port ?? parentPort;
  const post = (m: JobMessage<R, P>): void => port.postMessage(m);
  const answer = (result: R): void => {
    try {
      // A result that cannot be cloned throws here, before anything was sent, and is reported as the job's error.
      post({ kind: 'result', result });
    } catch (e) {
      post({ kind: 'error', error: carryError(e) });
    }
  };
  const done = (): void => {
    // The joining thread sleeps on this flag rather than on its event loop.
    if (sync) {
      Atomics.store(sync.signal, 0, 1);
      Atomics.notify(sync.signal, 0);
    }
  };
  let result: R | Promise<R>;
  try {
    result = job(input, (progress) => post({ kind: 'progress', progress }));
  } catch (e) {
    post({ kind: 'error', error: carryError(e) });
    return done();
  }
  if (result instanceof Promise) {
    result.then(answer, (e: unknown) => post({ kind: 'error', error: carryError(e) })).finally(done);
  } else {
    answer(result);
    done();
  }
}

export interface JobOptions<P> {
  /** The bundled worker entry that serves this job (dist/*Worker.js); when it is not there (running from sources) the job runs on this thread. */
  workerFile: string | undefined;
  /** Called with each progress message, in order, before the result. */
  onProgress?: (message: P) => void;
}

export interface RunningJob<R> {
  /** The job's result, or what it threw; `JobTerminated` after `terminate()`. */
  readonly result: Promise<R>;
  /** Stops the job: its worker is terminated and nothing more is delivered. Does nothing once the job answered. */
  terminate(): void;
}

/**
 * Runs `job` in a worker thread and delivers its progress and its result; the
 * worker is terminated as soon as it answered. Without the worker file the job
 * runs on this thread after the current turn, so the caller's set-up finishes first.
 */
export function runJob<I, R, P = never>(job: AsyncJobFunction<I, R, P>, input: I, options: JobOptions<P>): RunningJob<R> {
  let settled = false;
  let stop = (): void => {};
  let resolveResult!: (r: R) => void;
  let rejectResult!: (e: unknown) => void;
  const result = new Promise<R>((resolve, reject) => {
    resolveResult = resolve;
    rejectResult = reject;
  });
  const settle = (answer: { result: R } | { error: unknown }): void => {
    if (settled) return;
    settled = true;
    stop();
    if ('result' in answer) resolveResult(answer.result);
    else rejectResult(answer.error);
  };
  const progress = (message: P): void => {
    if (!settled) options.onProgress?.(message);
  };
  const worker = startWorker(options.workerFile, { input });
  if (worker) {
    stop = () => void worker.terminate();
    worker.on('message', (m: JobMessage<R, P>) => {
      if (m.kind === 'progress') progress(m.progress);
      else settle(m.kind === 'result' ? { result: m.result } : { error: revivedError(m.error) });
    });
    worker.on('error', (e) => settle({ error: e }));
    worker.on('exit', (code) => settle({ error: new Error(`the worker exited (${code}) without an answer`) }));
  } else {
    const immediate = setImmediate(() => {
      try {
        const r = job(input, progress);
        if (r instanceof Promise) r.then((result) => settle({ result }), (error: unknown) => settle({ error }));
        else settle({ result: r });
      } catch (e) {
        settle({ error: e });
      }
    });
    stop = () => clearImmediate(immediate);
  }
  const terminate = (): void => {
    // Whoever terminates a job asked for its end: a result nobody awaits any more must not be an unhandled rejection.
    result.catch(() => {});
    settle({ error: new JobTerminated() });
  };
  return { result, terminate };
}

export interface SyncJobOptions<P> extends JobOptions<P> {
  /**
   * How long `join` waits for the worker. The worker always answers, even with
   * an error; this only guards against one that died outright (out of memory),
   * after which the job runs on the joining thread instead.
   */
  timeoutMs: number;
}

export interface SyncJob<R> {
  /** Waits for the job and returns its result or throws its error; progress is delivered here, before. */
  join: () => R;
  /** Drops the job without waiting for it. */
  cancel: () => void;
}

/**
 * Starts `job` in an unreferenced worker thread now and returns a `join` that
 * blocks until its answer is there. Without the worker file, or when a worker
 * cannot be started, `join` runs the job on the calling thread instead.
 */
export function startSyncJob<I, R, P = never>(job: JobFunction<I, R, P>, input: I, options: SyncJobOptions<P>): SyncJob<R> {
  const progress = (message: P): void => options.onProgress?.(message);
  const inline: SyncJob<R> = { join: () => job(input, progress), cancel: () => {} };
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = startWorker(options.workerFile, { input, sync: { port: port2, signal } }, [port2]);
  if (!worker) {
    port1.close();
    return inline;
  }
  // Joined by sleeping on the flag, not through the event loop: nothing here needs to keep the process alive.
  worker.unref();
  const cancel = (): void => {
    port1.close();
    void worker.terminate();
  };
  const join = (): R => {
    const state = Atomics.wait(signal, 0, 0, options.timeoutMs);
    let answer: JobAnswer<R> | undefined;
    for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) {
      const message = m.message as JobMessage<R, P>;
      if (message.kind === 'progress') progress(message.progress);
      else answer = message;
    }
    cancel();
    if (state === 'timed-out' || !answer) return job(input, progress);
    if (answer.kind === 'result') return answer.result;
    throw revivedError(answer.error);
  };
  return { join, cancel };
}

/** A worker on `file` with `data`, or undefined when there is no such file or the worker cannot be made (then the job runs inline). */
function startWorker<I>(file: string | undefined, data: JobData<I>, transferList?: MessagePort[]): Worker | undefined {
  if (!file || !existsSync(file)) return undefined;
  try {
    return new Worker(file, { workerData: data, ...(transferList ? { transferList } : {}) });
  } catch {
    // Input that cannot be cloned, or no threads to be had: the same job on this thread still answers.
    return undefined;
  }
}
