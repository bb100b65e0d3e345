/**
 * Observers: they watch the values a tensor takes (activations during calibration, weights once) and turn
 * them into quantization parameters. Activations are per tensor and affine (a scale and a zero point in the
 * symmetric int8 range [-127, 127] the integer kernels take); weights are per output channel and symmetric.
 * The arithmetic is torch.ao.quantization's (MinMaxObserver._calculate_qparams, in float32), so a min-max
 * observer gives torch's scale and zero point bit for bit (test/quant/static-observers.test.ts).
 */
import { check, fail } from '../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../core/options.ts';
import { roundHalfEven } from './int8-reference.ts';

/** The int8 range every quantized value lies in: -128 is never produced (see int8-reference.ts). */
export const QMIN = -127;
export const QMAX = 127;
/** torch's observer eps (float32 machine epsilon): the smallest scale an observer returns. */
export const SCALE_EPS = 1.1920928955078125e-7;

/** An affine quantization: real = (q - zeroPoint) * scale. */
export interface QParams {
  scale: number;
  zeroPoint: number;
}

type Values = ArrayLike<number>;
const f = Math.fround;

/**
 * torch's per-tensor affine parameters for the range [min, max] (widened to hold 0, so real zero is exact,
 * which zero padding needs): scale = (max - min) / (qmax - qmin), zeroPoint = qmin - round(min / scale).
 */
export function affineQParams(min: number, max: number, qmin = QMIN, qmax = QMAX): QParams {
  check(
    Number.isFinite(min) && Number.isFinite(max) && min <= max,
    'affineQParams',
    () => `expected a finite range min <= max, got [${min}, ${max}]`,
  );
  const lo = f(Math.min(min, 0));
  const hi = f(Math.max(max, 0));
  const scale = Math.max(f(f(hi - lo) / (qmax - qmin)), SCALE_EPS);
  const zp = qmin - roundHalfEven(f(lo / scale));
  return { scale, zeroPoint: Math.min(qmax, Math.max(qmin, zp)) };
}

/** torch's per-tensor symmetric parameters: scale = max(|min|, |max|) / ((qmax - qmin) / 2), zero point 0. */
export function symmetricQParams(min: number, max: number, qmin = QMIN, qmax = QMAX): QParams {
  const amax = f(Math.max(-Math.min(min, 0), Math.max(max, 0)));
  return { scale: Math.max(f(amax / f((qmax - qmin) / 2)), SCALE_EPS), zeroPoint: 0 };
}

/**
 * Per-output-channel symmetric weight scales (torch's PerChannelMinMaxObserver, per_channel_symmetric, with
 * [-127, 127]): row c of `w` (`channels` rows of equal length) gets max|w_c| / 127.
 */
export function perChannelSymmetricScales(w: Values, channels: number): Float32Array {
  check(
    Number.isInteger(channels) && channels > 0 && w.length % channels === 0,
    'perChannelSymmetricScales',
    () => `${w.length} weights do not split into ${channels} channels`,
  );
  const k = w.length / channels;
  const out = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let m = 0;
    for (let p = c * k; p < (c + 1) * k; p++) {
      const a = Math.abs(w[p]!);
      if (a > m) m = a;
    }
    out[c] = symmetricQParams(-m, m).scale;
  }
  return out;
}

/** Something that watches values and proposes quantization parameters for them. */
export interface Observer {
  /** How many values it has seen. */
  readonly count: number;
  observe(values: Values): void;
  /** The clipping range it chose, [lo, hi]. */
  range(): [number, number];
  qparams(): QParams;
}

function minMaxOf(values: Values): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) fail('observer', `value ${i} is NaN: a quantization range needs finite values`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi))
    fail('observer', `the values are not finite (range [${lo}, ${hi}])`);
  return [lo, hi];
}

function emptyCheck(o: Observer, name: string): void {
  check(o.count > 0, name, () => 'has observed no values yet; run calibration data through it first');
}

export interface MinMaxOptions {
  /** Symmetric (zero point 0) instead of affine. */
  symmetric?: boolean;
}
const MIN_MAX_KEYS = optionKeys<MinMaxOptions>({ symmetric: true });

/** The running min and max over everything observed (torch's MinMaxObserver). */
export class MinMaxObserver implements Observer {
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  readonly symmetric: boolean;
  constructor(opts: MinMaxOptions = {}) {
    checkOptionKeys('MinMaxObserver', opts, MIN_MAX_KEYS);
    this.symmetric = opts.symmetric ?? false;
  }
  observe(values: Values): void {
    if (values.length === 0) return;
    const [lo, hi] = minMaxOf(values);
    this.min = Math.min(this.min, f(lo));
    this.max = Math.max(this.max, f(hi));
    this.count += values.length;
  }
  range(): [number, number] {
    emptyCheck(this, 'MinMaxObserver');
    return [this.min, this.max];
  }
  qparams(): QParams {
    const [lo, hi] = this.range();
    return this.symmetric ? symmetricQParams(lo, hi) : affineQParams(lo, hi);
  }
}

export interface MovingAverageOptions {
  /** Weight of each new batch's min/max (torch's averaging_constant, 0.01). */
  averagingConstant?: number;
}
const MOVING_KEYS = optionKeys<MovingAverageOptions>({ averagingConstant: true });

/**
 * An exponential moving average of each batch's min and max (torch's MovingAverageMinMaxObserver, what
 * quantization-aware training observes activations with): the first batch sets them, later ones move them
 * by averagingConstant, so the range follows the weights as they train.
 */
export class MovingAverageMinMaxObserver implements Observer {
  count = 0;
  min = 0;
  max = 0;
  readonly averagingConstant: number;
  constructor(opts: MovingAverageOptions = {}) {
    checkOptionKeys('MovingAverageMinMaxObserver', opts, MOVING_KEYS);
    const c = opts.averagingConstant ?? 0.01;
    check(
      c > 0 && c <= 1,
      'MovingAverageMinMaxObserver',
      () => `averagingConstant must be in (0, 1], got ${c}`,
    );
    this.averagingConstant = c;
  }
  observe(values: Values): void {
    if (values.length === 0) return;
    const [lo, hi] = minMaxOf(values);
    if (this.count === 0) {
      this.min = f(lo);
      this.max = f(hi);
    } else {
      const c = f(this.averagingConstant);
      this.min = f(this.min + f(c * f(lo - this.min)));
      this.max = f(this.max + f(c * f(hi - this.max)));
    }
    this.count += values.length;
  }
  range(): [number, number] {
    emptyCheck(this, 'MovingAverageMinMaxObserver');
    return [this.min, this.max];
  }
  qparams(): QParams {
    const [lo, hi] = this.range();
    return affineQParams(lo, hi);
  }
}

export interface HistogramOptions {
  /** Histogram bins over the observed range (2048, torch's HistogramObserver). */
  bins?: number;
}

/**
 * A histogram over [lo, hi] that widens as values outside it arrive: the old counts are spread over the new
 * bins by overlap (uniform density within a bin), so batches can come in any order.
 */
export class Histogram {
  lo = 0;
  hi = 0;
  counts: Float64Array;
  total = 0;
  constructor(readonly bins = 2048) {
    check(
      Number.isInteger(bins) && bins >= 8,
      'Histogram',
      () => `bins must be an integer >= 8, got ${bins}`,
    );
    this.counts = new Float64Array(bins);
  }

  get width(): number {
    return (this.hi - this.lo) / this.bins;
  }

  add(values: Values): void {
    if (values.length === 0) return;
    const [vlo, vhi] = minMaxOf(values);
    if (this.total === 0) {
      this.lo = vlo;
      this.hi = vhi > vlo ? vhi : vlo + 1e-8;
    } else if (vlo < this.lo || vhi > this.hi) this.#widen(Math.min(vlo, this.lo), Math.max(vhi, this.hi));
    const inv = this.bins / (this.hi - this.lo);
    const last = this.bins - 1;
    for (let i = 0; i < values.length; i++) {
      const b = Math.floor((values[i]! - this.lo) * inv);
      this.counts[b < 0 ? 0 : Math.min(b, last)]! += 1;
    }
    this.total += values.length;
  }

  #widen(lo: number, hi: number): void {
    const old = this.counts;
    const ow = this.width;
    const oldLo = this.lo;
    this.counts = new Float64Array(this.bins);
    this.lo = lo;
    this.hi = hi;
    const nw = this.width;
    for (let b = 0; b < old.length; b++) {
      const n = old[b]!;
      if (n === 0) continue;
      const a = oldLo + b * ow;
      const e = a + ow;
      let j = Math.max(0, Math.min(this.bins - 1, Math.floor((a - lo) / nw)));
      // Spread n over the new bins [a, e) overlaps, in proportion to the overlap.
      while (j < this.bins) {
        const ja = lo + j * nw;
        const je = ja + nw;
        const ov = Math.min(e, je) - Math.max(a, ja);
        if (ov > 0) this.counts[j]! += (n * ov) / ow;
        if (je >= e) break;
        j++;
      }
    }
  }

  /** The value below which fraction q of the mass lies (linear within a bin). */
  quantile(q: number): number {
    const target = q * this.total;
    let cum = 0;
    const w = this.width;
    for (let b = 0; b < this.bins; b++) {
      const n = this.counts[b]!;
      if (cum + n >= target && n > 0) return this.lo + (b + (target - cum) / n) * w;
      cum += n;
    }
    return this.hi;
  }
}

abstract class HistogramObserver implements Observer {
  readonly hist: Histogram;
  constructor(bins: number | undefined) {
    this.hist = new Histogram(bins ?? 2048);
  }
  get count(): number {
    return this.hist.total;
  }
  observe(values: Values): void {
    this.hist.add(values);
  }
  abstract range(): [number, number];
  qparams(): QParams {
    const [lo, hi] = this.range();
    return affineQParams(lo, hi);
  }
}

export interface PercentileOptions extends HistogramOptions {
  /** The upper percentile kept (the lower one is 100 - percentile); 99.99 by default. */
  percentile?: number;
}
const PERCENTILE_KEYS = optionKeys<PercentileOptions>({ bins: true, percentile: true });

/** Clips to the [100 - p, p] percentiles of everything observed: outliers beyond them saturate. */
export class PercentileObserver extends HistogramObserver {
  readonly percentile: number;
  constructor(opts: PercentileOptions = {}) {
    checkOptionKeys('PercentileObserver', opts, PERCENTILE_KEYS);
    super(opts.bins);
    const p = opts.percentile ?? 99.99;
    check(p > 50 && p <= 100, 'PercentileObserver', () => `percentile must be in (50, 100], got ${p}`);
    this.percentile = p;
  }
  range(): [number, number] {
    emptyCheck(this, 'PercentileObserver');
    const q = this.percentile / 100;
    return [this.hist.quantile(1 - q), this.hist.quantile(q)];
  }
}

const MSE_KEYS = optionKeys<HistogramOptions>({ bins: true });

/**
 * The clipping range that minimises the expected squared quantization error over the histogram (the aim of
 * torch's HistogramObserver, searched exhaustively here instead of greedily). For a candidate [lo, hi] with
 * step s = (hi - lo) / 254, a value inside costs s^2 / 12 (uniform rounding error) and one outside costs its
 * squared distance to the nearer bound; prefix sums of n, n*c and n*c^2 over the bin centres c make each
 * candidate O(1), so every pair of bin edges (lo <= 0 <= hi, as the range always holds zero) is tried.
 */
export class MseObserver extends HistogramObserver {
  constructor(opts: HistogramOptions = {}) {
    checkOptionKeys('MseObserver', opts, MSE_KEYS);
    super(opts.bins);
  }

  range(): [number, number] {
    emptyCheck(this, 'MseObserver');
    const h = this.hist;
    const B = h.bins;
    const w = h.width;
    // Prefix sums over bins [0, i): counts, first and second moments of the bin centres.
    const n0 = new Float64Array(B + 1);
    const n1 = new Float64Array(B + 1);
    const n2 = new Float64Array(B + 1);
    for (let b = 0; b < B; b++) {
      const n = h.counts[b]!;
      const c = h.lo + (b + 0.5) * w;
      n0[b + 1] = n0[b]! + n;
      n1[b + 1] = n1[b]! + n * c;
      n2[b + 1] = n2[b]! + n * c * c;
    }
    const edge = (i: number) => h.lo + i * w;
    // Bins [0, i) lie below edge i; bins [j, B) above edge j.
    const below = (i: number, lo: number) => n2[i]! - 2 * lo * n1[i]! + lo * lo * n0[i]!;
    const above = (j: number, hi: number) => {
      const m0 = n0[B]! - n0[j]!;
      const m1 = n1[B]! - n1[j]!;
      const m2 = n2[B]! - n2[j]!;
      return m2 - 2 * hi * m1 + hi * hi * m0;
    };
    const levels = QMAX - QMIN;
    let best = Number.POSITIVE_INFINITY;
    let bestRange: [number, number] = [h.lo, h.hi];
    for (let i = 0; i <= B; i++) {
      const lo = edge(i);
      if (lo > 0 && i > 0) break;
      for (let j = B; j > i; j--) {
        const hi = edge(j);
        if (hi < 0 && j < B) break;
        const a = Math.min(lo, 0);
        const z = Math.max(hi, 0);
        const s = (z - a) / levels;
        const inside = n0[j]! - n0[i]!;
        const err = below(i, lo) + above(j, hi) + (inside * s * s) / 12;
        if (err < best) {
          best = err;
          bestRange = [lo, hi];
        }
      }
    }
    return bestRange;
  }
}

/** The activation observers quantizeStatic can be asked for, by name. */
export type ObserverKind = 'minmax' | 'percentile' | 'mse';
export const OBSERVER_KINDS: readonly ObserverKind[] = ['minmax', 'percentile', 'mse'];

export interface ActivationObserverOptions {
  percentile?: number;
  bins?: number;
}

/** A fresh activation observer of the named kind. */
export function makeObserver(kind: ObserverKind, opts: ActivationObserverOptions = {}): Observer {
  switch (kind) {
    case 'minmax':
      return new MinMaxObserver();
    case 'percentile':
      return new PercentileObserver({ percentile: opts.percentile, bins: opts.bins });
    case 'mse':
      return new MseObserver({ bins: opts.bins });
    default:
      return fail(
        'observer',
        `unknown observer ${JSON.stringify(kind)}; expected one of ${OBSERVER_KINDS.join(', ')}`,
      );
  }
}
