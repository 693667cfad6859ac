/**
 * Finds kernel build folders in a workspace folder when kbloat.buildDirectory is
 * unset: the folder itself when it holds a build (in-tree), and O= folders inside
 * it (a build folder has vmlinux or System.map; an O= folder also has a `source`
 * link). Bounded: it looks two levels down and never into source directories.
 */
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

const SKIP = new Set(['.git', 'node_modules', 'Documentation', 'tools', 'include', 'scripts', 'samples', 'LICENSES']);

function isBuild(dir: string): boolean {
  for (const f of ['vmlinux', 'System.map']) {
    try {
      if (statSync(path.join(dir, f)).isFile()) return true;
    } catch {
      // Not there.
    }
  }
  return false;
}

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !SKIP.has(e.name))
      .map((e) => path.join(dir, e.name));
  } catch {
    return [];
  }
}

function isKernelSourceDir(dir: string): boolean {
  try {
    return statSync(path.join(dir, 'Kconfig')).isFile() || statSync(path.join(dir, 'Makefile')).isFile();
  } catch {
    return false;
  }
}

export function findBuildCandidates(workspaceFolder: string, maxDepth = 2): string[] {
  const out: string[] = [];
  if (isBuild(workspaceFolder)) out.push(workspaceFolder);
  const walk = (dir: string, depth: number): void => {
    if (depth > maxDepth) return;
    for (const sub of subfolders(dir)) {
      if (isBuild(sub)) out.push(sub);
      // A source directory of the tree (kernel/, drivers/) holds no O= folder.
      else if (!isKernelSourceDir(sub)) walk(sub, depth + 1);
    }
  };
  walk(workspaceFolder, 1);
  return out;
}
