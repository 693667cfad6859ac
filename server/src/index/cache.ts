/**
 * The on-disk cache of build indexes, so that a second start is near-instant.
 * An entry is keyed by vmlinux's build-id, size and mtime (and our index format),
 * and lives in $KBLOAT_CACHE_DIR, else $XDG_CACHE_HOME/kbloat, else ~/.cache/kbloat —
 * never inside the kernel tree.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildIndex } from './buildTree';
import { BuildIndex, INDEX_FORMAT, IndexOptions } from './model';
import { ElfFile } from '../binary/elf';
import { locateBuild } from '../kbuild/layout';

function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KBLOAT_CACHE_DIR) return env.KBLOAT_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'kbloat');
}

/** The cache key of a build, or undefined when there is nothing stable to key on. */
function cacheKey(dir: string, options: IndexOptions = {}): string | undefined {
  const layout = locateBuild(dir);
  const parts = [`format=${INDEX_FORMAT}`, `dir=${layout.buildDir}`, `dwarf=${options.dwarf ? 1 : 0}`];
  const stamp = (f: string | undefined, label: string): void => {
    if (!f) return;
    try {
      const st = statSync(f);
      parts.push(`${label}=${st.size}:${st.mtimeMs}`);
    } catch {
      parts.push(`${label}=missing`);
    }
  };
  if (layout.vmlinux) {
    const elf = ElfFile.open(layout.vmlinux);
    try {
      parts.push(`buildid=${elf.buildId() ?? 'none'}`);
    } finally {
      elf.close();
    }
    stamp(layout.vmlinux, 'vmlinux');
  }
  // These change what the index says even when vmlinux does not (modules, config, map).
  stamp(layout.systemMap, 'sysmap');
  stamp(layout.linkerMap, 'map');
  stamp(layout.config, 'config');
  stamp(layout.modulesOrder, 'modorder');
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

export interface LoadOptions extends IndexOptions {
  /** Ignore the cache: neither read nor write it. */
  noCache?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedIndex {
  index: BuildIndex;
  fromCache: boolean;
}

/** Returns the index of the build in `dir`, from the cache when it is current. */
export function loadIndex(dir: string, options: LoadOptions = {}): LoadedIndex {
  if (options.noCache) return { index: buildIndex(dir, options), fromCache: false };
  return cachedIndex(() => cacheKey(dir, options), options, () => buildIndex(dir, options));
}

/** The cached index of the build, when the cache has a current one; nothing is built. */
export function peekIndex(dir: string, options: LoadOptions = {}): BuildIndex | undefined {
  if (options.noCache) return undefined;
  const key = cacheKey(dir, options);
  if (!key) return undefined;
  try {
    const index = JSON.parse(readFileSync(path.join(cacheDir(options.env), `${key}.json`), 'utf8')) as BuildIndex;
    return index.format === INDEX_FORMAT ? index : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The cached index under `key()`, else `build()` saved under that key; the key is
 * taken again after building, and a build that changed meanwhile is not saved.
 */
export function cachedIndex(key: () => string | undefined, options: LoadOptions, build: () => BuildIndex): LoadedIndex {
  const before = key();
  const file = before ? path.join(cacheDir(options.env), `${before}.json`) : undefined;
  if (file) {
    try {
      const index = JSON.parse(readFileSync(file, 'utf8')) as BuildIndex;
      if (index.format === INDEX_FORMAT) return { index, fromCache: true };
    } catch {
      // Missing or unreadable: rebuild below.
    }
  }
  const index = build();
  if (file && key() === before) {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      // Write then rename, so a reader never sees half a file.
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(index));
      renameSync(tmp, file);
    } catch {
      // A read-only cache folder only costs speed.
    }
  }
  return { index, fromCache: false };
}
