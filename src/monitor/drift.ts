/**
 * Drift of one served model: windows of the latest live inputs (per feature named in the training
 * statistics) and predictions, compared with the training reference. Numeric features: PSI over ten
 * equal-probability bins of the reference and a Kolmogorov-Smirnov test; categorical ones: Pearson's
 * chi-squared and PSI over the categories (unseen categories pooled as "(other)"). Predictions are compared
 * with the first `baseline` predictions the model served (the card holds no prediction distribution).
 */
import { fail } from '../core/errors.ts';
import { checkOptions, type OptionSpecs } from '../core/options.ts';
import {
  type CategoricalReference,
  equalProbabilityEdges,
  type FeatureReference,
  type NumericReference,
  type ReferenceInput,
  referenceCdf,
  sortedQuantile,
  toReference,
} from './reference.ts';
import { chiSquaredTest, ksTest, psi } from './stats.ts';

export interface DriftThresholds {
  /** PSI above this is drift (default 0.2; 0.1 small, 0.25 large by the usual rule). */
  psi: number;
  /** KS: drift when the p-value is below this... */
  ksPValue: number;
  /** ...and the statistic D is above this (default 0.1), so a huge window does not flag trivial shifts. */
  ksStatistic: number;
  /** Chi-squared: drift when the p-value is below this... */
  chi2PValue: number;
  /** ...and Cramer's V is above this (default 0.1). */
  cramersV: number;
  /** Fewest live values before a feature is judged (default 100). */
  minSamples: number;
  /** Live values kept per feature: the window compared (default 1000). */
  window: number;
  /** First predictions kept as the prediction reference (default 200). */
  baseline: number;
}

export const DRIFT_OPTIONS: OptionSpecs = {
  psi: { type: 'number', gt: 0, default: 0.2 },
  ksPValue: { type: 'number', gt: 0, lt: 1, default: 0.01 },
  ksStatistic: { type: 'number', min: 0, max: 1, default: 0.1 },
  chi2PValue: { type: 'number', gt: 0, lt: 1, default: 0.01 },
  cramersV: { type: 'number', min: 0, max: 1, default: 0.1 },
  minSamples: { type: 'number', int: true, min: 2, default: 100 },
  window: { type: 'number', int: true, min: 2, default: 1000 },
  baseline: { type: 'number', int: true, min: 2, default: 200 },
};

/** The thresholds with defaults filled in; unknown keys are errors with a did-you-mean. */
export function driftThresholds(opts: Partial<DriftThresholds> = {}): DriftThresholds {
  checkOptions('drift', opts, DRIFT_OPTIONS);
  const d = Object.fromEntries(
    Object.entries(DRIFT_OPTIONS).map(([k, s]) => [k, s.default]),
  ) as unknown as DriftThresholds;
  const t = { ...d, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) };
  if (t.minSamples > t.window) fail('drift', `minSamples (${t.minSamples}) exceeds window (${t.window})`);
  return t;
}

export interface FeatureDrift {
  kind: 'numeric' | 'categorical';
  /** Live values in the window (missing ones not counted). */
  samples: number;
  missing: number;
  psi: number | null;
  ks?: { statistic: number; pValue: number } | null;
  chi2?: { statistic: number; pValue: number; df: number; cramersV: number } | null;
  /** Live mean (numeric) next to the reference's. */
  mean?: { live: number; reference: number } | null;
  alert: boolean;
  /** Why it alerts: "psi 0.43 > 0.2", "ks p 1e-9 < 0.01 and D 0.31 > 0.1". */
  reasons: string[];
  /** Set while there are fewer than minSamples live values. */
  insufficient?: true;
}

export interface DriftReport {
  model: string;
  /** Records observed since the monitor started. */
  observed: number;
  alert: boolean;
  thresholds: DriftThresholds;
  features: Record<string, FeatureDrift>;
  /** Null until `baseline` predictions were seen (they form the reference). */
  prediction: (FeatureDrift & { baselineSamples: number }) | null;
  /** Features of the training statistics this monitor cannot observe in live records (pixels, say). */
  unobserved: string[];
}

/** A fixed-size ring of the latest values. */
class Ring<T> {
  private readonly buf: T[] = [];
  private next = 0;
  constructor(readonly size: number) {}
  push(v: T): void {
    if (this.buf.length < this.size) this.buf.push(v);
    else {
      this.buf[this.next] = v;
      this.next = (this.next + 1) % this.size;
    }
  }
  values(): T[] {
    return this.buf;
  }
}

const OTHER = '(other)';
const fmt = (v: number) => (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(3));

/** A live value as numeric (null when missing), as the card counts missing values. */
function asNumber(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
function asCategory(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
}

function numericDrift(
  ref: NumericReference,
  live: number[],
  missing: number,
  t: DriftThresholds,
): FeatureDrift {
  const out: FeatureDrift = {
    kind: 'numeric',
    samples: live.length,
    missing,
    psi: null,
    ks: null,
    mean: null,
    alert: false,
    reasons: [],
  };
  if (live.length < t.minSamples) {
    out.insufficient = true;
    return out;
  }
  const cdf = referenceCdf(ref);
  const edges = equalProbabilityEdges(ref);
  const expected = [...edges, Number.POSITIVE_INFINITY].map(
    (e, i) => (i === edges.length ? 1 : cdf(e)) - (i === 0 ? 0 : cdf(edges[i - 1]!)),
  );
  const actual = new Array<number>(expected.length).fill(0);
  for (const v of live) {
    let b = 0;
    while (b < edges.length && v >= edges[b]!) b++;
    actual[b]!++;
  }
  out.psi = psi(expected, actual);
  out.ks = ksTest(live, cdf);
  out.mean = { live: live.reduce((a, b) => a + b, 0) / live.length, reference: ref.mean };
  if (out.psi > t.psi) out.reasons.push(`psi ${fmt(out.psi)} > ${t.psi}`);
  if (out.ks.pValue < t.ksPValue && out.ks.statistic > t.ksStatistic)
    out.reasons.push(
      `ks p ${fmt(out.ks.pValue)} < ${t.ksPValue} and D ${fmt(out.ks.statistic)} > ${t.ksStatistic}`,
    );
  out.alert = out.reasons.length > 0;
  return out;
}

function categoricalDrift(
  ref: CategoricalReference,
  live: string[],
  missing: number,
  t: DriftThresholds,
): FeatureDrift {
  const out: FeatureDrift = {
    kind: 'categorical',
    samples: live.length,
    missing,
    psi: null,
    chi2: null,
    alert: false,
    reasons: [],
  };
  if (live.length < t.minSamples) {
    out.insufficient = true;
    return out;
  }
  const names = [...Object.keys(ref.categories), OTHER];
  const index = new Map(names.map((n, i) => [n, i]));
  const observed = new Array<number>(names.length).fill(0);
  for (const v of live) observed[index.get(v) ?? names.length - 1]!++;
  const expected = names.map((n) => ref.categories[n] ?? 0);
  // "(other)" is a column only when live traffic has unseen categories: otherwise it adds a degree of freedom for nothing.
  const keep = observed[names.length - 1]! > 0 ? names.length : names.length - 1;
  out.chi2 = chiSquaredTest(observed.slice(0, keep), expected.slice(0, keep));
  out.psi = psi(expected.slice(0, keep), observed.slice(0, keep));
  if (out.psi > t.psi) out.reasons.push(`psi ${fmt(out.psi)} > ${t.psi}`);
  if (out.chi2.pValue < t.chi2PValue && out.chi2.cramersV > t.cramersV)
    out.reasons.push(
      `chi2 p ${fmt(out.chi2.pValue)} < ${t.chi2PValue} and V ${fmt(out.chi2.cramersV)} > ${t.cramersV}`,
    );
  out.alert = out.reasons.length > 0;
  return out;
}

/** Live record features the monitor reads: object keys; for text records, document characters and words. */
function recordValue(rec: unknown, feature: string): unknown {
  const text =
    typeof rec === 'string'
      ? rec
      : rec !== null && typeof rec === 'object' && typeof (rec as { text?: unknown }).text === 'string'
        ? (rec as { text: string }).text
        : null;
  if (text !== null) {
    if (feature === 'characters') return text.length;
    if (feature === 'words') return text.split(/\s+/).filter((w) => w.length > 0).length;
    return undefined;
  }
  if (rec !== null && typeof rec === 'object' && !Array.isArray(rec))
    return (rec as Record<string, unknown>)[feature];
  return undefined;
}

/** A served prediction as the monitor reads it (RecordPrediction's label). */
export interface ObservedPrediction {
  readonly label: string | number;
  readonly probabilities?: Record<string, number>;
}

export class DriftMonitor {
  readonly thresholds: DriftThresholds;
  private readonly refs: Record<string, FeatureReference>;
  private readonly live = new Map<string, Ring<number | string>>();
  private readonly missing = new Map<string, Ring<0 | 1>>();
  private readonly seen = new Set<string>();
  private observed = 0;
  private readonly baseline: (string | number)[] = [];
  private readonly preds: Ring<string | number>;

  constructor(
    readonly model: string,
    reference: Record<string, ReferenceInput>,
    thresholds: Partial<DriftThresholds> = {},
  ) {
    this.thresholds = driftThresholds(thresholds);
    this.refs = Object.fromEntries(Object.entries(reference).map(([k, v]) => [k, toReference(v)]));
    for (const k of Object.keys(this.refs)) {
      this.live.set(k, new Ring(this.thresholds.window));
      this.missing.set(k, new Ring(this.thresholds.window));
    }
    this.preds = new Ring(this.thresholds.window);
  }

  /** Live raw records (v1 predict instances). Features absent from a record are neither values nor missing. */
  observeInputs(records: readonly unknown[]): void {
    for (const rec of records) {
      this.observed++;
      for (const [k, ref] of Object.entries(this.refs)) {
        const raw = recordValue(rec, k);
        if (raw === undefined) continue;
        this.seen.add(k);
        const v = ref.kind === 'numeric' ? asNumber(raw) : asCategory(raw);
        this.missing.get(k)!.push(v === null ? 1 : 0);
        if (v !== null) this.live.get(k)!.push(v);
      }
    }
  }

  /** Served predictions: labels for classifiers, values for regression. */
  observePredictions(preds: readonly ObservedPrediction[]): void {
    for (const p of preds) {
      if (this.baseline.length < this.thresholds.baseline) this.baseline.push(p.label);
      else this.preds.push(p.label);
    }
  }

  report(): DriftReport {
    const t = this.thresholds;
    const features: Record<string, FeatureDrift> = {};
    const unobserved: string[] = [];
    for (const [k, ref] of Object.entries(this.refs)) {
      if (!this.seen.has(k)) {
        unobserved.push(k);
        continue;
      }
      const live = this.live.get(k)!.values();
      const missing = this.missing
        .get(k)!
        .values()
        .reduce<number>((a, b) => a + b, 0);
      features[k] =
        ref.kind === 'numeric'
          ? numericDrift(ref, live as number[], missing, t)
          : categoricalDrift(ref, live as string[], missing, t);
    }
    let prediction: DriftReport['prediction'] = null;
    if (this.baseline.length >= t.baseline) {
      const live = this.preds.values();
      const numeric = this.baseline.every((v) => typeof v === 'number');
      let d: FeatureDrift;
      if (numeric) {
        const sorted = (this.baseline as number[]).slice().sort((a, b) => a - b);
        const q = Array.from({ length: 101 }, (_, i) => sortedQuantile(sorted, i / 100));
        const ref: NumericReference = {
          kind: 'numeric',
          mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
          std: 0,
          min: sorted[0]!,
          max: sorted.at(-1)!,
          quantiles: q,
        };
        d = numericDrift(ref, live as number[], 0, t);
      } else {
        const categories: Record<string, number> = {};
        for (const v of this.baseline) categories[String(v)] = (categories[String(v)] ?? 0) + 1;
        d = categoricalDrift({ kind: 'categorical', categories }, live.map(String), 0, t);
      }
      prediction = { ...d, baselineSamples: this.baseline.length };
    }
    const alert = Object.values(features).some((f) => f.alert) || prediction?.alert === true;
    return {
      model: this.model,
      observed: this.observed,
      alert,
      thresholds: t,
      features,
      prediction,
      unobserved,
    };
  }
}
