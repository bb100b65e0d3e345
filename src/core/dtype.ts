import { fail } from './errors.ts';

/** Element types a tensor can hold. float64 exists for gradient checks and exact reference runs. */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** The typed array that stores each dtype. bool is one byte per element (0 or 1). */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

/**
 * Throws unless `d` is one of DTYPES. Called before anything is allocated: an unknown dtype used to reach
 * the wasm heap's byte-size table as NaN and corrupt every later allocation (issue: hardening, item 1).
 */
export function checkDType(op: string, d: unknown): asserts d is DType {
  if (typeof d === 'string' && (DTYPES as readonly string[]).includes(d)) return;
  const hint = d === 'int64' ? ' (int64 is stored as int32 here, as torch.long becomes int32)' : '';
  fail(op, `unknown dtype ${JSON.stringify(d)}: expected one of ${DTYPES.join(', ')}${hint}`);
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

export function arrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
    default:
      return fail('arrayFor', `unknown dtype ${JSON.stringify(dtype)}`);
  }
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'bool';
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** PyTorch-like promotion for two tensor operands: bool < int32 < float32 < float64. */
export function promote(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The float dtype an op that must produce fractions (div, mean, exp) returns for this input. */
export function floatOf(d: DType): DType {
  return d === 'float64' ? 'float64' : 'float32';
}
