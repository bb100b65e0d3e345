/**
 * Workflow 6: linear regression by gradient descent on the diabetes CSV (label `progression`): standardised
 * features (scaler fitted on the training split), one Linear(10, 1) layer, MSE, full-batch gradient descent.
 * Target: test R^2 within 0.005 of the closed-form least-squares solution on the same split, which this script
 * computes with a float64 normal-equations solve. CLI config: configs/diabetes-regression.yaml.
 *
 *   npx tsx examples/diabetes-regression.ts [--quick] [--seed n]
 */
import * as ts from '../src/index.ts';
import { exampleFlags, report, stopwatch } from './common.ts';

const { quick, seed } = exampleFlags();

const table = await ts.data.readCsv('datasets/diabetes.csv');
const features = table.columns.filter((c) => c !== 'progression');
const target = ts.data.numberColumn(table, 'progression');
const d = features.length;
const split = ts.data.trainTestSplit(table.length, { testSize: 0.2, seed });

function matrix(rows: Int32Array): { rows: number; cols: number; data: Float64Array } {
  const data = new Float64Array(rows.length * d);
  features.forEach((name, j) => {
    const col = ts.data.numberColumn(table, name);
    rows.forEach((r, i) => {
      data[i * d + j] = col[r]!;
    });
  });
  return { rows: rows.length, cols: d, data };
}

const scaler = new ts.data.StandardScaler();
const xTrain = scaler.fitTransform(matrix(split.train));
const xTest = scaler.transform(matrix(split.test));
const yTrain = Float64Array.from(split.train, (r) => target[r]!);
const yTest = Float64Array.from(split.test, (r) => target[r]!);

/** Closed-form least squares with an intercept: solve (A^T A) w = A^T y in float64, A = [X, 1]. */
function leastSquares(x: { rows: number; cols: number; data: Float64Array }, y: Float64Array): Float64Array {
  const p = x.cols + 1;
  const ata = new Float64Array(p * p);
  const aty = new Float64Array(p);
  for (let i = 0; i < x.rows; i++) {
    const row = [...x.data.subarray(i * x.cols, (i + 1) * x.cols), 1];
    for (let a = 0; a < p; a++) {
      aty[a]! += row[a]! * y[i]!;
      for (let b = 0; b < p; b++) ata[a * p + b]! += row[a]! * row[b]!;
    }
  }
  // Gaussian elimination with partial pivoting on [A^T A | A^T y].
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(ata[r * p + c]!) > Math.abs(ata[piv * p + c]!)) piv = r;
    for (let k = 0; k < p; k++) [ata[c * p + k], ata[piv * p + k]] = [ata[piv * p + k]!, ata[c * p + k]!];
    [aty[c], aty[piv]] = [aty[piv]!, aty[c]!];
    for (let r = c + 1; r < p; r++) {
      const f = ata[r * p + c]! / ata[c * p + c]!;
      for (let k = c; k < p; k++) ata[r * p + k]! -= f * ata[c * p + k]!;
      aty[r]! -= f * aty[c]!;
    }
  }
  const w = new Float64Array(p);
  for (let r = p - 1; r >= 0; r--) {
    let s = aty[r]!;
    for (let k = r + 1; k < p; k++) s -= ata[r * p + k]! * w[k]!;
    w[r] = s / ata[r * p + r]!;
  }
  return w;
}

const w = leastSquares(xTrain, yTrain);
const closedPred = Array.from({ length: xTest.rows }, (_, i) => {
  let s = w[d]!;
  for (let j = 0; j < d; j++) s += w[j]! * xTest.data[i * d + j]!;
  return s;
});
const r2Closed = ts.metrics.r2Score(Array.from(yTest), closedPred);

// Gradient descent: one full-batch step per epoch.
ts.manualSeed(seed);
const model = new ts.nn.Linear(d, 1);
const trainer = ts.train.compile(model, {
  optimizer: new ts.optim.SGD(model.parameters(), { lr: 0.2 }),
  loss: 'mse',
});
const xt = ts.tensor(Float32Array.from(xTrain.data), { shape: [xTrain.rows, d] });
const yt = ts.tensor(Float32Array.from(yTrain), { shape: [xTrain.rows, 1] });
const epochs = quick ? 50 : 5000;
const elapsed = stopwatch();
await trainer.fit(xt, yt, { epochs, batchSize: xTrain.rows, shuffle: false, verbose: 0, seed });
const seconds = elapsed();
const pred = trainer.predict(ts.tensor(Float32Array.from(xTest.data), { shape: [xTest.rows, d] }));
const gdPred = Array.from(pred.toTypedArray() as Float32Array);
const r2 = ts.metrics.r2Score(Array.from(yTest), gdPred);

console.log(
  `[diabetes-regression] ${xTrain.rows} train / ${xTest.rows} test rows, ${epochs} full-batch steps in ${seconds.toFixed(2)} s`,
);
console.log(
  `[diabetes-regression] R^2 gradient descent ${r2.toFixed(5)}, closed form ${r2Closed.toFixed(5)}, gap ${Math.abs(r2 - r2Closed).toExponential(2)} (target <= 0.005)`,
);
report(
  'diabetes-regression',
  {
    r2,
    r2_closed_form: r2Closed,
    r2_gap: Math.abs(r2 - r2Closed),
    mse: ts.metrics.meanSquaredError(Array.from(yTest), gdPred),
  },
  (xTrain.rows * epochs) / seconds,
);
