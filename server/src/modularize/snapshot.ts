/**
 * Everything the Modularize actions, lens and diagnostic notes need from the
 * feasibility analysis (analysis.ts) of one build, as plain data: made
 * in a worker thread (modularizeWorker.ts), since the analysis reads every
 * built-in object's symbol table and the whole Kconfig tree, and looked up on
 * the server's thread without further I/O.
 */
import type { BuildIndex, FileEntry } from '../index/model';
import { Blocker, Candidate, FileModularization, ModularizeAnalysis, ModularizeHeadline } from './analysis';
import { residentBytes } from '../binary/sections';
import type { ModularizeView, PlanBlocker, PlanCandidate, PlanFile } from './plan';

export interface ModularizeSnapshot {
  /** Why nothing can be modularized in this build (no .config, no Kconfig tree). */
  unavailable?: string;
  /** Source path → what can be done for it. */
  files: Record<string, PlanFile>;
  /** Object path → source path. */
  objects: Record<string, string>;
  /** `CONFIG_X` → its candidate, for every symbol that puts built-in code into vmlinux. */
  candidates: Record<string, PlanCandidate>;
  /** Every Kconfig symbol name, for naming a new option. */
  kconfigSymbols: string[];
  /** The headline figures of `kbloat modularize`, for the status bar. */
  essay?: ModularizeHeadline;
}

/** Runs the analysis of a build to the end (the worker's job; tests call it directly). */
export function makeModularizeSnapshot(index: BuildIndex): ModularizeSnapshot {
  const analysis = ModularizeAnalysis.load(index);
  const unavailable = analysis.unavailableReason();
  const files: ModularizeSnapshot['files'] = {};
  const objects: ModularizeSnapshot['objects'] = {};
  const candidates: ModularizeSnapshot['candidates'] = {};
  if (!unavailable) {
    for (const symbol of analysis.candidateSymbols()) {
      const c = analysis.candidate(symbol);
      if (c) candidates[symbol] = toPlanCandidate(c);
    }
    const byObject = new Map(index.files.filter((f) => f.status === 'built-in').map((f) => [f.object, f]));
    for (const entry of byObject.values()) {
      if (files[entry.path]) continue;
      const m = analysis.forFile(entry.path);
      if (!m) continue;
      files[entry.path] = toPlanFile(m, byObject.get(m.object) ?? entry);
      objects[m.object] = entry.path;
    }
  }
  let essay: ModularizeHeadline | undefined;
  if (!unavailable) {
    const r = analysis.report({ top: 0 });
    essay = {
      resident: r.resident,
      residentIfModularized: r.residentIfModularized,
      unblocked: r.unblockedCount,
      ...(r.floor ? { floor: r.floor.withTristate, floorByConfig: r.floor.config, tristateEdits: r.floor.tristateEdits.length } : {}),
    };
  }
  return { ...(unavailable ? { unavailable } : {}), files, objects, candidates, kconfigSymbols: analysis.kconfigSymbolNames(), ...(essay ? { essay } : {}) };
}

/** The planner's view of a snapshot. */
export function snapshotView(s: ModularizeSnapshot): ModularizeView {
  const names = new Set(s.kconfigSymbols);
  return {
    forFile: (sourcePath) => s.files[sourcePath],
    forObject: (objectPath) => (s.objects[objectPath] ? s.files[s.objects[objectPath]] : undefined),
    candidate: (symbol) => s.candidates[symbol],
    symbolExists: (name) => names.has(name.replace(/^CONFIG_/, '')),
    essay: () => s.essay,
  };
}

function toPlanBlocker(b: Blocker): PlanBlocker {
  return { kind: b.kind, file: b.file, ...(b.line ? { line: b.line } : {}), detail: b.detail, ...(b.symbol ? { symbol: b.symbol } : {}), ...(b.symbols ? { symbols: b.symbols } : {}), ...(b.by ? { by: b.by } : {}) };
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
