/**
 * A short, seeded pass of the fuzz harness (test/fuzz/fuzz.ts) over every parser
 * of the core: mutated real build files give a result or a typed error, fast.
 * `npm run fuzz` runs the long version.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzz } from './fuzz/fuzz';
import { FIXTURE, fixtureSkip } from './helpers';

test('mutated build files: a result or a typed error, never a crash or a hang', { skip: fixtureSkip }, () => {
  const stats = fuzz(FIXTURE, 300, 20261123, 2000);
  assert.deepEqual(stats.findings, []);
  for (const [name, n] of Object.entries(stats.tried)) {
    assert.equal(n, 300, name);
    // The mutations must reach the error paths, or the pass proves nothing. The Kconfig
    // parser turns bad lines into warnings by design (a half-edited file must not hide the tree).
    if (name !== 'Kconfig') assert.ok(stats.typedErrors[name] > 0, `${name}: no mutation was refused`);
  }
});
