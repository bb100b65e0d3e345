import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';

const { computeRdp, rdpSampledGaussian, rdpToEpsilon, DEFAULT_ORDERS, RDPAccountant, getNoiseMultiplier } =
  ts.privacy;

/**
 * An independent evaluation of the RDP of the sampled Gaussian: A_alpha = E_{z ~ N(0, s^2)}[(1 - q + q
 * exp((2z - 1) / (2 s^2)))^alpha] by trapezoidal quadrature in log space, rdp = log(A) / (alpha - 1). No
 * series, no binomials: only the definition of the Rényi divergence between the mixture and N(0, s^2).
 */
function rdpByQuadrature(q: number, s: number, alpha: number): number {
  const lo = -25 * s;
  const hi = alpha + 25 * s;
  const n = 200000;
  const h = (hi - lo) / n;
  let m = -Infinity;
  const f = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) {
    const z = lo + i * h;
    const logMu0 = -(z * z) / (2 * s * s) - Math.log(s * Math.sqrt(2 * Math.PI));
    const u = (2 * z - 1) / (2 * s * s);
    // log(1 - q + q e^u), stable for large u
    const logMix = u > 0 ? u + Math.log(q + (1 - q) * Math.exp(-u)) : Math.log(1 - q + q * Math.exp(u));
    f[i] = logMu0 + alpha * logMix;
    if (f[i]! > m) m = f[i]!;
  }
  let sum = 0;
  for (let i = 0; i <= n; i++) sum += (i === 0 || i === n ? 0.5 : 1) * Math.exp(f[i]! - m);
  return (m + Math.log(sum * h)) / (alpha - 1);
}

/** Direct summation for integer orders: sum_k C(a, k) (1-q)^(a-k) q^k exp((k^2 - k) / (2 s^2)), plain doubles. */
function rdpByDirectSum(q: number, s: number, a: number): number {
  let total = 0;
  let binom = 1;
  for (let k = 0; k <= a; k++) {
    if (k > 0) binom = (binom * (a - k + 1)) / k;
    total += binom * (1 - q) ** (a - k) * q ** k * Math.exp((k * k - k) / (2 * s * s));
  }
  return Math.log(total) / (a - 1);
}

const settings: [number, number][] = [
  [256 / 60000, 1.12],
  [0.01, 1.1],
  [0.1, 2],
  [0.05, 0.8],
];

test('RDP of the sampled Gaussian agrees with quadrature within 1% at integer and fractional orders', () => {
  for (const [q, s] of settings) {
    for (const a of [1.5, 2, 2.5, 3, 4.7, 7.3, 8, 10.9, 16, 20.5, 32, 63]) {
      const got = rdpSampledGaussian(q, s, a);
      const ref = rdpByQuadrature(q, s, a);
      assert.ok(
        Math.abs(got - ref) <= 0.01 * ref,
        `q=${q} sigma=${s} alpha=${a}: ${got} vs quadrature ${ref}`,
      );
    }
  }
});

test('RDP at integer orders agrees with direct summation within 1%', () => {
  for (const [q, s] of settings) {
    for (let a = 2; a <= 40; a++) {
      const ref = rdpByDirectSum(q, s, a);
      if (!Number.isFinite(ref)) continue; // exp overflow in plain doubles: covered by quadrature
      const got = rdpSampledGaussian(q, s, a);
      assert.ok(Math.abs(got - ref) <= 0.01 * ref, `q=${q} sigma=${s} alpha=${a}: ${got} vs ${ref}`);
    }
  }
});

test('the TensorFlow Privacy MNIST tutorial figures: sigma 1.12, batch 256 of 60000, delta 1e-5', () => {
  // tensorflow/privacy tutorials/README.md: eps 1.00 after 1 epoch, 1.04 after 2, 2.92 after 60, with
  // steps = epochs * (60000 // 256), its default orders and the RDP conversion of the time (classical).
  const q = 256 / 60000;
  for (const [epochs, published] of [
    [1, 1.0],
    [2, 1.04],
    [60, 2.92],
  ] as const) {
    const rdp = computeRdp(q, 1.12, epochs * 234, DEFAULT_ORDERS);
    const { epsilon } = rdpToEpsilon(DEFAULT_ORDERS, rdp, 1e-5, 'classical');
    assert.ok(
      Math.abs(epsilon - published) <= 0.01 * published,
      `${epochs} epochs: ${epsilon} vs ${published}`,
    );
  }
  // The improved conversion (Balle et al. 2020) is never worse.
  const rdp60 = computeRdp(q, 1.12, 60 * 234);
  assert.ok(rdpToEpsilon(DEFAULT_ORDERS, rdp60, 1e-5).epsilon < 2.92);
});

test('without subsampling it is the Gaussian mechanism: rdp = alpha / (2 sigma^2)', () => {
  assert.equal(rdpSampledGaussian(1, 2, 5), 5 / 8);
  assert.equal(rdpSampledGaussian(0, 2, 5), 0);
  assert.equal(rdpSampledGaussian(0.1, 0, 5), Infinity);
  assert.throws(() => rdpSampledGaussian(1.5, 1, 2), /sampleRate must be in \[0, 1\]/);
});

test('the accountant composes steps and merges identical ones', () => {
  const acc = new RDPAccountant();
  for (let i = 0; i < 100; i++) acc.step(1.1, 0.01);
  for (let i = 0; i < 50; i++) acc.step(2, 0.02);
  assert.equal(acc.history.length, 2);
  assert.equal(acc.steps, 150);
  const r1 = computeRdp(0.01, 1.1, 100);
  const r2 = computeRdp(0.02, 2, 50);
  const want = rdpToEpsilon(
    DEFAULT_ORDERS,
    r1.map((v, i) => v + r2[i]!),
    1e-5,
  );
  assert.equal(acc.getEpsilon(1e-5), want.epsilon);
  assert.ok(acc.getEpsilon(1e-5) > new RDPAccountant().getEpsilon(1e-5));
  const copy = new RDPAccountant();
  copy.loadStateDict(JSON.parse(JSON.stringify(acc.stateDict())));
  assert.equal(copy.getEpsilon(1e-5), acc.getEpsilon(1e-5));
  assert.throws(() => new RDPAccountant({ order: [2] } as never), /did you mean "orders"/);
});

test('getNoiseMultiplier meets the target epsilon and is tight to the tolerance', () => {
  const q = 256 / 60000;
  for (const target of [1, 3, 8]) {
    const sigma = getNoiseMultiplier({ targetEpsilon: target, targetDelta: 1e-5, sampleRate: q, epochs: 20 });
    const steps = Math.round(20 / q);
    const eps = (s: number) => rdpToEpsilon(DEFAULT_ORDERS, computeRdp(q, s, steps), 1e-5).epsilon;
    assert.ok(eps(sigma) <= target, `sigma ${sigma}: eps ${eps(sigma)} > ${target}`);
    assert.ok(eps(sigma) >= target - 0.011, `sigma ${sigma} is loose: eps ${eps(sigma)}`);
    assert.ok(eps(sigma * 0.98) > eps(sigma));
  }
  assert.throws(
    () => getNoiseMultiplier({ targetEpsilon: 1, targetDelta: 1e-5, sampleRate: 0.01 }),
    /exactly one of epochs and steps/,
  );
});
