/**
 * Reference distributions of training features, as drift monitoring compares live values with them. From
 * a model card's statistics (src/saving/raw-stats.ts): a numeric feature with quantiles is its piecewise-
 * linear quantile function; one with only mean/std/min/max is a normal truncated to [min, max] (the card
 * holds no more; an approximation, documented in docs/decisions/monitoring.md). `driftReference` computes
 * quantiles from training values when they are at hand, for exact tests.
 */
import type { FeatureStats } from '../saving/card.ts';
import type { RawFeatureStats } from '../saving/raw-stats.ts';
import { normalCdf } from './stats.ts';

/** A numeric reference: a card's NumericStats, optionally with quantiles at evenly spaced probabilities. */
export interface NumericReference {
  kind: 'numeric';
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Values at probabilities 0, 1/(q-1), ..., 1 (q >= 2), ascending. */
  quantiles?: number[];
}

export interface CategoricalReference {
  kind: 'categorical';
  /** Training rows per category. */
  categories: Record<string, number>;
}

export type FeatureReference = NumericReference | CategoricalReference;

/** What a reference may be given as: a card's raw stats, a legacy card column, or a reference. */
export type ReferenceInput = RawFeatureStats | FeatureStats | FeatureReference;

export function toReference(s: ReferenceInput): FeatureReference {
  if ('kind' in s && s.kind === 'categorical')
    return { kind: 'categorical', categories: { ...s.categories } };
  const n = s as NumericReference;
  const r: NumericReference = { kind: 'numeric', mean: n.mean, std: n.std, min: n.min, max: n.max };
  if (n.quantiles !== undefined) r.quantiles = [...n.quantiles];
  return r;
}

/** Sorted values' quantile at probability p (linear interpolation, as numpy's default). */
export function sortedQuantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** A numeric reference with 101 quantiles, from training values (non-finite ones left out). */
export function driftReference(values: ArrayLike<number>): NumericReference {
  const xs = Array.from(values)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const n = xs.length;
  const mean = n > 0 ? xs.reduce((a, b) => a + b, 0) / n : 0;
  const std = n > 0 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n) : 0;
  return {
    kind: 'numeric',
    mean,
    std,
    min: n > 0 ? xs[0]! : 0,
    max: n > 0 ? xs[n - 1]! : 0,
    quantiles: Array.from({ length: 101 }, (_, i) => sortedQuantile(xs, i / 100)),
  };
}

/** The reference CDF of a numeric feature. */
export function referenceCdf(r: NumericReference): (x: number) => number {
  const q = r.quantiles;
  if (q !== undefined && q.length >= 2) {
    const k = q.length - 1;
    return (x) => {
      if (x < q[0]!) return 0;
      if (x >= q[k]!) return 1;
      // Last index with q[i] <= x, then linear within [q[i], q[i+1]].
      let lo = 0;
      let hi = k;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (q[mid]! <= x) lo = mid;
        else hi = mid;
      }
      const w = q[lo + 1]! - q[lo]!;
      return (lo + (w > 0 ? (x - q[lo]!) / w : 1)) / k;
    };
  }
  if (!(r.std > 0) || r.max <= r.min) return (x) => (x < r.mean ? 0 : 1);
  const a = normalCdf((r.min - r.mean) / r.std);
  const b = normalCdf((r.max - r.mean) / r.std);
  return (x) => {
    if (x < r.min) return 0;
    if (x >= r.max) return 1;
    return Math.min(1, Math.max(0, (normalCdf((x - r.mean) / r.std) - a) / (b - a)));
  };
}

/** Edges splitting the reference into `bins` equal-probability bins (bisection on the CDF). */
export function equalProbabilityEdges(r: NumericReference, bins = 10): number[] {
  const cdf = referenceCdf(r);
  const lo0 = r.quantiles?.[0] ?? r.min;
  const hi0 = r.quantiles?.at(-1) ?? r.max;
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const p = i / bins;
    let lo = lo0;
    let hi = hi0;
    for (let it = 0; it < 60; it++) {
      const mid = (lo + hi) / 2;
      if (cdf(mid) < p) lo = mid;
      else hi = mid;
    }
    edges.push(hi);
  }
  return edges;
}
