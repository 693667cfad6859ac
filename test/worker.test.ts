/**
 * The one worker helper (server/src/common/worker.ts) through the real worker
 * entries, bundled here into a temporary folder with the options esbuild.mjs
 * uses (esbuild.mjs itself always writes dist/): results, progress and typed
 * errors come back, the synchronous join answers, terminate stops a job
 * without keeping the process alive, and running inline (no bundle, as from
 * sources) gives the same answers. The work is the mini kernel, built with
 * DWARF so that indexing sends the figures first and the full index after.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import { KbloatInputError } from '../server/src/common/errors';
import { JobTerminated, runJob, startSyncJob } from '../server/src/common/worker';
import { locateBuild } from '../server/src/kbuild/layout';
import { computeSourceFacts, SourceFactsRequest } from '../server/src/kbuild/sourceFacts';
import type { BuildIndex } from '../server/src/index/model';
import { ModularizeViews } from '../server/src/modularize/service';
import { indexJob, IndexJobProgress, IndexService } from '../server/src/workspace/indexService';
import { FIXTURE, fixtureSkip, REPO, tempDir, BUNDLE_OPTIONS } from './helpers';
import { calibrateBuild, calibrationInput } from '../server/src/estimate/calibration';
import { defaultWasmLocations } from '../server/src/c/wasm';
import { IndexLookups } from '../server/src/index/lookups';
import { loadIndex } from '../server/src/index/cache';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';

const WORKERS = ['indexWorker', 'modularizeWorker', 'sourceFactsWorker', 'calibrationWorker'];
const TIMEOUT_MS = 120_000;

let bundles: string;
let mini: MiniBuild;
/** A build folder whose .config is not text: computing its source facts is a `bad-config` input error with the file. */
let badBuild: string;
const worker = (name: string): string => path.join(bundles, `${name}.js`);

before(async () => {
  bundles = tempDir('workers');
  await Promise.all(WORKERS.map((name) => build({ ...BUNDLE_OPTIONS, entryPoints: [`server/src/bin/${name}.ts`], outfile: worker(name) })));
  mini = buildMiniKernel({ extraMakeArgs: ['CONFIG_DEBUG_INFO=y'] });
  badBuild = tempDir('badconfig');
  writeFileSync(path.join(badBuild, 'System.map'), '');
  writeFileSync(path.join(badBuild, '.config'), 'CONFIG_A=y\n\0\0\0\n');
});

after(() => {
  if (bundles) rmSync(bundles, { recursive: true, force: true });
  if (badBuild) rmSync(badBuild, { recursive: true, force: true });
  if (mini) cleanupMiniBuild(mini);
});

/** What a job threw, for comparing the worker's with the inline one's. */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail('expected an error');
}

function assertSameInputError(actual: unknown, expected: unknown): void {
  assert.ok(expected instanceof KbloatInputError, String(expected));
  assert.ok(actual instanceof KbloatInputError, `a KbloatInputError, not ${String(actual)}`);
  assert.deepEqual({ code: actual.code, reason: actual.reason, file: actual.file, message: actual.message }, { code: expected.code, reason: expected.reason, file: expected.file, message: expected.message });
  assert.equal(actual.code, 'bad-config');
  assert.ok(actual.file, 'the error names its file');
}

describe('asynchronous jobs', () => {
  test('the index comes back with its progress, the same from the worker as inline', async () => {
    const run = async (workerFile: string | undefined): Promise<{ steps: string[]; early: BuildIndex[]; index: BuildIndex | undefined }> => {
      const steps: string[] = [];
      const early: BuildIndex[] = [];
      const onProgress = (p: IndexJobProgress): void => void ('step' in p ? steps.push(p.step) : early.push(p.index));
      const index = await runJob(indexJob, { dir: mini.buildDir, noCache: true }, { workerFile, onProgress }).result;
      return { steps, early, index };
    };
    const inWorker = await run(worker('indexWorker'));
    assert.ok(inWorker.steps.length > 0, 'progress steps arrive');
    assert.equal(inWorker.early.length, 1, 'the figures arrive before the full index');
    assert.ok(inWorker.index?.inlined !== undefined, 'the result is the index with DWARF facts');
    assert.deepEqual(await run(undefined), inWorker);
    assert.deepEqual(await run(path.join(bundles, 'noSuchWorker.js')), inWorker);
  });

  test('a KbloatInputError thrown in the worker arrives as one, with its code, reason and file', async () => {
    const req: SourceFactsRequest = { layout: locateBuild(badBuild), objects: [] };
    const expected = thrown(() => computeSourceFacts(req));
    const inWorker = await runJob(computeSourceFacts, req, { workerFile: worker('sourceFactsWorker') }).result.then(() => undefined, (e: unknown) => e);
    assertSameInputError(inWorker, expected);
    const inline = await runJob(computeSourceFacts, req, { workerFile: undefined }).result.then(() => undefined, (e: unknown) => e);
    assertSameInputError(inline, expected);
  });

  test('terminate stops the job: its result rejects with JobTerminated and nothing more arrives', async () => {
    for (const workerFile of [worker('indexWorker'), undefined]) {
      let late = 0;
      let terminated = false;
      const job = runJob(indexJob, { dir: mini.buildDir, noCache: true }, {
        workerFile,
        onProgress: () => {
          if (terminated) late++;
          terminated = true;
          job.terminate();
        },
      });
      if (!workerFile) job.terminate();
      await assert.rejects(job.result, JobTerminated);
      assert.equal(late, 0, 'no progress after terminate');
    }
  });

  test('a process whose jobs were terminated or never joined exits by itself', async () => {
    // A driver of its own, so that a worker left running shows as a process that does not end.
    const dir = path.join(bundles, 'driver');
    mkdirSync(dir);
    const driver = path.join(dir, 'driver.js');
    await build({
      ...BUNDLE_OPTIONS,
      outfile: driver,
      stdin: {
        resolveDir: REPO,
        loader: 'ts',
        contents: `
          import { runJob, startSyncJob } from './server/src/common/worker';
          import { computeSourceFacts } from './server/src/kbuild/sourceFacts';
          import { locateBuild } from './server/src/kbuild/layout';
          import { indexJob } from './server/src/workspace/indexService';
          const [dir, bundles] = process.argv.slice(2);
          const job = runJob(indexJob, { dir, noCache: true }, { workerFile: bundles + '/indexWorker.js', onProgress: () => job.terminate() });
          job.result.then(() => console.log('answered'), (e) => console.log(e.name));
          startSyncJob(computeSourceFacts, { layout: locateBuild(dir) }, { workerFile: bundles + '/sourceFactsWorker.js', timeoutMs: 120000 });
        `,
      },
    });
    const r = spawnSync(process.execPath, [driver, mini.buildDir, bundles], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, null, `the driver had to be killed: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'JobTerminated');
  });
});

describe('synchronous join', () => {
  test('the source facts come back through the worker as computed inline', () => {
    const req: SourceFactsRequest = { layout: locateBuild(mini.buildDir) };
    const inline = computeSourceFacts(req);
    assert.ok(Object.keys(inline.facts).length > 0);
    assert.deepEqual(startSyncJob(computeSourceFacts, req, { workerFile: worker('sourceFactsWorker'), timeoutMs: TIMEOUT_MS }).join(), inline);
    assert.deepEqual(startSyncJob(computeSourceFacts, req, { workerFile: undefined, timeoutMs: TIMEOUT_MS }).join(), inline);
  });

  test('a KbloatInputError thrown in the worker is thrown by join, with its code, reason and file', () => {
    const req: SourceFactsRequest = { layout: locateBuild(badBuild), objects: [] };
    const expected = thrown(() => computeSourceFacts(req));
    assertSameInputError(thrown(() => startSyncJob(computeSourceFacts, req, { workerFile: worker('sourceFactsWorker'), timeoutMs: TIMEOUT_MS }).join()), expected);
    assertSameInputError(thrown(() => startSyncJob(computeSourceFacts, req, { workerFile: undefined, timeoutMs: TIMEOUT_MS }).join()), expected);
  });

  test('a cancelled job is dropped', () => {
    const job = startSyncJob(computeSourceFacts, { layout: locateBuild(mini.buildDir) }, { workerFile: worker('sourceFactsWorker'), timeoutMs: TIMEOUT_MS });
    job.cancel();
  });
});

describe('the services on the helper', () => {
  /** The indexes an IndexService delivers until the one with DWARF facts, and the progress on the way. */
  const serviceIndexes = (workerFile: string | undefined): Promise<{ indexes: BuildIndex[]; progressed: boolean }> =>
    new Promise((resolve, reject) => {
      const indexes: BuildIndex[] = [];
      let progressed = false;
      const service = new IndexService(mini.buildDir, {
        status: (s) => {
          if (s.state !== 'error') return;
          service.dispose();
          reject(new Error(s.message));
        },
        progress: () => void (progressed = true),
        indexed: (lookups) => {
          indexes.push(lookups.index);
          if (lookups.index.inlined === undefined) return;
          service.dispose();
          resolve({ indexes, progressed });
        },
      }, { workerFile, noCache: true });
      service.start();
    });

  test('IndexService indexes through the bundled worker as it does inline', async () => {
    const inWorker = await serviceIndexes(worker('indexWorker'));
    assert.equal(inWorker.indexes.length, 2, 'the figures, then the index with DWARF facts');
    assert.ok(inWorker.progressed);
    assert.deepEqual(await serviceIndexes(undefined), inWorker);
  });

  test('ModularizeViews analyses in the bundled worker as it does inline', async () => {
    const index = (await runJob(indexJob, { dir: mini.buildDir, noCache: true }, { workerFile: undefined }).result)!;
    // A view answers through functions: compare its answers about every file and option of the build.
    const view = async (workerFile: string | undefined): Promise<{ answers: unknown[]; log: string[] }> => {
      const log: string[] = [];
      const v = await new ModularizeViews(workerFile, (m) => log.push(m), () => {}).load(index);
      assert.ok(v, log.join('\n'));
      const options = [...new Set(index.files.flatMap((f) => (f.config ?? []).map((c) => c.name)))];
      return { answers: [...index.files.map((f) => [v.forFile(f.path), v.forObject(f.object)]), ...options.map((o) => v.candidate(o))], log };
    };
    const inWorker = await view(worker('modularizeWorker'));
    assert.ok(inWorker.answers.some((a) => a !== undefined && !(Array.isArray(a) && a.every((x) => x === undefined))), 'the analysis says something');
    assert.deepEqual(await view(undefined), inWorker);
  });

  test('an async job (the estimator\'s calibration, which loads the parser\'s WASM) answers from its worker as inline', { skip: fixtureSkip }, async () => {
    const { index } = loadIndex(FIXTURE, { noCache: true });
    const input = calibrationInput(new IndexLookups(index), defaultWasmLocations());
    assert.ok(input.files.length >= 30, `a sample of the fixture's built-in C files (${input.files.length})`);
    const inWorker = await runJob(calibrateBuild, input, { workerFile: worker('calibrationWorker') }).result;
    assert.ok(inWorker && inWorker.fitted > 100, `fitted on the fixture's functions: ${JSON.stringify(inWorker)}`);
    assert.deepEqual(await runJob(calibrateBuild, input, { workerFile: undefined }).result, inWorker);
  });

  test('an async job that fails comes back as its error, from the worker as inline', async () => {
    const input = { sourceDir: mini.srcDir, files: [], wasm: { runtime: path.join(bundles, 'missing.wasm'), grammar: path.join(bundles, 'missing-c.wasm') } };
    await assert.rejects(runJob(calibrateBuild, input, { workerFile: worker('calibrationWorker') }).result);
    await assert.rejects(runJob(calibrateBuild, input, { workerFile: undefined }).result);
  });
});
