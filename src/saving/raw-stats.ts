/**
 * Statistics of the raw training features (before imputation, scaling, encoding or tokenizing), per feature, for
 * the model card: what a drift monitor compares live raw inputs with. Numeric features: mean, std (population),
 * min, max and the missing count; categorical ones: the frequency of each category and the missing count.
 */
import { isNumberColumn, type Table } from '../data/table.ts';

export interface NumericStats {
  kind: 'numeric';
  /** Non-missing values seen. */
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Missing (null, empty or non-finite) values. */
  missing: number;
}

export interface CategoricalStats {
  kind: 'categorical';
  count: number;
  /** Rows per category, most frequent first. */
  categories: Record<string, number>;
  missing: number;
}

export type RawFeatureStats = NumericStats | CategoricalStats;

/** Streaming numeric statistics (Welford's update, so a large mean does not cancel the variance). */
class Moments {
  count = 0;
  mean = 0;
  m2 = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  missing = 0;
  add(v: number): void {
    if (!Number.isFinite(v)) {
      this.missing++;
      return;
    }
    this.count++;
    const d = v - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (v - this.mean);
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }
  stats(): NumericStats {
    const n = this.count;
    return {
      kind: 'numeric',
      count: n,
      mean: n > 0 ? this.mean : 0,
      std: n > 0 ? Math.sqrt(this.m2 / n) : 0,
      min: n > 0 ? this.min : 0,
      max: n > 0 ? this.max : 0,
      missing: this.missing,
    };
  }
}

/** Numeric statistics of a list of numbers (non-finite values count as missing). */
export function numericStats(values: ArrayLike<number>): NumericStats {
  const m = new Moments();
  for (let i = 0; i < values.length; i++) m.add(values[i]!);
  return m.stats();
}

/** Category frequencies of a list of strings (null counts as missing). */
export function categoricalStats(values: readonly (string | null)[]): CategoricalStats {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const v of values) {
    if (v === null || v === '') missing++;
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return {
    kind: 'categorical',
    count: values.length - missing,
    categories: Object.fromEntries(sorted),
    missing,
  };
}

/** Per-column raw statistics of a table's feature columns. */
export function tableStats(
  table: Table,
  numeric: readonly string[],
  categorical: readonly string[],
): Record<string, RawFeatureStats> {
  const out: Record<string, RawFeatureStats> = {};
  for (const c of numeric) out[c] = numericStats(table.data[c] as Float64Array);
  for (const c of categorical) {
    const col = table.data[c]!;
    // A numeric column listed as categorical: its values are the categories.
    out[c] = categoricalStats(
      isNumberColumn(col) ? Array.from(col, (v) => (Number.isFinite(v) ? String(v) : null)) : col,
    );
  }
  return out;
}

/**
 * Per-channel statistics of [0, 1] pixels over the given rows (`channel0`, `channel1`...): one entry per channel,
 * not per pixel, so a 224x224 image does not put 150,528 entries in the card.
 */
export function pixelStats(
  pixels: Float32Array,
  rows: ArrayLike<number>,
  channels: number,
  plane: number,
): Record<string, RawFeatureStats> {
  const m = Array.from({ length: channels }, () => new Moments());
  const per = channels * plane;
  for (let i = 0; i < rows.length; i++) {
    const base = rows[i]! * per;
    for (let c = 0; c < channels; c++) {
      const mc = m[c]!;
      const off = base + c * plane;
      for (let p = 0; p < plane; p++) mc.add(pixels[off + p]!);
    }
  }
  return Object.fromEntries(m.map((mc, c) => [`channel${c}`, mc.stats()]));
}

/** Document length statistics of raw texts: characters and whitespace-separated words per document. */
export function textStats(texts: readonly string[]): Record<string, RawFeatureStats> {
  return {
    characters: numericStats(texts.map((t) => t.length)),
    words: numericStats(texts.map((t) => t.split(/\s+/).filter((w) => w.length > 0).length)),
  };
}
