import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  loadCheckpointModel,
  main,
  parseServeTarget,
  servedModelFromCheckpoint,
} from '../../src/cli/index.ts';
import { readCsv } from '../../src/data/index.ts';
import * as ts from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-serve-cli-'));
const out = join(dir, 'bc');
let server: ts.serving.InferenceServer;

describe('serving a training-run checkpoint', () => {
  before(async () => {
    const cfg = join(dir, 'bc.yaml');
    writeFileSync(
      cfg,
      `name: bc-serve
seed: 5
data: { source: csv, path: ${resolve('datasets/breast_cancer.csv')}, label: diagnosis, positiveClass: malignant, limit: 200 }
model:
  className: Sequential
  config:
    layers:
      - { className: Linear, config: { inFeatures: 30, outFeatures: 4 } }
      - { className: ReLU }
      - { className: Linear, config: { inFeatures: 4, outFeatures: 1 } }
loss: bceWithLogits
optimizer: { name: adam, lr: 0.01 }
training: { epochs: 2, batchSize: 32 }
evaluation: { metrics: [accuracy] }
`,
    );
    let err = '';
    const code = await main(['train', cfg, '--out', out, '--quiet'], {
      out: () => {},
      err: (s) => (err += s),
    });
    assert.equal(code, 0, err);
    server = await ts.serving.createServer({
      models: [servedModelFromCheckpoint({ dir: out, version: '3' })],
    });
  });
  after(async () => {
    await server.close();
  });

  it('parses name:version=dir targets', () => {
    assert.deepEqual(parseServeTarget('runs/a'), { dir: 'runs/a' });
    assert.deepEqual(parseServeTarget('bc:2=runs/a'), { dir: 'runs/a', name: 'bc', version: '2' });
  });

  it('publishes metadata with the preprocessed input shape', async () => {
    const r = await server.app.inject({ method: 'GET', url: '/v2/models/bc-serve' });
    assert.equal(r.statusCode, 200, r.body);
    const meta = r.json();
    assert.deepEqual(meta.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1, 30] }]);
    assert.deepEqual(
      meta.outputs.map((o: { name: string }) => o.name),
      ['output', 'probabilities'],
    );
    assert.deepEqual(meta.versions, ['3']);
  });

  it('v1 predict applies the saved preprocessing and agrees with the checkpoint loaded directly', async () => {
    const table = await readCsv('datasets/breast_cancer.csv');
    const record: Record<string, unknown> = {};
    for (const c of table.columns) if (c !== 'diagnosis') record[c] = (table.data[c] as Float64Array)[0];
    const r = await server.app.inject({
      method: 'POST',
      url: '/v1/models/bc-serve/predict',
      payload: { instances: [record] },
    });
    assert.equal(r.statusCode, 200, r.body);
    const pred = r.json().predictions[0];
    const direct = loadCheckpointModel(out).predict([record])[0] as {
      label: string;
      probabilities: Record<string, number>;
    };
    assert.equal(pred.label, direct.label);
    assert.ok(Math.abs(pred.probabilities.malignant - direct.probabilities.malignant!) < 1e-6);
    assert.ok(Math.abs(pred.probabilities.malignant + pred.probabilities.benign - 1) < 1e-6);
  });

  it('v2 infer takes the preprocessed tensor and returns logits and probabilities', async () => {
    const ck = loadCheckpointModel(out);
    const table = await readCsv('datasets/breast_cancer.csv');
    const record: Record<string, unknown> = {};
    for (const c of table.columns) if (c !== 'diagnosis') record[c] = (table.data[c] as Float64Array)[1];
    const x = Array.from(ck.preprocess([record]).toTypedArray() as Float32Array);
    const r = await server.app.inject({
      method: 'POST',
      url: '/v2/models/bc-serve/versions/3/infer',
      payload: { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: x }] },
    });
    assert.equal(r.statusCode, 200, r.body);
    const outs = r.json().outputs as { name: string; shape: number[]; data: number[] }[];
    const probs = outs.find((o) => o.name === 'probabilities')!;
    assert.deepEqual(probs.shape, [1, 2]);
    const logit = outs.find((o) => o.name === 'output')!.data[0]!;
    assert.ok(Math.abs(probs.data[1]! - 1 / (1 + Math.exp(-logit))) < 1e-6);
  });

  it('rejects a record it cannot read with a 400', async () => {
    const r = await server.app.inject({
      method: 'POST',
      url: '/v1/models/bc-serve/predict',
      payload: { instances: [{ nope: 1 }] },
    });
    assert.equal(r.statusCode, 400, r.body);
  });
});
