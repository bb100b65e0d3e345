import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { loadCheckpointModel, main } from '../../src/cli/index.ts';
import * as ts from '../../src/index.ts';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(...argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** The JSON line a workflow ends with. */
function lastJson(out: string): { workflow: string; metrics: Record<string, number>; samplesPerSec: number } {
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!);
}

const dir = mkdtempSync(join(tmpdir(), 'ts-cli-'));

describe('tensorscript train / evaluate / predict on breast cancer rows', () => {
  const out = join(dir, 'bc');
  let trained: ReturnType<typeof lastJson>;
  before(async () => {
    const cfg = join(dir, 'bc.yaml');
    writeFileSync(
      cfg,
      `name: bc-tiny
seed: 3
data: { source: csv, path: ${resolve('datasets/breast_cancer.csv')}, label: diagnosis, positiveClass: malignant, limit: 300 }
model:
  className: Sequential
  config:
    layers:
      - { className: Linear, config: { inFeatures: 30, outFeatures: 8 } }
      - { className: ReLU }
      - { className: Linear, config: { inFeatures: 8, outFeatures: 1 } }
loss: bceWithLogits
optimizer: { name: adam, lr: 0.01 }
training: { epochs: 3, batchSize: 32, validationSplit: 0.1 }
evaluation: { metrics: [accuracy], crossValidation: { folds: 2 } }
`,
    );
    const r = await cli('train', cfg, '--out', out, '--quiet');
    assert.equal(r.code, 0, r.err);
    trained = lastJson(r.out);
    assert.match(r.out, /\[bc-tiny\] fold 2\/2: accuracy/);
  });

  it('ends with the JSON line and writes checkpoint and report', () => {
    assert.equal(trained.workflow, 'bc-tiny');
    for (const k of ['accuracy', 'roc_auc', 'f1_macro', 'loss', 'cv_accuracy_mean', 'cv_roc_auc_mean'])
      assert.equal(typeof trained.metrics[k], 'number', k);
    assert.ok(trained.metrics.accuracy! > 0.8, `accuracy ${trained.metrics.accuracy}`);
    assert.ok(trained.samplesPerSec > 0);
    // The checkpoint is a saved model: its files live in the version directory the pointer names.
    const version = ts.saving.resolveSavedModel(join(out, 'checkpoint')).dir;
    for (const f of [
      'config.json',
      'model.safetensors',
      'run.json',
      'preprocess.json',
      'labels.json',
      'history.json',
      'card.json',
    ])
      assert.ok(existsSync(join(version, f)), f);
    const split = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8'));
    assert.equal(split.seed, 3);
    assert.equal(split.test.rows, 60);
    assert.match(split.test.hash, /^sha256:[0-9a-f]{64}$/);
    for (const f of ['report.json', 'report.html', 'roc-curve.svg', 'curve-loss.png'])
      assert.ok(existsSync(join(out, 'report', f)), f);
    const report = JSON.parse(readFileSync(join(out, 'report', 'report.json'), 'utf8'));
    assert.equal(report.task, 'binary');
    assert.equal(report.samples, 60);
    assert.equal(report.metrics.accuracy, trained.metrics.accuracy);
    const labels = JSON.parse(readFileSync(join(version, 'labels.json'), 'utf8'));
    assert.deepEqual(labels.classes, ['benign', 'malignant']);
    const history = JSON.parse(readFileSync(join(version, 'history.json'), 'utf8'));
    assert.deepEqual(history.epoch, [0, 1, 2]);
    assert.equal(history.history.val_loss.length, 3);
  });

  it('evaluate on the reloaded checkpoint reproduces the test metrics of the run', async () => {
    const r = await cli('evaluate', out);
    assert.equal(r.code, 0, r.err);
    const ev = lastJson(r.out);
    assert.equal(ev.workflow, 'bc-tiny:evaluate');
    assert.equal(ev.metrics.accuracy, trained.metrics.accuracy);
    assert.ok(Math.abs(ev.metrics.roc_auc! - trained.metrics.roc_auc!) < 1e-6);
    // evaluate's JSON line carries the same fields as train's, the test loss included.
    assert.ok(
      Math.abs(ev.metrics.loss! - trained.metrics.loss!) < 1e-5,
      `${ev.metrics.loss} vs ${trained.metrics.loss}`,
    );
    assert.ok(existsSync(join(out, 'evaluation', 'report.html')));
  });

  it('predict writes labels and probabilities that match the model on hand-scaled features', async () => {
    const table = await ts.data.readCsv('datasets/breast_cancer.csv');
    const rows = [0, 1, 19, 400];
    const records = rows.map((i) => ts.data.getRow(table, i));
    const input = join(dir, 'rows.json');
    writeFileSync(input, JSON.stringify(records.map(({ diagnosis: _, ...rest }) => rest)));
    const r = await cli('predict', out, input);
    assert.equal(r.code, 0, r.err);
    const preds = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(preds.length, 4);
    // By hand: the scaler's statistics from preprocess.json, the weights through the public API.
    const version = ts.saving.resolveSavedModel(join(out, 'checkpoint')).dir;
    const pre = JSON.parse(readFileSync(join(version, 'preprocess.json'), 'utf8'));
    const scaler = ts.data.StandardScaler.fromJSON(pre.pipeline.scaler);
    const cols = table.columns.filter((c) => c !== 'diagnosis');
    const x = scaler.transform(records.map((rec) => cols.map((c) => rec[c] as number)));
    const model = ts.nn.moduleFromConfig(
      JSON.parse(readFileSync(join(version, 'config.json'), 'utf8')).model,
    );
    model.loadStateDict(ts.io.loadSafetensors(join(version, 'model.safetensors')).tensors);
    const logits = model.call(
      ts.tensor(Float32Array.from(x.data), { shape: [4, 30] }) as never,
    ) as unknown as ts.Tensor;
    const p = Array.from(logits.sigmoid().toTypedArray() as Float32Array);
    preds.forEach((pr, i) => {
      assert.equal(pr.id, i);
      assert.ok(
        Math.abs(pr.probabilities.malignant - p[i]!) < 1e-5,
        `${pr.probabilities.malignant} vs ${p[i]}`,
      );
      assert.ok(Math.abs(pr.probabilities.benign + pr.probabilities.malignant - 1) < 1e-9);
      assert.equal(pr.label, p[i]! > 0.5 ? 'malignant' : 'benign');
    });
    // Rows 0 and 1 are clear malignant cases, 19 benign.
    assert.deepEqual(
      preds.slice(0, 3).map((pr) => pr.label),
      ['malignant', 'malignant', 'benign'],
    );
    const csvOut = join(dir, 'preds.csv');
    const r2 = await cli('predict', out, 'datasets/breast_cancer.csv', '--out', csvOut);
    assert.equal(r2.code, 0, r2.err);
    const lines = readFileSync(csvOut, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'id,label,p_benign,p_malignant');
    assert.equal(lines.length, 570);
  });

  it('predict reports a bad record with its index and column', async () => {
    const input = join(dir, 'bad.jsonl');
    const table = await ts.data.readCsv('datasets/breast_cancer.csv');
    writeFileSync(input, `${JSON.stringify({ ...ts.data.getRow(table, 0), mean_radius: 'big' })}\n`);
    const r = await cli('predict', out, input);
    assert.equal(r.code, 1);
    assert.match(r.err, /\[predict\] record 0, column "mean_radius": expected a number, got "big"/);
    // A file whose columns are not the model's is an error naming the missing ones (not imputed predictions).
    writeFileSync(input, '{"foo": 1, "bar": 2}\n');
    const wrong = await cli('predict', out, input);
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /\[predict\] record 0 lacks the feature columns mean_radius, mean_texture/);
  });
});

describe('tensorscript on MNIST images and text folders', () => {
  it('trains an MLP on a few hundred digits and predicts a PNG and pixel arrays', async () => {
    const cfg = join(dir, 'mnist.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        name: 'mnist-tiny',
        data: {
          source: 'mnist',
          flatten: true,
          trainLimit: 400,
          testLimit: 100,
          preprocessing: { normalize: { mean: [0.1307], std: [0.3081] } },
        },
        model: {
          className: 'Sequential',
          config: {
            layers: [
              { className: 'Linear', config: { inFeatures: 784, outFeatures: 16 } },
              { className: 'ReLU' },
              { className: 'Linear', config: { inFeatures: 16, outFeatures: 10 } },
            ],
          },
        },
        loss: 'crossEntropy',
        optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 },
        training: { epochs: 1, batchSize: 50 },
      }),
    );
    const out = join(dir, 'mnist');
    const r = await cli('train', cfg, '--out', out, '--quiet');
    assert.equal(r.code, 0, r.err);
    const res = lastJson(r.out);
    assert.equal(res.workflow, 'mnist-tiny');
    assert.ok(res.metrics.accuracy! > 0.3, `accuracy ${res.metrics.accuracy}`);

    // A test digit as a grayscale PNG, and the same pixels as an array: same prediction.
    const test = await ts.data.loadMnist({ split: 'test', flatten: true, limit: 3 });
    const png = new PNG({ width: 28, height: 28 });
    for (let p = 0; p < 784; p++) {
      const v = Math.round(test.images[p]! * 255);
      png.data.set([v, v, v, 255], 4 * p);
    }
    const pngPath = join(dir, 'digit.png');
    writeFileSync(pngPath, PNG.sync.write(png));
    const fromPng = await cli('predict', out, pngPath);
    assert.equal(fromPng.code, 0, fromPng.err);
    const a = JSON.parse(fromPng.out.trim());
    const jsonPath = join(dir, 'digits.json');
    writeFileSync(
      jsonPath,
      JSON.stringify([0, 1, 2].map((i) => Array.from(test.images.subarray(i * 784, (i + 1) * 784)))),
    );
    const fromJson = await cli('predict', out, jsonPath);
    const b = fromJson.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(b.length, 3);
    assert.equal(a.label, b[0].label);
    for (const k of Object.keys(a.probabilities))
      assert.ok(Math.abs(a.probabilities[k] - b[0].probabilities[k]) < 1e-6);
    const sum = Object.values(b[1].probabilities as Record<string, number>).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum - 1) < 1e-6);
    // loadCheckpointModel (what the server uses) gives the same answer.
    const cm = loadCheckpointModel(out);
    assert.equal(cm.task, 'classification');
    assert.equal(cm.labels?.length, 10);
    assert.deepEqual(cm.preprocess([Array.from(test.images.subarray(0, 784))]).shape, [1, 784]);
    assert.equal(
      (cm.predict([new Uint8Array(readFileSync(pngPath))])[0] as { label: string }).label,
      a.label,
    );
  });

  it('trains on a text folder and predicts a text file', async () => {
    const root = join(dir, 'texts');
    const docs: Record<string, string[]> = {
      ham: [
        'meeting at noon tomorrow',
        'project notes attached',
        'lunch with the team',
        'see the notes from the meeting',
      ],
      spam: ['win money now', 'free prize click now', 'cheap money offer', 'click to win a free offer'],
    };
    for (const [cls, texts] of Object.entries(docs)) {
      mkdirSync(join(root, cls), { recursive: true });
      for (const [i, t] of texts.entries()) writeFileSync(join(root, cls, `${i}.txt`), t);
    }
    const cfg = join(dir, 'text.yaml');
    writeFileSync(
      cfg,
      `name: text-tiny
data:
  source: textFolder
  path: ${root}
  split: { testFraction: 0.25 }
  preprocessing: { tokenizer: { vocabSize: 40, maxLength: 6 } }
model:
  className: Sequential
  config:
    layers:
      - { className: Embedding, config: { numEmbeddings: 40, embeddingDim: 4 } }
      - { className: Flatten }
      - { className: Linear, config: { inFeatures: 24, outFeatures: 2 } }
loss: crossEntropy
optimizer: { name: adam, lr: 0.05 }
training: { epochs: 5, batchSize: 4 }
`,
    );
    const out = join(dir, 'text');
    const r = await cli('train', cfg, '--out', out, '--quiet');
    assert.equal(r.code, 0, r.err);
    assert.equal(lastJson(r.out).workflow, 'text-tiny');
    const version = ts.saving.resolveSavedModel(join(out, 'checkpoint')).dir;
    const tok = JSON.parse(readFileSync(join(version, 'preprocess.json'), 'utf8')).tokenizer;
    assert.equal(tok.vocab[0], '<pad>');
    assert.ok(tok.vocab.length <= 40);
    const doc = join(dir, 'mail.txt');
    writeFileSync(doc, 'free money click now');
    const p = await cli('predict', out, doc);
    assert.equal(p.code, 0, p.err);
    const pred = JSON.parse(p.out.trim());
    assert.equal(pred.id, doc);
    assert.deepEqual(Object.keys(pred.probabilities), ['ham', 'spam']);
  });
});

describe('tensorscript info, usage errors and the bin launcher', () => {
  it('info --json names the backend, threads and registered layers', async () => {
    const r = await cli('info', '--json');
    assert.equal(r.code, 0);
    const info = JSON.parse(r.out);
    assert.equal(info.backend, ts.getBackend().name);
    assert.equal(info.node, process.version);
    assert.ok(Number.isInteger(info.threads) && info.threads >= 1);
    assert.equal(typeof info.relaxedSimd, 'boolean');
    for (const l of ['Linear', 'Conv2d', 'Sequential', 'LSTM']) assert.ok(info.layers.includes(l), l);
    const text = await cli('info');
    assert.match(text.out, /^tensorscript \d+\.\d+\.\d+\nbackend {6}\w+/);
  });

  it('usage errors exit 2 with help; config errors exit 1 with the path', async () => {
    assert.equal((await cli()).code, 2);
    const unknown = await cli('trian');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command "trian"/);
    const noArg = await cli('train');
    assert.equal(noArg.code, 2);
    assert.match(noArg.err, /expected exactly one config file/);
    const badFlag = await cli('predict', 'a', 'b', '--bogus');
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.err, /--bogus/);
    const help = await cli('train', '--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /Usage: tensorscript train <config.yaml\|config.json>/);
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(
      cfg,
      'name: bad\ndata: { source: mnist }\nmodel: { className: ReLU }\nloss: mse\noptimizer: { name: sgd, lr: fast }\n',
    );
    const bad = await cli('train', cfg);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /config\.optimizer\.lr: expected number, received string/);
    const noCk = await cli('predict', dir, 'x.csv');
    assert.equal(noCk.code, 1);
    assert.match(noCk.err, /\[load\] .* is not a saved model/);
  });

  it('bin/tensorscript.mjs starts the CLI through tsx', () => {
    const r = spawnSync(process.execPath, ['bin/tensorscript.mjs', '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    assert.equal(r.stdout.trim(), pkg.version);
    assert.equal(pkg.bin.tensorscript, 'bin/tensorscript.mjs');
  });
});
