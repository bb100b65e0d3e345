/**
 * The two-sample and goodness-of-fit statistics drift monitoring uses: population stability index,
 * Kolmogorov-Smirnov against a reference CDF, Pearson's chi-squared against reference frequencies, with
 * their p-values (Kolmogorov's asymptotic distribution; the regularised upper incomplete gamma function).
 */

/** Standard normal CDF (erf through Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/**
 * PSI = sum (a - e) ln(a / e) over bins of the expected and actual proportions. Empty bins get `eps` so a
 * bin that one side lacks counts as a large, finite shift (the usual convention; 0.1 = small, 0.25 = large).
 */
export function psi(expected: readonly number[], actual: readonly number[], eps = 1e-4): number {
  const se = expected.reduce((a, b) => a + b, 0);
  const sa = actual.reduce((a, b) => a + b, 0);
  let s = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]! / se, eps);
    const a = Math.max(sa > 0 ? actual[i]! / sa : 0, eps);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

/** Kolmogorov's survival function P(K > lambda) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 lambda^2). */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda < 0.2) return 1;
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    s += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-12) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}

/**
 * One-sample KS test of `sample` against the reference CDF: D = sup |F_n(x) - F(x)| and its p-value with
 * Stephens' small-sample correction, lambda = (sqrt(n) + 0.12 + 0.11 / sqrt(n)) D.
 */
export function ksTest(
  sample: readonly number[],
  cdf: (x: number) => number,
): { statistic: number; pValue: number } {
  const xs = [...sample].sort((a, b) => a - b);
  const n = xs.length;
  if (n === 0) return { statistic: 0, pValue: 1 };
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  const sn = Math.sqrt(n);
  return { statistic: d, pValue: kolmogorovSurvival((sn + 0.12 + 0.11 / sn) * d) };
}

function logGamma(x: number): number {
  // Lanczos (g = 7, n = 9).
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const xm = x - 1;
  let a = c[0]!;
  const t = xm + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (xm + i);
  return 0.5 * Math.log(2 * Math.PI) + (xm + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised upper incomplete gamma Q(s, x) (series below s + 1, continued fraction above). */
export function gammaQ(s: number, x: number): number {
  if (x <= 0) return 1;
  const lg = logGamma(s);
  if (x < s + 1) {
    let sum = 1 / s;
    let term = sum;
    for (let n = 1; n < 500; n++) {
      term *= x / (s + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * Math.exp(-x + s * Math.log(x) - lg));
  }
  // Lentz's continued fraction.
  let b = x + 1 - s;
  let c = 1e300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - s);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, Math.exp(-x + s * Math.log(x) - lg) * h);
}

/**
 * Pearson's chi-squared goodness of fit of observed counts to expected proportions (smoothed by `eps` so a
 * category never seen in training does not divide by zero), with Cramer's V as the effect size.
 */
export function chiSquaredTest(
  observed: readonly number[],
  expected: readonly number[],
  eps = 1e-4,
): { statistic: number; pValue: number; df: number; cramersV: number } {
  const n = observed.reduce((a, b) => a + b, 0);
  const se = expected.reduce((a, b) => a + b, 0);
  const k = observed.length;
  if (n === 0 || k < 2) return { statistic: 0, pValue: 1, df: Math.max(0, k - 1), cramersV: 0 };
  const p = expected.map((e) => Math.max(e / se, eps));
  const sp = p.reduce((a, b) => a + b, 0);
  let x2 = 0;
  for (let i = 0; i < k; i++) {
    const e = (n * p[i]!) / sp;
    x2 += (observed[i]! - e) ** 2 / e;
  }
  const df = k - 1;
  return { statistic: x2, pValue: gammaQ(df / 2, x2 / 2), df, cramersV: Math.sqrt(x2 / (n * df)) };
}
