/**
 * The integer kernels quantized layers run on: an exact int8 GEMM with int32 accumulation and a fused
 * dynamic int8 linear layer (quantize the activations per batch, int8 GEMM, rescale to float32). Results
 * are bit for bit those of src/quant/int8-reference.ts on every backend.
 */
import { fail } from '../core/errors.ts';
import type { Backend } from '../kernels/backend.ts';
import { getBackend } from '../kernels/registry.ts';
import { dynamicInt8LinearRef, int8MatmulRef } from './int8-reference.ts';

/**
 * Int8 weights [n, k] (n output channels of k inputs, values in [-127, 127]) with their per-channel
 * float32 scales, packed once for the backend that was active when they were packed. Opaque: build it
 * with packInt8Weights; `dispose` releases backend memory early (otherwise it goes with the handle).
 */
export interface PackedInt8Weights {
  readonly n: number;
  readonly k: number;
  /** A copy of the weights as given, row-major [n, k]. */
  readonly weights: Int8Array;
  /** A copy of the per-output-channel scales, length n. */
  readonly scales: Float32Array;
  /** The backend the weights were packed for (the kernels run there). */
  readonly backend: Backend;
  dispose(): void;
}

class Packed implements PackedInt8Weights {
  disposed = false;
  constructor(
    readonly n: number,
    readonly k: number,
    readonly weights: Int8Array,
    readonly scales: Float32Array,
    readonly backend: Backend,
  ) {}
  dispose(): void {
    this.disposed = true;
  }
}

function handle(op: string, packed: PackedInt8Weights): Packed {
  if (!(packed instanceof Packed)) fail(op, 'packed weights must come from packInt8Weights');
  if (packed.disposed) fail(op, 'packed weights were disposed');
  return packed;
}

function checkRows(op: string, m: number, len: number, k: number, what: string): void {
  if (!Number.isInteger(m) || m < 0) fail(op, `m must be a non-negative integer, got ${m}`);
  if (len < m * k) fail(op, `${what} has ${len} values, expected m * k = ${m} * ${k} = ${m * k}`);
}

/** Packs int8 weights w [n, k] with per-output-channel scales for int8Matmul and dynamicInt8Linear. */
export function packInt8Weights(
  w: Int8Array,
  n: number,
  k: number,
  scales: Float32Array,
  backend: Backend = getBackend(),
): PackedInt8Weights {
  const op = 'packInt8Weights';
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(k) || k < 1)
    fail(op, `n and k must be positive integers, got n=${n}, k=${k}`);
  if (w.length !== n * k) fail(op, `weights have ${w.length} values, expected n * k = ${n * k}`);
  if (scales.length !== n) fail(op, `scales have ${scales.length} values, expected n = ${n}`);
  for (let i = 0; i < w.length; i++)
    if (w[i] === -128) fail(op, `weight ${i} is -128: symmetric int8 weights lie in [-127, 127]`);
  return new Packed(n, k, w.slice(), scales.slice(), backend);
}

/** out[m, n] = a[m, k] . w[n, k]^T in exact int32. */
export function int8Matmul(a: Int8Array, m: number, packed: PackedInt8Weights): Int32Array {
  const p = handle('int8Matmul', packed);
  checkRows('int8Matmul', m, a.length, p.k, 'a');
  return int8MatmulRef(a, p.weights, m, p.n, p.k);
}

/**
 * y[m, n] = x[m, k] . w^T (+ bias) with x quantized to int8 with one scale for the batch (see
 * dynamicInt8LinearRef for the exact float32 formula). `out`, when given, receives the result.
 */
export function dynamicInt8Linear(
  x: Float32Array,
  m: number,
  packed: PackedInt8Weights,
  bias: Float32Array | null,
  out?: Float32Array,
): Float32Array {
  const op = 'dynamicInt8Linear';
  const p = handle(op, packed);
  checkRows(op, m, x.length, p.k, 'x');
  if (bias !== null && bias.length !== p.n) fail(op, `bias has ${bias.length} values, expected n = ${p.n}`);
  if (out !== undefined && out.length < m * p.n)
    fail(op, `out has ${out.length} values, expected m * n = ${m * p.n}`);
  return dynamicInt8LinearRef(x, m, p.weights, p.scales, p.n, p.k, bias, out);
}
