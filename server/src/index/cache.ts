/**
 * The on-disk cache of build indexes, so that a second start is near-instant.
 * An entry is keyed by vmlinux's build-id, size and mtime (and our index format),
 * and lives in $KBLOAT_CACHE_DIR, else $XDG_CACHE_HOME/kbloat, else ~/.cache/kbloat —
 * never inside the kernel tree.
 *
 * An entry is one JSON file, `{"kbloat-index":<format>,"headerBytes":<n>,
 * "header":<the index without the files' functions and variables>,"lists":[
 * <each file's [functions, variables]>]}`, where each file's `functions` in the
 * header says where its lists are. Loading parses the header only; a file's
 * functions are parsed when something first reads them.
 * Most of a defconfig index is its 60,000 functions and variables, and
 * `kbloat report`, `check` and a warm start of most commands never look at
 * the functions of most files.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildIndex } from './buildTree';
import { BuildIndex, FileEntry, FunctionEntry, INDEX_FORMAT, IndexOptions } from './model';
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
  // The Kbuild facts are kept next to the indexes: a rebuild changes vmlinux, rarely the Makefiles.
  return cachedIndex(() => cacheKey(dir, options), options, () => buildIndex(dir, { ...options, factsCache: options.factsCache ?? cacheDir(options.env) }));
}

/** The cached index of the build, when the cache has a current one; nothing is built. */
export function peekIndex(dir: string, options: LoadOptions = {}): BuildIndex | undefined {
  if (options.noCache) return undefined;
  const key = cacheKey(dir, options);
  if (!key) return undefined;
  return readEntry(entryFile(cacheDir(options.env), key));
}

/**
 * The cached index under `key()`, else `build()` saved under that key; the key is
 * taken again after building, and a build that changed meanwhile is not saved.
 */
export function cachedIndex(key: () => string | undefined, options: LoadOptions, build: () => BuildIndex): LoadedIndex {
  const before = key();
  const file = before ? entryFile(cacheDir(options.env), before) : undefined;
  const cached = readEntry(file);
  if (cached) return { index: cached, fromCache: true };
  const index = build();
  if (file && key() === before) {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      // Write then rename, so a reader never sees half a file.
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, entryBytes(index));
      renameSync(tmp, file);
    } catch {
      // A read-only cache folder only costs speed.
    }
  }
  return { index, fromCache: false };
}

function entryFile(dir: string, key: string): string {
  return path.join(dir, `${key}.json`);
}

const HEAD = /^\{"kbloat-index":(\d+),"headerBytes":(\d+),"header":/;
const LISTS_START = ',"lists":[\n';
const LISTS_END = ']}\n';

/** An index as a cache entry: the header, then each file's functions and variables. */
function entryBytes(index: BuildIndex): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  // Each file's lists are replaced in place by where their JSON is, so that the keys keep their order.
  const files = index.files.map((f) => {
    const lists = Buffer.from(JSON.stringify([f.functions, f.variables]) + ',\n');
    parts.push(lists);
    const ref = [at, lists.length - 2];
    at += lists.length;
    return { ...f, functions: ref, variables: 0 };
  });
  const header = Buffer.from(JSON.stringify({ ...index, files }));
  // The last list has no comma after it.
  if (parts.length) parts[parts.length - 1] = parts[parts.length - 1].subarray(0, -2);
  const head = Buffer.from(`{"kbloat-index":${INDEX_FORMAT},"headerBytes":${header.length},"header":`);
  return Buffer.concat([head, header, Buffer.from(LISTS_START), ...parts, Buffer.from(LISTS_END)]);
}

/** The index of a cache entry, or undefined when it is missing, of another format or not whole. */
function readEntry(file: string | undefined): BuildIndex | undefined {
  if (!file) return undefined;
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  const m = HEAD.exec(buf.toString('latin1', 0, 80));
  if (!m || Number(m[1]) !== INDEX_FORMAT) return undefined;
  const headerAt = m[0].length;
  const listsAt = headerAt + Number(m[2]) + LISTS_START.length;
  let index: BuildIndex;
  try {
    index = JSON.parse(buf.toString('utf8', headerAt, headerAt + Number(m[2]))) as BuildIndex;
  } catch {
    return undefined;
  }
  if (index.format !== INDEX_FORMAT || !Array.isArray(index.files)) return undefined;
  // The lists must tile the rest of the file exactly: anything else is not an entry we wrote.
  let expected = 0;
  const refs: [number, number][] = [];
  for (const f of index.files) {
    const ref = f.functions as unknown;
    if (!Array.isArray(ref) || ref[0] !== expected || typeof ref[1] !== 'number') return undefined;
    refs.push(ref as [number, number]);
    expected += ref[1] + 2;
  }
  if (listsAt + Math.max(0, expected - 2) + LISTS_END.length !== buf.length) return undefined;
  index.files.forEach((f, i) => lazyLists(f, buf, listsAt + refs[i][0], refs[i][1]));
  return index;
}

/** Makes `functions` and `variables` of a file parse its lists on first use (and then be plain data). */
function lazyLists(f: FileEntry, buf: Buffer, start: number, length: number): void {
  const load = (): void => {
    const [functions, variables] = JSON.parse(buf.toString('utf8', start, start + length)) as [FunctionEntry[], FunctionEntry[]];
    // Redefining a property keeps its place among the keys: the file reads and serializes as before.
    Object.defineProperty(f, 'functions', { value: functions, writable: true, enumerable: true, configurable: true });
    Object.defineProperty(f, 'variables', { value: variables, writable: true, enumerable: true, configurable: true });
  };
  for (const key of ['functions', 'variables'] as const) {
    Object.defineProperty(f, key, {
      get() {
        load();
        return f[key];
      },
      set(value: FunctionEntry[]) {
        load();
        f[key] = value;
      },
      enumerable: true,
      configurable: true,
    });
  }
}
