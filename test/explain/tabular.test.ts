import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

const { kernelShap, permutationImportance } = ts.explain;
type Rec = Record<string, number>;

describe('permutation importance', () => {
  it('ranks the planted informative feature first on a trained saved model', async () => {
    // y depends on "signal" only; "noise1"/"noise2" are independent draws.
    const g = new ts.Generator(11);
    const n = 400;
    const rows: Rec[] = Array.from({ length: n }, () => ({
      noise1: g.normal(),
      signal: g.normal(),
      noise2: g.normal(),
    }));
    const labels = rows.map((r) => (r.signal! + 0.2 * g.normal() > 0 ? 'yes' : 'no'));
    const table = ts.data.makeTable({
      noise1: Float64Array.from(rows, (r) => r.noise1!),
      signal: Float64Array.from(rows, (r) => r.signal!),
      noise2: Float64Array.from(rows, (r) => r.noise2!),
      y: labels,
    });
    const saved = await ts.saving.fitTable(table, {
      label: 'y',
      model: {
        className: 'Sequential',
        config: {
          layers: [
            { className: 'Linear', config: { inFeatures: 3, outFeatures: 8 } },
            { className: 'Tanh' },
            { className: 'Linear', config: { inFeatures: 8, outFeatures: 1 } },
          ],
        },
      },
      loss: 'bceWithLogits',
      optimizer: { name: 'adam', lr: 0.05 },
      epochs: 20,
      batchSize: 32,
      seed: 1,
    });
    const score = (recs: ts.explain.TabularRecord[]) => saved.evaluate(recs as never, labels).accuracy!;
    const imp = permutationImportance(score, rows, ['noise1', 'signal', 'noise2'], { repeats: 3, seed: 2 });
    assert.equal(imp[0]!.feature, 'signal', JSON.stringify(imp));
    assert.ok(imp[0]!.importance > 0.2 && imp[1]!.importance < 0.05, JSON.stringify(imp));
  });
});

describe('KernelSHAP', () => {
  const w = { a: 2, b: -3, c: 0.5, d: 0 };
  const linear = (recs: ts.explain.TabularRecord[]) =>
    recs.map((r) => Object.entries(w).reduce((s, [k, v]) => s + v * (r[k] as number), 1));
  const g = new ts.Generator(3);
  const bg: Rec[] = Array.from({ length: 20 }, () => ({
    a: g.normal(),
    b: g.normal(),
    c: g.normal(),
    d: g.normal(),
  }));
  const x: Rec = { a: 1, b: 2, c: -1, d: 5 };
  const mean = (k: string) => bg.reduce((s, r) => s + r[k]!, 0) / bg.length;

  it('recovers w_i (x_i - E[x_i]) exactly for a linear model (all coalitions)', () => {
    const e = kernelShap(linear, x, bg, ['a', 'b', 'c', 'd']);
    for (const [k, v] of Object.entries(w))
      assert.ok(Math.abs(e.values[k]! - v * (x[k]! - mean(k))) < 1e-8, k);
    const total = Object.values(e.values).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(total - (e.output - e.base)) < 1e-9);
  });

  it('estimates it by sampling coalitions, the values still summing to f(x) - base', () => {
    const e = kernelShap(linear, x, bg, ['a', 'b', 'c', 'd'], { samples: 8, seed: 1 });
    const total = Object.values(e.values).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(total - (e.output - e.base)) < 1e-9);
    // A linear model has no interactions, so even few sampled coalitions give the exact values.
    for (const [k, v] of Object.entries(w))
      assert.ok(Math.abs(e.values[k]! - v * (x[k]! - mean(k))) < 1e-6, k);
  });
});
