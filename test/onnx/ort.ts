// onnxruntime-node as the oracle: runs ONNX bytes on a library tensor and compares outputs.
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { Tensor } from '../../src/index.ts';

export async function runOrt(
  bytes: Uint8Array,
  inputs: Record<string, Tensor>,
): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(inputs)) {
    const a = t.toTypedArray();
    feeds[k] =
      a instanceof Int32Array
        ? new ort.Tensor('int32', a, [...t.shape])
        : new ort.Tensor('float32', Float32Array.from(a as ArrayLike<number>), [...t.shape]);
  }
  const r = await session.run(feeds);
  const out: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const [k, v] of Object.entries(r))
    out[k] = { data: Float32Array.from(v.data as ArrayLike<number>), dims: [...v.dims] };
  await session.release();
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** Asserts close within `tol` and the same shape. */
export function assertClose(ours: Tensor, theirs: { data: Float32Array; dims: number[] }, tol = 1e-4): void {
  assert.deepEqual(theirs.dims, [...ours.shape]);
  const d = maxAbsDiff(ours.toTypedArray() as Float32Array, theirs.data);
  assert.ok(d <= tol, `max |diff| ${d} > ${tol}`);
}
