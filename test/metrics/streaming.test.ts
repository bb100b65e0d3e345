// Streaming metrics fed in uneven batches must equal scikit-learn on the whole data (same fixtures as the functions).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TensorScriptError } from '../../src/core/errors.ts';
import type { Metric, MetricInput } from '../../src/metrics/index.ts';
import * as m from '../../src/metrics/index.ts';
import { assertClose, decode, type FixtureCase, fixture, type Json } from './fixtures.ts';

type Opts = Record<string, unknown>;

/** Which streaming metric reproduces a fixture case, or undefined when the case uses an option it does not have. */
function streamingFor(c: FixtureCase, o: Opts): Metric<unknown> | undefined {
  const avg = o.average as 'macro' | 'micro' | 'weighted' | 'binary' | undefined;
  switch (c.fn) {
    case 'accuracyScore':
      return o.normalize === false
        ? undefined
        : new m.Accuracy({ threshold: o.threshold as number | undefined });
    case 'topKAccuracyScore':
      return o.normalize === false ? undefined : new m.TopKAccuracy({ k: o.k as number });
    case 'precisionScore':
    case 'recallScore':
    case 'f1Score': {
      if (avg === null) return undefined;
      const opts = { ...(o as m.PrfMetricOptions) };
      if (c.fn === 'precisionScore') return new m.Precision(opts);
      if (c.fn === 'recallScore') return new m.Recall(opts);
      return new m.F1Score(opts);
    }
    case 'confusionMatrix':
      return o.normalize === undefined
        ? new m.ConfusionMatrix({ labels: o.labels as number[] | undefined })
        : undefined;
    case 'rocAucScore':
      return avg === null || o.labels !== undefined
        ? undefined
        : new m.AUC({ average: avg as 'macro' | undefined });
    case 'averagePrecisionScore':
      return avg === null || o.posLabel !== undefined
        ? undefined
        : new m.AveragePrecision({ average: avg as 'macro' | undefined });
    case 'logLoss':
      return o.eps !== undefined || o.normalize !== undefined || o.labels !== undefined
        ? undefined
        : new m.LogLoss();
    case 'meanAbsoluteError':
      return new m.MeanAbsoluteError();
    case 'meanSquaredError':
      return new m.MeanSquaredError();
    case 'rootMeanSquaredError':
      return new m.RootMeanSquaredError();
    case 'r2Score':
      return new m.R2Score();
    default:
      return undefined;
  }
}

function slice(x: Json, lo: number, hi: number): MetricInput {
  return (x as Json[]).slice(lo, hi) as unknown as MetricInput;
}

let covered = 0;
for (const c of fixture.cases) {
  const args = decode(c.args) as Json[];
  const opts = decode(c.opts) as Opts;
  const metric = streamingFor(c, opts);
  if (metric === undefined) continue;
  covered++;
  test(`${metric.constructor.name} streaming: ${c.id}`, () => {
    const n = (args[0] as Json[]).length;
    const w = opts.sampleWeight as Json | undefined;
    const feed = () => {
      // batch sizes 1, 7, 13, 1, 7, ... so batches straddle every kind of boundary
      const sizes = [1, 7, 13];
      for (let lo = 0, b = 0; lo < n; b++) {
        const hi = Math.min(n, lo + sizes[b % 3]!);
        metric.update(
          slice(args[0]!, lo, hi),
          slice(args[1]!, lo, hi),
          w === undefined ? undefined : slice(w, lo, hi),
        );
        lo = hi;
      }
    };
    if (c.error !== undefined) {
      assert.throws(() => {
        feed();
        metric.result();
      }, TensorScriptError);
      return;
    }
    feed();
    assertClose(metric.result(), decode(c.expected!), 1e-9, c.id);
    // reset forgets everything: the second pass gives the same answer, not a doubled count
    metric.reset();
    feed();
    assertClose(metric.result(), decode(c.expected!), 1e-9, `${c.id} after reset`);
  });
}

test('most fixture cases have a streaming counterpart', () => {
  assert.ok(covered >= 90, `only ${covered} cases covered`);
});

test('result() before any update is a clear error', () => {
  for (const metric of [
    new m.Accuracy(),
    new m.AUC(),
    new m.LogLoss(),
    new m.R2Score(),
    new m.TopKAccuracy(),
    new m.MeanAbsoluteError(),
  ]) {
    assert.throws(() => metric.result(), /empty input: result\(\) was called before update\(\)/);
  }
});

test('AUC from logits equals AUC of the softmax probabilities', () => {
  const y = [0, 1, 2, 1, 0, 2];
  const logits = [
    [2, 1, 0],
    [0.5, 1.5, 0],
    [0, 0.2, 3],
    [0.1, 0.3, 0.2],
    [1, 0, 0.5],
    [0, 1, 1.1],
  ];
  const probs = logits.map((r) => {
    const e = r.map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
  const a = new m.AUC({ fromLogits: true });
  a.update(y, logits);
  assert.ok(Math.abs(a.result() - (m.rocAucScore(y, probs) as number)) < 1e-12);
  // without fromLogits, logits are rejected as sklearn does
  const b = new m.AUC();
  b.update(y, logits);
  assert.throws(() => b.result(), /\[rocAucScore\] multiclass scores must be probabilities/);
});

test('LogLoss fromLogits equals logLoss of the sigmoid', () => {
  const y = [0, 1, 1, 0];
  const z = [-1.2, 0.3, 2.5, 0.1];
  const l = new m.LogLoss({ fromLogits: true });
  l.update(y, z);
  assert.ok(
    Math.abs(
      l.result() -
        m.logLoss(
          y,
          z.map((v) => 1 / (1 + Math.exp(-v))),
        ),
    ) < 1e-12,
  );
});

test('getMetric builds Keras-named metrics reporting under the asked name', () => {
  const expect: Record<string, string> = {
    accuracy: 'Accuracy',
    acc: 'Accuracy',
    binary_accuracy: 'BinaryAccuracy',
    auc: 'AUC',
    precision: 'Precision',
    recall: 'Recall',
    f1_score: 'F1Score',
    mae: 'MeanAbsoluteError',
    mse: 'MeanSquaredError',
    rmse: 'RootMeanSquaredError',
    r2: 'R2Score',
    log_loss: 'LogLoss',
    meanAbsoluteError: 'MeanAbsoluteError',
    top_k_categorical_accuracy: 'TopKAccuracy',
  };
  for (const [name, cls] of Object.entries(expect)) {
    const metric = m.getMetric(name);
    assert.equal(metric.constructor.name, cls, name);
    assert.equal(metric.name, name);
  }
  const mine = new m.Recall({ average: 'macro' });
  assert.equal(m.getMetric(mine), mine);
  assert.throws(
    () => m.getMetric('acuracy'),
    /\[getMetric\] unknown metric "acuracy" \(did you mean "accuracy"\?\); known names: .*accuracy/,
  );
});

test("'accuracy' reads probabilities, logits-free one-hot targets and labels alike", () => {
  const acc = m.getMetric('accuracy');
  acc.update([1, 0, 1, 1], [0.9, 0.2, 0.4, 0.51]); // scores at 0.5 -> 1,0,0,1
  assert.equal(acc.result(), 0.75);
  acc.reset();
  acc.update(
    [
      [0, 1, 0],
      [1, 0, 0],
    ],
    [
      [0.1, 0.7, 0.2],
      [0.2, 0.5, 0.3],
    ],
  );
  assert.equal(acc.result(), 0.5);
});
