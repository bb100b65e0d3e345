import assert from 'node:assert/strict';
import { it } from 'node:test';
import { trainingCurveCharts } from '../../src/report/charts.ts';

it('training curves list only the series the History has', () => {
  const onlyTrain = trainingCurveCharts({ epoch: [0, 1], history: { loss: [0.5, 0.3] } });
  const enc = (c: (typeof onlyTrain)[number]) =>
    (c.spec as unknown as { encoding: { color: { scale: { domain: string[] } } } }).encoding.color.scale
      .domain;
  assert.deepEqual(enc(onlyTrain[0]!), ['train']);
  const both = trainingCurveCharts({ epoch: [0, 1], history: { loss: [0.5, 0.3], val_loss: [0.6, 0.4] } });
  assert.deepEqual(enc(both[0]!), ['train', 'validation']);
});
