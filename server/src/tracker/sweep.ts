/**
 * `kbloat sweep`: the bloat tracker. For each git revision of a kernel tree it
 * checks the revision out in a temporary worktree, configures and builds it with
 * make in its own O= folder, and adds a history record labelled with the revision
 * and carrying its full commit hash. It runs the tree's Makefiles, so it runs only
 * when the user asks for it. A sweep can be one shard of many (every N-th
 * revision), so that N CI jobs share the list; `history merge` joins their files.
 * With `modularizedBuild`, each revision is built a second time, into `<O=>.modularized`,
 * after `make yes2modconfig` (every tristate Kconfig allows at m), and the rebuilt
 * kernel proper is recorded with it.
 *
 * Commands are spawned with argument arrays, never through a shell.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadIndex } from '../index/cache';
import { addRecord, ModularizedFloor, readConfigText, readHistory, recordFromIndex, writeHistory } from './history';
import type { BuildIndex } from '../index/model';
import { makeCommands, makeEnv } from './kernelMake';

export interface SweepOptions {
  /** The Modularize floor of a built revision, recorded with it (the caller computes it: the tracker does not know Modularize). */
  modularized?: (index: BuildIndex, rev: string) => ModularizedFloor | undefined;
  source: string;
  /** A make target that writes .config: tinyconfig, defconfig, … */
  config: string;
  revs: string[];
  history: string;
  /** Where the O= folders stay; without it they go to a temporary folder removed afterwards. */
  out?: string;
  makeArgs: string[];
  noCache?: boolean;
  /** Also build each revision after `make yes2modconfig` into `<O=>.modularized` and record it as `modularizedBuild`. */
  modularizedBuild?: boolean;
  /** Progress and errors (stderr in the CLI). */
  log: (line: string) => void;
}

/** One of `total` parts of a revision list: the `index`-th (1-based) of every `total` revisions. */
export interface Shard {
  index: number;
  total: number;
}

/**
 * The revisions of a shard: every `total`-th, starting with the `index`-th. Taking
 * them in turn rather than in blocks spreads old and new (often slower to build)
 * revisions over the shards.
 */
export function shardRevs(revs: string[], shard: Shard): string[] {
  if (!Number.isInteger(shard.index) || !Number.isInteger(shard.total) || shard.index < 1 || shard.index > shard.total) {
    throw new RangeError(`shard ${shard.index}/${shard.total} is not one of 1/${shard.total}…${shard.total}/${shard.total}`);
  }
  return revs.filter((_, i) => i % shard.total === shard.index - 1);
}

export interface SweepResult {
  built: string[];
  skipped: string[];
  failed: string[];
}

class StepFailed extends Error {}

/** Runs a command; on failure, says which and shows the end of its output, which is where make explains. */
function step(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw new StepFailed(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trimEnd().split('\n').slice(-15).join('\n');
    throw new StepFailed(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}${tail ? `\n${tail}` : ''}`);
  }
  return r.stdout;
}

/** A folder name for a revision (tags and branches may contain slashes). */
function safeName(rev: string): string {
  return rev.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function sweep(o: SweepOptions): SweepResult {
  const result: SweepResult = { built: [], skipped: [], failed: [] };
  const done = new Set(readHistory(o.history).map((r) => r.label));
  // A sweep always leaves its history file, empty when it had nothing to build, so that a CI job always has one to hand on.
  if (!existsSync(o.history)) writeHistory(o.history, []);
  const todo = o.revs.filter((rev) => {
    // A revision named twice is built once (a pull request whose base is its head, say).
    if (!done.has(rev)) {
      done.add(rev);
      return true;
    }
    result.skipped.push(rev);
    o.log(`${rev}: already in ${o.history} (or named before), skipped`);
    return false;
  });
  if (todo.length === 0) return result;
  const source = realpathSync(o.source);
  const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'kbloat-sweep-')));
  const outRoot = o.out ? path.resolve(o.out) : path.join(tmp, 'out');
  const env = makeEnv();
  try {
    // One worktree path for every revision (it is removed after each), and O= folders side by side: the
    // compiler sees the same paths from revision to revision, which is what lets ccache reuse its objects.
    const tree = path.join(tmp, 'src', 'linux');
    for (const rev of todo) {
      const out = path.join(outRoot, safeName(rev));
      const modOut = `${out}.modularized`;
      let added = false;
      try {
        const commit = spawnSync('git', ['-C', source, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { encoding: 'utf8' }).stdout?.trim();
        if (!commit) throw new StepFailed(`no commit "${rev}" in ${source}`);
        mkdirSync(path.dirname(tree), { recursive: true });
        mkdirSync(out, { recursive: true });
        o.log(`${rev}: checking out ${commit.slice(0, 12)}`);
        step('git', ['-C', source, 'worktree', 'add', '--detach', tree, commit]);
        added = true;
        const make = makeCommands(tree, out, o.config, o.makeArgs);
        o.log(`${rev}: make ${o.config}`);
        step('make', make.configure, env);
        o.log(`${rev}: make`);
        step('make', make.build, env);
        const { index } = loadIndex(out, { noCache: o.noCache });
        const record = recordFromIndex(index, rev, readConfigText(out), { modularized: o.modularized?.(index, rev) });
        record.commit = commit;
        if (o.modularizedBuild) {
          // The same configuration, then every tristate that Kconfig allows at m, in a folder of its own.
          mkdirSync(modOut, { recursive: true });
          const mod = makeCommands(tree, modOut, o.config, o.makeArgs);
          o.log(`${rev}: make ${o.config} yes2modconfig (modularized)`);
          step('make', mod.configure, env);
          step('make', makeCommands(tree, modOut, 'yes2modconfig', o.makeArgs).configure, env);
          o.log(`${rev}: make (modularized)`);
          step('make', mod.build, env);
          const t = loadIndex(modOut, { noCache: o.noCache }).index.totals;
          record.modularizedBuild = { resident: t.resident, image: t.image };
        }
        addRecord(o.history, record, false);
        result.built.push(rev);
        o.log(`${rev}: tracked`);
      } catch (e) {
        result.failed.push(rev);
        o.log(`${rev}: FAILED: ${(e as Error).message}`);
      } finally {
        // The worktree is only needed while make runs; the O= folder holds the results.
        const removed = added && spawnSync('git', ['-C', source, 'worktree', 'remove', '--force', tree], { stdio: 'ignore' }).status === 0;
        rmSync(tree, { recursive: true, force: true });
        // The next revision's worktree goes to the same path, which git refuses while it is still registered.
        if (added && !removed) spawnSync('git', ['-C', source, 'worktree', 'prune'], { stdio: 'ignore' });
        if (!o.out) {
          rmSync(out, { recursive: true, force: true });
          rmSync(modOut, { recursive: true, force: true });
        }
      }
    }
  } finally {
    spawnSync('git', ['-C', source, 'worktree', 'prune'], { stdio: 'ignore' });
    rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}
