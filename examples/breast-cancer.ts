/**
 * Workflow 2: binary classification of the breast cancer CSV (label `diagnosis`, positive class `malignant`),
 * judged by seeded stratified 5-fold cross-validation with the scaler fitted on each fold's training part:
 *   (a) Dense 64 ReLU, Dense 64 ReLU, Dense 1 sigmoid; Adam, binary cross-entropy, 10 epochs, batch 32,
 *       10% of the training part as validation data;
 *   (b) 30-50-1 with BCE-with-logits, Adam 1e-3, batch 32, early stopping on the validation loss (patience 10,
 *       best weights restored).
 * Targets: mean accuracy >= 95.5% and mean ROC AUC >= 0.985 for both. CLI configs: configs/breast-cancer-{a,b}.yaml.
 *
 *   npx tsx examples/breast-cancer.ts [--quick] [--seed n]
 */
import * as ts from '../src/index.ts';
import { exampleFlags, formatMetrics, report, stopwatch } from './common.ts';

const { quick, seed } = exampleFlags();

const table = await ts.data.readCsv('datasets/breast_cancer.csv');
const features = table.columns.filter((c) => c !== 'diagnosis');
const diagnosis = ts.data.stringColumn(table, 'diagnosis');
const y = Int32Array.from(diagnosis, (d) => (d === 'malignant' ? 1 : 0));
const rows = table.length;
// Row-major feature matrix (float64) for the scaler.
const x = new Float64Array(rows * features.length);
features.forEach((name, j) => {
  const col = ts.data.numberColumn(table, name);
  for (let i = 0; i < rows; i++) x[i * features.length + j] = col[i]!;
});

function pick(idx: Int32Array): { rows: number; cols: number; data: Float64Array } {
  const d = features.length;
  const out = new Float64Array(idx.length * d);
  idx.forEach((r, i) => {
    out.set(x.subarray(r * d, (r + 1) * d), i * d);
  });
  return { rows: idx.length, cols: d, data: out };
}

function toTensor(m: { rows: number; cols: number; data: Float64Array }): ts.Tensor {
  return ts.tensor(Float32Array.from(m.data), { shape: [m.rows, m.cols] });
}

interface Recipe {
  name: string;
  build(): ts.nn.Module;
  loss: ts.train.LossSpec;
  fit: ts.train.FitOptions;
  /** Early stopping on the validation loss (patience 10, best weights restored). */
  earlyStopping: boolean;
  /** Model output -> probability of malignant. */
  probability(out: ts.Tensor): ts.Tensor;
}

const recipes: Recipe[] = [
  {
    name: 'a',
    build: () =>
      new ts.nn.Sequential(
        new ts.nn.Linear(30, 64),
        new ts.nn.ReLU(),
        new ts.nn.Linear(64, 64),
        new ts.nn.ReLU(),
        new ts.nn.Linear(64, 1),
        new ts.nn.Sigmoid(),
      ),
    loss: 'binaryCrossentropy',
    fit: { epochs: quick ? 2 : 10, batchSize: 32, validationSplit: 0.1 },
    earlyStopping: false,
    probability: (out) => out,
  },
  {
    name: 'b',
    build: () => new ts.nn.Sequential(new ts.nn.Linear(30, 50), new ts.nn.ReLU(), new ts.nn.Linear(50, 1)),
    loss: 'bceWithLogits',
    // An upper bound on epochs: early stopping ends each run.
    fit: { epochs: quick ? 5 : 500, batchSize: 32, validationSplit: 0.1 },
    earlyStopping: true,
    probability: (out) => out.sigmoid(),
  },
];

const k = quick ? 2 : 5;
const folds = ts.data.stratifiedKFold(y, { k, shuffle: true, seed });
const scores: Record<string, { accuracy: number[]; rocAuc: number[]; epochs: number[] }> = {};
let samples = 0;
let seconds = 0;
for (const recipe of recipes) {
  scores[recipe.name] = { accuracy: [], rocAuc: [], epochs: [] };
  for (const [f, fold] of folds.entries()) {
    // The scaler sees only this fold's training rows.
    const scaler = new ts.data.StandardScaler();
    const xTrain = toTensor(scaler.fitTransform(pick(fold.train)));
    const xTest = toTensor(scaler.transform(pick(fold.test)));
    const yTrain = ts.tensor(
      Float32Array.from(fold.train, (i) => y[i]!),
      { shape: [fold.train.length, 1] },
    );
    const yTest = Array.from(fold.test, (i) => y[i]!);

    ts.manualSeed(seed + f);
    const model = recipe.build();
    const trainer = ts.train.compile(model, {
      optimizer: new ts.optim.Adam(model.parameters(), { lr: 1e-3 }),
      loss: recipe.loss,
    });
    // A fresh EarlyStopping per fold (callbacks keep state).
    const fit: ts.train.FitOptions = {
      ...recipe.fit,
      seed: seed + f,
      verbose: 0,
      callbacks:
        recipe.name === 'b'
          ? [new ts.train.EarlyStopping({ monitor: 'val_loss', patience: 10, restoreBestWeights: true })]
          : [],
    };
    const t = stopwatch();
    const history = await trainer.fit(xTrain, yTrain, fit);
    seconds += t();
    samples += Math.floor(fold.train.length * 0.9) * history.epoch.length;

    const prob = Array.from(recipe.probability(trainer.predict(xTest)).toTypedArray() as Float32Array);
    const pred = prob.map((p) => (p > 0.5 ? 1 : 0));
    const acc = ts.metrics.accuracyScore(yTest, pred);
    const auc = ts.metrics.rocAucScore(yTest, prob) as number;
    scores[recipe.name]!.accuracy.push(acc);
    scores[recipe.name]!.rocAuc.push(auc);
    scores[recipe.name]!.epochs.push(history.epoch.length);
    console.log(
      `[breast-cancer] recipe ${recipe.name} fold ${f + 1}/${k}: ${formatMetrics({ accuracy: acc, roc_auc: auc, epochs: history.epoch.length })}`,
    );
  }
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const metrics: Record<string, number> = {};
for (const r of recipes) {
  metrics[`${r.name}_cv_accuracy`] = mean(scores[r.name]!.accuracy);
  metrics[`${r.name}_cv_roc_auc`] = mean(scores[r.name]!.rocAuc);
  metrics[`${r.name}_cv_epochs`] = mean(scores[r.name]!.epochs);
}
console.log(`[breast-cancer] ${k}-fold stratified CV (seed ${seed}), scaler fitted per fold`);
report('breast-cancer', metrics, samples / seconds);
