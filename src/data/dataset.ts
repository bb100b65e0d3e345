import type { TypedArray } from '../core/dtype.ts';
import { check, fail } from '../core/errors.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** One field of one sample (an image, a label): row-major values with their shape ([] for a scalar). */
export interface Field {
  data: TypedArray;
  shape: readonly number[];
}
/** A sample is a tuple of fields, e.g. [image, label]. */
export type Sample = readonly Field[];

/** Map-style dataset: random access by index. `get` may return a promise (e.g. reading a file). */
export interface Dataset<T = Sample> {
  readonly length: number;
  get(i: number): T | Promise<T>;
}

/** Iterable-style dataset: a stream of samples (e.g. rows of a file larger than memory). */
export type IterableDataset<T = Sample> = AsyncIterable<T> | Iterable<T>;

export type Transform<A = Sample, B = Sample> = (sample: A) => B;

/** Chains transforms left to right. */
export function compose<T>(...fns: Transform<T, T>[]): Transform<T, T> {
  return (s) => fns.reduce((acc, f) => f(acc), s);
}

/** Applies a transform lazily to every sample of a dataset (on the fly, so augmentation differs per epoch). */
export class MapDataset<A, B> implements Dataset<B> {
  constructor(
    readonly source: Dataset<A>,
    readonly fn: Transform<A, B>,
  ) {}
  get length(): number {
    return this.source.length;
  }
  get(i: number): B | Promise<B> {
    const s = this.source.get(i);
    return s instanceof Promise ? s.then(this.fn) : this.fn(s);
  }
}

/** A view of some indices of a dataset (what splits produce). */
export class Subset<T> implements Dataset<T> {
  constructor(
    readonly source: Dataset<T>,
    readonly indices: ArrayLike<number>,
  ) {
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      if (!Number.isInteger(i) || i < 0 || i >= source.length)
        fail('Subset', `index ${i} out of range [0, ${source.length})`);
    }
  }
  get length(): number {
    return this.indices.length;
  }
  get(i: number): T | Promise<T> {
    check(
      i >= 0 && i < this.indices.length,
      'Subset.get',
      () => `index ${i} out of range [0, ${this.indices.length})`,
    );
    return this.source.get(this.indices[i]!);
  }
}

type ArrayLikeTensor = Tensor | Field;

/**
 * Wraps arrays sharing a first dimension N (features, labels, ...): sample i is row i of each, as a
 * zero-copy view of the contiguous data (torch TensorDataset).
 */
export class TensorDataset implements Dataset<Sample> {
  private readonly fields: { data: TypedArray; shape: readonly number[]; rowSize: number }[];
  readonly length: number;

  constructor(...arrays: ArrayLikeTensor[]) {
    check(arrays.length > 0, 'TensorDataset', () => 'expected at least one array');
    this.fields = arrays.map((a) => {
      const data = 'toTypedArray' in a ? a.toTypedArray() : a.data;
      const shape = [...a.shape];
      check(shape.length >= 1, 'TensorDataset', () => 'every array needs a first (sample) dimension');
      const rowSize = shape.slice(1).reduce((p, d) => p * d, 1);
      check(
        data.length === shape[0]! * rowSize,
        'TensorDataset',
        () => `data length ${data.length} does not match shape [${shape.join(',')}]`,
      );
      return { data, shape, rowSize };
    });
    this.length = this.fields[0]!.shape[0]!;
    this.fields.forEach((f, k) => {
      check(
        f.shape[0] === this.length,
        'TensorDataset',
        () => `array ${k} has ${f.shape[0]} samples, array 0 has ${this.length}`,
      );
    });
  }

  get(i: number): Sample {
    check(
      Number.isInteger(i) && i >= 0 && i < this.length,
      'TensorDataset.get',
      () => `index ${i} out of range [0, ${this.length})`,
    );
    return this.fields.map((f) => ({
      data: f.data.subarray(i * f.rowSize, (i + 1) * f.rowSize),
      shape: f.shape.slice(1),
    }));
  }
}

/** A field from plain numbers: `field([1, 2, 3])`, `field(Float32Array, [1, 28, 28])`, `field(7, 'int32')`. */
export function field(values: number | TypedArray | readonly number[], shape?: readonly number[]): Field {
  if (typeof values === 'number') return { data: Float32Array.of(values), shape: [] };
  const data = ArrayBuffer.isView(values)
    ? (values as TypedArray)
    : Float32Array.from(values as readonly number[]);
  return { data, shape: shape ?? [data.length] };
}
