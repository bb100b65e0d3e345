// Small real models for the server tests: a dense layer y = xW + b computed with the engine's tensors,
// and a record model with its own "preprocessing". They count their calls so tests can see batching.
import * as ts from '../../src/index.ts';
import { ServeError } from '../../src/serve/errors.ts';
import type { RecordPrediction, ServedModel, TensorMap, TensorSpec } from '../../src/serve/model.ts';

export class DenseModel implements ServedModel {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Rows of every infer call, in order. */
  readonly calls: number[] = [];
  disposed = false;
  /** Milliseconds each call waits before answering (simulates a slower model). */
  delayMs = 0;
  /** When set, every call waits for this promise: tests hold the model busy for exactly as long as they need. */
  gate: Promise<void> | undefined;

  constructor(
    readonly name: string,
    readonly version: string,
    /** Row-major [inF, outF]. */
    readonly weight: Float32Array,
    readonly bias: Float32Array,
    readonly inF: number,
    readonly outF: number,
  ) {
    this.inputs = [{ name: 'x', datatype: 'FP32', shape: [-1, inF] }];
    this.outputs = [{ name: 'y', datatype: 'FP32', shape: [-1, outF] }];
  }

  /** The layer on the engine: a Linear layer as `x.matmul(w).add(b)`. */
  forward(x: Float32Array, rows: number): Float32Array {
    return ts.scope(() => {
      const w = ts.tensor(this.weight, { shape: [this.inF, this.outF] });
      const b = ts.tensor(this.bias, { shape: [this.outF] });
      return ts
        .tensor(x, { shape: [rows, this.inF] })
        .matmul(w)
        .add(b)
        .toTypedArray() as Float32Array;
    });
  }

  /** The same math in float64 plain JS, independent of the engine, to check answers against. */
  reference(x: readonly number[], rows: number): number[] {
    const y: number[] = [];
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < this.outF; j++) {
        let s = this.bias[j]!;
        for (let k = 0; k < this.inF; k++) s += x[r * this.inF + k]! * this.weight[k * this.outF + j]!;
        y.push(s);
      }
    }
    return y;
  }

  async infer(inputs: TensorMap): Promise<TensorMap> {
    const x = inputs.x!;
    const rows = x.shape[0]!;
    this.calls.push(rows);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.gate !== undefined) await this.gate;
    return { y: { data: this.forward(x.data as Float32Array, rows), shape: [rows, this.outF] } };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

/** y = x @ W + b with W = [[1, 2], [3, 4], [5, 6]], b = [0.5, -1]: easy to check by hand. */
export function smallDense(name = 'dense', version = '1'): DenseModel {
  return new DenseModel(
    name,
    version,
    Float32Array.from([1, 2, 3, 4, 5, 6]),
    Float32Array.from([0.5, -1]),
    3,
    2,
  );
}

/**
 * A classifier over records `{ a: number, b: number }`: its "preprocessing" reads the two fields, its
 * score is softmax([a, b]); label 'A' when a > b. Unreadable records are client errors.
 */
export class RecordModel implements ServedModel {
  readonly inputs: readonly TensorSpec[] = [{ name: 'features', datatype: 'FP32', shape: [-1, 2] }];
  readonly outputs: readonly TensorSpec[] = [{ name: 'probs', datatype: 'FP32', shape: [-1, 2] }];
  readonly calls: number[] = [];
  constructor(
    readonly name = 'records',
    readonly version = '1',
  ) {}

  async infer(inputs: TensorMap): Promise<TensorMap> {
    const x = inputs.features!.data as Float32Array;
    const rows = inputs.features!.shape[0]!;
    const out = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      const a = x[2 * r]!;
      const b = x[2 * r + 1]!;
      const m = Math.max(a, b);
      const ea = Math.exp(a - m);
      const eb = Math.exp(b - m);
      out[2 * r] = ea / (ea + eb);
      out[2 * r + 1] = eb / (ea + eb);
    }
    return { probs: { data: out, shape: [rows, 2] } };
  }

  async predictRecords(records: readonly unknown[]): Promise<RecordPrediction[]> {
    this.calls.push(records.length);
    const x = new Float32Array(records.length * 2);
    records.forEach((rec, i) => {
      const r = rec as { a?: unknown; b?: unknown } | null;
      if (typeof r !== 'object' || r === null || typeof r.a !== 'number' || typeof r.b !== 'number') {
        throw new ServeError('predict', 400, `record ${i}: expected an object with numeric fields a and b`);
      }
      x[2 * i] = r.a;
      x[2 * i + 1] = r.b;
    });
    const out = await this.infer({ features: { data: x, shape: [records.length, 2] } });
    const p = out.probs!.data as Float32Array;
    return records.map((_, i) => ({
      label: p[2 * i]! > p[2 * i + 1]! ? 'A' : 'B',
      probabilities: { A: p[2 * i]!, B: p[2 * i + 1]! },
    }));
  }
}

/** Asserts two number arrays agree to float32 precision (relative and absolute tolerance 1e-5). */
export function assertClose(actual: readonly number[], expected: readonly number[], what = 'values'): void {
  if (actual.length !== expected.length)
    throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= 1e-5 * (1 + Math.abs(e)))) {
      throw new Error(
        `${what}[${i}] = ${a}, expected ${e} (all: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)})`,
      );
    }
  });
}
