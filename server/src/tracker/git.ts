/**
 * The one way the tracker asks git: `git -C TREE args…` with an argument
 * array, never through a shell, its output as text. A failure is a
 * KbloatInputError that says what git said, so that the CLI prints one line.
 */
import { spawnSync } from 'node:child_process';
import { KbloatInputError } from '../common/errors';

/** Runs git in `tree` and returns its standard output; throws with git's own message when it fails. */
export function git(tree: string, args: string[], options: { input?: string } = {}): string {
  const r = spawnSync('git', ['-C', tree, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, input: options.input });
  if (r.error) throw new KbloatInputError('io', `cannot run git: ${r.error.message}`, tree);
  if (r.status !== 0) throw new KbloatInputError('io', `git ${args[0]} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`, tree);
  return r.stdout;
}
