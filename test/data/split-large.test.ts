import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stratifiedKFold, trainTestSplit, trainValTestSplit } from '../../src/data/split.ts';

// Generated, never committed: 400k rows, two classes of 200k each. Spreading one class's indices into
// Array.prototype.push overflowed the call stack from about 150k rows per class.
const n = 400_000;
const y = Int32Array.from({ length: n }, (_, i) => i % 2);

function assertPartition(parts: Int32Array[], total: number): void {
  const seen = new Uint8Array(n);
  let count = 0;
  for (const p of parts)
    for (const i of p) {
      assert.equal(seen[i], 0, `index ${i} appears twice`);
      seen[i] = 1;
      count++;
    }
  assert.equal(count, total);
}

test('trainTestSplit stratifies 400k rows (200k per class) without overflowing the stack', () => {
  const { train, test: held } = trainTestSplit(n, { stratify: y, seed: 1 });
  assert.equal(held.length, 100_000);
  assert.equal(train.length, 300_000);
  assertPartition([train, held], n);
  let ones = 0;
  for (const i of held) ones += y[i]!;
  assert.equal(ones, 50_000);
});

test('trainValTestSplit and stratifiedKFold handle 400k stratified rows', () => {
  const s = trainValTestSplit(n, { stratify: y, seed: 2 });
  assertPartition([s.train, s.val, s.test], n);
  const folds = stratifiedKFold(y, { k: 3, seed: 3 });
  assert.equal(folds.length, 3);
  assertPartition(
    folds.map((f) => f.test),
    n,
  );
});

test('stratifiedKFold with 300k distinct classes does not spread them into Math.max', () => {
  const many = Int32Array.from({ length: 300_000 }, (_, i) => i >> 1);
  assert.throws(() => stratifiedKFold(many, { k: 3 }), /k=3 exceeds the largest class size 2/);
});
