/**
 * Finds the files of a kernel build folder: in-tree (sources next to objects) or
 * `O=` (the build folder has a `source` link to the source tree, and `.cmd` files
 * name sources by absolute path under it).
 */
import { existsSync, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { KbloatInputError } from '../common/errors';
import { isFile } from '../common/fsRead';

export interface BuildLayout {
  /** Absolute, real path of the build folder (where make wrote vmlinux). */
  buildDir: string;
  /** Absolute, real path of the source tree (== buildDir for an in-tree build). */
  sourceDir: string;
  /** Every spelling of the source tree that build files may use (the link target as written, its real path). */
  sourceRoots: string[];
  /** The ELF to read: vmlinux.unstripped when present (richer), else vmlinux. */
  vmlinux?: string;
  systemMap?: string;
  linkerMap?: string;
  /** include/config/auto.conf (what make used) or .config. */
  config?: string;
  vmlinuxArchive?: string;
  modulesOrder?: string;
  modulesBuiltin?: string;
}


/**
 * The layout of a build folder, or of the folder of a `vmlinux*` file given
 * instead (`vmlinux`, `vmlinux.old`): then that file is the image read. A file
 * other than the folder's own vmlinux (a copy kept for comparison) is not what
 * the folder's System.map and vmlinux.map describe, so those are left out.
 */
export function locateBuild(dir: string): BuildLayout {
  let buildDir: string;
  let image: string | undefined;
  try {
    buildDir = realpathSync(dir);
  } catch {
    throw new KbloatInputError('not-a-build', `no such folder: ${dir}`);
  }
  if (!statSync(buildDir).isDirectory()) {
    if (!path.basename(dir).startsWith('vmlinux')) {
      throw new KbloatInputError('not-a-build', `${dir} is not a folder; give the kernel build folder (where make wrote vmlinux)`);
    }
    // The folder the file was named in (not where a link to it points) is its build.
    buildDir = realpathSync(path.dirname(dir));
    image = path.join(buildDir, path.basename(dir));
  }
  const f = (name: string): string | undefined => (isFile(path.join(buildDir, name)) ? path.join(buildDir, name) : undefined);
  const ownImage = image === undefined || image === f('vmlinux') || image === f('vmlinux.unstripped');
  const layout: BuildLayout = {
    buildDir,
    sourceDir: buildDir,
    sourceRoots: [buildDir],
    vmlinux: image ?? f('vmlinux.unstripped') ?? f('vmlinux'),
    systemMap: ownImage ? f('System.map') : undefined,
    linkerMap: ownImage ? f('vmlinux.map') : undefined,
    config: f('include/config/auto.conf') ?? f('.config'),
    vmlinuxArchive: f('vmlinux.a'),
    modulesOrder: f('modules.order'),
    modulesBuiltin: f('modules.builtin'),
  };
  // An O= build links its source tree as `source`.
  const link = path.join(buildDir, 'source');
  try {
    if (lstatSync(link).isSymbolicLink()) {
      const target = path.resolve(buildDir, readlinkSync(link));
      if (existsSync(target)) {
        layout.sourceDir = realpathSync(target);
        layout.sourceRoots = [...new Set([target, layout.sourceDir])];
      }
    }
  } catch {
    // No link: an in-tree build.
  }
  if (!layout.vmlinux && !layout.systemMap) {
    const hint = existsSync(path.join(buildDir, 'Kconfig')) && existsSync(path.join(buildDir, 'Makefile'))
      ? 'this looks like a kernel source tree without a build in it: run make here, or point at the O= build folder'
      : 'this is not a kernel build folder: point at the folder where make wrote vmlinux (or its O= folder)';
    throw new KbloatInputError('not-a-build', `no vmlinux or System.map in ${dir}; ${hint}`);
  }
  return layout;
}

/** Makes a path from a build file relative to the source tree when it lies under it. */
export function sourceRelative(layout: BuildLayout, p: string): string {
  if (!path.isAbsolute(p)) return p.replace(/^\.\//, '');
  for (const root of [...layout.sourceRoots, layout.buildDir]) {
    const rel = path.relative(root, p);
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel;
  }
  // A tree that moved after it was built (or was built elsewhere): the longest
  // tail of the path that exists in the source tree is the file.
  const parts = p.split('/').filter(Boolean);
  for (let i = 1; i < parts.length - 1 && i < 16; i++) {
    const tail = parts.slice(i).join('/');
    if (existsSync(path.join(layout.sourceDir, tail))) return tail;
  }
  return p;
}

/** Normalises an object path as ld printed it into a build-relative object path. */
export function mapObjectPath(obj: string, buildDir: string): string {
  let o = obj.trim();
  // A member of a regular archive: `lib/lib.a(string.o)` -> `lib/string.o`.
  const m = /^(.*\/)?[^/()]+\.a\(([^()]+)\)$/.exec(o);
  if (m) o = (m[1] ?? '') + m[2];
  if (o.startsWith(buildDir + '/')) o = o.slice(buildDir.length + 1);
  return o.replace(/^\.\//, '');
}
