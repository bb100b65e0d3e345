// Library users who train in code save exactly what the CLI saves: the same config trained by
// `tensorscript train` and by ts.saving.fit gives the same files, the same JSON and the same weights bytes.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/index.ts';
import * as ts from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-parity-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const model: ts.nn.ModuleConfig = {
  className: 'Sequential',
  config: {
    layers: [
      { className: 'Linear', config: { inFeatures: 30, outFeatures: 8 } },
      { className: 'ReLU' },
      { className: 'Dropout', config: { p: 0.1 } },
      { className: 'Linear', config: { inFeatures: 8, outFeatures: 1 } },
    ],
  },
};

const json = (v: string, f: string) => JSON.parse(readFileSync(join(v, f), 'utf8'));

/** History without the wall-clock column, the one thing two runs of the same config cannot share. */
function untimed(h: { history: Record<string, unknown> }) {
  const { epoch_seconds: _, ...rest } = h.history;
  return { ...h, history: rest };
}

describe('saving: code and CLI save the same model', () => {
  it('tensorscript train and saving.fit on one config: same files, JSON and weight bytes', async () => {
    const data = resolve('datasets/breast_cancer.csv');
    const cfg = join(dir, 'bc.yaml');
    writeFileSync(
      cfg,
      [
        'name: parity',
        'seed: 7',
        `data: { source: csv, path: ${JSON.stringify(data)}, label: diagnosis, positiveClass: malignant }`,
        `model: ${JSON.stringify(model)}`,
        'loss: bceWithLogits',
        'optimizer: { name: adam, lr: 0.01 }',
        'training: { epochs: 3, batchSize: 16, verbose: 0, lrSchedule: { name: step, stepSize: 1, gamma: 0.5 } }',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'cli');
    let err = '';
    const code = await main(['train', cfg, '--out', out, '--quiet'], {
      out: () => {},
      err: (s) => (err += s),
    });
    assert.equal(code, 0, err);
    const cliVersion = ts.saving.resolveSavedModel(join(out, 'checkpoint')).dir;

    const r = await ts.saving.fit({
      name: 'parity',
      seed: 7,
      data: { source: 'csv', path: data, label: 'diagnosis', positiveClass: 'malignant' },
      model,
      loss: 'bceWithLogits',
      optimizer: { name: 'adam', lr: 0.01 },
      training: {
        epochs: 3,
        batchSize: 16,
        verbose: 0,
        lrSchedule: { name: 'step', stepSize: 1, gamma: 0.5 },
      },
    });
    const libVersion = r.model.save(join(dir, 'lib'));

    const files = readdirSync(cliVersion).sort();
    assert.deepEqual(readdirSync(libVersion).sort(), files);
    for (const f of ['config.json', 'labels.json', 'preprocess.json', 'optimizer.json'])
      assert.deepEqual(json(libVersion, f), json(cliVersion, f), f);
    for (const f of ['model.safetensors', 'optimizer.safetensors'])
      assert.ok(readFileSync(join(libVersion, f)).equals(readFileSync(join(cliVersion, f))), `${f} bytes`);
    assert.deepEqual(untimed(json(libVersion, 'history.json')), untimed(json(cliVersion, 'history.json')));
    const tl = json(libVersion, 'trainer.json');
    const tc = json(cliVersion, 'trainer.json');
    // The CLI's run also logs to TensorBoard (its step counter is the one extra callback state).
    const noTb = (t: { callbacks: { name: string }[]; history: { history: Record<string, unknown> } }) => ({
      ...t,
      history: untimed(t.history),
      callbacks: t.callbacks.filter((c) => c.name !== 'TensorBoard'),
    });
    assert.deepEqual(noTb(tl), noTb(tc));
    // The card: same data fingerprint, raw statistics and metrics; run.json: the same run, each with its defaults.
    const cl = json(libVersion, 'card.json');
    const cc = json(cliVersion, 'card.json');
    assert.deepEqual(cl.data, cc.data);
    assert.deepEqual(cl.metrics, cc.metrics);
    const rl = json(libVersion, 'run.json');
    const rc = json(cliVersion, 'run.json');
    for (const k of ['name', 'seed', 'model', 'loss', 'optimizer'])
      assert.deepEqual(rl[k], rc[k], `run.json ${k}`);
    for (const k of ['source', 'path', 'label', 'positiveClass']) assert.deepEqual(rl.data[k], rc.data[k], k);
    for (const k of ['epochs', 'batchSize', 'validationSplit', 'shuffle', 'lrSchedule'])
      assert.deepEqual(rl.training[k], rc.training[k], `training.${k}`);
    // And the CLI evaluates the model trained in code from its run.json alone.
    let evalOut = '';
    const ev = await main(['evaluate', join(dir, 'lib'), '--out', join(dir, 'lib-eval')], {
      out: (s) => (evalOut += s),
      err: (s) => (err += s),
    });
    assert.equal(ev, 0, err);
    assert.match(evalOut, /"accuracy"/);

    // The CLI's run checkpoint carries its optimizer state: resumed in code to 5 epochs it gives the weights of
    // 5 straight epochs, bit for bit (its TensorBoard callback state is matched by name, not position).
    const fitOpts = (epochs: number): ts.saving.FitOptions => ({
      name: 'parity',
      seed: 7,
      data: { source: 'csv', path: data, label: 'diagnosis', positiveClass: 'malignant' },
      model,
      loss: 'bceWithLogits',
      optimizer: { name: 'adam', lr: 0.01 },
      training: { epochs, batchSize: 16, verbose: 0, lrSchedule: { name: 'step', stepSize: 1, gamma: 0.5 } },
    });
    const straight = await ts.saving.fit(fitOpts(5));
    const resumed = await ts.saving.fit({ ...fitOpts(5), resumeFrom: out });
    const bytes = (m: ts.saving.SavedModel) =>
      Object.values(m.model.stateDict()).map((t) => Array.from(t.toTypedArray() as Float32Array));
    assert.deepEqual(bytes(resumed.model), bytes(straight.model));
    assert.deepEqual(resumed.history.history.lr, straight.history.history.lr);
  });
});
