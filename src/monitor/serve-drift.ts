/**
 * Drift monitoring inside the inference server: one DriftMonitor per served model version, fed by the v1
 * record route, reported at `GET /v1/models/{name}/drift` and as Prometheus gauges on /metrics (computed
 * when scraped, so serving pays only for keeping the windows).
 */
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ServedModel } from '../serve/model.ts';
import type { ModelVersion } from '../serve/repository.ts';
import type { RouteContext } from '../serve/routes-v2.ts';
import {
  DriftMonitor,
  type DriftReport,
  type DriftThresholds,
  driftThresholds,
  type ObservedPrediction,
} from './drift.ts';

const require = createRequire(import.meta.url);

type GaugeName = 'psi' | 'ks_statistic' | 'ks_p_value' | 'chi2_p_value' | 'alert' | 'samples';

/** Label value of the prediction distribution in the per-feature gauges. */
export const PREDICTION_FEATURE = '(prediction)';

export class DriftMonitors {
  readonly thresholds: DriftThresholds;
  private readonly monitors = new Map<ServedModel, DriftMonitor>();

  constructor(thresholds: Partial<DriftThresholds> = {}, registry?: Registry) {
    this.thresholds = driftThresholds(thresholds);
    if (registry !== undefined) this.registerGauges(registry);
  }

  /** The model's monitor, made on first use from its training statistics (none: predictions only). */
  monitorFor(model: ServedModel): DriftMonitor {
    let m = this.monitors.get(model);
    if (m === undefined) {
      m = new DriftMonitor(model.name, model.trainingStats ?? {}, this.thresholds);
      this.monitors.set(model, m);
    }
    return m;
  }

  observe(model: ServedModel, records: readonly unknown[], preds: readonly ObservedPrediction[]): void {
    const m = this.monitorFor(model);
    m.observeInputs(records);
    m.observePredictions(preds);
  }

  /** Drops a model version's monitor once the server stops routing to it. */
  forget(model: ServedModel): void {
    this.monitors.delete(model);
  }

  report(model: ServedModel): DriftReport & { version: string } {
    return { ...this.monitorFor(model).report(), version: model.version };
  }

  private registerGauges(registry: Registry): void {
    const { Gauge } = require('prom-client') as typeof import('prom-client');
    const help: Record<GaugeName, string> = {
      psi: 'Population stability index of the live window against the training reference',
      ks_statistic: 'Kolmogorov-Smirnov statistic D of a numeric feature (or regression prediction)',
      ks_p_value: 'Kolmogorov-Smirnov p-value',
      chi2_p_value: 'Chi-squared p-value of a categorical feature (or predicted class)',
      alert: '1 when the feature (or the prediction distribution) drifted past the configured thresholds',
      samples: 'Live values in the compared window',
    };
    const gauges = {} as Record<GaugeName, import('prom-client').Gauge<'model' | 'version' | 'feature'>>;
    const monitors = this.monitors;
    const fill = () => {
      for (const g of Object.values(gauges)) g.reset();
      for (const [model, m] of monitors) {
        const r = m.report();
        const rows = Object.entries(r.features);
        if (r.prediction !== null) rows.push([PREDICTION_FEATURE, r.prediction]);
        for (const [feature, f] of rows) {
          const l = { model: model.name, version: model.version, feature };
          gauges.samples.set(l, f.samples);
          gauges.alert.set(l, f.alert ? 1 : 0);
          if (f.psi !== null) gauges.psi.set(l, f.psi);
          if (f.ks != null) {
            gauges.ks_statistic.set(l, f.ks.statistic);
            gauges.ks_p_value.set(l, f.ks.pValue);
          }
          if (f.chi2 != null) gauges.chi2_p_value.set(l, f.chi2.pValue);
        }
      }
    };
    for (const name of Object.keys(help) as GaugeName[])
      gauges[name] = new Gauge({
        name: `tensorscript_drift_${name}`,
        help: help[name],
        labelNames: ['model', 'version', 'feature'],
        registers: [registry],
        // prom-client reads the gauges in registration order, psi first: its collect fills all of them from
        // one report per scrape.
        ...(name === 'psi' ? { collect: fill } : {}),
      });
  }
}

/** `GET /v1/models/{name}/drift`: the drift report of the model's current version. */
export function registerDriftRoute(app: FastifyInstance, ctx: RouteContext, drift: DriftMonitors): void {
  app.get<{ Params: { name: string } }>(
    '/v1/models/:name/drift',
    { config: { op: 'drift' } },
    async (req) => {
      const entry: ModelVersion = ctx.repository.resolve('drift', req.params.name);
      return drift.report(entry.model);
    },
  );
}
