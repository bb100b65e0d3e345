/**
 * Rényi differential privacy of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar and Zhang 2019,
 * "Rényi Differential Privacy of the Sampled Gaussian Mechanism", section 3.3), and its conversion to
 * (epsilon, delta). The same quantities as TensorFlow Privacy's and Opacus' RDP accountants.
 */
import { check, fail } from '../core/errors.ts';
import { logAdd, logErfc, logSub } from './special.ts';

/** Opacus' and TensorFlow Privacy's default orders: 1.1, 1.2, ..., 10.9, then 12, 13, ..., 63. */
export const DEFAULT_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 52 }, (_, x) => 12 + x),
]);

/** log A_alpha for integer alpha by the binomial expansion (MTZ19 eq. (3)). */
function logAInt(q: number, sigma: number, alpha: number): number {
  let logA = -Infinity;
  let logBinom = 0; // log C(alpha, 0)
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log(alpha - i + 1) - Math.log(i);
    const s = logBinom + i * Math.log(q) + (alpha - i) * Math.log1p(-q) + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, s);
  }
  return logA;
}

/**
 * log A_alpha for fractional alpha: the two convergent series of MTZ19 section 3.3, split at
 * z0 = sigma^2 log(1/q - 1) + 1/2, summed until both terms fall below e^-30 of the unit.
 */
function logAFrac(q: number, sigma: number, alpha: number): number {
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const s2 = Math.SQRT2 * sigma;
  let coef = 1; // C(alpha, i), generalised binomial (sign alternates once i > alpha + 1)
  for (let i = 0; ; i++) {
    if (i > 0) coef *= (alpha - i + 1) / i;
    if (coef === 0) break;
    const logCoef = Math.log(Math.abs(coef));
    const j = alpha - i;
    const logT0 = logCoef + i * Math.log(q) + j * Math.log1p(-q);
    const logT1 = logCoef + j * Math.log(q) + i * Math.log1p(-q);
    const logE0 = Math.log(0.5) + logErfc((i - z0) / s2);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / s2);
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    if (coef > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30) break;
    if (i > 100000)
      fail('privacy.rdp', `series for order ${alpha} did not converge (q=${q}, sigma=${sigma})`);
  }
  return logAdd(logA0, logA1);
}

/** RDP of one step of the sampled Gaussian mechanism at order `alpha` (sampling rate q, noise multiplier sigma). */
export function rdpSampledGaussian(q: number, sigma: number, alpha: number): number {
  check(q >= 0 && q <= 1, 'privacy.rdp', () => `sampleRate must be in [0, 1], got ${q}`);
  check(sigma >= 0, 'privacy.rdp', () => `noiseMultiplier must be >= 0, got ${sigma}`);
  check(alpha > 1, 'privacy.rdp', () => `orders must be > 1, got ${alpha}`);
  if (q === 0) return 0;
  if (sigma === 0) return Infinity;
  // Without subsampling it is the Gaussian mechanism of sensitivity 1: alpha / (2 sigma^2).
  if (q === 1) return alpha / (2 * sigma * sigma);
  if (alpha === Infinity) return Infinity;
  const logA = Number.isInteger(alpha) ? logAInt(q, sigma, alpha) : logAFrac(q, sigma, alpha);
  return logA / (alpha - 1);
}

/** RDP at each order after `steps` steps (RDP composes additively). */
export function computeRdp(
  q: number,
  sigma: number,
  steps: number,
  orders: readonly number[] = DEFAULT_ORDERS,
): number[] {
  check(
    Number.isInteger(steps) && steps >= 0,
    'privacy.rdp',
    () => `steps must be an integer >= 0, got ${steps}`,
  );
  return orders.map((a) => rdpSampledGaussian(q, sigma, a) * steps);
}

/**
 * How RDP becomes (epsilon, delta). 'improved' is Balle et al. 2020 (Hypothesis testing interpretations and
 * Rényi DP, Theorem 21), what Opacus and current TensorFlow Privacy report; 'classical' is Mironov 2017
 * Proposition 3 (eps = rdp - log(delta)/(alpha - 1)), what TensorFlow Privacy's 2019 tutorials printed.
 */
export type RdpConversion = 'improved' | 'classical';

export interface PrivacySpent {
  epsilon: number;
  /** The order that gave the smallest epsilon. */
  bestOrder: number;
}

/** The smallest epsilon over the orders for the given delta. */
export function rdpToEpsilon(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
  conversion: RdpConversion = 'improved',
): PrivacySpent {
  check(delta > 0 && delta < 1, 'privacy.epsilon', () => `delta must be in (0, 1), got ${delta}`);
  check(
    orders.length === rdp.length && orders.length > 0,
    'privacy.epsilon',
    () => `got ${orders.length} orders and ${rdp.length} RDP values`,
  );
  let best: PrivacySpent = { epsilon: Infinity, bestOrder: Number.NaN };
  orders.forEach((a, i) => {
    const r = rdp[i]!;
    const eps =
      conversion === 'classical'
        ? r - Math.log(delta) / (a - 1)
        : r - (Math.log(delta) + Math.log(a)) / (a - 1) + Math.log1p(-1 / a);
    if (Number.isFinite(eps) && eps < best.epsilon) best = { epsilon: Math.max(0, eps), bestOrder: a };
  });
  return best;
}
