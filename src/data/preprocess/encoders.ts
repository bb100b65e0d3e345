import { check, fail } from '../../core/errors.ts';
import {
  type CategoryRows,
  checkCols,
  checkFitted,
  type Matrix,
  sortCategories,
  toCategoryRows,
} from './matrix.ts';

/** Sorted categories per column; a missing value seen in training becomes its own category, last (as sklearn). */
function fitCategories(rows: (string | null)[][]): (string | null)[][] {
  const cols = rows.length > 0 ? rows[0]!.length : 0;
  const out: (string | null)[][] = [];
  for (let j = 0; j < cols; j++) {
    const seen: string[] = [];
    let hasNull = false;
    for (const r of rows) {
      const v = r[j]!;
      if (v === null) hasNull = true;
      else seen.push(v);
    }
    const cats: (string | null)[] = sortCategories(seen);
    if (hasNull) cats.push(null);
    out.push(cats);
  }
  return out;
}

function indexMaps(categories: (string | null)[][]): Map<string | null, number>[] {
  return categories.map((cats) => new Map(cats.map((c, k) => [c, k])));
}

export interface OneHotEncoderJSON {
  type: 'OneHotEncoder';
  handleUnknown: 'error' | 'ignore';
  categories: (string | null)[][];
}

/** One 0/1 column per training category (sklearn OneHotEncoder, dense output). */
export class OneHotEncoder {
  readonly handleUnknown: 'error' | 'ignore';
  categories?: (string | null)[][];
  private maps?: Map<string | null, number>[];

  constructor(opts: { handleUnknown?: 'error' | 'ignore' } = {}) {
    this.handleUnknown = opts.handleUnknown ?? 'error';
  }

  fit(x: CategoryRows): this {
    this.categories = fitCategories(toCategoryRows(x, 'OneHotEncoder.fit'));
    this.maps = indexMaps(this.categories);
    return this;
  }

  /** Output width: the total number of categories. */
  get nFeatures(): number {
    return checkFitted(this.categories, 'OneHotEncoder').reduce((s, c) => s + c.length, 0);
  }

  transform(x: CategoryRows): Matrix {
    const op = 'OneHotEncoder.transform';
    const cats = checkFitted(this.categories, op);
    const rows = toCategoryRows(x, op);
    if (rows.length > 0) checkCols(cats.length, rows[0]!.length, op);
    const width = this.nFeatures;
    const data = new Float64Array(rows.length * width);
    rows.forEach((r, i) => {
      let offset = 0;
      r.forEach((v, j) => {
        const k = this.maps![j]!.get(v);
        if (k !== undefined) data[i * width + offset + k] = 1;
        else if (this.handleUnknown === 'error')
          fail(
            op,
            `row ${i}, column ${j}: unknown category ${JSON.stringify(v)}; known ${JSON.stringify(cats[j])}`,
          );
        offset += cats[j]!.length;
      });
    });
    return { rows: rows.length, cols: width, data };
  }

  fitTransform(x: CategoryRows): Matrix {
    return this.fit(x).transform(x);
  }

  /** Names like sklearn's get_feature_names_out: `${input}_${category}`. */
  featureNames(inputNames?: readonly string[]): string[] {
    const cats = checkFitted(this.categories, 'OneHotEncoder.featureNames');
    return cats.flatMap((cs, j) => cs.map((c) => `${inputNames?.[j] ?? `x${j}`}_${c === null ? 'None' : c}`));
  }

  toJSON(): OneHotEncoderJSON {
    return {
      type: 'OneHotEncoder',
      handleUnknown: this.handleUnknown,
      categories: checkFitted(this.categories, 'OneHotEncoder.toJSON'),
    };
  }

  static fromJSON(j: OneHotEncoderJSON): OneHotEncoder {
    check(
      j.type === 'OneHotEncoder',
      'OneHotEncoder.fromJSON',
      () => `expected type OneHotEncoder, got ${j.type}`,
    );
    const e = new OneHotEncoder({ handleUnknown: j.handleUnknown });
    e.categories = j.categories.map((c) => [...c]);
    e.maps = indexMaps(e.categories);
    return e;
  }
}

export interface OrdinalEncoderJSON {
  type: 'OrdinalEncoder';
  handleUnknown: 'error' | 'useEncodedValue';
  unknownValue: number;
  categories: (string | null)[][];
}

/** Each category to its index in the sorted training categories (sklearn OrdinalEncoder). */
export class OrdinalEncoder {
  readonly handleUnknown: 'error' | 'useEncodedValue';
  readonly unknownValue: number;
  categories?: (string | null)[][];
  private maps?: Map<string | null, number>[];

  constructor(opts: { handleUnknown?: 'error' | 'useEncodedValue'; unknownValue?: number } = {}) {
    this.handleUnknown = opts.handleUnknown ?? 'error';
    this.unknownValue = opts.unknownValue ?? -1;
  }

  fit(x: CategoryRows): this {
    this.categories = fitCategories(toCategoryRows(x, 'OrdinalEncoder.fit'));
    this.maps = indexMaps(this.categories);
    return this;
  }

  transform(x: CategoryRows): Matrix {
    const op = 'OrdinalEncoder.transform';
    const cats = checkFitted(this.categories, op);
    const rows = toCategoryRows(x, op);
    if (rows.length > 0) checkCols(cats.length, rows[0]!.length, op);
    const cols = cats.length;
    const data = new Float64Array(rows.length * cols);
    rows.forEach((r, i) => {
      r.forEach((v, j) => {
        const k = this.maps![j]!.get(v);
        if (k !== undefined) data[i * cols + j] = k;
        else if (this.handleUnknown === 'useEncodedValue') data[i * cols + j] = this.unknownValue;
        else
          fail(
            op,
            `row ${i}, column ${j}: unknown category ${JSON.stringify(v)}; known ${JSON.stringify(cats[j])}`,
          );
      });
    });
    return { rows: rows.length, cols, data };
  }

  fitTransform(x: CategoryRows): Matrix {
    return this.fit(x).transform(x);
  }

  toJSON(): OrdinalEncoderJSON {
    return {
      type: 'OrdinalEncoder',
      handleUnknown: this.handleUnknown,
      unknownValue: this.unknownValue,
      categories: checkFitted(this.categories, 'OrdinalEncoder.toJSON'),
    };
  }

  static fromJSON(j: OrdinalEncoderJSON): OrdinalEncoder {
    check(
      j.type === 'OrdinalEncoder',
      'OrdinalEncoder.fromJSON',
      () => `expected type OrdinalEncoder, got ${j.type}`,
    );
    const e = new OrdinalEncoder({ handleUnknown: j.handleUnknown, unknownValue: j.unknownValue });
    e.categories = j.categories.map((c) => [...c]);
    e.maps = indexMaps(e.categories);
    return e;
  }
}

export interface LabelEncoderJSON {
  type: 'LabelEncoder';
  classes: (string | number)[];
}

/** Target labels to 0..k-1 in sorted order (sklearn LabelEncoder); numbers sort numerically. */
export class LabelEncoder {
  classes?: (string | number)[];
  private map?: Map<string, number>;

  fit(y: readonly (string | number)[]): this {
    const allNumbers = y.every((v) => typeof v === 'number');
    const uniq = [...new Set(y)];
    this.classes = allNumbers
      ? (uniq as number[]).sort((a, b) => a - b)
      : uniq.map(String).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.map = new Map(this.classes.map((c, k) => [String(c), k]));
    return this;
  }

  transform(y: readonly (string | number)[]): Int32Array {
    const op = 'LabelEncoder.transform';
    const classes = checkFitted(this.classes, op);
    const out = new Int32Array(y.length);
    y.forEach((v, i) => {
      const k = this.map!.get(String(v));
      if (k === undefined)
        fail(op, `label ${i}: unknown class ${JSON.stringify(v)}; known ${JSON.stringify(classes)}`);
      out[i] = k;
    });
    return out;
  }

  fitTransform(y: readonly (string | number)[]): Int32Array {
    return this.fit(y).transform(y);
  }

  inverseTransform(codes: ArrayLike<number>): (string | number)[] {
    const op = 'LabelEncoder.inverseTransform';
    const classes = checkFitted(this.classes, op);
    return Array.from(codes, (k, i) => {
      if (!Number.isInteger(k) || k < 0 || k >= classes.length)
        fail(op, `code ${i}: expected an integer in [0, ${classes.length}), got ${k}`);
      return classes[k]!;
    });
  }

  toJSON(): LabelEncoderJSON {
    return { type: 'LabelEncoder', classes: [...checkFitted(this.classes, 'LabelEncoder.toJSON')] };
  }

  static fromJSON(j: LabelEncoderJSON): LabelEncoder {
    check(
      j.type === 'LabelEncoder',
      'LabelEncoder.fromJSON',
      () => `expected type LabelEncoder, got ${j.type}`,
    );
    const e = new LabelEncoder();
    e.classes = [...j.classes];
    e.map = new Map(e.classes.map((c, k) => [String(c), k]));
    return e;
  }
}
