/**
 * A modularization proof as people read it (`kbloat modularize --prove`, and
 * the document the editor opens): predicted against rebuilt per symbol and in
 * total, what make olddefconfig did that the prediction did not say, the
 * blockers a failed rebuild showed, then the user's build against the rebuilt
 * one as `kbloat diff` prints it. And the JSON object of `--json`.
 */
import type { ProofResult } from '../modularize/prove';
import { formatDiff } from './diffText';
import { exactBytes, humanSize, signedSize } from '../shared/units';

export interface ProofFormatOptions {
  /** Rows per table of the diff part (default 25). */
  top?: number;
}

/** The JSON form: the result as it is, the prediction and the diff included. */
export function proofJson(r: ProofResult): unknown {
  return r;
}

/** `−1,234 B` for bytes that leave the kernel proper, as a delta of its size. */
const leaves = (saving: number): string => signedSize(-saving, { exact: true });

function percentText(p: number | null): string {
  if (p === null) return 'n/a';
  const abs = Math.abs(p);
  const s = abs >= 10 ? p.toFixed(0) : abs >= 0.1 ? p.toFixed(1) : p === 0 ? '0' : p.toPrecision(1);
  return `${p > 0 ? '+' : ''}${s}%`;
}

/** Left-aligned text columns (the first `text` ones, and the last when it is a note), right-aligned numbers. */
function align(rows: string[][], text = 1, lastIsText = false): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const last = rows[0].length - 1;
  return rows.map((r) => r.map((cell, i) => (i < text || (lastIsText && i === last) ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd());
}

export function formatProof(r: ProofResult, options: ProofFormatOptions = {}): string {
  const out: string[] = [];
  const asked = r.requested.map((s) => `${s}=m`).join(' ');
  const where = `${r.scratch} (${r.kept ? 'kept' : 'removed'})`;
  out.push(`proof of ${asked}`);
  out.push(`build:   ${r.buildDir}`);
  out.push(`rebuilt: ${where}, in ${r.seconds.toFixed(1)} s`);
  // Each make argument with where it came from: the build, or --make-arg.
  const fromBuild = r.makeVariables.map((v) => `${v.name}=${v.value}`);
  const make = r.makeArgs.map((a, i) => [i === 0 ? 'make:' : '', a, i < fromBuild.length && a === fromBuild[i] ? `from ${r.makeVariables[i].from}` : 'given']);
  out.push(...(make.length ? align([[' '.repeat(7), '', ''], ...make], 3).slice(1) : ['make:    (no variables)']));
  out.push('');

  if (r.outcome === 'build-failed') {
    const step = r.failure?.step === 'olddefconfig' ? 'make olddefconfig' : 'make';
    out.push(`THE REBUILD FAILED: ${step} exited with ${r.failure?.status ?? 'a signal'}`);
    if (r.blockers.length) {
      out.push('', `blockers the analysis missed (${r.blockers.length}):`);
      const rows = [['file', 'symbol', 'found by', 'in']];
      for (const b of r.blockers) rows.push([b.file, b.symbol, b.kind === 'link' ? 'the link of vmlinux' : 'modpost', b.function ? `${b.function}()` : b.module ?? b.object ?? '']);
      out.push(...align(rows, 3, true).map((l) => `  ${l}`));
      out.push('', 'as the tools said it:');
      for (const b of r.blockers) out.push(...b.message.split('\n').map((l) => `  ${l}`));
    } else if (r.failure?.tail) {
      out.push('', `the end of ${step}'s output:`, ...r.failure.tail.split('\n').map((l) => `  ${l}`));
    }
    configSection(out, r);
    warnings(out, r);
    return out.join('\n').replace(/\n+$/, '') + '\n';
  }

  const t = r.totals!;
  const rows = [['symbol', '.config predicted', '.config rebuilt', 'predicted', 'rebuilt', 'error']];
  const cfg = new Map(r.config.map((c) => [c.symbol, c]));
  const arrow = (from: string, to: string | undefined): string => (to === undefined || to === from ? `${from} (unchanged)` : `${from} → ${to}`);
  for (const s of r.symbols ?? []) {
    const c = cfg.get(s.symbol);
    rows.push([s.symbol, c ? arrow(c.before, c.predicted) : '', c ? arrow(c.before, c.after) : '', leaves(s.predicted), leaves(s.rebuilt), signedSize(s.predicted - s.rebuilt, { exact: true, zero: '0 B' })]);
  }
  const part = (label: string, c: { predicted: number; rebuilt: number }): void => {
    if (c.predicted === 0 && c.rebuilt === 0) return;
    rows.push([label, '', '', leaves(c.predicted), leaves(c.rebuilt), signedSize(c.predicted - c.rebuilt, { exact: true, zero: '0 B' })]);
  };
  part('(generated tables: kallsyms, exports)', t.tables);
  part('(linker padding and alignment)', t.padding);
  part('(other built-in files)', t.other);
  rows.push(['total', '', '', leaves(t.predictedSaving), leaves(t.rebuiltSaving), signedSize(t.predictedSaving - t.rebuiltSaving, { exact: true, zero: '0 B' })]);
  out.push(...align(rows, 3));
  out.push('');
  const kp = [['kernel proper (resident)', 'bytes', ''], ['before', exactBytes(t.residentBefore), humanSize(t.residentBefore)], ['predicted after', exactBytes(t.predictedAfter), humanSize(t.predictedAfter)], ['rebuilt after', exactBytes(t.rebuiltAfter), humanSize(t.rebuiltAfter)]];
  out.push(...align(kp, 1));
  const error = signedSize(t.predictedSaving - t.rebuiltSaving, { exact: true, zero: '0 B' });
  out.push(`error of the predicted saving: ${error} (${t.errorPercent === null ? 'the rebuild saved nothing' : `${percentText(t.errorPercent)} of the ${exactBytes(t.rebuiltSaving)} the rebuild saved`})`);
  if (r.prediction.notes.length) for (const n of r.prediction.notes) out.push(`  prediction: ${n}`);
  configSection(out, r);
  warnings(out, r);
  if (r.diff) {
    const d = { ...r.diff, old: { ...r.diff.old, dir: `${r.buildDir} (your build)`, vmlinux: null }, new: { ...r.diff.new, dir: `${r.scratch} (rebuilt)`, vmlinux: null } };
    out.push('', `kbloat diff (your build → rebuilt):`, formatDiff(d, { top: options.top ?? 25, split: false }).trimEnd());
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

/** What make olddefconfig did against what the prediction said. */
function configSection(out: string[], r: ProofResult): void {
  if (r.forcedBack.length) {
    out.push('', 'forced back by make olddefconfig (asked m):');
    for (const f of r.forcedBack) out.push(`  ${f.symbol}=${f.value}${f.predicted ? ' (predicted)' : ' (NOT predicted)'}${f.why ? `: ${f.why}` : ''}`);
  }
  const off = r.config.filter((c) => !c.asked && (c.predicted ?? c.before) !== c.after);
  const missed = off.filter((c) => c.predicted === undefined);
  const wrong = off.filter((c) => c.predicted !== undefined);
  if (missed.length) {
    out.push('', `.config changes the prediction did not have (${missed.length}):`);
    for (const c of missed) out.push(`  ${c.symbol}: ${c.before} → ${c.after}`);
  }
  if (wrong.length) {
    out.push('', `.config changes predicted otherwise (${wrong.length}):`);
    for (const c of wrong) out.push(`  ${c.symbol}: ${c.before} → ${c.after}, predicted ${c.predicted}${c.why ? ` (${c.why})` : ''}`);
  }
  const followed = r.config.filter((c) => !c.asked && c.predicted !== undefined && c.predicted === c.after && c.before !== c.after);
  if (followed.length) out.push('', `.config changes as predicted: ${followed.map((c) => `${c.symbol} ${c.before} → ${c.after}`).join(', ')}`);
  if (r.outcome === 'rebuilt' && !missed.length && !wrong.length && !r.forcedBack.some((f) => !f.predicted)) out.push('', 'make olddefconfig changed the .config as predicted');
}

function warnings(out: string[], r: ProofResult): void {
  if (r.warnings.length) out.push('');
  for (const w of r.warnings) out.push(`warning: ${w}`);
}
