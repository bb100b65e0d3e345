import * as ts from '../../src/index.ts';
import { Dropout, Linear, ReLU, Sequential } from '../../src/nn/index.ts';

/** A small seeded binary problem: x [n, 4], labels from a fixed linear rule (int32), plus one-hot targets. */
export function toyData(
  n = 48,
  seed = 3,
): { x: ts.Tensor; y: ts.Tensor; yFloat: ts.Tensor; oneHot: ts.Tensor } {
  const g = new ts.Generator(seed);
  const xs = new Float32Array(n * 4);
  for (let i = 0; i < xs.length; i++) xs[i] = g.normal();
  const ys = new Int32Array(n);
  const oh = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const s = xs[i * 4]! - 0.5 * xs[i * 4 + 1]! + 0.25 * xs[i * 4 + 2]! + 0.3 * g.normal();
    ys[i] = s > 0 ? 1 : 0;
    oh[i * 2 + ys[i]!] = 1;
  }
  return {
    x: ts.keep(ts.tensor(xs, { shape: [n, 4] })),
    y: ts.keep(ts.tensor(ys, { shape: [n] })),
    yFloat: ts.keep(ts.tensor(Float32Array.from(ys), { shape: [n, 1] })),
    oneHot: ts.keep(ts.tensor(oh, { shape: [n, 2] })),
  };
}

/** Linear(4, 8) - ReLU - [Dropout] - Linear(8, out), initialised from the default generator after seeding it. */
export function toyModel(seed: number, out = 2, dropout = 0): Sequential {
  ts.manualSeed(seed);
  const layers = [new Linear(4, 8), new ReLU()];
  if (dropout > 0) layers.push(new Dropout(dropout));
  return new Sequential(...layers, new Linear(8, out));
}
