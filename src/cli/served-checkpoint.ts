import { basename } from 'node:path';
import * as ts from '../index.ts';
import { type CheckpointModel, loadCheckpointModel, resolveRunCheckpoint } from './checkpoint-model.ts';
import { type PredictRecord, TabularPreprocessor } from './preprocess.ts';

type ServedModel = ts.serving.ServedModel;
type TensorSpec = ts.serving.TensorSpec;
type TensorMap = ts.serving.TensorMap;

/** What `tensorscript serve` is given: `dir`, `name=dir` or `name:version=dir`. */
export interface ServedCheckpointSpec {
  dir: string;
  name?: string;
  version?: string;
}

export function parseServeTarget(arg: string): ServedCheckpointSpec {
  const eq = arg.indexOf('=');
  if (eq < 0) return { dir: arg };
  const [name, version] = arg.slice(0, eq).split(':');
  return { dir: arg.slice(eq + 1), name: name || undefined, version: version || undefined };
}

/** The model's input as the server publishes it: batch dim -1, then what the preprocessing produces. */
function inputSpec(ck: CheckpointModel): TensorSpec {
  const p = ck.preprocessor.toJSON();
  if (p.kind === 'text') return { name: 'input', datatype: 'INT32', shape: [-1, p.maxLength] };
  if (p.kind === 'image') {
    const shape = p.flatten ? [-1, p.channels * p.height * p.width] : [-1, p.channels, p.height, p.width];
    return { name: 'input', datatype: 'FP32', shape };
  }
  return {
    name: 'input',
    datatype: 'FP32',
    shape: [-1, (ck.preprocessor as TabularPreprocessor).pipeline.nFeatures],
  };
}

function call(ck: CheckpointModel, x: ts.Tensor): ts.Tensor {
  return (ck.model as unknown as { call(x: ts.Tensor): ts.Tensor }).call(x);
}

/** A v1 record as the preprocessing expects it: base64 strings become image bytes for image models. */
function toRecord(ck: CheckpointModel, r: unknown): PredictRecord {
  if (ck.preprocessor.kind === 'image' && typeof r === 'string')
    return new Uint8Array(Buffer.from(r, 'base64'));
  if (ck.preprocessor.kind === 'image' && r !== null && typeof r === 'object' && 'b64' in r) {
    return new Uint8Array(Buffer.from(String((r as { b64: unknown }).b64), 'base64'));
  }
  return r as PredictRecord;
}

/**
 * A training-run checkpoint as a served model: `infer` takes the preprocessed input tensor (Open
 * Inference Protocol) and returns the raw `output` plus `probabilities` for classifiers; `predictRecords`
 * runs the saved preprocessing on raw records (the v1 predict route).
 */
export function servedModelFromCheckpoint(spec: ServedCheckpointSpec): ServedModel {
  const dir = resolveRunCheckpoint(spec.dir);
  const ck = loadCheckpointModel(dir);
  const input = inputSpec(ck);
  // One forward pass on a zero sample fixes the published output shape.
  const probe = ts.scope(() =>
    ts.noGrad(() => {
      const x = ts.zeros([1, ...input.shape.slice(1)], {
        dtype: input.datatype === 'INT32' ? 'int32' : 'float32',
      });
      return call(ck, x).shape.slice(1);
    }),
  );
  const outputs: TensorSpec[] = [{ name: 'output', datatype: 'FP32', shape: [-1, ...probe] }];
  const classifier = ck.task !== 'regression';
  if (classifier)
    outputs.push({
      name: 'probabilities',
      datatype: 'FP32',
      shape: [-1, Math.max(ck.labels?.length ?? 1, 1)],
    });
  const name = spec.name ?? ck.config.name ?? basename(spec.dir);
  // The feature columns a v1 record must carry (tabular models), worked out once rather than per request.
  const pre = ck.preprocessor;
  const required = pre instanceof TabularPreprocessor ? [...pre.numeric, ...pre.categorical] : null;
  return {
    name,
    version: spec.version ?? '1',
    inputs: [input],
    outputs,
    async infer(inputs: TensorMap): Promise<TensorMap> {
      const v = inputs.input;
      if (v === undefined) throw new ts.serving.ServeError('infer', 400, "missing input 'input'");
      return ts.scope(() =>
        ts.noGrad(() => {
          const x = ts.tensor(v.data as Float32Array | Int32Array, {
            shape: v.shape,
            dtype: input.datatype === 'INT32' ? 'int32' : 'float32',
          });
          const out = call(ck, x);
          const result: TensorMap = {
            output: { data: Float32Array.from(out.toTypedArray() as ArrayLike<number>), shape: out.shape },
          };
          if (classifier) {
            const o = ck.outputs(out);
            const k = ck.labels?.length ?? o.cols;
            const probs = new Float32Array(o.rows * k);
            // A single sigmoid column is P(positive); the two-class table is [1 - p, p].
            for (let r = 0; r < o.rows; r++) {
              for (let c = 0; c < k; c++)
                probs[r * k + c] =
                  o.cols === 1 && k === 2
                    ? c === 1
                      ? o.values[r]!
                      : 1 - o.values[r]!
                    : o.values[r * o.cols + c]!;
            }
            result.probabilities = { data: probs, shape: [o.rows, k] };
          }
          return result;
        }),
      );
    },
    async predictRecords(records: readonly unknown[]): Promise<ts.serving.RecordPrediction[]> {
      if (required !== null) {
        // Imputation fills null values, but a record without the columns at all is a client error.
        records.forEach((r, i) => {
          if (r === null || typeof r !== 'object' || Array.isArray(r)) {
            throw new ts.serving.ServeError(
              'predict',
              400,
              `record ${i} must be an object with the feature columns`,
            );
          }
          const missing = required.filter((c) => !(c in r));
          if (missing.length > 0) {
            const shown =
              missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, ... (${missing.length} in all)` : '');
            throw new ts.serving.ServeError(
              'predict',
              400,
              `record ${i} lacks columns ${shown}; send null for a missing value`,
            );
          }
        });
      }
      let preds: ReturnType<CheckpointModel['predict']>;
      try {
        preds = ck.predict(records.map((r) => toRecord(ck, r)));
      } catch (e) {
        throw new ts.serving.ServeError('predict', 400, (e as Error).message);
      }
      return preds.map((p) =>
        'label' in p
          ? { label: p.label, probabilities: p.probabilities }
          : { label: Array.isArray(p.value) ? p.value.join(',') : p.value },
      );
    },
    async dispose(): Promise<void> {
      for (const t of Object.values(ck.model.stateDict())) t.dispose();
    },
  };
}
