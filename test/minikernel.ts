/**
 * Builds the small kernel-shaped tree in examples/minikernel (gcc, ld, GNU make)
 * in a fresh temporary folder, in-tree or out-of-tree (make O=), so tests can
 * read a real build: vmlinux, System.map, vmlinux.map, vmlinux.a, the
 * built-in.a and lib.a thin archives, .cmd files, modules.order,
 * modules.builtin, *.mod and *.ko. See examples/minikernel/README.md.
 *
 * Commands are spawned with argument arrays, never through a shell.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The checked-in source tree (never built in place by the tests). */
export const MINIKERNEL_DIR = path.resolve(__dirname, '../examples/minikernel');

/** Prefix of the temporary folders; cleanupMiniBuild() removes only these. */
const TMP_PREFIX = 'kbloat-minikernel-';

export interface MiniBuild {
  /** Absolute path of the copied source tree. */
  srcDir: string;
  /** Absolute path of the build folder: srcDir itself, or <tmp>/build with outOfTree. */
  buildDir: string;
}

export interface MiniBuildOptions {
  /** Build with make O=<tmp>/build (Kbuild's out-of-tree layout: absolute source paths, a `source` link). */
  outOfTree?: boolean;
  /** make ARCH32=1: an ELF32 i386 kernel instead of x86_64. */
  arch32?: boolean;
  /** More arguments for make, e.g. ['V=1'] or ['CONFIG_DEBUG_INFO=y']. */
  extraMakeArgs?: string[];
  /** Edits the copied source tree before it is built (a second, changed build for diffs). */
  prepare?: (srcDir: string) => void;
}

/** Variables from the caller's environment that would change what make does. */
const SCRUB_ENV = ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEFILES', 'GNUMAKEFLAGS', 'KBUILD_OUTPUT', 'KCONFIG_CONFIG', 'KBUILD_VERBOSE', 'ARCH32', 'O', 'V'];

function makeEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of SCRUB_ENV) delete env[k];
  return env;
}

function jobs(): string {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return `-j${Math.max(1, Math.min(n, 8))}`;
}

function runMake(args: string[]): void {
  try {
    execFileSync('make', args, { env: makeEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`make ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/** True for a folder that an O= build made (it holds a `source` link to its source tree). */
function isKbuildOutputDir(p: string): boolean {
  try {
    return fs.lstatSync(path.join(p, 'source')).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Copies examples/minikernel to a fresh temp dir and builds it; options.outOfTree => make O=<tmp>/build.
 * Returns absolute paths (symlinks resolved, as Kbuild resolves them in its .cmd files).
 */
export function buildMiniKernel(options: MiniBuildOptions = {}): MiniBuild {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), TMP_PREFIX)));
  const srcDir = path.join(root, 'linux');
  const buildDir = options.outOfTree ? path.join(root, 'build') : srcDir;
  try {
    // Leave out the folders of O= builds someone made inside the example.
    fs.cpSync(MINIKERNEL_DIR, srcDir, { recursive: true, filter: (src) => !isKbuildOutputDir(src) });
    // A clean source tree whatever was built in examples/minikernel (Kbuild
    // refuses an O= build from a tree that has a .config).
    runMake(['-s', '-C', srcDir, 'mrproper']);
    options.prepare?.(srcDir);
    const args = ['-s', jobs(), '-C', srcDir];
    if (options.outOfTree) args.push(`O=${buildDir}`);
    if (options.arch32) args.push('ARCH32=1');
    args.push(...(options.extraMakeArgs ?? []));
    runMake(args);
  } catch (e) {
    fs.rmSync(root, { recursive: true, force: true });
    throw e;
  }
  return { srcDir, buildDir };
}

/** Removes the temporary folder of a buildMiniKernel() result (and nothing else). */
export function cleanupMiniBuild(b: MiniBuild): void {
  const root = path.dirname(b.srcDir);
  const tmp = fs.realpathSync(os.tmpdir());
  if (path.dirname(root) !== tmp || !path.basename(root).startsWith(TMP_PREFIX)) {
    throw new Error(`cleanupMiniBuild: ${b.srcDir} is not a buildMiniKernel() folder`);
  }
  fs.rmSync(root, { recursive: true, force: true });
}
