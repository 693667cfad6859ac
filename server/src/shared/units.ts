/**
 * How sizes read in the editor. Kernel people count bytes: below 10 KiB a size is
 * shown exactly with thousands separators (`1,234 B`), above in KiB or MiB with
 * one decimal. The exact figure is always in the hover.
 */
export { humanSize } from '../render/report';

export function exactBytes(n: number): string {
  return `${n.toLocaleString('en-US')} B`;
}

export function percent(part: number, whole: number): string {
  if (whole <= 0) return '0%';
  const p = (100 * part) / whole;
  return p >= 1 ? `${p.toFixed(1)}%` : `${p.toPrecision(2)}%`;
}
