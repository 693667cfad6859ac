/**
 * The test command cannot hang: a test file that leaves a timer running still
 * ends when its tests are done, and a test that never ends fails by name after
 * the per-file time-out. Checked by running the runner with the flags of
 * package.json's own `test` script on two planted files (with a short time-out
 * instead of the real 15 minutes).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from './helpers';

const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
/** The runner's flags in `npm test`: everything between `--test` and the file glob. */
const flags = /node --import tsx --test (.*?) test\/\*\.test\.ts/.exec(pkg.scripts.test)?.[1].split(/\s+/) ?? [];

const dir = tempDir('runner');
after(() => rmSync(dir, { recursive: true, force: true }));

test('npm test runs files one at a time, forces each to exit and bounds each by a time-out', () => {
  assert.ok(flags.includes('--test-force-exit'), `npm test lacks --test-force-exit: ${pkg.scripts.test}`);
  assert.ok(flags.some((f) => /^--test-timeout=\d+$/.test(f)), `npm test lacks --test-timeout: ${pkg.scripts.test}`);
});

test('a file that leaves a timer running ends; a test that never ends fails by name', () => {
  const leaky = path.join(dir, 'leaky.test.mjs');
  const stuck = path.join(dir, 'stuck.test.mjs');
  writeFileSync(leaky, "import { test } from 'node:test';\ntest('leaves a timer', () => { setInterval(() => {}, 1000); });\n");
  writeFileSync(stuck, "import { test } from 'node:test';\ntest('never ends', () => new Promise(() => { setInterval(() => {}, 1000); }));\n");
  const short = flags.map((f) => (f.startsWith('--test-timeout=') ? '--test-timeout=3000' : f));
  const started = Date.now();
  // The outer bound only keeps this test from hanging if the runner does: the flags must end it much sooner.
  // A runner started from inside a test file would report to this one (NODE_TEST_CONTEXT): start a fresh one.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...short, leaky, stuck], { encoding: 'utf8', timeout: 120_000, env });
  const seconds = (Date.now() - started) / 1000;
  assert.equal(r.signal, null, `the runner had to be killed after ${seconds} s:\n${r.stdout}`);
  assert.ok(seconds < 60, `the runner took ${seconds} s`);
  assert.match(r.stdout, /^ok \d+ - leaves a timer$/m);
  // Without --test-force-exit the leaky file would only end at the time-out, as a failure of its own.
  assert.doesNotMatch(r.stdout, /^not ok \d+ - .*leaky\.test\.mjs$/m);
  assert.match(r.stdout, new RegExp(`^not ok \\d+ - ${stuck.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.match(r.stdout, /timed out after 3000ms/);
  assert.notEqual(r.status, 0);
});
