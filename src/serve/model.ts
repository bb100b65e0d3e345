/**
 * The contract between the inference server and a model. The server knows nothing about layers or
 * checkpoints: anything that can describe its tensors and run a batch can be served. The checkpoint
 * loader (built on the public API) implements this interface; tests use small models written against it.
 */

import type { ReferenceInput } from '../monitor/reference.ts';

/** Open Inference Protocol tensor datatypes this server accepts and returns. */
export type Datatype = 'FP32' | 'FP64' | 'INT32' | 'BOOL' | 'BYTES';

export const DATATYPES: readonly Datatype[] = ['FP32', 'FP64', 'INT32', 'BOOL', 'BYTES'];

/**
 * A tensor's name, datatype and shape as published in model metadata. `-1` marks a variable dimension;
 * a leading `-1` on every input and output means the model accepts batches, so the server may join
 * concurrent requests along dimension 0.
 */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

/**
 * Tensor contents in row-major order: Float32Array for FP32, Float64Array for FP64, Int32Array for
 * INT32, Uint8Array (0/1) for BOOL and an array of strings for BYTES.
 */
export type TensorData = Float32Array | Float64Array | Int32Array | Uint8Array | string[];

export interface TensorValue {
  readonly data: TensorData;
  readonly shape: readonly number[];
}

export type TensorMap = Record<string, TensorValue>;

/** One prediction of the record endpoint (`/v1/models/{name}/predict`). */
export interface RecordPrediction {
  readonly label: string | number;
  readonly probabilities?: Record<string, number>;
}

/**
 * What the v1 record endpoint accepts, declared by a model with `predictRecords` so that the server
 * checks every value's type and range before queueing (see `checkRecords`):
 * - `tabular`: objects with every `numeric` column as a finite JSON number or null (null is a missing
 *   value the preprocessing imputes; numeric strings such as "12.5" are refused) and every
 *   `categorical` column as a string, finite number, boolean or null; other keys are ignored.
 * - `image`: a base64 PNG/JPEG (a string or `{ "b64": ... }`) of exactly `width` x `height` pixels,
 *   read from its header before decoding, or `channels * height * width` numbers in [0, 1] (an array,
 *   or `{ "pixels": [...] }` / `{ "image": [...] }`).
 * - `text`: a string or `{ "text": "..." }`.
 */
export type RecordSchema =
  | { readonly kind: 'tabular'; readonly numeric: readonly string[]; readonly categorical: readonly string[] }
  | { readonly kind: 'image'; readonly channels: number; readonly height: number; readonly width: number }
  | { readonly kind: 'text' };

export interface ServedModel {
  readonly name: string;
  readonly version: string;
  /** Framework/backend name published as `platform` in metadata; defaults to `tensorscript`. */
  readonly platform?: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /**
   * Runs one batch. Every input has its declared shape with the batch dimension filled in; every output
   * must carry the same batch size in dimension 0 when the model is batchable.
   */
  infer(inputs: TensorMap): Promise<TensorMap>;
  /**
   * Raw records (CSV-schema objects, text, base64 images) through the model's saved preprocessing, for
   * `/v1/models/{name}/predict`. Should throw a `ServeError` with status 400 for a record it cannot read.
   */
  predictRecords?(records: readonly unknown[]): Promise<RecordPrediction[]>;
  /** The records `predictRecords` reads; when given, the server validates each one before queueing it. */
  readonly records?: RecordSchema;
  /**
   * Statistics of the raw training features (the model card's), which the server's drift monitor compares
   * live v1 records with (numeric ones may carry quantiles: ts.monitor.driftReference); absent: only the
   * prediction distribution is monitored.
   */
  readonly trainingStats?: Readonly<Record<string, ReferenceInput>>;
  /**
   * One explanation per raw record (feature attributions; ts.explain.explainSaved for saved models), for
   * `POST /v1/models/{name}/explain`. Should throw a `ServeError` with status 400 for a record it cannot read.
   */
  explainRecords?(records: readonly unknown[]): Promise<unknown[]>;
  /** Frees the model's resources once the server stops routing requests to it. */
  dispose?(): Promise<void>;
}

/** True when every input and output has a variable leading (batch) dimension. */
export function isBatchable(model: Pick<ServedModel, 'inputs' | 'outputs'>): boolean {
  const specs = [...model.inputs, ...model.outputs];
  return specs.length > 0 && specs.every((s) => s.shape.length > 0 && s.shape[0] === -1);
}
