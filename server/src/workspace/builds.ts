/**
 * Which kernel build serves which document. Each workspace folder gets the build
 * its kbloat.buildDirectory setting names, or the one discovered inside it; each
 * build folder is indexed once (an IndexService), however many folders share it.
 */
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { findBuildCandidates } from './discover';
import { IndexService, IndexServiceListener, IndexServiceOptions } from './indexService';
import type { Settings } from './settings';
import { URI } from './uri';

export interface WorkspaceFolderInfo {
  uri: string;
  path: string;
}

export interface BuildsListener extends IndexServiceListener {
  /** Several builds and no setting: the client should ask the user. */
  candidates(folder: string, candidates: string[]): void;
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

export class Builds {
  private readonly services = new Map<string, IndexService>();
  private readonly folderBuild = new Map<string, string | undefined>();
  /** Debug vmlinux files (kbloat.vmlinux) -> the source tree (workspace folder) they are read with. */
  private readonly distroSource = new Map<string, string>();
  /** Baseline builds (kbloat.baselineBuildDirectory), indexed quietly: their state is not the status bar's. */
  private readonly baselines = new Map<string, IndexService>();
  private readonly folderBaseline = new Map<string, string | undefined>();
  private folders: WorkspaceFolderInfo[] = [];

  constructor(
    private readonly settings: Settings,
    private readonly listener: BuildsListener,
    private readonly options: IndexServiceOptions,
  ) {}

  /** (Re)reads settings and discovers builds for every workspace folder. */
  async configure(folders: WorkspaceFolderInfo[]): Promise<void> {
    this.folders = folders;
    const wanted = new Set<string>();
    const wantedBaselines = new Set<string>();
    for (const f of folders) {
      const s = await this.settings.get(f.uri);
      let dir: string | undefined;
      if (s.buildDirectory) {
        dir = real(path.isAbsolute(s.buildDirectory) ? s.buildDirectory : path.join(f.path, s.buildDirectory));
      } else {
        const candidates = findBuildCandidates(f.path).map(real);
        if (candidates.length === 1) dir = candidates[0];
        else if (candidates.length > 1) this.listener.candidates(f.path, candidates);
        else if (s.vmlinux) {
          // No build here: a distro's debug vmlinux, with this folder as its source tree.
          dir = real(path.isAbsolute(s.vmlinux) ? s.vmlinux : path.join(f.path, s.vmlinux));
          this.distroSource.set(dir, f.path);
        } else this.listener.status({ state: 'no-build', message: `no kernel build (vmlinux or System.map) in ${f.path}: run make, or set kbloat.buildDirectory to your O= folder` });
      }
      this.folderBuild.set(f.path, dir);
      if (dir) wanted.add(dir);
      const base = s.baselineBuildDirectory ? real(path.isAbsolute(s.baselineBuildDirectory) ? s.baselineBuildDirectory : path.join(f.path, s.baselineBuildDirectory)) : undefined;
      this.folderBaseline.set(f.path, base);
      if (base) wantedBaselines.add(base);
    }
    for (const [dir, svc] of this.baselines) {
      if (!wantedBaselines.has(dir)) {
        svc.dispose();
        this.baselines.delete(dir);
      }
    }
    for (const dir of wantedBaselines) {
      if (this.baselines.has(dir)) continue;
      const svc = new IndexService(dir, { status: () => undefined, indexed: (l) => this.listener.indexed?.(l) }, this.options);
      this.baselines.set(dir, svc);
      svc.start();
    }
    for (const [dir, svc] of this.services) {
      if (!wanted.has(dir)) {
        svc.dispose();
        this.services.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.services.has(dir)) continue;
      const source = this.distroSource.get(dir);
      const svc = new IndexService(dir, this.listener, source ? { ...this.options, distro: { source } } : this.options);
      this.services.set(dir, svc);
      svc.start();
    }
  }

  /** The build of the workspace folder that holds this document (or of the only build). */
  forDocument(uri: string): IndexService | undefined {
    const p = URI.toFsPath(uri);
    if (p) {
      const folder = this.folders.filter((f) => p === f.path || p.startsWith(f.path + path.sep)).sort((a, b) => b.path.length - a.path.length)[0];
      const dir = folder ? this.folderBuild.get(folder.path) : undefined;
      if (dir) return this.services.get(dir);
      // A document outside every folder: the build whose source tree holds it.
      for (const svc of this.services.values()) {
        const src = svc.lookups?.index.build.sourceDir;
        if (src && (p.startsWith(src + path.sep) || p.startsWith(svc.buildDir + path.sep))) return svc;
      }
    }
    return this.services.size === 1 ? [...this.services.values()][0] : undefined;
  }

  /** The baseline build of the workspace folder that holds this document, when one is set. */
  baselineForDocument(uri: string): IndexService | undefined {
    const p = URI.toFsPath(uri);
    const folder = p ? this.folders.filter((f) => p === f.path || p.startsWith(f.path + path.sep)).sort((a, b) => b.path.length - a.path.length)[0] : this.folders[0];
    const dir = folder ? this.folderBaseline.get(folder.path) : [...this.folderBaseline.values()].find(Boolean);
    return dir ? this.baselines.get(dir) : undefined;
  }

  /**
   * Whether a file lies inside a workspace folder, links resolved: code actions
   * edit nothing else (an O= build's .config, a source tree elsewhere).
   */
  inWorkspace(file: string): boolean {
    const p = real(file);
    return this.folders.some((f) => {
      const root = real(f.path);
      return p === root || p.startsWith(root + path.sep);
    });
  }

  all(): IndexService[] {
    return [...this.services.values()];
  }

  reindexAll(): void {
    for (const s of this.services.values()) s.reindex();
  }

  dispose(): void {
    for (const s of this.services.values()) s.dispose();
    for (const s of this.baselines.values()) s.dispose();
    this.services.clear();
    this.baselines.clear();
  }
}

/** The path of a document relative to a build's source tree, as the index names files. */
export function sourcePathOf(svc: IndexService, uri: string): string | undefined {
  const p = URI.toFsPath(uri);
  const build = svc.lookups?.index.build;
  if (!p || !build) return undefined;
  const rp = real(p);
  for (const root of [build.sourceDir, build.dir]) {
    const rel = path.relative(root, rp);
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  }
  return undefined;
}
