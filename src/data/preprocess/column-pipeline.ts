import { check, fail } from '../../core/errors.ts';
import { columnAsStrings, numberColumn, type Table } from '../table.ts';
import { WordTokenizer, type WordTokenizerJSON } from '../text/word-tokenizer.ts';
import { LabelEncoder, type LabelEncoderJSON, OneHotEncoder, type OneHotEncoderJSON } from './encoders.ts';
import { type ImputeStrategy, SimpleImputer, type SimpleImputerJSON } from './imputer.ts';
import type { Matrix } from './matrix.ts';
import { MinMaxScaler, type MinMaxScalerJSON, StandardScaler, type StandardScalerJSON } from './scalers.ts';

/** Which columns play which role. */
export interface Schema {
  numeric?: string[];
  categorical?: string[];
  /** Free-text columns, turned into bag-of-words counts over a vocabulary fitted on training rows. */
  text?: string[];
  label?: string;
}

export interface ColumnPipelineOptions {
  numericImpute?: ImputeStrategy;
  scaler?: 'standard' | 'minmax' | 'none';
  categoricalImpute?: 'most_frequent' | 'constant';
  /** Unknown categories at transform time: all-zero one-hot ('ignore', default) or an error. */
  handleUnknown?: 'error' | 'ignore';
  /** Vocabulary size per text column (default 1000). */
  textMaxFeatures?: number;
  textMinFreq?: number;
  /** 'classification' encodes the label with LabelEncoder; 'regression' keeps numbers. Default by type. */
  task?: 'classification' | 'regression';
}

/** Features ready for a model: x is [rows, features] float32 row-major. */
export interface Features {
  x: Float32Array;
  shape: [number, number];
  /** Int32 class ids (classification) or float32 targets (regression), when the table has the label. */
  y?: Int32Array | Float32Array;
  featureNames: string[];
}

export interface ColumnPipelineJSON {
  type: 'ColumnPipeline';
  schema: Schema;
  options: ColumnPipelineOptions;
  task: 'classification' | 'regression';
  numericImputer?: SimpleImputerJSON;
  scaler?: StandardScalerJSON | MinMaxScalerJSON;
  categoricalImputer?: SimpleImputerJSON;
  oneHot?: OneHotEncoderJSON;
  text: WordTokenizerJSON[];
  labelEncoder?: LabelEncoderJSON;
}

/**
 * Turns a table into a float32 feature matrix by a declared schema, like sklearn's ColumnTransformer:
 * numeric columns imputed then scaled, categorical columns imputed (most frequent) then one-hot encoded,
 * text columns as token counts. Fit on the training split only; save with toJSON() next to the model.
 */
export class ColumnPipeline {
  readonly schema: Schema;
  readonly options: ColumnPipelineOptions;
  task?: 'classification' | 'regression';
  numericImputer?: SimpleImputer;
  scaler?: StandardScaler | MinMaxScaler;
  categoricalImputer?: SimpleImputer;
  oneHot?: OneHotEncoder;
  text: WordTokenizer[] = [];
  labelEncoder?: LabelEncoder;
  private fitted = false;

  constructor(schema: Schema, options: ColumnPipelineOptions = {}) {
    this.schema = schema;
    this.options = options;
    const all = [...(schema.numeric ?? []), ...(schema.categorical ?? []), ...(schema.text ?? [])];
    if (schema.label !== undefined) all.push(schema.label);
    const seen = new Set<string>();
    for (const c of all) {
      if (seen.has(c)) fail('ColumnPipeline', `column "${c}" appears in more than one role`);
      seen.add(c);
    }
    check(
      all.length > (schema.label === undefined ? 0 : 1),
      'ColumnPipeline',
      () => 'schema names no feature columns',
    );
  }

  fit(table: Table): this {
    const op = 'ColumnPipeline.fit';
    const numeric = this.schema.numeric ?? [];
    const categorical = this.schema.categorical ?? [];
    if (numeric.length > 0) {
      const m = this.numericMatrix(table, op);
      this.numericImputer = new SimpleImputer({ strategy: this.options.numericImpute ?? 'mean' });
      const imputed = this.numericImputer.fitTransform(m);
      const kind = this.options.scaler ?? 'standard';
      if (kind !== 'none')
        this.scaler = (kind === 'standard' ? new StandardScaler() : new MinMaxScaler()).fit(imputed);
    }
    if (categorical.length > 0) {
      const rows = this.categoryRows(table, op);
      this.categoricalImputer = new SimpleImputer({
        strategy: this.options.categoricalImpute ?? 'most_frequent',
      });
      this.oneHot = new OneHotEncoder({ handleUnknown: this.options.handleUnknown ?? 'ignore' });
      this.oneHot.fit(this.categoricalImputer.fitTransform(rows));
    }
    this.text = (this.schema.text ?? []).map((name) =>
      new WordTokenizer().fit(
        columnAsStrings(table, name, op).map((s) => s ?? ''),
        { maxSize: (this.options.textMaxFeatures ?? 1000) + 2, minFreq: this.options.textMinFreq ?? 1 },
      ),
    );
    const label = this.schema.label;
    if (label !== undefined) {
      const col = table.data[label];
      if (col === undefined)
        fail(op, `no label column "${label}"; columns are ${JSON.stringify(table.columns)}`);
      this.task = this.options.task ?? (table.types[label] === 'number' ? 'regression' : 'classification');
      if (this.task === 'classification') this.labelEncoder = new LabelEncoder().fit(this.labels(table, op));
    } else this.task = this.options.task ?? 'regression';
    this.fitted = true;
    return this;
  }

  transform(table: Table): Features {
    const op = 'ColumnPipeline.transform';
    check(this.fitted, op, () => 'not fitted; call fit() on the training split first');
    const parts: Matrix[] = [];
    const names: string[] = [];
    const numeric = this.schema.numeric ?? [];
    if (numeric.length > 0) {
      let m = this.numericImputer!.transform(this.numericMatrix(table, op));
      if (this.scaler !== undefined) m = this.scaler.transform(m);
      parts.push(m);
      names.push(...numeric);
    }
    if (this.oneHot !== undefined) {
      parts.push(this.oneHot.transform(this.categoricalImputer!.transform(this.categoryRows(table, op))));
      names.push(...this.oneHot.featureNames(this.schema.categorical));
    }
    (this.schema.text ?? []).forEach((name, t) => {
      const tok = this.text[t]!;
      const width = tok.vocabSize - 2;
      const col = columnAsStrings(table, name, op);
      const data = new Float64Array(table.length * width);
      col.forEach((s, i) => {
        for (const id of tok.toIds(s ?? '')) if (id >= 2) data[i * width + id - 2]! += 1;
      });
      parts.push({ rows: table.length, cols: width, data });
      names.push(...tok.vocab.slice(2).map((w) => `${name}_${w}`));
    });
    const d = parts.reduce((s, p) => s + p.cols, 0);
    const x = new Float32Array(table.length * d);
    let offset = 0;
    for (const p of parts) {
      for (let i = 0; i < p.rows; i++)
        for (let j = 0; j < p.cols; j++) x[i * d + offset + j] = p.data[i * p.cols + j]!;
      offset += p.cols;
    }
    const out: Features = { x, shape: [table.length, d], featureNames: names };
    const label = this.schema.label;
    if (label !== undefined && table.data[label] !== undefined) {
      if (this.task === 'classification') out.y = this.labelEncoder!.transform(this.labels(table, op));
      else out.y = Float32Array.from(this.labels(table, op) as number[]);
    }
    return out;
  }

  fitTransform(table: Table): Features {
    return this.fit(table).transform(table);
  }

  get nFeatures(): number {
    check(this.fitted, 'ColumnPipeline', () => 'not fitted');
    return (
      (this.schema.numeric?.length ?? 0) +
      (this.oneHot?.nFeatures ?? 0) +
      this.text.reduce((s, t) => s + t.vocabSize - 2, 0)
    );
  }

  private numericMatrix(table: Table, op: string): Matrix {
    const names = this.schema.numeric ?? [];
    const cols = names.map((n) => numberColumn(table, n, op));
    const data = new Float64Array(table.length * names.length);
    cols.forEach((c, j) => {
      for (let i = 0; i < table.length; i++) {
        const v = c[i]!;
        // NaN is missing and imputed; an infinity would turn the scaler's mean and every scaled value of
        // the column into NaN, and be reported later at a meaningless position, so it is refused here.
        if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY)
          fail(
            op,
            `${table.source !== undefined ? `${table.source}: ` : ''}column "${names[j]}" data row ${i + 1} is ${v}; features must be finite (fix the cell or mark it missing)`,
          );
        data[i * names.length + j] = v;
      }
    });
    return { rows: table.length, cols: names.length, data };
  }

  private categoryRows(table: Table, op: string): (string | null)[][] {
    const cols = (this.schema.categorical ?? []).map((n) => columnAsStrings(table, n, op));
    const rows: (string | null)[][] = [];
    for (let i = 0; i < table.length; i++) rows.push(cols.map((c) => c[i]!));
    return rows;
  }

  private labels(table: Table, op: string): (string | number)[] {
    const name = this.schema.label!;
    const col = table.data[name];
    if (col === undefined) fail(op, `no label column "${name}"`);
    return Array.from(col as ArrayLike<number | string | null>, (v, i) => {
      if (v === null || (typeof v === 'number' && Number.isNaN(v)))
        fail(op, `label column "${name}" data row ${i + 1}: missing label`);
      return v;
    });
  }

  toJSON(): ColumnPipelineJSON {
    check(this.fitted, 'ColumnPipeline.toJSON', () => 'not fitted');
    const j: ColumnPipelineJSON = {
      type: 'ColumnPipeline',
      schema: this.schema,
      options: this.options,
      task: this.task!,
      text: this.text.map((t) => t.toJSON()),
    };
    if (this.numericImputer) j.numericImputer = this.numericImputer.toJSON();
    if (this.scaler) j.scaler = this.scaler.toJSON();
    if (this.categoricalImputer) j.categoricalImputer = this.categoricalImputer.toJSON();
    if (this.oneHot) j.oneHot = this.oneHot.toJSON();
    if (this.labelEncoder) j.labelEncoder = this.labelEncoder.toJSON();
    return j;
  }

  static fromJSON(j: ColumnPipelineJSON): ColumnPipeline {
    check(
      j.type === 'ColumnPipeline',
      'ColumnPipeline.fromJSON',
      () => `expected type ColumnPipeline, got ${j.type}`,
    );
    const p = new ColumnPipeline(j.schema, j.options);
    p.task = j.task;
    if (j.numericImputer) p.numericImputer = SimpleImputer.fromJSON(j.numericImputer);
    if (j.scaler)
      p.scaler =
        j.scaler.type === 'StandardScaler'
          ? StandardScaler.fromJSON(j.scaler)
          : MinMaxScaler.fromJSON(j.scaler);
    if (j.categoricalImputer) p.categoricalImputer = SimpleImputer.fromJSON(j.categoricalImputer);
    if (j.oneHot) p.oneHot = OneHotEncoder.fromJSON(j.oneHot);
    if (j.labelEncoder) p.labelEncoder = LabelEncoder.fromJSON(j.labelEncoder);
    p.text = j.text.map((t) => WordTokenizer.fromJSON(t));
    p.fitted = true;
    return p;
  }
}
