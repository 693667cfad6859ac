/**
 * `kbloat check`: size budgets for CI. A budget is an absolute ceiling on the
 * resident or image size, or a ceiling on resident growth against a baseline
 * build. A broken budget is reported with the files that contribute most, so
 * the reader knows where to look. A broken growth budget passes when the commit
 * under test justifies the growth in a `Kernel-Size-Justification:` trailer
 * (justification.ts); the reason is printed with the budget it waives. Absolute
 * ceilings are never waived: they are raised, in the CI file, on purpose.
 */
import type { BuildIndex } from '../index/model';
import { diffBuilds } from './diff';
import { signedSize } from '../shared/units';
import { humanSize } from '../shared/units';
import { ClassBytes, residentBytes, sumBytes } from '../binary/sections';
import { JUSTIFICATION_TRAILER, Justification } from './justification';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * A size in bytes from `1.5M`, `800K`, `1G`, `1.5MiB`, `800KB`, `100B` or plain `123456`.
 * Kernel people count in powers of two, so K, KB and KiB all mean 1024.
 * Returns undefined for anything else.
 */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(?:([kmgKMG])(?:i?[bB]|i)?|([bB]))?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? m[3] ?? '').toLowerCase();
  const n = Number(m[1]) * UNITS[unit];
  return Number.isFinite(n) ? Math.floor(n) : undefined;
}

/** A percentage from `2`, `2%` or `0.5`; undefined for anything else. */
export function parsePercent(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%?\s*$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

export interface Budgets {
  maxResident?: number;
  maxImage?: number;
  /** Percent of the baseline's resident size. */
  maxGrowth?: number;
}

export interface Contributor {
  path: string;
  bytes: number;
}

export interface BudgetVerdict {
  budget: 'resident' | 'image' | 'growth';
  ok: boolean;
  /** The one-line statement of the figure against its budget. */
  message: string;
  /** For a broken budget: the largest files, or the largest growers against the baseline. */
  contributors: Contributor[];
  /** For a broken growth budget, when a commit was asked for its justification: that commit and its reasons (none: not justified). */
  justification?: Justification;
}

const TOP = 5;

function largestFiles(index: BuildIndex, measure: (b: ClassBytes) => number): Contributor[] {
  return index.files
    .filter((f) => f.status === 'built-in')
    .map((f) => ({ path: f.path, bytes: measure(f.bytes) }))
    .filter((c) => c.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path))
    .slice(0, TOP);
}

function absolute(what: 'resident' | 'image', value: number, budget: number, index: BuildIndex): BudgetVerdict {
  if (value <= budget) return { budget: what, ok: true, message: `${what} ${humanSize(value)} (budget ${humanSize(budget)})`, contributors: [] };
  const measure = what === 'resident' ? residentBytes : sumBytes;
  return {
    budget: what,
    ok: false,
    message: `${what} ${humanSize(value)} exceeds budget ${humanSize(budget)} by ${humanSize(value - budget)}`,
    contributors: largestFiles(index, measure),
  };
}

/** Percent with at most two decimals and no trailing zeros: 2, 2.5, 0.12. */
function pct(n: number): string {
  return `${Number(n.toFixed(2))}%`;
}

/**
 * The verdict of each budget. `justification` is what the commit under test
 * says of its growth: a broken growth budget with a reason there passes.
 */
export function checkBudgets(index: BuildIndex, budgets: Budgets, baseline?: BuildIndex, justification?: Justification): BudgetVerdict[] {
  const out: BudgetVerdict[] = [];
  if (budgets.maxResident !== undefined) out.push(absolute('resident', index.totals.resident, budgets.maxResident, index));
  if (budgets.maxImage !== undefined) out.push(absolute('image', index.totals.image, budgets.maxImage, index));
  if (budgets.maxGrowth !== undefined && baseline) {
    const before = baseline.totals.resident;
    const delta = index.totals.resident - before;
    // Growth from nothing is infinite unless nothing grew.
    const growth = before > 0 ? (delta * 100) / before : delta > 0 ? Infinity : 0;
    const what = `resident growth ${growth >= 0 ? '+' : ''}${pct(growth)}`;
    if (growth <= budgets.maxGrowth) out.push({ budget: 'growth', ok: true, message: `${what} (${signedSize(delta)}; budget ${pct(budgets.maxGrowth)})`, contributors: [] });
    else {
      const growers = diffBuilds(baseline, index).files
        .filter((f) => f.resident > 0)
        .sort((a, b) => b.resident - a.resident || a.path.localeCompare(b.path))
        .slice(0, TOP)
        .map((f) => ({ path: f.path, bytes: f.resident }));
      const message = `${what} (${signedSize(delta)} over the baseline) exceeds budget ${pct(budgets.maxGrowth)} by ${Number((growth - budgets.maxGrowth).toFixed(2))} percentage points`;
      out.push({ budget: 'growth', ok: false, message, contributors: growers, ...(justification ? { justification } : {}) });
    }
  }
  return out;
}

/** True for a broken budget that its commit justifies. */
export function isJustified(v: BudgetVerdict): boolean {
  return !v.ok && (v.justification?.reasons.length ?? 0) > 0;
}

/** The check passes (exit 0) when every budget holds or is justified. */
export function checkPasses(verdicts: BudgetVerdict[]): boolean {
  return verdicts.every((v) => v.ok || isJustified(v));
}

/** A commit as people quote it: the first 12 digits of its hash. */
function shortCommit(hash: string): string {
  return hash.slice(0, 12);
}

/**
 * The report: one OK line when every budget holds, else one line per broken
 * budget and its top contributors. A justified budget's line starts with
 * `justified:` and is followed by the reason (`Kernel-Size-Justification
 * (COMMIT): …`); an unjustified one, when a commit was asked, says that the
 * commit gives none.
 */
export function formatVerdicts(verdicts: BudgetVerdict[]): string {
  if (verdicts.every((v) => v.ok)) return `OK: ${verdicts.map((v) => v.message).join(' · ')}\n`;
  const out: string[] = [];
  for (const v of verdicts.filter((x) => !x.ok)) {
    const j = v.justification;
    if (j && isJustified(v)) {
      out.push(`justified: ${v.message}`);
      for (const reason of j.reasons) out.push(`  ${JUSTIFICATION_TRAILER} (${shortCommit(j.commit)}): ${reason}`);
    } else {
      out.push(v.message);
      if (j) out.push(`  not justified: commit ${shortCommit(j.commit)} has no ${JUSTIFICATION_TRAILER} trailer`);
    }
    const sizes = v.contributors.map((c) => (v.budget === 'growth' ? signedSize(c.bytes) : humanSize(c.bytes)));
    const w = Math.max(0, ...sizes.map((s) => s.length));
    v.contributors.forEach((c, i) => out.push(`  ${sizes[i].padStart(w)}  ${c.path}`));
  }
  return out.join('\n') + '\n';
}
