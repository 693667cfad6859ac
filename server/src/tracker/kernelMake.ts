/**
 * How the tracker's builds call make, in one place for sweeps and bisections:
 * the two makes of a revision (the configuration target, then the build with
 * as many jobs as there are CPUs unless the user set -j) into an O= folder, and
 * an environment without the variables that would change what make does when
 * kbloat itself runs under make. Only arguments and environments: starting make
 * is the caller's.
 */
import * as os from 'node:os';

/** Variables of the caller's environment that would change what make does (kbloat run from a Makefile, say). */
const SCRUB_ENV = ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEFILES', 'GNUMAKEFLAGS', 'KBUILD_OUTPUT', 'KCONFIG_CONFIG', 'O'];

export function makeEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of SCRUB_ENV) delete env[k];
  return env;
}

function defaultJobs(makeArgs: string[]): string[] {
  if (makeArgs.some((a) => /^-j/.test(a) || a === '--jobs' || a.startsWith('--jobs='))) return [];
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return [`-j${Math.max(1, n)}`];
}

/** make's arguments for a revision's two steps: `make -C TREE O=OUT ARGS CONFIG`, then `make -C TREE O=OUT -jN ARGS`. */
export function makeCommands(tree: string, out: string, config: string, makeArgs: string[]): { configure: string[]; build: string[] } {
  return {
    configure: ['-C', tree, `O=${out}`, ...makeArgs, config],
    build: ['-C', tree, `O=${out}`, ...defaultJobs(makeArgs), ...makeArgs],
  };
}
