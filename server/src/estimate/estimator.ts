/**
 * Estimates how many bytes a function will add before anything is compiled.
 * The model is a least-squares fit of size against simple counts from the
 * tree-sitter syntax tree (calls, branches, loops, statements, body length),
 * calibrated on the functions of the current build itself, and it reports its
 * own error measured on functions of that build it was not fitted on.
 */
import type { Tree } from 'web-tree-sitter';
import type { CFunction } from '../c/functions';

/** Syntax node types whose counts are the features (plus a constant and the body length). */
const COUNTED = [
  'call_expression',
  'if_statement',
  'for_statement',
  'while_statement',
  'do_statement',
  'switch_statement',
  'case_statement',
  'return_statement',
  'expression_statement',
  'declaration',
  'assignment_expression',
  'binary_expression',
] as const;

export type Features = number[];

export function functionFeatures(tree: Tree, fn: CFunction): Features {
  const start = { row: fn.range.start.line, column: fn.range.start.character };
  const end = { row: fn.range.end.line, column: fn.range.end.character };
  const counts = new Map<string, number>();
  for (const n of tree.rootNode.descendantsOfType([...COUNTED], start, end)) if (n) counts.set(n.type, (counts.get(n.type) ?? 0) + 1);
  const lines = fn.range.end.line - fn.range.start.line + 1;
  return [1, ...COUNTED.map((t) => counts.get(t) ?? 0), lines];
}

export interface Calibration {
  weights: number[];
  /** Median absolute error in bytes, and median relative error, on held-out functions of this build. */
  medianAbsError: number;
  medianRelError: number;
  /** Functions fitted on, and held out for the error. */
  fitted: number;
  tested: number;
}

/**
 * Fits size ≈ weights · features with a little ridge regularisation (so that
 * features that never vary do not make the system singular), holding out every
 * fifth sample to measure the error honestly.
 */
export function calibrate(samples: { features: Features; size: number }[]): Calibration | undefined {
  const train = samples.filter((_, i) => i % 5 !== 0);
  const test = samples.filter((_, i) => i % 5 === 0);
  if (train.length < 20 || test.length < 5) return undefined;
  const k = train[0].features.length;
  const a = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const b = new Array<number>(k).fill(0);
  for (const s of train) {
    for (let i = 0; i < k; i++) {
      b[i] += s.features[i] * s.size;
      for (let j = 0; j < k; j++) a[i][j] += s.features[i] * s.features[j];
    }
  }
  for (let i = 1; i < k; i++) a[i][i] += 1e-3 * train.length;
  const weights = solve(a, b);
  if (!weights) return undefined;
  const abs = test.map((s) => Math.abs(predict(weights, s.features) - s.size)).sort((x, y) => x - y);
  const rel = test.map((s) => Math.abs(predict(weights, s.features) - s.size) / Math.max(1, s.size)).sort((x, y) => x - y);
  return { weights, medianAbsError: abs[abs.length >> 1], medianRelError: rel[rel.length >> 1], fitted: train.length, tested: test.length };
}

export function predict(weights: number[], features: Features): number {
  let y = 0;
  for (let i = 0; i < weights.length; i++) y += weights[i] * features[i];
  // A function costs at least a return instruction and its alignment.
  return Math.max(1, Math.round(y));
}

/** Gaussian elimination with partial pivoting; undefined for a singular system. */
function solve(a: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (Math.abs(m[p][c]) < 1e-12) return undefined;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let j = c; j <= n; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}
