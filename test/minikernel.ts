/**
 * Builds the small kernel-shaped tree in examples/minikernel (gcc, ld, GNU make)
 * in a fresh temporary folder, in-tree or out-of-tree (make O=), so tests can
 * read a real build: vmlinux, System.map, vmlinux.map, vmlinux.a, the
 * built-in.a and lib.a thin archives, .cmd files, modules.order,
 * modules.builtin, *.mod and *.ko. See examples/minikernel/README.md.
 *
 * Other toolchains and architectures: `toolchain: 'llvm'` (make LLVM=1: clang,
 * ld.lld, llvm-ar...), `lto: 'thin' | 'full'` (Clang LTO, built-in objects are
 * LLVM bitcode), `arch: 'arm64' | 'riscv64'` (cross gcc, or clang with 'llvm').
 * `miniBuildSkip(options)` tells a test why such a build cannot run here.
 *
 * Commands are spawned with argument arrays, never through a shell.
 */
import { execFileSync, spawnSync } from 'node:child_process';
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

/** The architectures the tree builds for (`i386` is `make ARCH32=1`, `riscv64` is `make ARCH=riscv`). */
export type MiniArch = 'x86_64' | 'i386' | 'arm64' | 'riscv64';
/** gcc and GNU binutils (cross ones for arm64 and riscv64), or make LLVM=1. */
export type MiniToolchain = 'gcc' | 'llvm';
/** Clang ThinLTO or full LTO (kernel/configs/lto_thin.config, lto_full.config). */
export type MiniLto = 'thin' | 'full';

export interface MiniBuildOptions {
  /** Build with make O=<tmp>/build (Kbuild's out-of-tree layout: absolute source paths, a `source` link). */
  outOfTree?: boolean;
  /** make ARCH32=1: an ELF32 i386 kernel instead of x86_64 (the same as arch: 'i386'). */
  arch32?: boolean;
  /** x86_64 (the default), i386 (ARCH32=1), arm64 (ARCH=arm64) or riscv64 (ARCH=riscv). */
  arch?: MiniArch;
  /** 'gcc' (the default; CROSS_COMPILE=aarch64-linux-gnu- / riscv64-linux-gnu- for arm64 / riscv64) or 'llvm' (make LLVM=1). */
  toolchain?: MiniToolchain;
  /** Clang LTO: make LLVM=1 lto_<lto>.config all. Implies toolchain 'llvm'. */
  lto?: MiniLto;
  /** More arguments for make, e.g. ['V=1'] or ['CONFIG_DEBUG_INFO=y']. */
  extraMakeArgs?: string[];
  /** Edits the copied source tree before it is built (a second, changed build for diffs). */
  prepare?: (srcDir: string) => void;
}

/** Variables from the caller's environment that would change what make does. */
const SCRUB_ENV = ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEFILES', 'GNUMAKEFLAGS', 'KBUILD_OUTPUT', 'KCONFIG_CONFIG', 'KBUILD_VERBOSE', 'ARCH32', 'O', 'V', 'ARCH', 'SRCARCH', 'CROSS_COMPILE', 'LLVM'];

/** The tools of a build: the ones its Makefile runs, so that tests read the build with its own binutils. */
export interface MiniTools {
  arch: MiniArch;
  toolchain: MiniToolchain;
  lto?: MiniLto;
  /** The make variables that select them, e.g. ['ARCH=arm64', 'CROSS_COMPILE=aarch64-linux-gnu-'] or ['LLVM=1']. */
  makeArgs: string[];
  cc: string;
  ld: string;
  ar: string;
  nm: string;
  objcopy: string;
  readelf: string;
  /** The ELF e_machine of the objects and of vmlinux (EM_X86_64 62, EM_386 3, EM_AARCH64 183, EM_RISCV 243). */
  elfMachine: number;
  /** What `readelf -h` says on its Machine line. */
  readelfMachine: string;
  elfClass: 32 | 64;
}

const CROSS: Record<MiniArch, string> = { x86_64: '', i386: '', arm64: 'aarch64-linux-gnu-', riscv64: 'riscv64-linux-gnu-' };
const MACHINE: Record<MiniArch, [number, string]> = {
  x86_64: [62, 'Advanced Micro Devices X86-64'],
  i386: [3, 'Intel 80386'],
  arm64: [183, 'AArch64'],
  riscv64: [243, 'RISC-V'],
};

/** The architecture, toolchain and tool names that these options build with (throws on contradicting options). */
export function miniTools(options: MiniBuildOptions = {}): MiniTools {
  if (options.arch32 && options.arch !== undefined && options.arch !== 'i386') throw new Error(`buildMiniKernel: arch32 and arch '${options.arch}' contradict each other`);
  const arch: MiniArch = options.arch ?? (options.arch32 ? 'i386' : 'x86_64');
  if (options.lto && options.toolchain === 'gcc') throw new Error(`buildMiniKernel: lto '${options.lto}' needs toolchain 'llvm' (Clang LTO), not 'gcc'`);
  const toolchain: MiniToolchain = options.toolchain ?? (options.lto ? 'llvm' : 'gcc');
  const makeArgs: string[] = [];
  if (arch === 'i386') makeArgs.push('ARCH32=1');
  if (arch === 'arm64') makeArgs.push('ARCH=arm64');
  if (arch === 'riscv64') makeArgs.push('ARCH=riscv');
  const [elfMachine, readelfMachine] = MACHINE[arch];
  const elfClass = arch === 'i386' ? 32 : 64;
  if (toolchain === 'llvm') {
    makeArgs.push('LLVM=1');
    return { arch, toolchain, lto: options.lto, makeArgs, cc: 'clang', ld: 'ld.lld', ar: 'llvm-ar', nm: 'llvm-nm', objcopy: 'llvm-objcopy', readelf: 'llvm-readelf', elfMachine, readelfMachine, elfClass };
  }
  const cross = CROSS[arch];
  if (cross) makeArgs.push(`CROSS_COMPILE=${cross}`);
  return { arch, toolchain, makeArgs, cc: `${cross}gcc`, ld: `${cross}ld`, ar: `${cross}ar`, nm: `${cross}nm`, objcopy: `${cross}objcopy`, readelf: `${cross}readelf`, elfMachine, readelfMachine, elfClass };
}

const toolFound = new Map<string, boolean>();
function haveTool(tool: string): boolean {
  let found = toolFound.get(tool);
  if (found === undefined) {
    found = spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
    toolFound.set(tool, found);
  }
  return found;
}

/**
 * Why a build with these options cannot run on this machine (a compiler or
 * binutil is missing), for a test's `skip`; false when it can.
 */
export function miniBuildSkip(options: MiniBuildOptions = {}): string | false {
  const t = miniTools(options);
  const missing = [t.cc, t.ld, t.ar, t.nm, t.objcopy, t.readelf].filter((tool) => !haveTool(tool));
  if (missing.length === 0) return false;
  const what = t.toolchain === 'llvm' ? 'clang, lld and llvm (Debian: clang lld llvm)' : t.arch === 'arm64' ? 'gcc-aarch64-linux-gnu' : t.arch === 'riscv64' ? 'gcc-riscv64-linux-gnu' : 'gcc and binutils';
  return `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed: the ${t.arch} ${t.lto ? `${t.lto} LTO ` : ''}build with ${t.toolchain} needs ${what} (.ci/setup installs them)`;
}

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
 * A missing compiler is an error that names it (see miniBuildSkip()).
 */
export function buildMiniKernel(options: MiniBuildOptions = {}): MiniBuild {
  const tools = miniTools(options);
  const skip = miniBuildSkip(options);
  if (skip) throw new Error(`buildMiniKernel: ${skip}`);
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
    args.push(...tools.makeArgs);
    args.push(...(options.extraMakeArgs ?? []));
    // Kbuild's way to a configuration: the defconfig, then a fragment merged into it.
    if (tools.lto) args.push(`lto_${tools.lto}.config`, 'all');
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

/** Copies the example tree's sources to `dest`, leaving out the O= build folders someone made inside it (they hold a `source` link). */
export function copyMiniKernelSource(dest: string): void {
  fs.cpSync(MINIKERNEL_DIR, dest, {
    recursive: true,
    filter: (src) => {
      try {
        return !fs.lstatSync(path.join(src, 'source')).isSymbolicLink();
      } catch {
        return true;
      }
    },
  });
}
