/**
 * Log-space arithmetic and log(erfc) for the RDP accountant. The terms of the subsampled Gaussian's
 * moment series span hundreds of orders of magnitude, so everything is summed as logarithms.
 */

/** log(exp(a) + exp(b)) without overflow. */
export function logAdd(a: number, b: number): number {
  const hi = Math.max(a, b);
  const lo = Math.min(a, b);
  if (hi === -Infinity) return -Infinity;
  return hi + Math.log1p(Math.exp(lo - hi));
}

/** log(exp(a) - exp(b)) for a >= b; -Infinity when they are equal. */
export function logSub(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (a === b) return -Infinity;
  if (a < b) throw new RangeError(`logSub: log-difference of a smaller from a larger term (${a} < ${b})`);
  // log(e^a - e^b) = a + log(1 - e^(b - a))
  return a + Math.log(-Math.expm1(b - a));
}

/**
 * log(erfc(x)). Uses the Chebyshev fit of Numerical Recipes (erfcc, fractional error < 1.2e-7 everywhere),
 * kept in log form: erfc(z) = t exp(-z^2 + P(t)) for z >= 0, so large arguments do not underflow to log(0).
 */
export function logErfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const logPos = Math.log(t) - z * z + poly;
  if (x >= 0) return logPos;
  // erfc(-z) = 2 - erfc(z)
  return Math.log(2 - Math.exp(logPos));
}
