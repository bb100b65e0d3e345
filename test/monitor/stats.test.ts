import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

const { chiSquaredTest, gammaQ, kolmogorovSurvival, ksTest, normalCdf, psi, referenceCdf, driftReference } =
  ts.monitor;

describe('drift statistics', () => {
  it('match scipy (values from /usr/bin/python3 scipy.stats)', () => {
    // scipy.stats.chi2.sf(7.3, 3), chi2.sf(50, 10), kstwobign.sf(1.0), norm.cdf(1.3)
    assert.ok(Math.abs(gammaQ(1.5, 3.65) - 0.06292623645904312) < 1e-9);
    assert.ok(Math.abs(gammaQ(5, 25) / 2.669083424904495e-7 - 1) < 1e-6);
    assert.ok(Math.abs(kolmogorovSurvival(1.0) - 0.26999967167735456) < 1e-9);
    assert.ok(Math.abs(normalCdf(1.3) - 0.9031995154143897) < 2e-7);
  });

  it('PSI is zero for equal distributions, symmetric-ish and large for a moved one', () => {
    assert.equal(psi([1, 2, 3], [2, 4, 6]), 0);
    assert.ok(psi([0.5, 0.5], [0.9, 0.1]) > 0.5);
  });

  it('KS accepts a sample from the reference and rejects a shifted one', () => {
    const g = new ts.Generator(7);
    const same = Array.from({ length: 2000 }, () => g.normal());
    const ref = referenceCdf({ kind: 'numeric', mean: 0, std: 1, min: -6, max: 6 });
    assert.ok(ksTest(same, ref).pValue > 0.01);
    const moved = same.map((v) => v + 0.3);
    const r = ksTest(moved, ref);
    assert.ok(r.pValue < 1e-6 && r.statistic > 0.1, JSON.stringify(r));
    // An empirical (quantile) reference of a skewed distribution: its own fresh sample passes.
    const skew = driftReference(Array.from({ length: 5000 }, () => Math.exp(g.normal())));
    assert.ok(
      ksTest(
        Array.from({ length: 1000 }, () => Math.exp(g.normal())),
        referenceCdf(skew),
      ).pValue > 0.01,
    );
  });

  it('chi-squared: counts in proportion give p = 1, a swapped majority a tiny p', () => {
    assert.ok(chiSquaredTest([50, 30, 20], [5, 3, 2]).pValue > 0.999);
    const r = chiSquaredTest([20, 30, 50], [5, 3, 2]);
    assert.ok(r.pValue < 1e-6 && r.cramersV > 0.3);
  });
});
