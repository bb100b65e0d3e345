/**
 * A saved model (ts.saving) as a served model: `infer` takes the preprocessed input tensor (Open Inference
 * Protocol) and returns the raw `output` plus `probabilities` for classifiers; `predictRecords` runs the saved
 * preprocessing on raw records (the v1 predict route). This is all the server knows of a checkpoint.
 */
import { noGrad } from '../autograd/node.ts';
import type { PredictRecord, TabularPreprocessor } from '../data/preprocess/records.ts';
import { explainSaved } from '../explain/saved.ts';
import type { SavedModel } from '../saving/saved-model.ts';
import { tensor, zeros } from '../tensor/creation.ts';
import { scope } from '../tensor/scope.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { ServeError } from './errors.ts';
import type { RecordPrediction, RecordSchema, ServedModel, TensorMap, TensorSpec } from './model.ts';

function call(m: SavedModel, x: Tensor): Tensor {
  return (m.model as unknown as { call(x: Tensor): Tensor }).call(x);
}

/** The model's input as the server publishes it: batch dim -1, then what the preprocessing produces. */
function inputSpec(m: SavedModel): TensorSpec {
  const p = m.preprocessor.toJSON();
  if (p.kind === 'text') return { name: 'input', datatype: 'INT32', shape: [-1, p.maxLength] };
  if (p.kind === 'image') {
    const shape = p.flatten ? [-1, p.channels * p.height * p.width] : [-1, p.channels, p.height, p.width];
    return { name: 'input', datatype: 'FP32', shape };
  }
  return {
    name: 'input',
    datatype: 'FP32',
    shape: [-1, (m.preprocessor as TabularPreprocessor).pipeline.nFeatures],
  };
}

function recordSchema(m: SavedModel): RecordSchema {
  const p = m.preprocessor.toJSON();
  if (p.kind === 'tabular') return { kind: 'tabular', numeric: p.numeric, categorical: p.categorical };
  if (p.kind === 'image') return { kind: 'image', channels: p.channels, height: p.height, width: p.width };
  return { kind: 'text' };
}

/** A v1 record as the preprocessing expects it: base64 strings become image bytes for image models. */
function toRecord(m: SavedModel, r: unknown): PredictRecord {
  if (m.preprocessor.kind !== 'image') return r as PredictRecord;
  if (typeof r === 'string') return new Uint8Array(Buffer.from(r, 'base64'));
  if (r !== null && typeof r === 'object' && 'b64' in r)
    return new Uint8Array(Buffer.from(String((r as { b64: unknown }).b64), 'base64'));
  return r as PredictRecord;
}

export function servedModelFromSaved(m: SavedModel, opts: { name: string; version?: string }): ServedModel {
  const input = inputSpec(m);
  const dtype = input.datatype === 'INT32' ? 'int32' : 'float32';
  m.model.train(false);
  // One forward pass on a zero sample fixes the published output shape.
  const probe = scope(() =>
    noGrad(() => call(m, zeros([1, ...input.shape.slice(1)], { dtype })).shape.slice(1)),
  );
  const outputs: TensorSpec[] = [{ name: 'output', datatype: 'FP32', shape: [-1, ...probe] }];
  const classifier = m.task.task !== 'regression';
  const nClasses = m.classes?.length ?? 1;
  if (classifier)
    outputs.push({ name: 'probabilities', datatype: 'FP32', shape: [-1, Math.max(nClasses, 1)] });
  return {
    name: opts.name,
    version: opts.version ?? '1',
    inputs: [input],
    outputs,
    records: recordSchema(m),
    trainingStats: m.card.data.features,
    async infer(inputs: TensorMap): Promise<TensorMap> {
      const v = inputs.input;
      if (v === undefined) throw new ServeError('infer', 400, "missing input 'input'");
      return scope(() =>
        noGrad(() => {
          const out = call(m, tensor(v.data as Float32Array | Int32Array, { shape: v.shape, dtype }));
          const result: TensorMap = {
            output: { data: Float32Array.from(out.toTypedArray() as ArrayLike<number>), shape: out.shape },
          };
          if (classifier) {
            const o = m.outputs(out);
            const k = m.classes?.length ?? o.cols;
            const probs = new Float32Array(o.rows * k);
            // A single sigmoid column is P(positive); the two-class table is [1 - p, p].
            for (let r = 0; r < o.rows; r++)
              for (let c = 0; c < k; c++)
                probs[r * k + c] =
                  o.cols === 1 && k === 2
                    ? c === 1
                      ? o.values[r]!
                      : 1 - o.values[r]!
                    : o.values[r * o.cols + c]!;
            result.probabilities = { data: probs, shape: [o.rows, k] };
          }
          return result;
        }),
      );
    },
    async predictRecords(records: readonly unknown[]): Promise<RecordPrediction[]> {
      let preds: ReturnType<SavedModel['predict']>;
      try {
        preds = m.predict(records.map((r) => toRecord(m, r)));
      } catch (e) {
        throw new ServeError('predict', 400, (e as Error).message.replace(/^\[predict\] /, ''));
      }
      return preds.map((p) =>
        'label' in p
          ? { label: p.label, probabilities: p.probabilities }
          : 'labels' in p
            ? { label: p.labels.join(','), probabilities: p.probabilities }
            : { label: Array.isArray(p.value) ? p.value.join(',') : p.value },
      );
    },
    async explainRecords(records: readonly unknown[]): Promise<unknown[]> {
      try {
        return records.map((r) => explainSaved(m, toRecord(m, r)));
      } catch (e) {
        throw new ServeError('explain', 400, (e as Error).message.replace(/^\[\w+\] /, ''));
      }
    },
    async dispose(): Promise<void> {
      for (const t of Object.values(m.model.stateDict())) t.dispose();
    },
  };
}
