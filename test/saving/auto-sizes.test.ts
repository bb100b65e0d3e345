// Layer sizes that follow from the data: inFeatures/outFeatures 'auto' in configs (code and YAML), filled at
// fit time, saved as numbers, loaded without the data; the same weights as the config with the numbers written.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig, main } from '../../src/cli/index.ts';
import * as ts from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-auto-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const mlp = (inF: number | 'auto', outF: number | 'auto') =>
  ({
    className: 'Sequential',
    config: {
      layers: [
        { className: 'Linear', config: { inFeatures: inF, outFeatures: 8 } },
        { className: 'ReLU' },
        { className: 'Linear', config: { inFeatures: 8, outFeatures: outF } },
      ],
    },
  }) as unknown as ts.nn.ModuleConfig;

const opts = (model: ts.nn.ModuleConfig): ts.saving.FitOptions => ({
  seed: 2,
  data: { source: 'csv', path: 'datasets/iris.csv', label: 'species' },
  model,
  loss: 'crossEntropy',
  optimizer: { name: 'adam', lr: 0.05 },
  training: { epochs: 5 },
});

describe("saving: 'auto' layer sizes", () => {
  it('fit fills inFeatures from the data and outFeatures from the class count; saved as numbers', async () => {
    const auto = await ts.saving.fit(opts(mlp('auto', 'auto')));
    const fixed = await ts.saving.fit(opts(mlp(4, 3)));
    const w = (m: ts.saving.SavedModel) =>
      Object.values(m.model.stateDict()).map((t) => Array.from(t.toTypedArray() as Float32Array));
    assert.deepEqual(w(auto.model), w(fixed.model));
    const v = auto.model.save(join(dir, 'iris'));
    const layers = JSON.parse(readFileSync(join(v, 'config.json'), 'utf8')).model.config.layers;
    assert.equal(layers[0].config.inFeatures, 4);
    assert.equal(layers[2].config.outFeatures, 3);
    const back = ts.saving.load(join(dir, 'iris'));
    const rec = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
    assert.deepEqual(back.predict([rec]), auto.model.predict([rec]));
  });

  it('binary with bceWithLogits: outFeatures auto is one logit', async () => {
    const r = await ts.saving.fit({
      data: { source: 'csv', path: 'datasets/breast_cancer.csv', label: 'diagnosis' },
      model: mlp('auto', 'auto'),
      loss: 'bceWithLogits',
      optimizer: { name: 'adam', lr: 0.01 },
      training: { epochs: 2 },
    });
    const layers = ts.nn.moduleToConfig(r.model.model).config as {
      layers: { config: Record<string, number> }[];
    };
    assert.equal(layers.layers[0]!.config.inFeatures, 30);
    assert.equal(layers.layers[2]!.config.outFeatures, 1);
  });

  it('a YAML config with auto validates and trains through the CLI; other auto keys are refused', async () => {
    const cfg = join(dir, 'iris.yaml');
    const model = JSON.stringify(mlp('auto', 'auto'));
    writeFileSync(
      cfg,
      `name: iris-auto\ndata: { source: csv, path: ${JSON.stringify(resolve('datasets/iris.csv'))}, label: species }\nmodel: ${model}\nloss: crossEntropy\noptimizer: { name: adam, lr: 0.05 }\ntraining: { epochs: 3, verbose: 0 }\n`,
    );
    assert.equal(loadConfig(cfg).name, 'iris-auto');
    let err = '';
    const code = await main(['train', cfg, '--out', join(dir, 'cli'), '--quiet'], {
      out: () => {},
      err: (s) => (err += s),
    });
    assert.equal(code, 0, err);
    const v = ts.saving.resolveSavedModel(join(dir, 'cli')).dir;
    const layers = JSON.parse(readFileSync(join(v, 'config.json'), 'utf8')).model.config.layers;
    assert.equal(layers[0].config.inFeatures, 4);
    const bad = mlp('auto', 3) as unknown as { config: { layers: { config?: Record<string, unknown> }[] } };
    bad.config.layers[0]!.config!.bias = 'auto';
    await assert.rejects(
      ts.saving.fit(opts(bad as unknown as ts.nn.ModuleConfig)),
      /"bias: auto" cannot be inferred/,
    );
  });
});
