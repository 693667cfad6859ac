/**
 * A git history of the mini kernel for the tests of the bloat tracker's git
 * side (`kbloat blame`): examples/minikernel is copied into a fresh temporary
 * folder, committed as the base revision, then changed by a series of commits
 * whose authors, dates and subjects the test chooses; chosen revisions are
 * built with make, each from its own git worktree, in-tree or in an O= folder,
 * as test/minikernel.ts builds the tree itself.
 *
 * The repository's git sees neither the user's nor the system's configuration
 * (no signing hooks, no templates), and its dates are fixed, so that two runs
 * make the same history. Commands are spawned with argument arrays, never
 * through a shell.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { copyMiniKernelSource } from './minikernel';

/** Prefix of the temporary folders; cleanupGitKernel() removes only these. */
const TMP_PREFIX = 'kbloat-gitkernel-';

export interface Person {
  name: string;
  email: string;
}

export interface KernelCommit {
  author: Person;
  /** The commit message: its first line is the subject. */
  message: string;
  /** Edits the work tree (the repository's top folder) before the commit. */
  change: (tree: string) => void;
}

export interface GitKernel {
  /** The temporary folder everything lives in. */
  root: string;
  /** The repository: its work tree is the kernel tree, at the last commit. */
  tree: string;
  /** The full hashes: [0] is the base revision, then one per commit, in order. */
  commits: string[];
}

export interface RevisionBuild {
  rev: string;
  /** The worktree the revision was checked out in (the build's sources). */
  srcDir: string;
  /** srcDir itself, or the O= folder. */
  buildDir: string;
}

export interface RevisionBuildOptions {
  /** Build with make O=DIR (the default) rather than in the worktree. */
  outOfTree?: boolean;
  /** More arguments for make, e.g. `CONFIG_LOCALVERSION=-g0123456789ab`. */
  makeArgs?: string[];
}

/** Variables of the caller's environment that would change what git or make do. */
const SCRUB_ENV = [
  'MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEFILES', 'GNUMAKEFLAGS', 'KBUILD_OUTPUT', 'KCONFIG_CONFIG', 'KBUILD_VERBOSE', 'ARCH32', 'O', 'V',
  'GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_CEILING_DIRECTORIES',
  'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_AUTHOR_DATE', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'GIT_COMMITTER_DATE',
];

/** The environment of the helper's git and make: no outside configuration. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of SCRUB_ENV) delete env[k];
  return { ...env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', ...extra };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = cleanEnv()): string {
  try {
    return execFileSync(cmd, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/** Git in the kernel repository, as the helper runs it. */
export function gitIn(tree: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return run('git', ['-C', tree, ...args], cleanEnv(env));
}

function jobs(): string {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return `-j${Math.max(1, Math.min(n, 8))}`;
}

/** True for a folder that an O= build made (it holds a `source` link to its source tree). */
const BASE_AUTHOR: Person = { name: 'Linus Torvalds', email: 'torvalds@linux-foundation.org' };

/**
 * The mini kernel as a git repository: the base revision, then `commits` in
 * order, one day apart. The tree ends at the last commit.
 */
export function makeGitKernel(commits: KernelCommit[]): GitKernel {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), TMP_PREFIX)));
  const tree = path.join(root, 'linux');
  try {
    copyMiniKernelSource(tree);
    // Whatever was built in examples/minikernel is not part of the sources.
    run('make', ['-s', '-C', tree, 'mrproper']);
    gitIn(tree, ['init', '-q', '-b', 'master']);
    const hashes: string[] = [];
    const commit = (who: Person, message: string, day: number): void => {
      gitIn(tree, ['add', '-A']);
      const date = `2024-01-${String(day).padStart(2, '0')}T12:00:00+00:00`;
      gitIn(tree, ['-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '-m', message], {
        GIT_AUTHOR_NAME: who.name,
        GIT_AUTHOR_EMAIL: who.email,
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_NAME: who.name,
        GIT_COMMITTER_EMAIL: who.email,
        GIT_COMMITTER_DATE: date,
      });
      hashes.push(gitIn(tree, ['rev-parse', 'HEAD']).trim());
    };
    commit(BASE_AUTHOR, 'Linux 6.1 (the mini kernel)', 1);
    commits.forEach((c, i) => {
      c.change(tree);
      commit(c.author, c.message, i + 2);
    });
    return { root, tree, commits: hashes };
  } catch (e) {
    fs.rmSync(root, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Builds one revision: a detached worktree of it under the temporary folder,
 * then make there, in an O= folder unless `outOfTree` is false. Returns
 * absolute, real paths.
 */
export function buildRevision(k: GitKernel, rev: string, options: RevisionBuildOptions = {}): RevisionBuild {
  const hash = gitIn(k.tree, ['rev-parse', '--verify', `${rev}^{commit}`]).trim();
  const name = hash.slice(0, 12);
  const srcDir = path.join(k.root, `src-${name}`);
  const outOfTree = options.outOfTree ?? true;
  const buildDir = outOfTree ? path.join(k.root, `build-${name}`) : srcDir;
  if (!fs.existsSync(srcDir)) gitIn(k.tree, ['worktree', 'add', '-q', '--detach', srcDir, hash]);
  const args = ['-s', jobs(), '-C', srcDir];
  if (outOfTree) args.push(`O=${buildDir}`);
  args.push(...(options.makeArgs ?? []));
  run('make', args);
  return { rev: hash, srcDir, buildDir };
}

/** Removes the temporary folder of a makeGitKernel() result (and nothing else). */
export function cleanupGitKernel(k: GitKernel): void {
  const tmp = fs.realpathSync(os.tmpdir());
  if (path.dirname(k.root) !== tmp || !path.basename(k.root).startsWith(TMP_PREFIX)) {
    throw new Error(`cleanupGitKernel: ${k.root} is not a makeGitKernel() folder`);
  }
  fs.rmSync(k.root, { recursive: true, force: true });
}

/** Replaces `from` by `to` in a file of the tree; an edit that changes nothing is an error in the test. */
export function editFile(tree: string, rel: string, from: string | RegExp, to: string): void {
  const file = path.join(tree, rel);
  const before = fs.readFileSync(file, 'utf8');
  const after = before.replace(from, to);
  if (after === before) throw new Error(`editFile: ${String(from)} is not in ${rel}`);
  fs.writeFileSync(file, after);
}
