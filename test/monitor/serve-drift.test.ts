import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import type { RecordPrediction, ServedModel, TensorMap } from '../../src/serve/model.ts';

type Row = { x: number; z: number; color: string };

/** Training-like rows: x ~ N(0, 1), z ~ exp(N(0, 1)) (skewed), color red/green/blue at 5:3:2; `shift` moves x and color. */
function rows(g: ts.Generator, n: number, shift = false): Row[] {
  return Array.from({ length: n }, () => {
    const u = g.uniform();
    const color = shift
      ? u < 0.2
        ? 'red'
        : u < 0.4
          ? 'green'
          : 'blue'
      : u < 0.5
        ? 'red'
        : u < 0.8
          ? 'green'
          : 'blue';
    return { x: g.normal() + (shift ? 1 : 0), z: Math.exp(g.normal()), color };
  });
}

const train = rows(new ts.Generator(1), 5000);
const trainingStats = {
  // As the model card holds it (raw-stats.ts): moments only, compared through a truncated normal.
  x: ts.saving.numericStats(train.map((r) => r.x)),
  // With quantiles, for a skewed feature (monitor.driftReference).
  z: ts.monitor.driftReference(train.map((r) => r.z)),
  color: ts.saving.categoricalStats(train.map((r) => r.color)),
};

/** A tabular "classifier": pos when x > 0. */
function model(): ServedModel {
  return {
    name: 'tab',
    version: '1',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 1] }],
    outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 1] }],
    records: { kind: 'tabular', numeric: ['x', 'z'], categorical: ['color'] },
    trainingStats,
    async infer(i: TensorMap): Promise<TensorMap> {
      return { output: i.input! };
    },
    async predictRecords(recs: readonly unknown[]): Promise<RecordPrediction[]> {
      return recs.map((r) => {
        const p = 1 / (1 + Math.exp(-4 * (r as Row).x));
        return { label: p > 0.5 ? 'pos' : 'neg', probabilities: { neg: 1 - p, pos: p } };
      });
    },
  };
}

async function serveTraffic(batches: Row[][]): Promise<{ report: ts.monitor.DriftReport; metrics: string }> {
  const server = await ts.serving.createServer({ models: [model()] });
  try {
    for (const b of batches) {
      const r = await server.app.inject({
        method: 'POST',
        url: '/v1/models/tab/predict',
        payload: { instances: b },
      });
      assert.equal(r.statusCode, 200, r.body);
    }
    const d = await server.app.inject({ method: 'GET', url: '/v1/models/tab/drift' });
    assert.equal(d.statusCode, 200, d.body);
    const m = await server.app.inject({ method: 'GET', url: '/metrics' });
    return { report: d.json(), metrics: m.body };
  } finally {
    await server.close();
  }
}

const chunks = (xs: Row[]) =>
  Array.from({ length: Math.ceil(xs.length / 50) }, (_, i) => xs.slice(i * 50, i * 50 + 50));

describe('drift monitoring in the server', () => {
  it('raises no alert on traffic from the training distribution', async () => {
    const { report, metrics } = await serveTraffic(chunks(rows(new ts.Generator(2), 1200)));
    assert.equal(report.observed, 1200);
    for (const [k, f] of Object.entries(report.features)) {
      assert.equal(f.insufficient, undefined, k);
      assert.equal(f.alert, false, `${k}: ${f.reasons.join('; ')}`);
    }
    assert.deepEqual(Object.keys(report.features).sort(), ['color', 'x', 'z']);
    assert.ok(report.prediction !== null && !report.prediction.alert, JSON.stringify(report.prediction));
    assert.equal(report.alert, false);
    assert.match(metrics, /tensorscript_drift_alert\{model="tab",version="1",feature="x"\} 0/);
    assert.match(metrics, /tensorscript_drift_psi\{model="tab",version="1",feature="color"\} \d/);
  });

  it('alerts on shifted traffic: the moved numeric and categorical features and the prediction distribution', async () => {
    const g = new ts.Generator(3);
    // The first 200 predictions are the prediction reference; then 1000 shifted rows fill the window.
    const { report, metrics } = await serveTraffic(chunks([...rows(g, 200), ...rows(g, 1000, true)]));
    assert.equal(report.alert, true);
    const x = report.features.x!;
    assert.ok(x.alert && x.ks!.pValue < 1e-6 && x.psi! > 0.2, JSON.stringify(x));
    assert.ok(report.features.color!.alert && report.features.color!.chi2!.pValue < 1e-6);
    // z did not move: no alert for it.
    assert.equal(report.features.z!.alert, false, report.features.z!.reasons.join('; '));
    assert.ok(report.prediction!.alert, JSON.stringify(report.prediction));
    assert.match(metrics, /tensorscript_drift_alert\{model="tab",version="1",feature="x"\} 1/);
    assert.match(metrics, /tensorscript_drift_alert\{model="tab",version="1",feature="\(prediction\)"\} 1/);
  });

  it('takes thresholds from the server options, refusing unknown keys with a did-you-mean', async () => {
    await assert.rejects(
      ts.serving.createServer({ drift: { windows: 100 } as never }),
      /did you mean "window"/,
    );
    const server = await ts.serving.createServer({
      models: [model()],
      drift: { minSamples: 500, window: 500 },
    });
    try {
      await server.app.inject({
        method: 'POST',
        url: '/v1/models/tab/predict',
        payload: { instances: rows(new ts.Generator(4), 50, true) },
      });
      const d = (
        await server.app.inject({ method: 'GET', url: '/v1/models/tab/drift' })
      ).json() as ts.monitor.DriftReport;
      assert.equal(d.thresholds.minSamples, 500);
      assert.equal(d.features.x!.insufficient, true);
      assert.equal(d.alert, false);
    } finally {
      await server.close();
    }
    const off = await ts.serving.createServer({ models: [model()], drift: false });
    try {
      assert.equal((await off.app.inject({ method: 'GET', url: '/v1/models/tab/drift' })).statusCode, 404);
    } finally {
      await off.close();
    }
  });
});

describe('tensorscript serve --drift', () => {
  it('reads the thresholds file and refuses an unknown key before loading checkpoints', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { main } = await import('../../src/cli/index.ts');
    const f = join(mkdtempSync(join(tmpdir(), 'ts-drift-')), 'drift.json');
    writeFileSync(f, JSON.stringify({ ksPvalue: 0.05 }));
    let err = '';
    const code = await main(['serve', 'no-such-checkpoint', '--drift', f], {
      out: () => {},
      err: (s) => (err += s),
    });
    assert.notEqual(code, 0);
    assert.match(err, /unknown option "ksPvalue" \(did you mean "ksPValue"\?\)/);
    err = '';
    await main(['serve', 'x', '--drift', f, '--no-drift'], { out: () => {}, err: (s) => (err += s) });
    assert.match(err, /--drift and --no-drift exclude each other/);
  });
});
