/**
 * What the source tree says about each object of the build: its source file
 * (from its `.cmd` file), why it is built (the Kbuild Makefile line and the
 * Kconfig symbols along the way), and which sources next to it are not built.
 *
 * This is pure reading of text files, independent of vmlinux, so the build index
 * runs it in a worker thread while the main thread reads the ELF and the linker
 * map: on a full tree the Makefile evaluation is the slowest part of a cold index.
 */
import { listDir, readText } from '../common/fsRead';
import * as path from 'node:path';
import { KernelConfig, parseDotConfig } from './dotconfig';
import { KbloatInputError } from '../common/errors';
import { startSyncJob } from '../common/worker';
import { builtInObjects, libArchiveMembers, readModules } from './buildObjects';
import { KbuildTree } from './makefiles';
import { objectSource } from './objects';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import type { BuildLayout } from './layout';
import type { Warning } from '../common/warnings';

export interface ObjectFacts {
  source?: string;
  reason?: string;
  config?: { name: string; value: string }[];
  /** The composite object this one is linked into (`drivers/tty/serial/8250/8250.o`), when there is one. */
  composite?: string;
}

export interface NotBuiltFile {
  path: string;
  object: string;
  reason: string;
  config?: { name: string; value: string }[];
}

export interface SourceFactsRequest {
  layout: BuildLayout;
  /** Objects of vmlinux and of modules (build-relative); default: all the build's archives and modules name. */
  objects?: string[];
  /**
   * A folder where the facts are kept between runs, with the stamps of every
   * file and folder they were read from (Makefiles, `.cmd` files, folders
   * listed, the configuration): a rebuilt vmlinux with the same Makefiles and
   * objects needs no Kbuild evaluation. None: computed afresh, nothing kept.
   */
  cacheDir?: string;
}

/** Every object the build's archives and module lists name. */
function allBuildObjects(layout: BuildLayout): string[] {
  const warnings: Warning[] = [];
  return [
    ...new Set([
      ...builtInObjects(layout, undefined),
      ...readModules(layout, warnings).flatMap((m) => m.objects),
      ...libArchiveMembers(layout, warnings).keys(),
    ]),
  ];
}

export interface SourceFacts {
  facts: Record<string, ObjectFacts>;
  notBuilt: NotBuiltFile[];
}


export function readConfig(layout: BuildLayout): KernelConfig | undefined {
  const text = readText(layout.config);
  return text === undefined ? undefined : parseDotConfig(text, layout.config);
}

/**
 * The source file an object was built from, relative to the source tree: its
 * `.cmd` file's `source_` line, else a source next to where the object would
 * be (objects.ts's objectSource), with the files read put in `inputs`: the
 * facts are cached against their stamps.
 */
function sourceOf(layout: BuildLayout, obj: string, inputs: Set<string> | undefined): string | undefined {
  return objectSource(layout, obj, inputs);
}

/** Objects made by the link itself (kallsyms, export tables), not from a source file. */
export function isGeneratedObject(obj: string): boolean {
  const base = path.basename(obj);
  return base.startsWith('.tmp_') || base.startsWith('.vmlinux') || base === 'vmlinux.o';
}

export function computeSourceFacts(req: SourceFactsRequest): SourceFacts {
  if (!req.cacheDir) return factsOf(req, undefined);
  const objects = req.objects ?? allBuildObjects(req.layout);
  const file = path.join(req.cacheDir, `kbuild-${hash([FACTS_FORMAT, req.layout.buildDir, req.layout.sourceDir].join('\0'))}.facts`);
  const key = hash(objects.join('\n'));
  const cached = readFactsEntry(file, key);
  if (cached) return cached;
  const inputs = new Set<string>();
  const facts = factsOf({ ...req, objects }, inputs);
  writeFactsEntry(file, key, inputs, facts);
  return facts;
}

/** The facts of the request; every file and folder read is added to `inputs` when given. */
function factsOf(req: SourceFactsRequest, inputs: Set<string> | undefined): SourceFacts {
  const { layout } = req;
  if (layout.config) inputs?.add(layout.config);
  const config = readConfig(layout);
  // Reasons only need the cheap, local lookups: a tree-wide search for the rare
  // `foo-y += ../bar/baz.o` forms would parse every Makefile of the tree.
  const kbuild = new KbuildTree(
    (rel) => {
      const file = path.join(layout.sourceDir, rel);
      inputs?.add(file);
      return readText(file);
    },
    { treeWideLookup: false },
  );
  const explain = (obj: string): Pick<ObjectFacts, 'reason' | 'config' | 'composite'> & { status?: string } => {
    if (!config) return {};
    try {
      const r = kbuild.explainObject(obj, config);
      const composite = r.chain.find((l) => l.kind === 'composite')?.composite;
      return { reason: r.text, ...(r.configSymbols.length ? { config: r.configSymbols } : {}), status: r.status, ...(composite ? { composite } : {}) };
    } catch (e) {
      if (e instanceof KbloatInputError) return { reason: `unknown (${e.message})` };
      throw e;
    }
  };
  const facts: Record<string, ObjectFacts> = {};
  for (const obj of req.objects ?? allBuildObjects(layout)) {
    if (isGeneratedObject(obj)) {
      facts[obj] = { reason: 'generated by the kernel build' };
      continue;
    }
    const { status: _status, ...why } = explain(obj);
    facts[obj] = { source: sourceOf(layout, obj, inputs), ...why };
  }
  return { facts, notBuilt: config ? notBuiltFiles(layout, kbuild, config, facts, explain, inputs) : [] };
}

/** Changes whenever what a facts entry holds, or how it is keyed, does. */
const FACTS_FORMAT = 1;

interface FactsEntry {
  format: number;
  /** The objects asked about. */
  objects: string;
  /** Every file and folder read, with its stamp when it was stored. */
  inputs: [string, string][];
  facts: SourceFacts;
}

/** A 53-bit hash of a text, in hex (cyrb53): enough to key entries; node:crypto would cost the worker its loading. */
function hash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

/** Size and modification time, or 'missing': what says a file or folder is not the one read. */
function stampOf(p: string): string {
  const st = statSync(p, { throwIfNoEntry: false });
  return st ? `${st.size}:${st.mtimeMs}` : 'missing';
}

/** The facts of a current entry: same objects, and every input as it was. */
function readFactsEntry(file: string, key: string): SourceFacts | undefined {
  let entry: FactsEntry;
  try {
    entry = JSON.parse(readFileSync(file, 'utf8')) as FactsEntry;
  } catch {
    return undefined;
  }
  if (entry.format !== FACTS_FORMAT || entry.objects !== key || !Array.isArray(entry.inputs)) return undefined;
  for (const [p, stamp] of entry.inputs) if (stampOf(p) !== stamp) return undefined;
  return entry.facts;
}

function writeFactsEntry(file: string, key: string, inputs: Set<string>, facts: SourceFacts): void {
  const entry: FactsEntry = { format: FACTS_FORMAT, objects: key, inputs: [...inputs].map((p) => [p, stampOf(p)]), facts };
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    // Write then rename, so that a reader never sees half a file.
    const tmp = `${file}.${process.pid}.${threadId}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, file);
  } catch {
    // A read-only cache folder only costs speed.
  }
}

/**
 * Sources that a Makefile names in a folder the build visited but whose condition
 * is off: the user sees them in the tree, so we call them "not built" rather than
 * leave them out. Only sources that exist are listed.
 */
function notBuiltFiles(
  layout: BuildLayout,
  kbuild: KbuildTree,
  config: KernelConfig,
  facts: Record<string, ObjectFacts>,
  explain: (obj: string) => { reason?: string; config?: ObjectFacts['config']; status?: string },
  inputs: Set<string> | undefined,
): NotBuiltFile[] {
  const knownObjects = new Set(Object.keys(facts));
  const knownPaths = new Set(Object.values(facts).map((f) => f.source).filter(Boolean));
  const dirs = new Set(Object.keys(facts).filter((o) => !isGeneratedObject(o)).map((o) => path.dirname(o)));
  const out: NotBuiltFile[] = [];
  for (const dir of dirs) {
    const rel = dir === '.' ? '' : dir;
    let present: Set<string> | undefined;
    for (const l of kbuild.objectsNamed(rel, config)) {
      if (l.kind === 'subdir' || !l.target.endsWith('.o') || knownObjects.has(l.target)) continue;
      // One directory listing per folder instead of a stat per candidate.
      if (!present) inputs?.add(path.join(layout.sourceDir, rel));
      present ??= new Set(listDir(path.join(layout.sourceDir, rel)));
      const stem = l.target.replace(/\.o$/, '');
      const src = ['.c', '.S'].map((e) => stem + e).find((p) => present!.has(path.basename(p)) && path.dirname(p) === dir);
      if (!src || knownPaths.has(src)) continue;
      const why = explain(l.target);
      if (why.status !== 'not-built' || !why.reason) continue;
      knownPaths.add(src);
      knownObjects.add(l.target);
      out.push({ path: src, object: l.target, reason: why.reason, ...(why.config ? { config: why.config } : {}) });
    }
  }
  return out;
}


const WORKER_FILE = 'sourceFactsWorker.js';
const WORKER_TIMEOUT_MS = 120_000;

/**
 * Starts computing the source facts in a worker thread (dist/sourceFactsWorker.js,
 * next to the running bundle) and returns a function that waits for them
 * (synchronously, so that indexing stays a plain function). Where the bundled
 * worker is not available (running from sources), or the worker fails, the
 * facts are computed on the calling thread instead.
 */
export function startSourceFacts(req: SourceFactsRequest): { join: () => SourceFacts; cancel: () => void } {
  return startSyncJob(computeSourceFacts, req, { workerFile: path.join(__dirname, WORKER_FILE), timeoutMs: WORKER_TIMEOUT_MS });
}
