/**
 * How sizes read, in the editor, the CLI and the pages alike. Kernel people
 * count bytes: below 10 KiB a size is shown exactly with thousands separators
 * (`1,234 B`), above in KiB or MiB with one decimal. The exact figure is always
 * in the hover. Imported by both sides: no dependency of its own.
 */

export function humanSize(n: number): string {
  const abs = Math.abs(n);
  if (abs < 10 * 1024) return `${grouped(n)} B`;
  if (abs < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

export interface SignedSizeOptions {
  /** What a zero reads as (default `0 B`). */
  zero?: string;
  /** The minus sign: ASCII for tables and terminals (default), U+2212 for editor text. */
  minus?: '-' | '\u2212';
  /** Every byte (`+4,160 B`) instead of the readable size (`+4.1 KiB`). */
  exact?: boolean;
}

/** A change in bytes with its sign: `+1.2 KiB`, `-96 B`. */
export function signedSize(n: number, options: SignedSizeOptions = {}): string {
  const size = options.exact ? exactBytes : humanSize;
  if (n === 0) return options.zero ?? size(0);
  return n > 0 ? `+${size(n)}` : `${options.minus ?? '-'}${size(-n)}`;
}

export function exactBytes(n: number): string {
  return `${grouped(n)} B`;
}

/**
 * An integer with thousands separators, as `toLocaleString('en-US')` writes it,
 * without the ICU start-up that call costs the first time (tens of milliseconds,
 * on the way to the first lens).
 */
export function grouped(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = digits.length > 3 ? digits.replace(/\B(?=(\d{3})+$)/g, ',') : digits;
  if (n < 0) out = `-${out}`;
  return out;
}

export function percent(part: number, whole: number): string {
  if (whole <= 0) return '0%';
  const p = (100 * part) / whole;
  return p >= 1 ? `${p.toFixed(1)}%` : `${p.toPrecision(2)}%`;
}
