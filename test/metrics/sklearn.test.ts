// Every plain metric function against scikit-learn on committed fixtures (scripts/gen_metric_fixtures.py).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TensorScriptError } from '../../src/core/errors.ts';
import type { MetricInput } from '../../src/metrics/index.ts';
import * as m from '../../src/metrics/index.ts';
import { assertClose, decode, type FixtureCase, fixture } from './fixtures.ts';

type Opts = Record<string, unknown>;
type Fn = (args: MetricInput[], opts: Opts) => unknown;

const fns: Record<string, Fn> = {
  accuracyScore: ([a, b], o) => m.accuracyScore(a!, b!, o),
  topKAccuracyScore: ([a, b], o) => m.topKAccuracyScore(a!, b!, o),
  precisionScore: ([a, b], o) => m.precisionScore(a!, b!, o),
  recallScore: ([a, b], o) => m.recallScore(a!, b!, o),
  f1Score: ([a, b], o) => m.f1Score(a!, b!, o),
  fbetaScore: ([a, b, beta], o) => m.fbetaScore(a!, b!, beta as unknown as number, o),
  precisionRecallFscoreSupport: ([a, b], o) => m.precisionRecallFscoreSupport(a!, b!, o),
  confusionMatrix: ([a, b], o) => m.confusionMatrix(a!, b!, o),
  rocCurve: ([a, b], o) => m.rocCurve(a!, b!, o),
  rocAucScore: ([a, b], o) => m.rocAucScore(a!, b!, o),
  precisionRecallCurve: ([a, b], o) => m.precisionRecallCurve(a!, b!, o),
  averagePrecisionScore: ([a, b], o) => m.averagePrecisionScore(a!, b!, o),
  auc: ([a, b]) => m.auc(a as ArrayLike<number>, b as ArrayLike<number>),
  logLoss: ([a, b], o) => m.logLoss(a!, b!, o),
  meanAbsoluteError: ([a, b], o) => m.meanAbsoluteError(a!, b!, o),
  meanSquaredError: ([a, b], o) => m.meanSquaredError(a!, b!, o),
  rootMeanSquaredError: ([a, b], o) => m.rootMeanSquaredError(a!, b!, o),
  r2Score: ([a, b], o) => m.r2Score(a!, b!, o),
};

export function runCase(c: FixtureCase): unknown {
  const fn = fns[c.fn];
  assert.ok(fn, `no function ${c.fn} for case ${c.id}`);
  return fn(decode(c.args) as unknown as MetricInput[], decode(c.opts) as Opts);
}

test('fixtures were written by scikit-learn 1.2', () => {
  assert.match(fixture.sklearn, /^1\.2\./);
  assert.ok(fixture.cases.length > 150);
});

for (const c of fixture.cases) {
  test(`${c.fn}: ${c.id}`, () => {
    if (c.error !== undefined) {
      assert.throws(
        () => runCase(c),
        (e: unknown) =>
          e instanceof TensorScriptError && e.message.startsWith(`[${c.fn}]`) && e.message.includes(c.error!),
        `expected [${c.fn}] error containing "${c.error}" (sklearn: ${c.sklearnError})`,
      );
      return;
    }
    assertClose(runCase(c), decode(c.expected!), 1e-9, c.id);
  });
}
