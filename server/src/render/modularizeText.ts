/**
 * The two forms of `kbloat modularize`: the table a tinification engineer works
 * down, and the JSON object documented in the README.
 */
import type { ModularizeReport } from '../modularize/analysis';
import { alignTable } from './report';
import { humanSize } from '../shared/units';
import { warningText } from '../common/warnings';

const FIRST_BLOCKER_WIDTH = 110;
const MAX_GROUPS_LISTED = 10;

/** `CONFIG_A and CONFIG_B`, `CONFIG_A, CONFIG_B and CONFIG_C`. */
function listed(symbols: string[]): string {
  return symbols.length < 2 ? symbols.join('') : `${symbols.slice(0, -1).join(', ')} and ${symbols[symbols.length - 1]}`;
}

/**
 * The essay's number: the kernel proper today, without every unblocked
 * candidate, and the floor (by .config alone, then with bool→tristate edits).
 */
export function essayLine(r: Pick<ModularizeReport, 'resident' | 'residentIfModularized' | 'floor'>): string {
  const less = (n: number) => `${humanSize(n)} (−${humanSize(r.resident - n)})`;
  let line = `kernel proper today ${humanSize(r.resident)} → without every unblocked candidate ${less(r.residentIfModularized)}`;
  if (r.floor) {
    const n = r.floor.tristateEdits.length;
    line += ` → floor ${less(r.floor.withTristate)}`;
    if (n) line += ` with ${n} bool${n === 1 ? '' : 's'} made tristate, ${less(r.floor.config)} by .config alone`;
  }
  return line;
}

export function modularizeJson(r: ModularizeReport): unknown {
  return {
    resident: r.resident,
    residentIfModularized: r.residentIfModularized,
    ...(r.floor ? { floor: r.floor } : {}),
    groups: r.groups,
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
  if (r.groups.length) {
    out.push('moves that go together (each blocked alone):');
    for (const g of r.groups.slice(0, MAX_GROUPS_LISTED)) {
      const edits = g.bools.length ? ` (with ${g.bools.join(', ')} made tristate)` : '';
      out.push(`  ${listed(g.symbols)} together save ${humanSize(g.resident)}${edits}`);
    }
    if (r.groups.length > MAX_GROUPS_LISTED) out.push(`  … ${r.groups.length - MAX_GROUPS_LISTED} more (--json lists them all)`);
    out.push('');
  }
  out.push(essayLine(r));
  out.push(`candidates: ${r.candidateCount} · unblocked: ${r.unblockedCount}`);
  for (const w of r.warnings) out.push(`warning: ${warningText(w)}`);
  return out.join('\n') + '\n';
}
