/**
 * Source paths from DWARF, made relative to the kernel source tree. Compilers
 * write what they were given: `init/main.c` against a comp_dir of
 * `/usr/src/linux-6.1`, `/build/reproducible-path/linux-6.1.176/arch/x86/...`
 * from a distribution's build, `../../arch/...` from an O= build. In order:
 *  1. the user's prefix maps (`/srv/builder/linux=` maps that tree to the root);
 *  2. the comp_dir, and the folders above it (an O= folder inside the tree);
 *  3. known distribution build roots (Debian, Ubuntu, Fedora, /usr/src);
 *  4. with a source tree at hand, the longest tail of the path that exists in it;
 *  5. else the path from its first top-level kernel folder on (`arch/`, `drivers/`, ...).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export interface PrefixMap {
  from: string;
  to: string;
}

/** `/build/linux-XXXX/`, `/build/reproducible-path/linux-6.1.176/`, Fedora's rpmbuild tree, /usr/src. */
const BUILD_ROOTS = [
  /^\/build\/(?:[^/]+\/)?linux[^/]*\//,
  /^\/builddir\/build\/BUILD\/kernel[^/]*\/linux[^/]*\//,
  /^\/usr\/src\/(?:linux[^/]*|kernels\/[^/]+)\//,
  /^\/build\/[^/]+\//,
];

const TOP_DIRS = new Set([
  'arch', 'block', 'certs', 'crypto', 'drivers', 'firmware', 'fs', 'include', 'init', 'io_uring', 'ipc', 'kernel',
  'lib', 'mm', 'net', 'rust', 'samples', 'scripts', 'security', 'sound', 'tools', 'usr', 'virt',
]);

/** Parses `FROM=TO` prefix maps (as -fdebug-prefix-map writes them). */
export function parsePrefixMap(spec: string): PrefixMap | undefined {
  const eq = spec.lastIndexOf('=');
  if (eq <= 0) return undefined;
  return { from: spec.slice(0, eq), to: spec.slice(eq + 1) };
}

export class SourcePaths {
  private cache = new Map<string, string>();
  private maps: PrefixMap[];

  constructor(maps: PrefixMap[] = [], private sourceDir?: string) {
    // The longest prefix wins.
    this.maps = [...maps].sort((a, b) => b.from.length - a.from.length);
  }

  /** `raw` as the compiler wrote it (absolute, or relative to `compDir`) -> tree-relative. */
  relative(raw: string, compDir: string): string {
    const key = `${compDir}\0${raw}`;
    let out = this.cache.get(key);
    if (out === undefined) this.cache.set(key, (out = this.compute(raw, compDir)));
    return out;
  }

  private compute(raw: string, compDir: string): string {
    let p = this.mapped(raw);
    const dir = this.mapped(compDir);
    if (!p.startsWith('/') && dir.startsWith('/')) p = path.posix.join(dir, p);
    p = path.posix.normalize(p);
    if (p.startsWith('/')) {
      // The comp_dir, or the nearest folder above it that holds the path.
      for (let d = dir; d.startsWith('/') && d !== '/'; d = path.posix.dirname(d)) {
        if (p.startsWith(d + '/')) {
          const rest = p.slice(d.length + 1);
          if (d === dir || TOP_DIRS.has(rest.split('/')[0])) {
            p = rest;
            break;
          }
        }
      }
    }
    if (p.startsWith('/')) {
      for (const re of BUILD_ROOTS) {
        const m = re.exec(p);
        if (m) {
          p = p.slice(m[0].length);
          break;
        }
      }
    }
    if (p.startsWith('/')) p = this.inTree(p) ?? fromTopDir(p) ?? p;
    // An O= build outside the tree names sources as ../linux/kernel/fork.c.
    while (p.startsWith('../')) p = p.slice(3);
    if (p.startsWith('./')) p = p.slice(2);
    return p;
  }

  private mapped(p: string): string {
    for (const m of this.maps) {
      if (p === m.from) return m.to || '.';
      if (p.startsWith(m.from.endsWith('/') ? m.from : m.from + '/')) {
        const rest = p.slice(m.from.length).replace(/^\//, '');
        return m.to ? path.posix.join(m.to, rest) : rest;
      }
    }
    return p;
  }

  private inTree(p: string): string | undefined {
    if (!this.sourceDir) return undefined;
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i < parts.length && i < 16; i++) {
      const tail = parts.slice(i).join('/');
      if (existsSync(path.join(this.sourceDir, tail))) return tail;
    }
    return undefined;
  }
}

function fromTopDir(p: string): string | undefined {
  const parts = p.split('/');
  for (let i = 1; i < parts.length - 1; i++) if (TOP_DIRS.has(parts[i])) return parts.slice(i).join('/');
  return undefined;
}
