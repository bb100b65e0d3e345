import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  computeClassWeight,
  sampleWeightsForBalance,
  WeightedRandomSampler,
} from '../../src/data/imbalance.ts';
import {
  kFold,
  stratifiedKFold,
  timeOrderedSplit,
  timeSeriesSplit,
  trainTestSplit,
  trainValTestSplit,
} from '../../src/data/split.ts';

const f = JSON.parse(readFileSync('test/fixtures/data/splits.json', 'utf8'));
const cw = JSON.parse(readFileSync('test/fixtures/data/class_weight.json', 'utf8'));

function classCounts(
  y: readonly (string | number)[],
  idx: Int32Array,
  classes: readonly (string | number)[],
): number[] {
  return classes.map((c) => Array.from(idx).filter((i) => y[i] === c).length);
}

function assertPartition(n: number, parts: Int32Array[]) {
  const all = parts.flatMap((p) => Array.from(p)).sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: n }, (_, i) => i),
    'parts must partition 0..n-1',
  );
}

for (const name of ['breast_cancer', 'imbalanced3']) {
  test(`stratifiedKFold per-fold class counts match sklearn (${name})`, () => {
    const { y, classes } = f.stratified[name];
    for (const seed of [0, 1, 2]) {
      const folds = stratifiedKFold(y, { k: 5, seed });
      assert.equal(folds.length, 5);
      assertPartition(
        y.length,
        folds.map((fo) => fo.test),
      );
      folds.forEach((fo, i) => {
        const ref = f.stratified[name].stratified_kfold5[i];
        assert.equal(fo.test.length, ref.test_size);
        assert.deepEqual(classCounts(y, fo.test, classes), ref.test_counts);
        assert.deepEqual(classCounts(y, fo.train, classes), ref.train_counts);
        assertPartition(y.length, [fo.train, fo.test]);
      });
    }
    // Seeded: same seed, same folds; another seed, other folds.
    assert.deepEqual(stratifiedKFold(y, { seed: 7 }), stratifiedKFold(y, { seed: 7 }));
    assert.notDeepEqual(stratifiedKFold(y, { seed: 7 })[0]!.test, stratifiedKFold(y, { seed: 8 })[0]!.test);
  });

  test(`trainTestSplit / trainValTestSplit stratified class counts match sklearn (${name})`, () => {
    const { y, classes } = f.stratified[name];
    for (const ts of ['0.2', '0.25', '0.3']) {
      const s = trainTestSplit(y.length, { testSize: Number(ts), stratify: y, seed: 3 });
      assert.deepEqual(
        classCounts(y, s.test, classes),
        f.stratified[name].train_test_split[ts].test_counts,
        ts,
      );
      assert.deepEqual(
        classCounts(y, s.train, classes),
        f.stratified[name].train_test_split[ts].train_counts,
        ts,
      );
      assertPartition(y.length, [s.train, s.test]);
    }
    const tvt = trainValTestSplit(y.length, { valSize: 0.2, testSize: 0.2, stratify: y, seed: 1 });
    const ref = f.stratified[name]['train_val_test_0.2_0.2'];
    assert.deepEqual(classCounts(y, tvt.train, classes), ref.train);
    assert.deepEqual(classCounts(y, tvt.val, classes), ref.val);
    assert.deepEqual(classCounts(y, tvt.test, classes), ref.test);
    assertPartition(y.length, [tvt.train, tvt.val, tvt.test]);
  });
}

test('kFold and unstratified trainTestSplit sizes match sklearn; seeded shuffles', () => {
  for (const [n, sizes] of Object.entries(f.kfold5_sizes) as [string, number[]][]) {
    const folds = kFold(Number(n), { k: 5, seed: 1 });
    assert.deepEqual(
      folds.map((fo) => fo.test.length),
      sizes,
    );
    assertPartition(
      Number(n),
      folds.map((fo) => fo.test),
    );
  }
  for (const [key, [nTrain, nTest]] of Object.entries(f.train_test_sizes) as [string, number[]][]) {
    const [n, ts] = key.split('_').map(Number) as [number, number];
    const s = trainTestSplit(n, { testSize: ts, seed: 5 });
    assert.deepEqual([s.train.length, s.test.length], [nTrain, nTest], key);
  }
  assert.deepEqual(trainTestSplit(100, { seed: 9 }), trainTestSplit(100, { seed: 9 }));
  assert.notDeepEqual(trainTestSplit(100, { seed: 9 }).test, trainTestSplit(100, { seed: 10 }).test);
  const unshuffled = kFold(10, { k: 3, shuffle: false });
  assert.deepEqual(Array.from(unshuffled[0]!.test), [0, 1, 2, 3]);
  assert.throws(() => trainTestSplit(10, { testSize: 10 }), /\[trainTestSplit\] testSize must be/);
  assert.throws(() => trainTestSplit(4, { stratify: [0, 0, 0, 1] }), /class 1 has 1 member/);
});

test('timeSeriesSplit equals sklearn TimeSeriesSplit exactly; timeOrderedSplit keeps order', () => {
  for (const [key, folds] of Object.entries(f.time_series) as [
    string,
    { train: number[]; test: number[] }[],
  ][]) {
    const [n, k] = key.split('_').map(Number) as [number, number];
    const got = timeSeriesSplit(n, { k });
    assert.deepEqual(
      got.map((fo) => ({ train: Array.from(fo.train), test: Array.from(fo.test) })),
      folds,
    );
  }
  const t = timeOrderedSplit(10, { testSize: 0.2, valSize: 0.2 });
  assert.deepEqual(
    [Array.from(t.train), Array.from(t.val), Array.from(t.test)],
    [
      [0, 1, 2, 3, 4, 5],
      [6, 7],
      [8, 9],
    ],
  );
});

test('computeClassWeight matches sklearn; WeightedRandomSampler balances classes', () => {
  for (const name of ['breast_cancer', 'imbalanced3']) {
    const y = f.stratified[name].y;
    const got = computeClassWeight('balanced', y);
    assert.deepEqual(got.classes, cw[name].classes);
    got.weights.forEach((w, i) => {
      assert.ok(Math.abs(w - cw[name].weights[i]) < 1e-12, `${name} ${w}`);
    });
  }
  assert.throws(() => computeClassWeight('balanced', [0, 1], [0]), /label 1 is not in classes/);

  const y: number[] = f.stratified.imbalanced3.y; // 50 / 30 / 7
  const s = new WeightedRandomSampler(sampleWeightsForBalance(y), 30000, { seed: 4 });
  const counts = [0, 0, 0];
  for (const i of s) counts[y[i]!]!++;
  // Balanced: each class ~10000 of 30000 (binomial sd ~82, so 500 is > 6 sd).
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, `counts ${counts}`);
  assert.deepEqual(
    Array.from(new WeightedRandomSampler([1, 2, 3], 5, { seed: 1 }).sample()),
    Array.from(new WeightedRandomSampler([1, 2, 3], 5, { seed: 1 }).sample()),
  );

  const und = new WeightedRandomSampler(sampleWeightsForBalance(y), 21, {
    replacement: false,
    seed: 2,
  }).sample();
  assert.equal(new Set(und).size, 21, 'no repeats without replacement');
  const w0 = new WeightedRandomSampler([0, 1, 1, 0], 2, { replacement: false }).sample();
  assert.deepEqual(Array.from(w0).sort(), [1, 2]);
  assert.throws(
    () => new WeightedRandomSampler([0, 1], 2, { replacement: false }),
    /cannot exceed the 1 indices/,
  );
  assert.throws(() => new WeightedRandomSampler([1, Number.NaN], 2), /weight 1 must be finite/);
});
