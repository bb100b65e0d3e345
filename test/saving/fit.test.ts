// saving.fit: train a saved model in code from a CSV path, an image folder, a text folder, a table or tensors,
// with the preprocessing fitted on the training split only; predict/predictProba/evaluate on raw inputs.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { PNG } from 'pngjs';
import * as ts from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-fit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const linear = (inFeatures: number, outFeatures: number) => ({
  className: 'Sequential',
  config: { layers: [{ className: 'Linear', config: { inFeatures, outFeatures } }] },
});

describe('saving.fit', () => {
  it('CSV path: scaler fitted on the training split only, class names out, raw statistics in the card', async () => {
    const r = await ts.saving.fit({
      seed: 3,
      data: {
        source: 'csv',
        path: 'datasets/breast_cancer.csv',
        label: 'diagnosis',
        positiveClass: 'malignant',
      },
      model: linear(30, 1),
      loss: 'bceWithLogits',
      optimizer: { name: 'adam', lr: 0.01 },
      training: { epochs: 8 },
    });
    const m = r.model;
    assert.deepEqual(m.classes, ['benign', 'malignant']);
    assert.ok(r.metrics.accuracy! > 0.93, `accuracy ${r.metrics.accuracy}`);
    assert.ok(Number.isFinite(r.metrics.loss));
    // The scaler's means are the training rows' means, not all rows'.
    const table = await ts.data.readCsv('datasets/breast_cancer.csv');
    const train = ts.data.selectRows(table, r.source.split.train);
    const col = train.data.mean_radius as Float64Array;
    const trainMean = col.reduce((a, b) => a + b, 0) / col.length;
    const all = table.data.mean_radius as Float64Array;
    const allMean = all.reduce((a, b) => a + b, 0) / all.length;
    assert.notEqual(trainMean, allMean);
    const stats = m.card.data.features.mean_radius as ts.saving.NumericStats;
    assert.equal(stats.kind, 'numeric');
    assert.ok(Math.abs(stats.mean - trainMean) < 1e-9, `${stats.mean} vs ${trainMean}`);
    assert.equal(stats.count, r.source.split.train.length);
    assert.equal(stats.min, Math.min(...col));
    const pre = m.preprocessor.toJSON();
    assert.equal(pre.kind, 'tabular');
    // Raw test records -> class names; predictProba keyed by name; evaluate on names equals the run's score.
    const test = ts.data.selectRows(table, r.source.split.test);
    const rows = Array.from({ length: test.length }, (_, i) => ts.data.getRow(test, i));
    const preds = m.predict(rows);
    assert.ok(preds.every((p) => 'label' in p && (p.label === 'benign' || p.label === 'malignant')));
    const proba = m.predictProba(rows.slice(0, 3));
    assert.deepEqual(Object.keys(proba[0]!), ['benign', 'malignant']);
    const e = m.evaluate(
      rows,
      rows.map((row) => row.diagnosis as string),
    );
    assert.equal(e.accuracy, r.metrics.accuracy);
    m.save(join(dir, 'bc'));
    assert.deepEqual(ts.saving.load(join(dir, 'bc')).predict(rows), preds);
  });

  it('categorical columns: category frequencies of the raw training cells and the missing count', async () => {
    const n = 120;
    const colour: (string | null)[] = [];
    const size = new Float64Array(n);
    const y: string[] = [];
    for (let i = 0; i < n; i++) {
      colour.push(i % 10 === 0 ? null : ['red', 'green', 'blue'][i % 3]!);
      size[i] = i % 7 === 0 ? Number.NaN : (i % 3) * 2 + (i % 5) / 10;
      y.push(i % 3 === 0 ? 'yes' : 'no');
    }
    const table = ts.data.makeTable({ colour, size, y });
    const r = await ts.saving.fit({
      data: { source: 'table', table, label: 'y', categorical: ['colour'], split: { testFraction: 0.25 } },
      model: linear(4, 1),
      loss: 'bceWithLogits',
      optimizer: { name: 'adam', lr: 0.05 },
      training: { epochs: 3 },
    });
    const train = Array.from(r.source.split.train);
    const c = r.model.card.data.features.colour as ts.saving.CategoricalStats;
    assert.equal(c.kind, 'categorical');
    assert.equal(c.missing, train.filter((i) => colour[i] === null).length);
    assert.equal(c.categories.red, train.filter((i) => colour[i] === 'red').length);
    assert.equal(c.count + c.missing, train.length);
    const s = r.model.card.data.features.size as ts.saving.NumericStats;
    assert.equal(s.missing, train.filter((i) => Number.isNaN(size[i]!)).length);
    // Raw statistics: the unscaled maximum, not a standardised one.
    assert.equal(s.max, Math.max(...train.map((i) => size[i]!).filter((v) => !Number.isNaN(v))));
    // The card with numeric and categorical statistics validates against the documented schema.
    const v = r.model.save(join(dir, 'cat'));
    const schema = JSON.parse(readFileSync('docs/saved-model.schema.json', 'utf8'));
    const ajv = new Ajv2020.default({ strict: false });
    ajv.addSchema(schema);
    const validate = ajv.getSchema(`${schema.$id}#/$defs/card`)!;
    const card = JSON.parse(readFileSync(join(v, 'card.json'), 'utf8'));
    assert.ok(validate(card), ajv.errorsText(validate.errors));
    card.data.features.colour.categories = { red: 'many' };
    assert.equal(validate(card), false);
  });

  it('image folder: decoded, normalised, predicts class names from PNG bytes', async () => {
    const root = join(dir, 'imgs');
    const pngOf = (v: number) => {
      const png = new PNG({ width: 4, height: 3 });
      for (let p = 0; p < 12; p++) png.data.set([v, v, v, 255], p * 4);
      return PNG.sync.write(png);
    };
    for (const [c, v] of [
      ['dark', 20],
      ['light', 230],
    ] as const) {
      mkdirSync(join(root, c), { recursive: true });
      for (let i = 0; i < 15; i++) writeFileSync(join(root, c, `${i}.png`), pngOf(v + i));
    }
    const r = await ts.saving.fit({
      data: {
        source: 'imageFolder',
        path: root,
        channels: 1,
        flatten: true,
        preprocessing: { normalize: { mean: [0.5], std: [0.5] } },
      },
      model: linear(12, 2),
      loss: 'crossEntropy',
      optimizer: { name: 'adam', lr: 0.1 },
      training: { epochs: 10, batchSize: 8 },
    });
    assert.deepEqual(r.model.classes, ['dark', 'light']);
    assert.equal(r.metrics.accuracy, 1);
    const p = r.model.predict([pngOf(25), pngOf(240)]);
    assert.deepEqual(
      p.map((q) => (q as { label: string }).label),
      ['dark', 'light'],
    );
    // Per-channel raw pixel statistics in [0, 1].
    const ch = r.model.card.data.features.channel0 as ts.saving.NumericStats;
    assert.ok(ch.min >= 20 / 255 - 1e-6 && ch.max <= 245 / 255 + 1e-6, JSON.stringify(ch));
  });

  it('text folder: vocabulary from the training documents only', async () => {
    const root = join(dir, 'texts');
    const docs: Record<string, string[]> = {
      ham: [
        'meeting at noon',
        'lunch with the team',
        'notes from the meeting',
        'team lunch notes',
        'noon meeting',
      ],
      spam: ['win money now', 'free prize now', 'cheap money offer', 'win a free prize', 'money money now'],
    };
    for (const [c, texts] of Object.entries(docs)) {
      mkdirSync(join(root, c), { recursive: true });
      for (const [i, t] of texts.entries()) writeFileSync(join(root, c, `${i}.txt`), t);
    }
    const r = await ts.saving.fit({
      data: {
        source: 'textFolder',
        path: root,
        split: { testFraction: 0.2 },
        preprocessing: { tokenizer: { vocabSize: 50, maxLength: 4 } },
      },
      model: {
        className: 'Sequential',
        config: {
          layers: [
            { className: 'Embedding', config: { numEmbeddings: 50, embeddingDim: 4 } },
            { className: 'Flatten' },
            { className: 'Linear', config: { inFeatures: 16, outFeatures: 2 } },
          ],
        },
      },
      loss: 'crossEntropy',
      optimizer: { name: 'adam', lr: 0.05 },
      training: { epochs: 5, batchSize: 4 },
    });
    const pre = r.model.preprocessor.toJSON();
    assert.equal(pre.kind, 'text');
    const vocab = new Set((pre as { tokenizer: { vocab: string[] } }).tokenizer.vocab);
    const texts = Object.values(docs).flat();
    const trainWords = new Set(Array.from(r.source.split.train, (i) => texts[i]!.split(' ')).flat());
    const testOnly = Array.from(r.source.split.test, (i) => texts[i]!.split(' '))
      .flat()
      .filter((w) => !trainWords.has(w));
    assert.ok(testOnly.length > 0, 'the split should leave some words to the test documents');
    for (const w of testOnly) assert.ok(!vocab.has(w), `"${w}" occurs only in test documents`);
    const out = r.model.predict(['free money now']);
    assert.ok(['ham', 'spam'].includes((out[0] as { label: string }).label));
    assert.ok((r.model.card.data.features.words as ts.saving.NumericStats).max >= 3);
  });

  it('tensors: [N, F] with integer labels and class names; predict on a tensor or records', async () => {
    const g = new ts.Generator(5);
    const n = 150;
    const x = new Float32Array(n * 2);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 3;
      x[2 * i] = y[i]! * 2 + g.uniform();
      x[2 * i + 1] = -y[i]! + g.uniform();
    }
    const r = await ts.saving.fit({
      data: { source: 'tensors', x: ts.tensor(x, { shape: [n, 2] }), y, classes: ['a', 'b', 'c'] },
      model: linear(2, 3),
      loss: 'crossEntropy',
      optimizer: { name: 'adam', lr: 0.1 },
      training: { epochs: 20 },
    });
    assert.deepEqual(r.model.classes, ['a', 'b', 'c']);
    assert.ok(r.metrics.accuracy! > 0.9, `accuracy ${r.metrics.accuracy}`);
    const probe = ts.tensor([4.5, -1.5], { shape: [1, 2] });
    assert.equal((r.model.predict(probe)[0] as { label: string }).label, 'c');
    assert.deepEqual(r.model.predict([{ x0: 4.5, x1: -1.5 }]), r.model.predict(probe));
    assert.ok(r.model.evaluate(ts.tensor(x, { shape: [n, 2] }), Array.from(y)).accuracy! > 0.9);
  });

  it('refuses unknown keys with a did-you-mean, before reading any data', async () => {
    const base = {
      data: { source: 'csv' as const, path: 'datasets/iris.csv', label: 'species' },
      model: linear(4, 3),
      loss: 'crossEntropy',
      optimizer: { name: 'adam' },
    };
    await assert.rejects(
      ts.saving.fit({ ...base, traning: { epochs: 1 } } as never),
      /\[saving\.fit\] unknown option "traning" \(did you mean "training"\?\)/,
    );
    await assert.rejects(
      ts.saving.fit({ ...base, training: { epoch: 2 } } as never),
      /unknown option "epoch" \(did you mean "epochs"\?\)/,
    );
    await assert.rejects(
      ts.saving.fit({ ...base, data: { ...base.data, lable: 'species' } } as never),
      /\[data \(csv\)\] unknown option "lable" \(did you mean "label"\?\)/,
    );
    await assert.rejects(
      ts.saving.fit({ ...base, data: { ...base.data, preprocessing: { scalng: 'minmax' } } } as never),
      /unknown option "scalng" \(did you mean "scaling"\?\)/,
    );
  });
});
