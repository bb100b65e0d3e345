/** The model card: where a saved model came from (data fingerprint, per-feature statistics, metrics, config). */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JsonValue } from '../nn/module.ts';
import type { RawFeatureStats } from './raw-stats.ts';

export interface FeatureStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Non-finite (missing) values seen. */
  missing: number;
}

export interface ModelCard {
  libraryVersion: string;
  createdAt: string;
  data: {
    /** sha256 of the training matrix bytes (row-major float32) and its shape, so another run can check it. */
    fingerprint: string | null;
    rows: number;
    /**
     * Statistics of each raw feature (before imputation, scaling, encoding) over the training split: numeric
     * mean/std/min/max/missing, categorical frequencies (raw-stats.ts); what a drift monitor compares live
     * raw inputs with. Cards written before this held the model input's columns as FeatureStats.
     */
    features: Record<string, RawFeatureStats | FeatureStats>;
  };
  metrics: Record<string, number>;
  config: JsonValue;
  /** The differential-privacy guarantee of a DP-SGD run (ts.privacy.privacyRecord): absent otherwise. */
  privacy?: CardPrivacy;
}

/** (epsilon, delta) and how they were obtained (mechanism, accountant, sigma, C, sampling rate, steps). */
export type CardPrivacy = { epsilon: number; delta: number } & Record<string, number | string>;

let version: string | null = null;

/** The library version from package.json (one level above src/ or dist/). */
export function libraryVersion(): string {
  if (version !== null) return version;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    version = pkg.version ?? 'unknown';
  } catch {
    version = 'unknown';
  }
  return version;
}

/** Statistics per column of a row-major [rows, cols] training matrix. */
export function featureStats(x: ArrayLike<number>, rows: number, cols: number, names?: readonly string[]) {
  const out: Record<string, FeatureStats> = {};
  for (let c = 0; c < cols; c++) {
    let n = 0;
    let sum = 0;
    let sq = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let missing = 0;
    for (let r = 0; r < rows; r++) {
      const v = x[r * cols + c]!;
      if (!Number.isFinite(v)) {
        missing++;
        continue;
      }
      n++;
      sum += v;
      sq += v * v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const mean = n > 0 ? sum / n : 0;
    out[names?.[c] ?? `f${c}`] = {
      mean,
      std: n > 0 ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : 0,
      min: n > 0 ? min : 0,
      max: n > 0 ? max : 0,
      missing,
    };
  }
  return out;
}

/** sha256 over the shape and the float32 bytes of a training matrix. */
export function fingerprint(x: Float32Array, shape: readonly number[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(shape));
  h.update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  return `sha256:${h.digest('hex')}`;
}

export function makeCard(input: {
  x?: { data: Float32Array; shape: readonly number[]; names?: readonly string[] };
  metrics?: Record<string, number>;
  config?: JsonValue;
  privacy?: CardPrivacy;
  /** Raw feature statistics (a source's rawStats); default: the columns of `x`, which are raw for tensors. */
  features?: Record<string, RawFeatureStats>;
}): ModelCard {
  const x = input.x;
  const rows = x?.shape[0] ?? 0;
  const cols = x === undefined ? 0 : x.shape.slice(1).reduce((a, b) => a * b, 1);
  return {
    libraryVersion: libraryVersion(),
    createdAt: new Date().toISOString(),
    data: {
      fingerprint: x === undefined ? null : fingerprint(x.data, x.shape),
      rows,
      // Per-feature statistics only for tabular-sized inputs: a 784-pixel image would bloat the card.
      features:
        input.features ?? (x !== undefined && cols <= 512 ? featureStats(x.data, rows, cols, x.names) : {}),
    },
    metrics: input.metrics ?? {},
    config: input.config ?? null,
    ...(input.privacy === undefined ? {} : { privacy: { ...input.privacy } }),
  };
}
