import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DType, Tensor } from '../../src/index.ts';
import * as ts from '../../src/index.ts';

/** Reading the PyTorch golden fixtures (format: test/fixtures/golden/README.md). */
export interface TensorData {
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  data: (number | string)[];
}
export type View =
  | { permute: number[] }
  | { transpose: [number, number] }
  | { slice: [number, number, number][] };
export interface TensorArg extends TensorData {
  requiresGrad: boolean;
  view?: View;
}
export type ArgSpec = { tensor: TensorArg } | { tensors: TensorArg[] } | { value: unknown };
export interface Tol {
  rtol: number;
  atol: number;
}
export interface GoldenCase {
  name: string;
  args: ArgSpec[];
  kwargs: Record<string, unknown>;
  out: TensorData | TensorData[];
  upstream: TensorData | (TensorData | null)[] | null;
  grads: (TensorData | (TensorData | null)[] | null)[];
  tol: Tol;
  gradTol?: Tol;
  after?: (TensorData | null)[] | null;
}
export interface GoldenFile {
  op: string;
  torch: string;
  cases: GoldenCase[];
}

export const GOLDEN_DIR = join(import.meta.dirname, '..', 'fixtures', 'golden', 'ops');

export function goldenFiles(): GoldenFile[] {
  return readdirSync(GOLDEN_DIR)
    .filter((f) => f.endsWith('.json') && !f.startsWith('_'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(GOLDEN_DIR, f), 'utf8')) as GoldenFile);
}

export function num(v: number | string): number {
  if (v === 'nan') return Number.NaN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  return v as number;
}

/** A tensor from fixture data, optionally in another float dtype (float64 for gradient checks). */
export function fromData(d: TensorData, floatDtype: DType = 'float32'): Tensor {
  const dtype: DType = d.dtype === 'float32' ? floatDtype : d.dtype;
  return ts.tensor(d.data.map(num), { shape: d.shape, dtype });
}

export function applyView(t: Tensor, view: View | undefined): Tensor {
  if (view === undefined) return t;
  if ('permute' in view) return t.permute(view.permute);
  if ('transpose' in view) return t.transpose(view.transpose[0], view.transpose[1]);
  return t.index(view.slice.map(([a, b, s]) => [a, b, s] as const));
}

/** The op's input: the base with its view applied, detached so it is a leaf that can require grad. */
export function argTensor(a: TensorArg, floatDtype: DType = 'float32'): Tensor {
  const v = applyView(fromData(a, floatDtype), a.view).detach();
  if (a.requiresGrad) v.requiresGrad_(true);
  return v;
}

export function close(actual: Tensor, expected: TensorData, tol: Tol, what: string): string | null {
  if (actual.shape.join() !== expected.shape.join())
    return `${what}: shape [${actual.shape}] != [${expected.shape}]`;
  const exact = expected.dtype !== 'float32';
  if (exact && actual.dtype !== expected.dtype) return `${what}: dtype ${actual.dtype} != ${expected.dtype}`;
  const a = actual.toTypedArray();
  for (let i = 0; i < expected.data.length; i++) {
    const e = num(expected.data[i]!);
    const v = a[i]!;
    if (Number.isNaN(e) && Number.isNaN(v)) continue;
    if (!Number.isFinite(e) && e === v) continue;
    const ok = exact ? v === e : Math.abs(v - e) <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok) return `${what}: element ${i} is ${v}, expected ${e} (rtol ${tol.rtol}, atol ${tol.atol})`;
  }
  return null;
}
