import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import { SGD } from '../../src/optim/index.ts';
import { compile, getLoss, TrainingDivergedError } from '../../src/train/index.ts';
import { toyData, toyModel } from './setup.ts';

const data = toyData();
const root = mkdtempSync(join(tmpdir(), 'ts-div-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('a diverging fit stops by default (TerminateOnNaN-style)', () => {
  it('a non-finite loss throws, naming epoch and step; no checkpoint of that epoch is written', async () => {
    const m = toyModel(7);
    const t = compile(m, { optimizer: new SGD(m.parameters(), { lr: 1e30 }), loss: 'crossEntropy' });
    const dir = join(root, 'ck');
    await assert.rejects(
      t.fit(data.x, data.y, { epochs: 5, batchSize: 4, verbose: 0, checkpointDir: dir }),
      (e: unknown) => {
        assert.ok(e instanceof TrainingDivergedError);
        assert.match(
          e.message,
          /^\[fit\] the (loss is (NaN|-?Infinity) at epoch 0 \(0-based\), step \d+|weights are not finite after epoch 0)/,
        );
        assert.equal(e.epoch, 0);
        return true;
      },
    );
    // Nothing was saved: the first epoch diverged before its end.
    assert.deepEqual(readdirSync(root).includes('ck') ? readdirSync(dir) : [], []);
  });

  it('weights made non-finite by the last step of an epoch stop training before the checkpoint', async () => {
    const m = toyModel(8);
    const t = compile(m, { optimizer: new SGD(m.parameters(), { lr: 0.01 }), loss: 'crossEntropy' });
    // One batch per epoch; the step itself is fine, then a callback-free poke makes a weight infinite, as an
    // overflowing update would.
    const orig = t.trainStep.bind(t);
    t.trainStep = (batch) => {
      const logs = orig(batch);
      ts.noGrad(() => m.parameters()[0]!.fill_(Number.POSITIVE_INFINITY));
      return logs;
    };
    await assert.rejects(
      t.fit(data.x, data.y, { epochs: 2, batchSize: 48, verbose: 0, checkpointDir: join(root, 'ck2') }),
      /\[fit\] the weights are not finite after epoch 0 \(0-based\): 0\.weight\[0\] = Infinity; training stopped, no checkpoint written/,
    );
  });

  it('terminateOnNaN: false (compile or fit) trains on', async () => {
    const m = toyModel(7);
    const t = compile(m, {
      optimizer: new SGD(m.parameters(), { lr: 1e30 }),
      loss: 'crossEntropy',
      terminateOnNaN: false,
    });
    const h = await t.fit(data.x, data.y, { epochs: 2, batchSize: 4, verbose: 0 });
    assert.equal(h.epoch.length, 2);
    const m2 = toyModel(7);
    const t2 = compile(m2, { optimizer: new SGD(m2.parameters(), { lr: 1e30 }), loss: 'crossEntropy' });
    const h2 = await t2.fit(data.x, data.y, { epochs: 2, batchSize: 4, verbose: 0, terminateOnNaN: false });
    assert.equal(h2.epoch.length, 2);
    // One History: its JSON is the report's History (NaN as null), accepted as it is.
    const json = h2.toJSON();
    assert.equal(json.history.loss![1], null);
    assert.equal(ts.validateHistory(json), json);
  });
});

describe('trainer arguments', () => {
  it('unknown compile, fit and evaluate keys are refused with the right name', async () => {
    const m = toyModel(1);
    assert.throws(
      () => compile(m, { optimizer: 'adam', loss: 'mse', metric: ['accuracy'] } as never),
      /^TensorScriptError: \[compile\] unknown option "metric" \(did you mean "metrics"\?\)/,
    );
    const t = compile(m, { optimizer: 'adam', loss: 'crossEntropy' });
    await assert.rejects(
      t.fit(data.x, data.y, { epochs: 1, batch_size: 8, verbose: 0 } as never),
      /\[fit\] unknown option "batch_size" \(did you mean "batchSize"\?\)/,
    );
    assert.throws(() => t.evaluate(data.x, data.y, { batchsize: 8 } as never), /did you mean "batchSize"/);
  });

  it('fit says which form it was given', async () => {
    const t = compile(toyModel(1), { optimizer: 'adam', loss: 'crossEntropy' });
    await assert.rejects(
      t.fit(data.x, { epochs: 1 } as never),
      /\[fit\] fit\(x, y, options\): y must be a Tensor of targets, got Object/,
    );
    await assert.rejects(
      t.fit(data.x, new BigInt64Array(48) as never, { epochs: 1 }),
      /y must be a Tensor of targets, got BigInt64Array; 64-bit integer labels: wrap them with ts\.tensor\(y\)/,
    );
    await assert.rejects(
      t.fit([[data.x, data.y]] as never, {} as never, { epochs: 1 }),
      /\[fit\] fit\(data, options\) takes two arguments/,
    );
  });

  it('float class labels must be whole numbers', async () => {
    const p = ts.tensor([
      [2, 0],
      [0, 2],
    ]);
    assert.throws(
      () => getLoss('sparseCategoricalCrossentropy', { fromLogits: true }).fn(p, ts.tensor([1.5, 0])),
      /\[sparseCategoricalCrossentropy\] y \(the targets\) must be integer class indices, got 1\.5 at index 0/,
    );
    assert.throws(
      () => getLoss('crossEntropy').fn(p, ts.tensor([0, 0.25])),
      /\[crossEntropy\] .* got 0\.25 at index 1/,
    );
    // Whole floats are fine: the same loss as int32 labels.
    const a = getLoss('crossEntropy')
      .fn(p, ts.tensor([1, 0]))
      .toArray();
    const b = getLoss('crossEntropy')
      .fn(p, ts.tensor(Int32Array.from([1, 0]), { dtype: 'int32' }))
      .toArray();
    assert.deepEqual(a, b);
    const t = compile(toyModel(2), { optimizer: 'adam', loss: 'crossEntropy' });
    const yBad = ts.tensor(Float32Array.from({ length: 48 }, (_, i) => (i === 5 ? 1.5 : i % 2)));
    await assert.rejects(t.fit(data.x, yBad, { epochs: 1, verbose: 0 }), /integer class indices, got 1\.5/);
  });
});
