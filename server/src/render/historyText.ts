/**
 * `kbloat history FILE` as text: one line per label with the resident size and
 * its change against the label before, and, when any record has it, the kernel
 * proper with everything modularized (blank for records without it).
 */
import type { HistoryRecord } from '../tracker/history';
import { humanSize, signedSize } from '../shared/units';
import { alignTable } from './report';

/** A percentage change with its sign (`+0.12%`), empty against nothing. */
function percentChange(delta: number, base: number): string {
  if (base === 0) return '';
  const p = (delta / base) * 100;
  return `${p >= 0 ? '+' : ''}${p.toFixed(2)}%`;
}

export function historyTable(records: HistoryRecord[]): string {
  if (records.length === 0) return 'no records\n';
  const floors = records.some((r) => r.modularized !== undefined);
  const lowest = records.some((r) => r.modularized?.floor !== undefined);
  const rows: string[][] = [['label', 'resident', 'delta', ...(floors ? ['modularized'] : []), ...(lowest ? ['floor'] : []), 'image', 'kernel']];
  records.forEach((r, i) => {
    const prev = records[i - 1];
    const d = prev ? r.totals.resident - prev.totals.resident : 0;
    const floor = floors ? [r.modularized ? humanSize(r.modularized.resident) : ''] : [];
    const bottom = lowest ? [r.modularized?.floor !== undefined ? humanSize(r.modularized.floor) : ''] : [];
    rows.push([r.label, humanSize(r.totals.resident), prev ? `${signedSize(d, { zero: '0' })} (${percentChange(d, prev.totals.resident)})` : '', ...floor, ...bottom, humanSize(r.totals.image), r.kernelVersion ?? '']);
  });
  return alignTable(rows).join('\n') + '\n';
}
