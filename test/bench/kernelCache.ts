/**
 * The bench's cache of real kernel builds ($KBLOAT_BENCH_CACHE, else
 * ~/.cache/kbloat-bench): Debian's linux-source-6.1 extracted there once, and
 * O= builds of it that the opt-in benches (large.ts, prove.ts) make once.
 * tar is spawned with an argument array, never through a shell.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function benchCache(): string {
  return process.env.KBLOAT_BENCH_CACHE || path.join(os.homedir(), '.cache', 'kbloat-bench');
}

/** A finished build: vmlinux written after the .config it was built from. */
export function finishedBuild(out: string): boolean {
  try {
    return statSync(path.join(out, 'vmlinux')).mtimeMs >= statSync(path.join(out, '.config')).mtimeMs;
  } catch {
    return false;
  }
}

/** The Linux 6.1 source tree in the cache, extracted from Debian's package first when it is not there; exits saying how to get it otherwise. */
export function linuxSource(log: (line: string) => void = console.log): string {
  const cache = benchCache();
  const src = path.join(cache, 'linux-source-6.1');
  if (existsSync(path.join(src, 'Makefile'))) return src;
  const tarball = '/usr/src/linux-source-6.1.tar.xz';
  if (!existsSync(tarball)) {
    console.error(`no Linux 6.1 source at ${src}: apt-get install linux-source-6.1, then extract ${tarball} into ${cache} (tar -xf ${tarball} -C ${cache})`);
    process.exit(1);
  }
  log(`extracting ${tarball} into ${cache}`);
  mkdirSync(cache, { recursive: true });
  execFileSync('tar', ['-xf', tarball, '-C', cache], { stdio: 'inherit' });
  return src;
}
