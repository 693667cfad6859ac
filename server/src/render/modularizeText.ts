/**
 * The two forms of `kbloat modularize`: the table a tinification engineer works
 * down, and the JSON object documented in the README.
 */
import type { ModularizeReport } from '../modularize/analysis';
import { alignTable } from './report';
import { humanSize } from '../shared/units';
import { warningText } from '../common/warnings';

const FIRST_BLOCKER_WIDTH = 110;

export function modularizeJson(r: ModularizeReport): unknown {
  return {
    resident: r.resident,
    residentIfModularized: r.residentIfModularized,
    candidateCount: r.candidateCount,
    unblockedCount: r.unblockedCount,
    candidates: r.candidates,
    warnings: r.warnings.map(warningText),
  };
}

export function modularizeTable(r: ModularizeReport): string {
  const out: string[] = [];
  const table = [['symbol', 'type', 'resident saved', 'init', 'blockers', 'first blocker']];
  for (const c of r.candidates) {
    const b = c.blockers[0];
    const where = b ? `${b.file}${b.line ? `:${b.line}` : ''}` : '';
    const first = b ? `${b.kind} ${where}: ${b.detail}` : '';
    const count = c.blockers.length && c.referringFiles && c.referringFiles > c.blockers.filter((x) => x.kind === 'reference').length
      ? `${c.blockers.length}+` : String(c.blockers.length);
    table.push([c.symbol, c.type, humanSize(c.resident), humanSize(c.init), count, first.length > FIRST_BLOCKER_WIDTH ? first.slice(0, FIRST_BLOCKER_WIDTH - 1) + '…' : first]);
  }
  if (r.candidateCount > r.candidates.length) table.push([`… ${r.candidateCount - r.candidates.length} more`, '', '', '', '', '']);
  out.push(...alignTable(table));
  out.push('');
  const saved = r.resident - r.residentIfModularized;
  out.push(`kernel proper today ${humanSize(r.resident)}, if every unblocked candidate were a module ${humanSize(r.residentIfModularized)} (−${humanSize(saved)})`);
  out.push(`candidates: ${r.candidateCount} · unblocked: ${r.unblockedCount}`);
  for (const w of r.warnings) out.push(`warning: ${warningText(w)}`);
  return out.join('\n') + '\n';
}
