import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from '../../src/index.ts';
import type * as nn from '../../src/nn/index.ts';

export const GOLDEN_DIR = join(import.meta.dirname, '..', 'fixtures', 'golden', 'nn');

export interface TensorData {
  shape: number[];
  dtype: 'float64' | 'int32' | 'bool';
  data: (number | string)[];
  requiresGrad?: boolean;
}
export type ArgSpec =
  | { tensor: TensorData }
  | { tuple: ArgSpec[] }
  | { options: Record<string, ArgSpec> }
  | { value: unknown };
export type OutSpec = TensorData | null | OutSpec[];
export type GradSpec = TensorData | null | GradSpec[] | { [k: string]: GradSpec };
export interface Tol {
  rtol: number;
  atol: number;
}
export interface GoldenCase {
  name: string;
  module: nn.ModuleConfig;
  train: boolean;
  stateDict: Record<string, TensorData>;
  args: ArgSpec[];
  out: OutSpec;
  upstream: OutSpec;
  grads: { args: GradSpec[]; params: Record<string, TensorData> };
  after?: Record<string, TensorData>;
  tol: Tol;
  gradTol: Tol;
}

export function goldenFiles(): { file: string; cases: GoldenCase[] }[] {
  return readdirSync(GOLDEN_DIR)
    .filter((f) => f.endsWith('.json') && f !== 'torch_state.json')
    .sort()
    .map((f) => JSON.parse(readFileSync(join(GOLDEN_DIR, f), 'utf8')));
}

function num(v: number | string): number {
  if (typeof v === 'number') return v;
  if (v === 'nan') return Number.NaN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  throw new Error(`bad number ${v}`);
}

/** A tensor from TensorData; float data becomes `floatDType`. */
export function fromData(d: TensorData, floatDType: ts.DType = 'float64'): ts.Tensor {
  const dtype = d.dtype === 'float64' ? floatDType : d.dtype;
  return ts.tensor(d.data.map(num), { shape: d.shape, dtype });
}

export function close(actual: ts.Tensor, expected: TensorData, tol: Tol, what: string): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const a = actual.toTypedArray();
  const e = expected.data.map(num);
  if (expected.dtype !== 'float64') {
    assert.deepEqual(Array.from(a as ArrayLike<number>), e, `${what}: values`);
    return;
  }
  let worst = 0;
  let at = -1;
  for (let i = 0; i < e.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    if (!Number.isFinite(y) && x === y) continue;
    const err = Math.abs(x - y) - (tol.atol + tol.rtol * Math.abs(y));
    if (!(err <= 0) && (at < 0 || err > worst)) {
      worst = err;
      at = i;
    }
  }
  if (at >= 0)
    assert.fail(
      `${what}: element ${at} is ${a[at]}, expected ${e[at]} (rtol ${tol.rtol}, atol ${tol.atol}); dtype ${actual.dtype}`,
    );
}
