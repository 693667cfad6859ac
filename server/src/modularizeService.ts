/**
 * The feasibility analysis of a build (core/modularize.ts), kept with its
 * index and seen the way the planner needs it. It is made on first use — a
 * code action request — since it reads every built-in object's symbol table
 * and the whole Kconfig tree, which lenses never need.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import type { BuildIndex, FileEntry } from './core/buildIndex';
import { Blocker, Candidate, FileModularization, ModularizeAnalysis } from './core/modularize';
import { residentBytes } from './core/sections';
import type { ModularizeView, PlanBlocker, PlanCandidate, PlanFile } from './modularizePlan';

/**
 * By build (folder, build-id, image size, .config), not by index object: the index of a
 * build arrives twice (its figures, then with DWARF's facts), and the analysis
 * of the first serves the second. A few builds at most (baselines, O= folders).
 */
const views = new Map<string, ModularizeView>();
const MAX_VIEWS = 4;

export function modularizeView(index: BuildIndex, load: boolean, log: (message: string) => void): ModularizeView | undefined {
  const key = `${index.build.dir}\0${index.build.buildId ?? ''}\0${index.totals.image}\0${stamp(path.join(index.build.dir, '.config'))}`;
  let v = views.get(key);
  if (!v && load) {
    const analysis = ModularizeAnalysis.load(index);
    const why = analysis.unavailableReason();
    if (why) log(`kbloat: Modularize actions are off for ${index.build.dir}: ${why}`);
    v = new AnalysisView(index, analysis);
    views.set(key, v);
    for (const old of views.keys()) if (views.size > MAX_VIEWS) views.delete(old);
  }
  return v;
}

/** The .config's size and time: the analysis reads it, so a changed one needs a new analysis. */
function stamp(file: string): string {
  try {
    const st = statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return 'none';
  }
}

class AnalysisView implements ModularizeView {
  private readonly byObject = new Map<string, FileEntry>();

  constructor(private readonly index: BuildIndex, private readonly analysis: ModularizeAnalysis) {
    for (const f of index.files) if (f.status === 'built-in' || !this.byObject.has(f.object)) this.byObject.set(f.object, f);
  }

  forFile(sourcePath: string): PlanFile | undefined {
    const m = this.analysis.forFile(sourcePath);
    const entry = m ? this.index.files.find((f) => f.object === m.object) : undefined;
    return m && entry ? toPlanFile(m, entry) : undefined;
  }

  forObject(objectPath: string): PlanFile | undefined {
    const entry = this.byObject.get(objectPath);
    return entry ? this.forFile(entry.path) : undefined;
  }

  candidate(symbol: string): PlanCandidate | undefined {
    const c = this.analysis.candidate(symbol);
    return c ? toPlanCandidate(c) : undefined;
  }

  symbolExists(name: string): boolean {
    return this.analysis.kconfigSymbolExists(name);
  }
}

function toPlanCandidate(c: Candidate): PlanCandidate {
  return {
    symbol: c.symbol,
    type: c.type,
    value: c.value,
    files: c.files,
    resident: c.resident,
    init: c.init,
    blockers: c.blockers.map(toPlanBlocker),
    ...(c.definition ? { definition: { file: c.definition.file, line: c.definition.line } } : {}),
  };
}

function toPlanBlocker(b: Blocker): PlanBlocker {
  return { kind: b.kind, file: b.file, ...(b.line ? { line: b.line } : {}), detail: b.detail, ...(b.symbol ? { symbol: b.symbol } : {}), ...(b.symbols ? { symbols: b.symbols } : {}), ...(b.by ? { by: b.by } : {}) };
}

function toPlanFile(m: FileModularization, entry: FileEntry): PlanFile {
  return {
    file: m.file,
    object: m.object,
    resident: residentBytes(entry.bytes),
    init: entry.bytes.init ?? 0,
    ...(m.candidate ? { candidate: toPlanCandidate(m.candidate) } : {}),
    ...(m.makefileLine ? { makefileLine: { file: m.makefileLine.file, line: m.makefileLine.line, listVar: m.makefileLine.listVar } } : {}),
    ...(m.kconfigFile ? { kconfigFile: m.kconfigFile } : {}),
    ...(m.objectBlockers ? { objectBlockers: m.objectBlockers.map(toPlanBlocker) } : {}),
    ...(entry.config ? { chainSymbols: entry.config } : {}),
    ...(m.unavailable ? { unavailable: m.unavailable } : {}),
  };
}
