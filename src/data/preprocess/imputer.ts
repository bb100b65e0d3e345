import { check, fail } from '../../core/errors.ts';
import {
  type CategoryRows,
  checkCols,
  checkFitted,
  isMatrix,
  type Matrix,
  type MatrixLike,
  toCategoryRows,
  toMatrix,
} from './matrix.ts';

export type ImputeStrategy = 'mean' | 'median' | 'most_frequent' | 'constant';

export interface SimpleImputerJSON {
  type: 'SimpleImputer';
  strategy: ImputeStrategy;
  fillValue: number | string | null;
  kind: 'number' | 'category';
  statistics: (number | string)[];
}

/**
 * Replaces missing values (NaN in numeric matrices, null in category rows) with a per-column statistic
 * of the training split (sklearn SimpleImputer). Ties in most_frequent go to the smallest value, as in
 * sklearn. A column with no observed value cannot be imputed by a statistic and raises (sklearn drops it
 * silently, which would shift every later column).
 */
export class SimpleImputer {
  readonly strategy: ImputeStrategy;
  readonly fillValue: number | string | null;
  kind?: 'number' | 'category';
  statistics?: (number | string)[];

  constructor(opts: { strategy?: ImputeStrategy; fillValue?: number | string } = {}) {
    this.strategy = opts.strategy ?? 'mean';
    this.fillValue = opts.fillValue ?? null;
    check(
      ['mean', 'median', 'most_frequent', 'constant'].includes(this.strategy),
      'SimpleImputer',
      () => `strategy must be mean, median, most_frequent or constant, got ${this.strategy}`,
    );
  }

  fit(x: MatrixLike | CategoryRows): this {
    const op = 'SimpleImputer.fit';
    if (isNumeric(x)) {
      const m = toMatrix(x as MatrixLike, op);
      this.kind = 'number';
      this.statistics = [];
      for (let j = 0; j < m.cols; j++) {
        const vals: number[] = [];
        for (let i = 0; i < m.rows; i++) {
          const v = m.data[i * m.cols + j]!;
          if (!Number.isNaN(v)) vals.push(v);
        }
        this.statistics.push(this.numericStat(vals, j, op));
      }
    } else {
      check(
        this.strategy === 'most_frequent' || this.strategy === 'constant',
        op,
        () => `strategy ${this.strategy} needs numbers; category columns take most_frequent or constant`,
      );
      const rows = toCategoryRows(x as CategoryRows, op);
      const cols = rows.length > 0 ? rows[0]!.length : 0;
      this.kind = 'category';
      this.statistics = [];
      for (let j = 0; j < cols; j++) {
        if (this.strategy === 'constant') {
          this.statistics.push(this.fillValue === null ? 'missing_value' : String(this.fillValue));
          continue;
        }
        const vals = rows.map((r) => r[j]!).filter((v): v is string => v !== null);
        if (vals.length === 0) fail(op, `column ${j} has no observed values; cannot compute most_frequent`);
        this.statistics.push(mostFrequent(vals));
      }
    }
    return this;
  }

  private numericStat(vals: number[], j: number, op: string): number {
    if (this.strategy === 'constant') {
      check(
        this.fillValue === null || typeof this.fillValue === 'number',
        op,
        () => `fillValue for numeric columns must be a number, got ${JSON.stringify(this.fillValue)}`,
      );
      return (this.fillValue as number | null) ?? 0;
    }
    if (vals.length === 0) fail(op, `column ${j} has no observed values; cannot compute ${this.strategy}`);
    if (this.strategy === 'mean') return vals.reduce((a, b) => a + b, 0) / vals.length;
    if (this.strategy === 'median') {
      const s = Float64Array.from(vals).sort();
      const h = s.length >> 1;
      return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
    }
    return mostFrequent(vals);
  }

  transform(x: MatrixLike): Matrix;
  transform(x: CategoryRows): (string | null)[][];
  transform(x: MatrixLike | CategoryRows): Matrix | (string | null)[][] {
    const op = 'SimpleImputer.transform';
    const stats = checkFitted(this.statistics, op);
    if (this.kind === 'number') {
      check(isNumeric(x), op, () => 'fitted on numbers, got category rows');
      const m = toMatrix(x as MatrixLike, op);
      checkCols(stats.length, m.cols, op);
      const out = new Float64Array(m.data.length);
      for (let i = 0; i < out.length; i++) {
        const v = m.data[i]!;
        out[i] = Number.isNaN(v) ? (stats[i % m.cols] as number) : v;
      }
      return { rows: m.rows, cols: m.cols, data: out };
    }
    const rows = toCategoryRows(x as CategoryRows, op);
    if (rows.length > 0) checkCols(stats.length, rows[0]!.length, op);
    return rows.map((r) => r.map((v, j) => v ?? (stats[j] as string)));
  }

  fitTransform(x: MatrixLike): Matrix;
  fitTransform(x: CategoryRows): (string | null)[][];
  fitTransform(x: MatrixLike | CategoryRows): Matrix | (string | null)[][] {
    this.fit(x);
    return isNumeric(x) ? this.transform(x as MatrixLike) : this.transform(x as CategoryRows);
  }

  toJSON(): SimpleImputerJSON {
    return {
      type: 'SimpleImputer',
      strategy: this.strategy,
      fillValue: this.fillValue,
      kind: checkFitted(this.kind, 'SimpleImputer.toJSON'),
      statistics: [...this.statistics!],
    };
  }

  static fromJSON(j: SimpleImputerJSON): SimpleImputer {
    check(
      j.type === 'SimpleImputer',
      'SimpleImputer.fromJSON',
      () => `expected type SimpleImputer, got ${j.type}`,
    );
    const s = new SimpleImputer(
      j.fillValue === null ? { strategy: j.strategy } : { strategy: j.strategy, fillValue: j.fillValue },
    );
    s.kind = j.kind;
    s.statistics = [...j.statistics];
    return s;
  }
}

/** A matrix, or nested arrays whose first non-missing value is a number, counts as numeric. */
function isNumeric(x: MatrixLike | CategoryRows): boolean {
  if (isMatrix(x)) return true;
  for (const r of x as CategoryRows)
    for (const v of r) {
      if (typeof v === 'string') return false;
      if (typeof v === 'number' && !Number.isNaN(v)) return true;
    }
  return true;
}

function mostFrequent<T extends number | string>(vals: readonly T[]): T {
  const counts = new Map<T, number>();
  for (const v of vals) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: T | undefined;
  let bestCount = -1;
  for (const [v, c] of counts)
    if (c > bestCount || (c === bestCount && v < best!)) {
      best = v;
      bestCount = c;
    }
  return best!;
}
