import type { DType } from '../../core/dtype.ts';
import { check } from '../../core/errors.ts';
import type { Generator } from '../../core/rng.ts';
import { empty } from '../../tensor/lifecycle.ts';
import { Parameter } from '../parameter.ts';

/** Options every layer with weights takes. */
export interface WeightOptions {
  /** float32 (default) or float64. */
  dtype?: DType;
  /** The generator for the initial weights (default: the process-wide one, see manualSeed). */
  generator?: Generator;
}

/** A zero-filled parameter, to be initialised by the layer's resetParameters. */
export function newParam(shape: readonly number[], dtype: DType = 'float32'): Parameter {
  check(
    dtype === 'float32' || dtype === 'float64',
    'Parameter',
    () => `dtype must be float32 or float64, got ${dtype}`,
  );
  const t = empty(shape, dtype);
  const p = new Parameter(t);
  t.dispose();
  return p;
}

export function checkPositiveInt(layer: string, name: string, v: number): void {
  check(Number.isInteger(v) && v > 0, layer, () => `${name} must be a positive integer, got ${v}`);
}

export function checkProbability(layer: string, p: number): void {
  check(p >= 0 && p <= 1, layer, () => `dropout probability must be in [0, 1], got ${p}`);
}
