/**
 * Model-agnostic attributions for tabular models over raw records: permutation importance (Breiman 2001;
 * sklearn.inspection.permutation_importance) and a KernelSHAP estimate (Lundberg & Lee 2017): Shapley values
 * as the weighted least-squares fit of coalition values, where a feature outside the coalition takes the
 * background records' values and the coalition's value is the mean prediction over the background.
 */
import { check, fail } from '../core/errors.ts';
import { Generator } from '../core/rng.ts';

export type TabularRecord = Readonly<Record<string, unknown>>;

export interface PermutationImportanceOptions {
  /** Shuffles per feature (default 5). */
  repeats?: number;
  seed?: number;
}

export interface FeatureImportance {
  feature: string;
  /** Mean drop of the score when the feature's column is shuffled. */
  importance: number;
  std: number;
}

/**
 * Importance of each feature: score(records) minus the score with that feature's values shuffled across the
 * records, averaged over `repeats` shuffles; higher score = better (use -loss). Sorted, most important first.
 */
export function permutationImportance(
  score: (records: TabularRecord[]) => number,
  records: readonly TabularRecord[],
  features: readonly string[],
  opts: PermutationImportanceOptions = {},
): FeatureImportance[] {
  const repeats = opts.repeats ?? 5;
  check(
    Number.isInteger(repeats) && repeats >= 1,
    'permutationImportance',
    () => `repeats must be an integer >= 1, got ${repeats}`,
  );
  check(
    records.length >= 2,
    'permutationImportance',
    () => `needs at least 2 records, got ${records.length}`,
  );
  const g = new Generator(opts.seed ?? 0);
  const base = score([...records]);
  const out: FeatureImportance[] = [];
  for (const f of features) {
    const drops: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const values = records.map((rec) => rec[f]);
      for (let i = values.length - 1; i > 0; i--) {
        const j = g.int(0, i + 1);
        [values[i], values[j]] = [values[j], values[i]];
      }
      drops.push(base - score(records.map((rec, i) => ({ ...rec, [f]: values[i] }))));
    }
    const mean = drops.reduce((a, b) => a + b, 0) / repeats;
    const std = Math.sqrt(drops.reduce((a, b) => a + (b - mean) ** 2, 0) / repeats);
    out.push({ feature: f, importance: mean, std });
  }
  return out.sort((a, b) => b.importance - a.importance);
}

export interface KernelShapOptions {
  /** Coalitions sampled when 2^M - 2 exceeds this (default 2048); below it every coalition is used. */
  samples?: number;
  seed?: number;
}

export interface ShapExplanation {
  /** Shapley value per feature; they sum to output - base. */
  values: Record<string, number>;
  /** Mean prediction over the background (the empty coalition). */
  base: number;
  /** Prediction of the explained record. */
  output: number;
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** Solves A x = b (A symmetric positive semi-definite, small) by Gaussian elimination with partial pivoting; a tiny ridge keeps it regular. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row.map((v, j) => v + (i === j ? 1e-10 : 0)), b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const piv = m[c]![c]!;
    if (Math.abs(piv) < 1e-300) fail('kernelShap', 'singular coalition system');
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / piv;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/**
 * KernelSHAP of one record: `predict` maps records to one number each (a class probability, a value).
 * With M features, all 2^M - 2 proper coalitions are used up to `samples`, else `samples` are drawn by
 * the kernel's size distribution. The efficiency constraint (values sum to output - base) is exact: the
 * last feature's value is eliminated before the weighted least squares.
 */
export function kernelShap(
  predict: (records: TabularRecord[]) => number[],
  record: TabularRecord,
  background: readonly TabularRecord[],
  features: readonly string[],
  opts: KernelShapOptions = {},
): ShapExplanation {
  const M = features.length;
  check(M >= 1, 'kernelShap', () => 'no features to explain');
  check(background.length >= 1, 'kernelShap', () => 'needs at least one background record');
  const value = (mask: boolean[]): number => {
    const rows = background.map((b) => {
      const r: Record<string, unknown> = { ...b };
      features.forEach((f, i) => {
        if (mask[i]) r[f] = record[f];
      });
      return r;
    });
    const p = predict(rows);
    return p.reduce((a, c) => a + c, 0) / p.length;
  };
  const base = value(new Array<boolean>(M).fill(false));
  const output = value(new Array<boolean>(M).fill(true));
  if (M === 1) return { values: { [features[0]!]: output - base }, base, output };
  const budget = opts.samples ?? 2048;
  const masks: { mask: boolean[]; w: number }[] = [];
  const kernel = (s: number) => Math.exp(Math.log(M - 1) - logChoose(M, s) - Math.log(s) - Math.log(M - s));
  if (M < 31 && 2 ** M - 2 <= budget) {
    for (let bits = 1; bits < 2 ** M - 1; bits++) {
      const mask = Array.from({ length: M }, (_, i) => ((bits >> i) & 1) === 1);
      masks.push({ mask, w: kernel(mask.filter(Boolean).length) });
    }
  } else {
    // Sizes drawn in proportion to the kernel's total weight per size; each draw then has equal weight.
    const g = new Generator(opts.seed ?? 0);
    const sizeW = Array.from({ length: M - 1 }, (_, i) => (M - 1) / ((i + 1) * (M - i - 1)));
    const total = sizeW.reduce((a, b) => a + b, 0);
    for (let k = 0; k < budget; k++) {
      let u = g.uniform() * total;
      let s = 1;
      while (s < M - 1 && u > sizeW[s - 1]!) u -= sizeW[s++ - 1]!;
      const idx = Array.from({ length: M }, (_, i) => i);
      for (let i = 0; i < s; i++) {
        const j = i + g.int(0, M - i);
        [idx[i], idx[j]] = [idx[j]!, idx[i]!];
      }
      const mask = new Array<boolean>(M).fill(false);
      for (let i = 0; i < s; i++) mask[idx[i]!] = true;
      masks.push({ mask, w: 1 });
    }
  }
  // y - z_M (out - base) = sum_{i<M} (z_i - z_M) phi_i, weighted least squares in M - 1 unknowns.
  const d = output - base;
  const A = Array.from({ length: M - 1 }, () => new Array<number>(M - 1).fill(0));
  const b = new Array<number>(M - 1).fill(0);
  for (const { mask, w } of masks) {
    const zM = mask[M - 1] ? 1 : 0;
    const y = value(mask) - base - zM * d;
    const z = mask.slice(0, M - 1).map((v) => (v ? 1 : 0) - zM);
    for (let i = 0; i < M - 1; i++) {
      b[i]! += w * z[i]! * y;
      for (let j = 0; j < M - 1; j++) A[i]![j]! += w * z[i]! * z[j]!;
    }
  }
  const phi = solve(A, b);
  const last = d - phi.reduce((a, c) => a + c, 0);
  return {
    values: Object.fromEntries(features.map((f, i) => [f, i < M - 1 ? phi[i]! : last])),
    base,
    output,
  };
}
