import { check, fail } from '../core/errors.ts';
import { Generator } from '../core/rng.ts';
import type { Labels } from './split.ts';

/**
 * Per-class loss weights. 'balanced' gives n_samples / (n_classes * count(class)) (sklearn
 * compute_class_weight), so rare classes weigh more. Returned in the order of `classes`
 * (default: sorted distinct labels).
 */
export function computeClassWeight(
  mode: 'balanced',
  y: Labels,
  classes?: readonly (number | string)[],
): { classes: (number | string)[]; weights: Float64Array } {
  const op = 'computeClassWeight';
  check(mode === 'balanced', op, () => `mode must be 'balanced', got ${mode}`);
  const counts = new Map<number | string, number>();
  for (let i = 0; i < y.length; i++) counts.set(y[i]!, (counts.get(y[i]!) ?? 0) + 1);
  const cls =
    classes !== undefined
      ? [...classes]
      : [...counts.keys()].sort((a, b) =>
          typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : 1,
        );
  for (const k of counts.keys())
    if (!cls.includes(k)) fail(op, `label ${JSON.stringify(k)} is not in classes ${JSON.stringify(cls)}`);
  const weights = Float64Array.from(cls, (c) => {
    const n = counts.get(c);
    if (n === undefined) fail(op, `class ${JSON.stringify(c)} does not occur in y`);
    return y.length / (cls.length * n);
  });
  return { classes: cls, weights };
}

/** Per-sample weights that make every class equally likely to be drawn: 1 / count(class of sample). */
export function sampleWeightsForBalance(y: Labels): Float64Array {
  const counts = new Map<number | string, number>();
  for (let i = 0; i < y.length; i++) counts.set(y[i]!, (counts.get(y[i]!) ?? 0) + 1);
  return Float64Array.from({ length: y.length }, (_, i) => 1 / counts.get(y[i]!)!);
}

/**
 * Draws `numSamples` indices with probability proportional to `weights` (torch WeightedRandomSampler).
 * With replacement it oversamples rare classes; without it, it undersamples (each index at most once,
 * by sequential weighted draws). Seeded; each iteration (epoch) continues the generator's stream.
 */
export class WeightedRandomSampler implements Iterable<number> {
  readonly weights: Float64Array;
  readonly numSamples: number;
  readonly replacement: boolean;
  readonly generator: Generator;

  constructor(
    weights: ArrayLike<number>,
    numSamples: number,
    opts: { replacement?: boolean; seed?: number; generator?: Generator } = {},
  ) {
    const op = 'WeightedRandomSampler';
    this.weights = Float64Array.from(weights);
    this.replacement = opts.replacement ?? true;
    this.numSamples = numSamples;
    this.generator = opts.generator ?? new Generator(opts.seed ?? 0);
    check(
      Number.isInteger(numSamples) && numSamples > 0,
      op,
      () => `numSamples must be a positive integer, got ${numSamples}`,
    );
    for (let i = 0; i < this.weights.length; i++) {
      const w = this.weights[i]!;
      if (!(w >= 0) || !Number.isFinite(w)) fail(op, `weight ${i} must be finite and >= 0, got ${w}`);
    }
    const positive = this.weights.filter((w) => w > 0).length;
    check(positive > 0, op, () => 'all weights are zero');
    check(
      this.replacement || numSamples <= positive,
      op,
      () =>
        `without replacement numSamples (${numSamples}) cannot exceed the ${positive} indices with weight > 0`,
    );
  }

  get length(): number {
    return this.numSamples;
  }

  /** One epoch of indices. */
  sample(): Int32Array {
    return this.replacement ? this.withReplacement() : this.withoutReplacement();
  }

  [Symbol.iterator](): Iterator<number> {
    return this.sample()[Symbol.iterator]();
  }

  private withReplacement(): Int32Array {
    // Inverse-CDF sampling by binary search over the cumulative weights.
    const cdf = new Float64Array(this.weights.length);
    let s = 0;
    for (let i = 0; i < cdf.length; i++) cdf[i] = s += this.weights[i]!;
    const out = new Int32Array(this.numSamples);
    for (let k = 0; k < out.length; k++) {
      const u = this.generator.uniform() * s;
      let lo = 0;
      let hi = cdf.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      out[k] = lo;
    }
    return out;
  }

  private withoutReplacement(): Int32Array {
    // Efraimidis-Spirakis: the k largest u^(1/w) keys are a weighted sample without replacement.
    const keys: { i: number; key: number }[] = [];
    for (let i = 0; i < this.weights.length; i++) {
      const w = this.weights[i]!;
      if (w > 0) keys.push({ i, key: Math.log(this.generator.uniform() || Number.MIN_VALUE) / w });
    }
    keys.sort((a, b) => b.key - a.key);
    return Int32Array.from(keys.slice(0, this.numSamples), (k) => k.i);
  }
}
