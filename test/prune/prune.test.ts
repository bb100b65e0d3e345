import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';

const { nn, prune } = ts;

function mlp(seed = 0): ts.nn.Sequential {
  ts.manualSeed(seed);
  return new nn.Sequential(
    new nn.Linear(6, 8),
    new nn.ReLU(),
    new nn.Linear(8, 5),
    new nn.ReLU(),
    new nn.Linear(5, 3),
  );
}

/** A parameter by its dotted state-dict name ("0.weight"); getParameter takes direct names only. */
function byName(model: ts.nn.Module, name: string): ts.Tensor {
  const hit = model.namedParameters().find(([k]) => k === name);
  assert.ok(hit, `no parameter ${name}`);
  return hit[1];
}

function data(n = 64): [ts.Tensor, ts.Tensor] {
  ts.manualSeed(42);
  const x = ts.randn([n, 6]);
  const y = ts.tensor(
    Int32Array.from({ length: n }, (_, i) => i % 3),
    { dtype: 'int32' },
  );
  return [x, y];
}

function bits(t: ts.Tensor): number[] {
  const v = t.toTypedArray() as Float32Array;
  return Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
}

test('l1Unstructured prunes the smallest |w| (hand computation), half-even count as torch', () => {
  const lin = new nn.Linear(4, 2, { bias: false });
  ts.noGrad(() =>
    lin.weight.copy_(
      ts.tensor([
        [0.5, -0.1, 0.3, -0.7],
        [0.2, -0.05, 0.9, 0.4],
      ]),
    ),
  );
  // 8 entries, amount 0.3 -> round(2.4) = 2: the two smallest |w| are 0.05 and 0.1.
  const m = prune.l1Unstructured(lin, 'weight', 0.3);
  assert.deepEqual(Array.from(m.toTypedArray()).map(Number), [1, 0, 1, 1, 1, 0, 1, 1]);
  assert.deepEqual(
    Array.from(lin.weight.toTypedArray()),
    [
      0.5, 0, 0.30000001192092896, -0.699999988079071, 0.20000000298023224, 0, 0.8999999761581421,
      0.4000000059604645,
    ],
  );
  // amount 0.5 -> 4 in all: the pruned two stay, plus 0.2 and 0.3.
  prune.l1Unstructured(lin, 'weight', 0.5);
  assert.deepEqual(
    Array.from(prune.maskOf(lin.weight)!.toTypedArray()).map(Number),
    [1, 0, 0, 1, 0, 0, 1, 1],
  );
  // 0.0625 * 8 = 0.5 rounds to 0 (half to even), as Python's round in torch.
  const l2 = new nn.Linear(4, 2, { bias: false });
  assert.equal(
    Array.from(prune.l1Unstructured(l2, 'weight', 0.0625).toTypedArray()).filter((v) => !v).length,
    0,
  );
  assert.throws(() => prune.l1Unstructured(l2, 'nope', 0.5), /no parameter "nope"/);
});

test('global vs layer-wise thresholds (hand computation)', () => {
  const a = new nn.Linear(2, 2, { bias: false });
  const b = new nn.Linear(2, 2, { bias: false });
  const set = () =>
    ts.noGrad(() => {
      a.weight.copy_(
        ts.tensor([
          [0.1, 0.2],
          [0.3, 0.4],
        ]),
      );
      b.weight.copy_(
        ts.tensor([
          [1, 2],
          [3, 0.05],
        ]),
      );
    });
  set();
  // Global 50% of 8: the four smallest overall are 0.05, 0.1, 0.2, 0.3 -> a loses three, b one.
  prune.globalUnstructured(
    [
      [a, 'weight'],
      [b, 'weight'],
    ],
    0.5,
  );
  assert.deepEqual(Array.from(a.weight.toTypedArray()), [0, 0, 0, 0.4000000059604645]);
  assert.deepEqual(Array.from(b.weight.toTypedArray()), [1, 2, 3, 0]);
  prune.remove(a, 'weight');
  prune.remove(b, 'weight');
  set();
  // Layer-wise 50%: two per tensor.
  prune.l1Unstructured(a, 'weight', 0.5);
  prune.l1Unstructured(b, 'weight', 0.5);
  assert.deepEqual(Array.from(a.weight.toTypedArray()), [0, 0, 0.30000001192092896, 0.4000000059604645]);
  assert.deepEqual(Array.from(b.weight.toTypedArray()), [0, 2, 3, 0]);
});

test('PolynomialDecay follows s_t = s_f + (s_i - s_f)(1 - (t - t0)/(n dt))^3 at its pruning steps', () => {
  const s = new prune.PolynomialDecay({
    initialSparsity: 0.1,
    finalSparsity: 0.9,
    beginStep: 10,
    endStep: 50,
    frequency: 10,
  });
  for (const t of [10, 20, 30, 40, 50]) {
    assert.ok(s.isPruningStep(t));
    const want = 0.9 + (0.1 - 0.9) * (1 - (t - 10) / 40) ** 3;
    assert.ok(Math.abs(s.sparsityAt(t) - want) < 1e-15, `step ${t}`);
  }
  for (const t of [0, 9, 11, 25, 51, 60]) assert.equal(s.isPruningStep(t), false, `step ${t}`);
  assert.equal(s.sparsityAt(100), 0.9);
  assert.equal(
    new prune.PolynomialDecay({ finalSparsity: 0.5, endStep: 25, frequency: 10 }).isPruningStep(25),
    true,
  );
  assert.throws(() => new prune.PolynomialDecay({ finalSparsity: 0.5, endStep: 0 }), /endStep/);
  assert.throws(
    () => new prune.PolynomialDecay({ finalSparsity: 0.5, endStep: 9, freq: 2 } as never),
    /unknown option "freq"/,
  );
});

test('masks survive SGD momentum steps in fit, and the gradual schedule reaches its sparsity', async () => {
  const model = mlp();
  const [x, y] = data();
  const trainer = ts.train.compile(model, {
    optimizer: new ts.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }),
    loss: 'sparseCategoricalCrossentropy',
  });
  const cb = new prune.PruningCallback({
    schedule: new prune.PolynomialDecay({ finalSparsity: 0.75, endStep: 8, frequency: 2 }),
  });
  const h = await trainer.fit(x, y, { epochs: 3, batchSize: 16, callbacks: [cb], verbose: 0, seed: 1 });
  const masks = prune.getMasks(model);
  assert.deepEqual(Object.keys(masks), ['0.weight', '2.weight', '4.weight']);
  for (const [name, m] of Object.entries(masks)) {
    const w = byName(model, name).toTypedArray();
    const k = m.toTypedArray();
    let pruned = 0;
    for (let i = 0; i < w.length; i++)
      if (!k[i]) {
        pruned++;
        assert.ok(Object.is(w[i], 0), `${name}[${i}] = ${w[i]} under its mask`);
      }
    assert.equal(pruned, Math.round(0.75 * w.length) === pruned ? pruned : -1);
  }
  assert.equal(cb.pruner!.step, 12);
  assert.ok(Math.abs(h.history.sparsity!.at(-1)! - 0.75) < 0.01);
  // Without the callback the optimizer moves pruned weights; a hand loop's Pruner puts them back.
  const opt = new ts.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const pr = new prune.Pruner(model);
  ts.scope(() => {
    opt.zeroGrad();
    ts.functional.crossEntropy(model.call(x), y).backward();
    opt.step();
  });
  const before = byName(model, '0.weight').toTypedArray();
  const m0 = masks['0.weight']!.toTypedArray();
  assert.ok(
    before.some((v, i) => !m0[i] && v !== 0),
    'the step moved a pruned weight',
  );
  pr.afterStep();
  const after = byName(model, '0.weight').toTypedArray();
  assert.ok(after.every((v, i) => m0[i] || v === 0));
});

test('compact save/load round-trips bit for bit, masks included, and is smaller', () => {
  // Big enough that the header (JSON metadata, a few hundred bytes) does not dominate the file.
  ts.manualSeed(3);
  const model = new nn.Sequential(new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 10));
  const pr = new prune.Pruner(model, { scope: 'global' });
  pr.pruneTo(0.9);
  const { tensors, metadata } = prune.compactStateDict(model.stateDict(), prune.getMasks(model));
  const dir = mkdtempSync(join(tmpdir(), 'prune-'));
  try {
    const dense = join(dir, 'dense.safetensors');
    const compact = join(dir, 'compact.safetensors');
    ts.io.saveSafetensors(dense, model.stateDict());
    ts.io.saveSafetensors(compact, tensors, metadata);
    const back = prune.expandStateDict(ts.io.loadSafetensors(compact));
    ts.manualSeed(9);
    const fresh = new nn.Sequential(new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 10));
    fresh.loadStateDict(back.stateDict);
    prune.setMasks(fresh, back.masks);
    for (const [k, t] of Object.entries(model.stateDict()))
      assert.deepEqual(bits(fresh.stateDict()[k]!), bits(t), k);
    for (const [k, m] of Object.entries(prune.getMasks(model)))
      assert.deepEqual(Array.from(back.masks[k]!.toTypedArray()), Array.from(m.toTypedArray()), k);
    assert.ok(
      statSync(compact).size < 0.5 * statSync(dense).size,
      `${statSync(compact).size} vs ${statSync(dense).size}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Weights off the mask would be lost: refused.
  ts.noGrad(() => byName(model, '0.weight').fill_(1));
  assert.throws(
    () => prune.compactStateDict(model.stateDict(), prune.getMasks(model)),
    /where its mask prunes/,
  );
});

test('structured pruning removes dead neurons exactly (ref backend) and shrinks the config', () => {
  const prev = ts.getBackend().name;
  ts.setBackend('ref');
  try {
    const model = mlp(5);
    // Kill hidden neurons 1, 4, 6 of layer 0 and 0, 3 of layer 2 (zero rows and biases): ReLU(0) = 0.
    ts.noGrad(() => {
      for (const [li, dead] of [
        ['0', [1, 4, 6]],
        ['2', [0, 3]],
      ] as const) {
        const l = model.at<ts.nn.Linear>(Number(li));
        const w = Float32Array.from(l.weight.toTypedArray() as Float32Array);
        const b = Float32Array.from(l.bias!.toTypedArray() as Float32Array);
        for (const d of dead) {
          w.fill(0, d * l.inFeatures, (d + 1) * l.inFeatures);
          b[d] = 0;
        }
        l.weight.copy_(ts.tensor(w, { shape: l.weight.shape }));
        l.bias!.copy_(ts.tensor(b, { shape: [l.outFeatures] }));
      }
    });
    const { model: small, kept } = prune.structured(model, { sizes: { '0': 5, '2': 3 } });
    assert.deepEqual(kept, { '0': [0, 2, 3, 5, 7], '2': [1, 2, 4] });
    assert.equal(small.at<ts.nn.Linear>(0).outFeatures, 5);
    assert.equal(small.at<ts.nn.Linear>(2).inFeatures, 5);
    assert.equal(small.at<ts.nn.Linear>(4).inFeatures, 3);
    const [x] = data(10);
    const y0 = ts.noGrad(() => model.call(x));
    const y1 = ts.noGrad(() => small.call(x));
    assert.deepEqual(bits(y1), bits(y0));
    // An ordinary model: its config rebuilds it.
    const again = ts.nn.moduleFromConfig<ts.nn.Sequential>(ts.nn.moduleToConfig(small));
    again.loadStateDict(small.stateDict());
    assert.deepEqual(bits(ts.noGrad(() => again.call(x))), bits(y1));
    assert.throws(
      () => prune.structured(model, { sizes: { '4': 2 } }),
      /layer 4 \(Linear\) cannot be pruned: it is the last layer/,
    );
  } finally {
    ts.setBackend(prev);
  }
});

test('structured pruning of Conv2d -> BatchNorm2d -> Flatten -> Linear keeps the right columns', () => {
  ts.manualSeed(2);
  const model = new nn.Sequential(
    new nn.Conv2d(1, 4, 3),
    new nn.BatchNorm2d(4),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Linear(4 * 4 * 4, 3),
  );
  const { model: small, kept } = prune.structured(model, { amount: 0.5, norm: 'l2' });
  assert.equal(kept['0']!.length, 2);
  assert.equal(small.at<ts.nn.Conv2d>(0).outChannels, 2);
  assert.equal(small.at<ts.nn.BatchNorm2d>(1).numFeatures, 2);
  assert.equal(small.at<ts.nn.Linear>(4).inFeatures, 32);
  const w = model.at<ts.nn.Linear>(4).weight.toTypedArray();
  const ws = small.at<ts.nn.Linear>(4).weight.toTypedArray();
  const c = kept['0']![1]!;
  assert.equal(ws[16], w[c * 16]);
});

test('resume from a checkpoint with masks is bit-exact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prune-ck-'));
  const run = async (epochs: number, opts: { checkpointDir?: string; resumeFrom?: string }) => {
    const model = mlp(7);
    const [x, y] = data();
    const t = ts.train.compile(model, {
      optimizer: new ts.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }),
      loss: 'sparseCategoricalCrossentropy',
    });
    const cb = new prune.PruningCallback({
      scope: 'global',
      schedule: new prune.PolynomialDecay({ finalSparsity: 0.8, endStep: 14, frequency: 3 }),
    });
    await t.fit(x, y, { epochs, batchSize: 16, callbacks: [cb], verbose: 0, seed: 3, ...opts });
    return model;
  };
  try {
    const straight = await run(4, {});
    await run(2, { checkpointDir: join(dir, 'ck') });
    const resumed = await run(4, { resumeFrom: join(dir, 'ck') });
    for (const [k, t] of Object.entries(straight.stateDict()))
      assert.deepEqual(bits(resumed.stateDict()[k]!), bits(t), k);
    const ms = prune.getMasks(straight);
    const mr = prune.getMasks(resumed);
    assert.deepEqual(Object.keys(mr), Object.keys(ms));
    for (const k of Object.keys(ms))
      assert.deepEqual(Array.from(mr[k]!.toTypedArray()), Array.from(ms[k]!.toTypedArray()), k);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
