/**
 * Fitted preprocessing that travels with a saved model (preprocess.json): it turns what a user feeds `predict`
 * (CSV/JSON records, image bytes, texts) into the model's input tensor exactly as training did.
 */
import { TensorScriptError } from '../../core/errors.ts';
import { tensor } from '../../tensor/creation.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { decodeImage } from '../image.ts';
import { resizeImage } from '../image-resize.ts';
import { makeTable, type NumberColumn, type StringColumn, type Table } from '../table.ts';
import { WordTokenizer, type WordTokenizerJSON } from '../text/word-tokenizer.ts';
import { ColumnPipeline, type ColumnPipelineJSON, type ColumnPipelineOptions } from './column-pipeline.ts';

/**
 * One input to predict: a record of columns (tabular), encoded image bytes, a pixel array or `{ pixels }` /
 * `{ data }` (image), or a text / `{ text }`.
 */
export type PredictRecord = Record<string, unknown> | string | Uint8Array | readonly number[];

export type PreprocessJSON =
  | { kind: 'tabular'; pipeline: ColumnPipelineJSON; numeric: string[]; categorical: string[] }
  | {
      kind: 'image';
      channels: number;
      height: number;
      width: number;
      flatten: boolean;
      normalize: { mean: number[]; std: number[] } | null;
      /** Images of another size are resized (bilinear) to height x width; absent: they are refused. */
      resize?: boolean;
    }
  | {
      kind: 'text';
      tokenizer: WordTokenizerJSON;
      maxLength: number;
      padding: 'post' | 'pre';
      truncation: 'post' | 'pre';
    };

export interface Preprocessor {
  readonly kind: PreprocessJSON['kind'];
  toJSON(): PreprocessJSON;
  /** The model input for a batch of records. */
  records(records: readonly PredictRecord[]): Tensor;
}

function isPlainRecord(r: unknown): r is Record<string, unknown> {
  return r !== null && typeof r === 'object' && !Array.isArray(r) && !(r instanceof Uint8Array);
}

/** Tabular features: ColumnPipeline (imputer, scaler, one-hot) fitted on the training rows. */
export class TabularPreprocessor implements Preprocessor {
  readonly kind = 'tabular';
  constructor(
    readonly pipeline: ColumnPipeline,
    readonly numeric: string[],
    readonly categorical: string[],
  ) {}

  static fit(table: Table, numeric: string[], categorical: string[], opts: ColumnPipelineOptions) {
    const p = new ColumnPipeline({ numeric, categorical }, opts).fit(table);
    return new TabularPreprocessor(p, numeric, categorical);
  }

  table(table: Table): Tensor {
    const f = this.pipeline.transform(table);
    return tensor(f.x, { shape: f.shape });
  }

  /**
   * Checks that records carry every feature column (a missing one is an error naming it: imputing a whole
   * absent column would give confident answers from no data) and returns the columns that are ignored.
   */
  checkColumns(records: readonly PredictRecord[], op = 'predict'): { ignored: string[] } {
    const needed = [...this.numeric, ...this.categorical];
    const used = new Set(needed);
    const ignored = new Set<string>();
    records.forEach((r, i) => {
      if (!isPlainRecord(r))
        throw new TensorScriptError(op, `record ${i}: expected an object of columns, got ${typeof r}`);
      const missing = needed.filter((c) => !(c in r));
      if (missing.length > 0) {
        const shown =
          missing.slice(0, 8).join(', ') + (missing.length > 8 ? `, ... (${missing.length} in all)` : '');
        throw new TensorScriptError(
          op,
          `record ${i} lacks the feature column${missing.length > 1 ? 's' : ''} ${shown} (the model was trained on ${needed.length} columns; give null for a missing value)`,
        );
      }
      for (const k of Object.keys(r)) if (!used.has(k)) ignored.add(k);
    });
    return { ignored: [...ignored] };
  }

  records(records: readonly PredictRecord[]): Tensor {
    const op = 'predict';
    this.checkColumns(records, op);
    const data: Record<string, NumberColumn | StringColumn> = {};
    for (const name of this.numeric) data[name] = new Float64Array(records.length);
    for (const name of this.categorical) data[name] = [];
    records.forEach((r, i) => {
      if (!isPlainRecord(r))
        throw new TensorScriptError(op, `record ${i}: expected an object of columns, got ${typeof r}`);
      for (const name of this.numeric) {
        const v = r[name];
        let num: number;
        if (v === undefined || v === null || v === '') num = Number.NaN;
        else if (typeof v === 'number') num = v;
        else if (typeof v === 'string' && Number.isFinite(Number(v))) num = Number(v);
        else
          throw new TensorScriptError(
            op,
            `record ${i}, column "${name}": expected a number, got ${JSON.stringify(v)}`,
          );
        (data[name] as Float64Array)[i] = num;
      }
      for (const name of this.categorical) {
        const v = r[name];
        (data[name] as (string | null)[]).push(v === undefined || v === null ? null : String(v));
      }
    });
    return this.table(makeTable(data, { columns: [...this.numeric, ...this.categorical] }));
  }

  toJSON(): PreprocessJSON {
    return {
      kind: 'tabular',
      pipeline: this.pipeline.toJSON(),
      numeric: this.numeric,
      categorical: this.categorical,
    };
  }
}

/** Images: pixels in [0, 1] (decoded PNG/JPEG or given), then per-channel (x - mean) / std. */
export class ImagePreprocessor implements Preprocessor {
  readonly kind = 'image';
  constructor(
    readonly channels: number,
    readonly height: number,
    readonly width: number,
    readonly flatten: boolean,
    readonly normalize: { mean: number[]; std: number[] } | null,
    /** Resize decoded images of another size (training resized them too) instead of refusing them. */
    readonly resize = false,
  ) {
    if (normalize !== null)
      for (const a of [normalize.mean, normalize.std])
        if (a.length !== 1 && a.length !== channels)
          throw new TensorScriptError(
            'ImagePreprocessor',
            `normalize needs 1 or ${channels} values per statistic, got ${a.length}`,
          );
  }

  get pixels(): number {
    return this.channels * this.height * this.width;
  }

  /** Rows of [0, 1] pixels (n x C*H*W, channel-major) to the model input. Does not modify `pixels`. */
  pixelsToTensor(pixels: Float32Array, n: number): Tensor {
    const per = this.pixels;
    if (pixels.length !== n * per)
      throw new TensorScriptError(
        'ImagePreprocessor',
        `expected ${n * per} pixel values, got ${pixels.length}`,
      );
    let x = pixels;
    if (this.normalize !== null) {
      x = new Float32Array(pixels.length);
      const plane = this.height * this.width;
      const { mean, std } = this.normalize;
      for (let i = 0; i < n; i++)
        for (let c = 0; c < this.channels; c++) {
          const m = mean[mean.length === 1 ? 0 : c]!;
          const s = std[std.length === 1 ? 0 : c]!;
          const base = i * per + c * plane;
          for (let p = 0; p < plane; p++) x[base + p] = (pixels[base + p]! - m) / s;
        }
    }
    const shape = this.flatten ? [n, per] : [n, this.channels, this.height, this.width];
    return tensor(x, { shape });
  }

  records(records: readonly PredictRecord[]): Tensor {
    const per = this.pixels;
    const out = new Float32Array(records.length * per);
    records.forEach((r, i) => {
      let values: ArrayLike<number>;
      if (r instanceof Uint8Array) {
        let img = decodeImage(r, { channels: this.channels as 1 | 3 | 4, name: `image ${i}` });
        if (this.resize) img = resizeImage(img, this.height, this.width);
        const [, h, w] = img.shape;
        if (h !== this.height || w !== this.width)
          throw new TensorScriptError(
            'predict',
            `image ${i}: expected ${this.width}x${this.height} pixels (as in training), got ${w}x${h}`,
          );
        values = img.data;
      } else if (Array.isArray(r)) values = r as number[];
      else if (isPlainRecord(r) && (Array.isArray(r.pixels) || Array.isArray(r.image)))
        values = (r.pixels ?? r.image) as number[];
      else if (isPlainRecord(r) && r.data !== undefined) values = r.data as ArrayLike<number>;
      else
        throw new TensorScriptError(
          'predict',
          `record ${i}: expected image bytes, a pixel array or { pixels: [...] }, got ${typeof r}`,
        );
      if (values.length !== per)
        throw new TensorScriptError(
          'predict',
          `record ${i}: expected ${per} pixel values (${this.channels}x${this.height}x${this.width}, in [0, 1]), got ${values.length}`,
        );
      for (let k = 0; k < per; k++) out[i * per + k] = Number(values[k]);
    });
    return this.pixelsToTensor(out, records.length);
  }

  toJSON(): PreprocessJSON {
    return {
      kind: 'image',
      channels: this.channels,
      height: this.height,
      width: this.width,
      flatten: this.flatten,
      normalize: this.normalize,
      ...(this.resize ? { resize: true } : {}),
    };
  }
}

/** Texts: word tokenizer fitted on the training split, ids padded/truncated to maxLength (PAD = 0). */
export class TextPreprocessor implements Preprocessor {
  readonly kind = 'text';
  constructor(
    readonly tokenizer: WordTokenizer,
    readonly maxLength: number,
    readonly padding: 'post' | 'pre' = 'post',
    readonly truncation: 'post' | 'pre' = 'post',
  ) {}

  texts(texts: readonly string[]): Tensor {
    const b = this.tokenizer.encodeBatch(texts, {
      length: this.maxLength,
      padding: this.padding,
      truncation: this.truncation,
    });
    return tensor(b.ids, { shape: b.shape, dtype: 'int32' });
  }

  records(records: readonly PredictRecord[]): Tensor {
    return this.texts(
      records.map((r, i) => {
        if (typeof r === 'string') return r;
        if (isPlainRecord(r) && typeof r.text === 'string') return r.text;
        throw new TensorScriptError(
          'predict',
          `record ${i}: expected a text or { text: "..." }, got ${typeof r}`,
        );
      }),
    );
  }

  toJSON(): PreprocessJSON {
    return {
      kind: 'text',
      tokenizer: this.tokenizer.toJSON(),
      maxLength: this.maxLength,
      padding: this.padding,
      truncation: this.truncation,
    };
  }
}

export function preprocessorFromJSON(j: PreprocessJSON): Preprocessor {
  switch (j.kind) {
    case 'tabular':
      return new TabularPreprocessor(ColumnPipeline.fromJSON(j.pipeline), j.numeric, j.categorical);
    case 'image':
      return new ImagePreprocessor(j.channels, j.height, j.width, j.flatten, j.normalize, j.resize === true);
    case 'text':
      return new TextPreprocessor(WordTokenizer.fromJSON(j.tokenizer), j.maxLength, j.padding, j.truncation);
    default:
      throw new TensorScriptError(
        'loadPreprocessor',
        `preprocess.json: unknown kind ${JSON.stringify((j as { kind: unknown }).kind)}`,
      );
  }
}
