// The metrics read the engine's Tensor directly (through its shape and toTypedArray), with no conversion by the user.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tensor } from '../../src/index.ts';
import * as m from '../../src/metrics/index.ts';

test('Tensors of rank 1 and 2 give the same results as plain arrays', () => {
  const y = [0, 2, 1, 2, 1];
  const probs = [
    [0.7, 0.2, 0.1],
    [0.1, 0.3, 0.6],
    [0.3, 0.4, 0.3],
    [0.5, 0.1, 0.4],
    [0.2, 0.5, 0.3],
  ];
  const yt = tensor(y, { dtype: 'int32' });
  const pt = tensor(probs, { dtype: 'float64' });
  assert.equal(m.accuracyScore(yt, pt), m.accuracyScore(y, probs));
  assert.equal(m.rocAucScore(yt, pt), m.rocAucScore(y, probs));
  assert.equal(m.logLoss(yt, pt), m.logLoss(y, probs));
  assert.deepEqual(m.confusionMatrix(yt, pt), m.confusionMatrix(y, probs));
  const acc = m.getMetric('accuracy');
  acc.update(yt, pt);
  assert.equal(acc.result(), 0.8);
  assert.throws(
    () => m.accuracyScore(yt, tensor([[[1]]])),
    /\[accuracyScore\] yPred must have 1 or 2 dimensions, got shape \[1,1,1\]/,
  );
});
