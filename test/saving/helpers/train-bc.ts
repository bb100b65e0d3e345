// Trains a small breast-cancer classifier in code (no CLI) and wraps it as a SavedModel.
import * as ts from '../../../src/index.ts';

export async function trainBreastCancer(
  epochs = 3,
): Promise<{ saved: ts.saving.SavedModel; rows: ts.data.Row[] }> {
  const table = await ts.data.readCsv('datasets/breast_cancer.csv');
  const label = 'diagnosis';
  const numeric = table.columns.filter((c) => c !== label);
  const split = ts.data.trainTestSplit(table.length, { testSize: 0.2, seed: 0 });
  const train = ts.data.selectRows(table, split.train);
  const pre = ts.data.TabularPreprocessor.fit(train, numeric, [], { scaler: 'standard' });
  const labels = ts.data.columnAsStrings(train, label);
  const classes = ['benign', 'malignant'];
  const y = ts.tensor(
    Float32Array.from(labels, (l) => (l === 'malignant' ? 1 : 0)),
    { shape: [train.length, 1] },
  );
  const x = pre.table(train);
  ts.manualSeed(0);
  const model = ts.nn.moduleFromConfig({
    className: 'Sequential',
    config: {
      layers: [
        { className: 'Linear', config: { inFeatures: numeric.length, outFeatures: 8 } },
        { className: 'ReLU', config: {} },
        { className: 'Linear', config: { inFeatures: 8, outFeatures: 1 } },
      ],
    },
  });
  const trainer = ts.train.compile(model as unknown as ts.train.TrainableModule, {
    optimizer: { name: 'adam', lr: 0.01 },
    loss: 'bceWithLogits',
  });
  await trainer.fit(x, y, { epochs, batchSize: 32, seed: 0, verbose: 0 });
  const saved = new ts.saving.SavedModel({
    model,
    preprocessor: pre,
    task: {
      task: 'classification',
      classes,
      targetKind: 'float',
      outputTransform: ts.saving.outputTransform('bceWithLogits'),
      threshold: 0.5,
    },
    card: ts.saving.makeCard({
      x: { data: x.toTypedArray() as Float32Array, shape: x.shape, names: numeric },
      config: { loss: 'bceWithLogits', epochs },
    }),
  });
  x.dispose();
  y.dispose();
  const test = ts.data.selectRows(table, split.test);
  const rows = Array.from({ length: test.length }, (_, i) => ts.data.getRow(test, i));
  return { saved, rows };
}
