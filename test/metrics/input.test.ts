// The input adapter and the clear errors every metric gives on bad input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TensorLike } from '../../src/metrics/index.ts';
import * as m from '../../src/metrics/index.ts';

function tensorLike(data: ArrayLike<number>, shape: number[]): TensorLike {
  return { shape, toTypedArray: () => data };
}

test('Tensor-like inputs of rank 1 and 2 give the same answers as arrays', () => {
  const y = [0, 2, 1, 2];
  const scores = [
    [0.7, 0.2, 0.1],
    [0.1, 0.3, 0.6],
    [0.3, 0.4, 0.3],
    [0.5, 0.1, 0.4],
  ];
  const flat = Float32Array.from(scores.flat());
  assert.equal(
    m.accuracyScore(tensorLike(Int32Array.from(y), [4]), tensorLike(flat, [4, 3])),
    m.accuracyScore(y, scores),
  );
  assert.equal(m.accuracyScore(tensorLike(Int32Array.from(y), [4, 1]), [0, 2, 1, 0]), 0.75);
  assert.equal(
    m.topKAccuracyScore(y, tensorLike(flat, [4, 3]), { k: 2 }),
    m.topKAccuracyScore(y, scores, { k: 2 }),
  );
});

test('shape and value errors name the function and say what was expected', () => {
  assert.throws(
    () => m.accuracyScore([0, 1], tensorLike(new Float32Array(8), [2, 2, 2])),
    /^TensorScriptError: \[accuracyScore\] yPred must have 1 or 2 dimensions, got shape \[2,2,2\]/,
  );
  assert.throws(
    () => m.accuracyScore([0, 1], tensorLike(new Float32Array(3), [2, 2])),
    /\[accuracyScore\] yPred holds 3 values but its shape \[2,2\] needs 4/,
  );
  assert.throws(
    () => m.accuracyScore([0, 1], [0, Number.NaN]),
    /\[accuracyScore\] yPred must be finite, got NaN at flat index 1/,
  );
  assert.throws(
    () => m.accuracyScore([0, 1, 1], [0, 1]),
    /\[accuracyScore\] yTrue and yPred must have the same number of samples, got 3 and 2/,
  );
  assert.throws(
    () => m.accuracyScore([0, 1], [0.2, 0.9]),
    /\[accuracyScore\] yPred must hold integer class labels, got 0.2 at index 0; pass labels, or scores with a threshold/,
  );
  assert.throws(
    () => m.accuracyScore([0.5, 1], [0, 1]),
    /\[accuracyScore\] yTrue must hold integer class labels, got 0.5/,
  );
  assert.throws(
    () => m.accuracyScore([[1, 1, 0]], [[0.2, 0.3, 0.5]]),
    /\[accuracyScore\] yTrue of shape \[1,3\] must be one-hot rows, row 0 has 2 ones/,
  );
  assert.throws(
    () => m.f1Score([0, 1], [0, 1], { sampleWeight: [1, -1] }),
    /\[f1Score\] sampleWeight must be non-negative, got -1 at index 1/,
  );
  assert.throws(
    () => m.f1Score([0, 1], [0, 1], { sampleWeight: [1] }),
    /\[f1Score\] yTrue and sampleWeight must have the same number of samples, got 2 and 1/,
  );
  assert.throws(
    () => m.meanSquaredError([[1, 2]], [[1, 2]]),
    /\[meanSquaredError\] yTrue must be 1-D or \[N,1\], got shape \[1,2\]/,
  );
  assert.throws(
    () => m.topKAccuracyScore([0, 1], [0.3, 0.6]),
    /\[topKAccuracyScore\] yScore must be scores of shape \[N,C\] with C >= 2/,
  );
  assert.throws(
    () =>
      m.logLoss(
        [0, 3],
        [
          [0.5, 0.5],
          [0.2, 0.8],
        ],
      ),
    /\[logLoss\] yTrue label 3 at index 1 is not one of the classes \[0, 1\]/,
  );
});

test('empty input is a clear error for every function', () => {
  const calls: [string, () => unknown][] = [
    ['accuracyScore', () => m.accuracyScore([], [])],
    ['topKAccuracyScore', () => m.topKAccuracyScore([], tensorLike(new Float64Array(0), [0, 3]))],
    ['precisionScore', () => m.precisionScore([], [])],
    ['recallScore', () => m.recallScore([], [])],
    ['f1Score', () => m.f1Score([], [])],
    ['fbetaScore', () => m.fbetaScore([], [], 2)],
    ['precisionRecallFscoreSupport', () => m.precisionRecallFscoreSupport([], [])],
    ['confusionMatrix', () => m.confusionMatrix([], [])],
    ['rocCurve', () => m.rocCurve([], [])],
    ['rocAucScore', () => m.rocAucScore([], [])],
    ['precisionRecallCurve', () => m.precisionRecallCurve([], [])],
    ['averagePrecisionScore', () => m.averagePrecisionScore([], [])],
    ['logLoss', () => m.logLoss([], [])],
    ['meanAbsoluteError', () => m.meanAbsoluteError([], [])],
    ['meanSquaredError', () => m.meanSquaredError([], [])],
    ['rootMeanSquaredError', () => m.rootMeanSquaredError([], [])],
    ['r2Score', () => m.r2Score([], [])],
  ];
  for (const [name, call] of calls) {
    assert.throws(
      call,
      new RegExp(`^TensorScriptError: \\[${name}\\] empty input: yTrue has 0 samples`),
      name,
    );
  }
  assert.throws(() => m.auc([0], [1]), /\[auc\] at least 2 points are needed/);
});

test('log loss clips at the epsilon of the input precision, as sklearn (eps="auto")', () => {
  // a certain, wrong prediction: the loss is -log(eps) after clipping and renormalising
  const f64 = m.logLoss([1], [0]);
  const f32 = m.logLoss([1], new Float32Array([0]));
  assert.ok(
    Math.abs(f64 - -Math.log(Number.EPSILON / (1 - Number.EPSILON + Number.EPSILON))) < 1e-9,
    String(f64),
  );
  assert.ok(Math.abs(f32 - -Math.log(2 ** -23)) < 1e-6, String(f32));
});

test('confusion matrix: a never-predicted class gets a zero column; zero-weight samples still name their labels', () => {
  assert.deepEqual(m.confusionMatrix([0, 1, 2, 2], [0, 1, 1, 1]), [
    [1, 0, 0],
    [0, 1, 0],
    [0, 2, 0],
  ]);
  assert.deepEqual(m.confusionMatrix([0, 1], [0, 2], { sampleWeight: [1, 0] }), [
    [1, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ]);
});
