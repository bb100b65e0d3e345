/**
 * The files of the empty consumer project the pack-install test installs the tarball into: an ESM script, a
 * CommonJS script, a strict TypeScript program with its tsconfigs, and the consumer's own CSV data and run
 * config for the CLI. Kept apart from the test so the test reads as the steps a new user takes.
 */

/** Trains y = 3a - 2b + 0.5 with a 2-8-1 MLP for 100 Adam steps and prints the first and last loss. */
export const APP_MJS = `import * as ts from 'tensorscript';

ts.manualSeed(0);
const n = 64;
const xs = new Float32Array(n * 2);
const ys = new Float32Array(n);
for (let i = 0; i < n; i++) {
  const a = (i % 8) / 4 - 1;
  const b = Math.floor(i / 8) / 4 - 1;
  xs[2 * i] = a;
  xs[2 * i + 1] = b;
  ys[i] = 3 * a - 2 * b + 0.5;
}
const x = ts.tensor(xs, { shape: [n, 2] });
const y = ts.tensor(ys, { shape: [n, 1] });
const model = new ts.nn.Sequential(new ts.nn.Linear(2, 8), new ts.nn.ReLU(), new ts.nn.Linear(8, 1));
const opt = new ts.optim.Adam(model.parameters(), { lr: 0.05 });
const losses = [];
for (let step = 0; step < 100; step++) {
  opt.zeroGrad();
  const loss = ts.functional.mseLoss(model.forward(x), y);
  loss.backward();
  opt.step();
  losses.push(loss.item());
}
const sum = ts.add(ts.tensor([1, 2, 3]), ts.tensor([10, 20, 30])).toTypedArray();
console.log(JSON.stringify({ backend: ts.getBackend().name, first: losses[0], last: losses.at(-1), sum: Array.from(sum) }));
`;

/** require() of the ES module package (Node 20.19+/22.12+ load ESM synchronously through require). */
export const APP_CJS = `const ts = require('tensorscript');
const t = ts.mul(ts.tensor([1, 2, 3]), ts.tensor([2, 2, 2]));
console.log(JSON.stringify({ product: Array.from(t.toTypedArray()), hasCli: typeof require('tensorscript/cli').loadConfig }));
`;

/** Uses the public types the way an application would; the @ts-expect-error lines prove they are not any. */
export const MAIN_TS = `import * as ts from 'tensorscript';
import { loadConfig } from 'tensorscript/cli';

ts.manualSeed(0);
const x: ts.Tensor = ts.tensor(new Float32Array([0, 1, 2, 3, 4, 5]), { shape: [3, 2] });
const y: ts.Tensor = ts.tensor(new Float32Array([1, 0, 1]), { shape: [3, 1] });
const model = new ts.nn.Sequential(new ts.nn.Linear(2, 4), new ts.nn.ReLU(), new ts.nn.Linear(4, 1));
const opt = new ts.optim.SGD(model.parameters(), { lr: 0.1 });
opt.zeroGrad();
const loss: ts.Tensor = ts.functional.binaryCrossEntropyWithLogits(model.forward(x) as ts.Tensor, y);
loss.backward();
opt.step();
const value: number = loss.item();
const dtype: ts.DType = x.dtype;
const shape: readonly number[] = x.shape;
const trainer = ts.train.compile(model, { optimizer: { name: 'adam', lr: 1e-3 }, loss: 'bceWithLogits' });
const auc: number | number[] = ts.metrics.rocAucScore([0, 1, 1], [0.1, 0.8, 0.6]);
const config = loadConfig('cfg/tiny.yaml');
// @ts-expect-error a tensor's shape is not a string
const wrongShape: string = x.shape;
// @ts-expect-error ts.tensor takes no such option
ts.tensor([1], { shpe: [1] });
console.log(value, dtype, shape, auc, config.name, typeof trainer.fit, wrongShape);
`;

/** Strict settings as \`tsc --init\` (TS 5.9) writes them, plus no DOM and no @types/node: only what ships. */
export function tsconfig(moduleResolution: 'nodenext' | 'bundler'): string {
  return JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module: moduleResolution === 'bundler' ? 'preserve' : 'nodenext',
        moduleResolution,
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        verbatimModuleSyntax: true,
        skipLibCheck: false,
        noEmit: true,
        lib: ['ES2022'],
        types: [],
      },
      files: ['main.ts'],
    },
    null,
    2,
  );
}

/** 120 points, label "inside" when a + b > 0 (separable with margin): the consumer's own table. */
export function pointsCsv(withLabel: boolean, rows = 120): string {
  const lines = [withLabel ? 'a,b,side' : 'a,b'];
  for (let i = 0; i < rows; i++) {
    const a = ((i * 37) % 101) / 50 - 1;
    let b = ((i * 53) % 97) / 48 - 1;
    if (Math.abs(a + b) < 0.2) b += a + b >= 0 ? 0.3 : -0.3;
    const label = a + b > 0 ? 'inside' : 'outside';
    lines.push(withLabel ? `${a},${b.toFixed(4)},${label}` : `${a},${b.toFixed(4)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The run config, in cfg/ next to data/: its data path is relative to the config file. */
export const TINY_YAML = `name: tiny
seed: 1
data:
  source: csv
  path: ../data/points.csv
  label: side
  positiveClass: inside
  split: { testFraction: 0.25, stratify: true }
  preprocessing: { scaling: standard }
model:
  className: Sequential
  config:
    layers:
      - { className: Linear, config: { inFeatures: 2, outFeatures: 8 } }
      - { className: ReLU }
      - { className: Linear, config: { inFeatures: 8, outFeatures: 1 } }
loss: bceWithLogits
optimizer: { name: adam, lr: 0.05 }
training: { epochs: 15, batchSize: 16 }
evaluation: { metrics: [accuracy] }
output: runs/tiny
`;
