import { fmtShape } from '../core/errors.ts';
import type { ServedModel, TensorData, TensorMap, TensorValue } from './model.ts';
import { datatypeOf, shapeMatches, shapeSize } from './tensors.ts';

/** Joins tensors along dimension 0 (all have the same trailing shape and type). */
function concatRows(parts: TensorValue[]): TensorValue {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  const rows = parts.reduce((n, p) => n + p.shape[0]!, 0);
  const shape = [rows, ...first.shape.slice(1)];
  if (Array.isArray(first.data)) {
    return { shape, data: parts.flatMap((p) => p.data as string[]) };
  }
  const Ctor = first.data.constructor as new (n: number) => Exclude<TensorData, string[]>;
  const out = new Ctor(shapeSize(shape));
  let offset = 0;
  for (const p of parts) {
    const d = p.data as Exclude<TensorData, string[]>;
    out.set(d as never, offset);
    offset += d.length;
  }
  return { shape, data: out };
}

/** Rows [start, start + count) of a batched tensor, as a view where the data type allows. */
function sliceRows(t: TensorValue, start: number, count: number): TensorValue {
  const rowSize = shapeSize(t.shape.slice(1));
  const a = start * rowSize;
  const b = a + count * rowSize;
  const data = Array.isArray(t.data) ? t.data.slice(a, b) : t.data.subarray(a, b);
  return { shape: [count, ...t.shape.slice(1)], data };
}

/** Checks that the model answered every declared output with the right type, batch size and size. */
function checkOutputs(model: ServedModel, label: string, out: TensorMap, rows: number | undefined): void {
  for (const spec of model.outputs) {
    const t = out[spec.name];
    if (t === undefined)
      throw new Error(`[infer] ${label} did not return its declared output '${spec.name}'`);
    const dt = datatypeOf(t.data);
    if (dt !== spec.datatype) {
      throw new Error(`[infer] ${label} output '${spec.name}' is ${dt}, declared ${spec.datatype}`);
    }
    if (
      !shapeMatches(spec.shape, t.shape) ||
      t.data.length !== shapeSize(t.shape) ||
      (rows !== undefined && t.shape[0] !== rows)
    ) {
      throw new Error(
        `[infer] ${label} output '${spec.name}' has shape ${fmtShape(t.shape)} and ${t.data.length} values for a batch of ${rows}; declared ${fmtShape(spec.shape)}`,
      );
    }
  }
}

/**
 * The batch runner for a batchable model: one `infer` call on the joined inputs, outputs split back
 * per request. A lone request is passed through without copying.
 */
export function tensorBatchRunner(
  model: ServedModel,
  label: string,
): (reqs: TensorMap[]) => Promise<TensorMap[]> {
  return async (reqs) => {
    const counts = reqs.map((r) => r[model.inputs[0]!.name]!.shape[0]!);
    const joined: TensorMap = {};
    for (const spec of model.inputs) joined[spec.name] = concatRows(reqs.map((r) => r[spec.name]!));
    const total = counts.reduce((a, b) => a + b, 0);
    const out = await model.infer(joined);
    checkOutputs(model, label, out, total);
    if (reqs.length === 1) return [out];
    const results: TensorMap[] = [];
    let start = 0;
    for (const n of counts) {
      const r: TensorMap = {};
      for (const spec of model.outputs) r[spec.name] = sliceRows(out[spec.name]!, start, n);
      results.push(r);
      start += n;
    }
    return results;
  };
}

/** The runner for a model without a batch dimension: each request is its own call. */
export function singleRunner(model: ServedModel, label: string): (reqs: TensorMap[]) => Promise<TensorMap[]> {
  return async (reqs) => {
    const out = await model.infer(reqs[0]!);
    checkOutputs(model, label, out, undefined);
    return [out];
  };
}
