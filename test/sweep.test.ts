/**
 * `kbloat sweep` on a real git repository of the mini tree with three tagged
 * commits, each adding code: it must build every revision in its own worktree,
 * record them in order with growing resident sizes, leave the repository as it
 * was, and skip everything on a second run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { HistoryRecord } from '../server/src/tracker/history';
import { runCli, tempDir } from './helpers';
import { MINIKERNEL_DIR } from './minikernel';

let work: string;
let repo: string;
const tags: Record<string, string> = {};

function git(args: string[]): string {
  // The identity is given on the command line, so that the test needs no git configuration.
  return execFileSync('git', ['-c', 'user.email=kbloat-test@example.invalid', '-c', 'user.name=kbloat test', '-c', 'commit.gpgsign=false', '-C', repo, ...args], { encoding: 'utf8' });
}

function edit(rel: string, change: (t: string) => string): void {
  const file = path.join(repo, rel);
  const before = readFileSync(file, 'utf8');
  const after = change(before);
  assert.notEqual(after, before, `the edit of ${rel} changed nothing`);
  writeFileSync(file, after);
}

function commitAndTag(tag: string, message: string): void {
  git(['add', '-A']);
  git(['commit', '-q', '-m', message]);
  git(['tag', tag]);
  tags[tag] = git(['rev-parse', 'HEAD']).trim();
}

before(() => {
  work = tempDir('sweep');
  repo = path.join(work, 'linux');
  // Leave out the folders of O= builds someone made inside the example (they hold a `source` link).
  cpSync(MINIKERNEL_DIR, repo, {
    recursive: true,
    filter: (src) => {
      try {
        return !lstatSync(path.join(src, 'source')).isSymbolicLink();
      } catch {
        return true;
      }
    },
  });
  execFileSync('make', ['-s', '-C', repo, 'mrproper'], { stdio: 'ignore' });
  execFileSync('git', ['init', '-q', repo]);
  commitAndTag('t1', 'initial');
  edit('kernel/panic.c', (t) => t + '\nint panic_notes[512] = { 1 };\n\nint panic_note(int i)\n{\n\treturn panic_notes[i & 511] + panic_notes[(i * 7) & 511];\n}\n');
  commitAndTag('t2', 'panic: add panic_note()');
  edit('arch/mini/configs/mini_defconfig', (t) => t.replace('CONFIG_MISC_HEARTBEAT=m', 'CONFIG_MISC_HEARTBEAT=y'));
  edit('lib/string.c', (t) => t + '\nsize_t strnlen_mini(const char *s, size_t n)\n{\n\tsize_t i = 0;\n\n\twhile (i < n && s[i])\n\t\ti++;\n\treturn i;\n}\n');
  commitAndTag('t3', 'build the heartbeat driver in; add strnlen_mini()');
});
after(() => work && rmSync(work, { recursive: true, force: true }));

function records(file: string): HistoryRecord[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HistoryRecord);
}

test('sweep builds each revision, records it, and skips it the next time', () => {
  const history = path.join(work, 'sizes.jsonl');
  const out = path.join(work, 'out');
  const args = ['sweep', '--source', repo, '--config', 'defconfig', '--revs', 't1,t2,t3', '--history', history, '--out', out];
  const first = runCli(args);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /built 3, skipped 0 \(already tracked\), failed 0/);
  const recs = records(history);
  assert.deepEqual(recs.map((r) => r.label), ['t1', 't2', 't3']);
  assert.deepEqual(recs.map((r) => r.commit), [tags.t1, tags.t2, tags.t3], 'each record names the commit it built');
  for (const r of recs) {
    assert.ok(r.totals.resident > 0 && r.buildId, `${r.label} was measured`);
    assert.ok(existsSync(path.join(out, r.label, 'vmlinux')), `${r.label}: the O= folder is kept under --out`);
  }
  const [a, b, c] = recs;
  assert.ok(b.totals.resident - a.totals.resident >= 2048, `t2 adds a 2 KiB table: ${a.totals.resident} -> ${b.totals.resident}`);
  assert.ok(c.totals.resident > b.totals.resident, `t3 adds code: ${b.totals.resident} -> ${c.totals.resident}`);
  assert.ok(c.dirs.drivers.resident > b.dirs.drivers.resident, 'the heartbeat driver is built in at t3');
  assert.equal(b.configHash, a.configHash, 't2 did not change the configuration');
  assert.notEqual(c.configHash, b.configHash, 't3 did');
  assert.equal(b.configSymbols.CONFIG_MISC_HEARTBEAT, undefined, 'the heartbeat driver is a module at t2');
  assert.ok(c.configSymbols.CONFIG_MISC_HEARTBEAT > 0, `t3 counts bytes for CONFIG_MISC_HEARTBEAT: ${Object.keys(c.configSymbols).join(' ')}`);
  // The worktrees are gone, and the repository's own tree was never touched.
  assert.equal(git(['worktree', 'list']).trim().split('\n').length, 1);
  assert.equal(git(['status', '--porcelain']), '');
  assert.equal(git(['rev-parse', 'HEAD']).trim(), tags.t3);

  const started = Date.now();
  const again = runCli(args);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /built 0, skipped 3/);
  assert.equal(records(history).length, 3, 'no new records');
  assert.ok(Date.now() - started < 5000, 'a sweep with nothing to do builds nothing');
});

test('a revision that does not build is reported, the others are tracked, exit 1', () => {
  const history = path.join(work, 'broken.jsonl');
  const r = runCli(['sweep', '--source', repo, '--config', 'defconfig', '--revs', 'no-such-tag,t2', '--history', history, '--make-arg', 'V=0']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no-such-tag: FAILED/);
  assert.match(r.stdout, /built 1, skipped 0 \(already tracked\), failed 1: no-such-tag/);
  assert.deepEqual(records(history).map((x) => x.label), ['t2']);
  const bad = runCli(['sweep', '--source', repo, '--config', 'no-such-config-target', '--revs', 't1', '--history', history]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /t1: FAILED: make .*no-such-config-target/);
  assert.equal(runCli(['sweep', '--source', repo, '--revs', 't1', '--history', history]).status, 2, 'no --config');
});
