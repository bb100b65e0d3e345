import type { TypedArray } from '../core/dtype.ts';
import { check, fail } from '../core/errors.ts';
import { Generator } from '../core/rng.ts';
import { tensor } from '../tensor/creation.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Dataset, Field, IterableDataset, Sample } from './dataset.ts';
import { permutation } from './split.ts';

export type Collate<T, B> = (samples: T[]) => B;

export interface DataLoaderOptions<T, B> {
  batchSize?: number;
  /** Reshuffle the order every epoch from the seeded generator (map-style datasets). */
  shuffle?: boolean;
  seed?: number;
  generator?: Generator;
  /** Drop the last incomplete batch. */
  dropLast?: boolean;
  /** Indices to draw per epoch instead of 0..n-1 (e.g. a WeightedRandomSampler). */
  sampler?: Iterable<number>;
  /** Batches prepared ahead of the consumer (default 2; 0 prepares on demand). */
  prefetch?: number;
  /** Iterable datasets: shuffle within a buffer of this many samples (default 0 = keep order). */
  shuffleBuffer?: number;
  collate?: Collate<T, B>;
}

/** Stacks each field of the samples into one array [batch, ...fieldShape] of the same element type. */
export function stackFields(samples: readonly Sample[]): Field[] {
  check(samples.length > 0, 'collate', () => 'empty batch');
  const first = samples[0]!;
  return first.map((f0, k) => {
    const size = f0.data.length;
    const Ctor = f0.data.constructor as new (n: number) => TypedArray;
    const out = new Ctor(samples.length * size);
    samples.forEach((s, i) => {
      const f = s[k];
      if (f === undefined)
        fail('collate', `sample ${i} has ${s.length} fields, sample 0 has ${first.length}`);
      if (f.data.length !== size || f.shape.join() !== f0.shape.join())
        fail(
          'collate',
          `field ${k} of sample ${i} has shape [${f.shape.join(',')}], sample 0 has [${f0.shape.join(',')}]`,
        );
      out.set(f.data, i * size);
    });
    return { data: out, shape: [samples.length, ...f0.shape] };
  });
}

/** Default collate: one tensor per field, [batch, ...fieldShape], dtype from the sample arrays. */
export function collateTensors(samples: Sample[]): Tensor[] {
  return stackFields(samples).map((f) => tensor(f.data, { shape: f.shape }));
}

/**
 * Batches a dataset: seeded shuffle per epoch, dropLast, collate (to tensors by default) and background
 * prefetch. Each `for await` over the loader is one epoch; the generator advances across epochs, so a
 * given seed replays the same sequence of epochs.
 *
 * Prefetch keeps `prefetch` batches in flight: asynchronous sources (file reads, decoding in promises)
 * proceed while the training step runs. Synchronous transforms still run on the main thread.
 */
export class DataLoader<T = Sample, B = Tensor[]> implements AsyncIterable<B> {
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly shuffle: boolean;
  readonly prefetch: number;
  readonly generator: Generator;
  /** Public so wrappers (privacy.makePrivate's Poisson loader) batch the same way. */
  readonly collate: Collate<T, B>;

  constructor(
    readonly dataset: Dataset<T> | IterableDataset<T>,
    private readonly opts: DataLoaderOptions<T, B> = {},
  ) {
    this.batchSize = opts.batchSize ?? 1;
    this.dropLast = opts.dropLast ?? false;
    this.shuffle = opts.shuffle ?? false;
    this.prefetch = opts.prefetch ?? 2;
    this.generator = opts.generator ?? new Generator(opts.seed ?? 0);
    this.collate = opts.collate ?? (collateTensors as unknown as Collate<T, B>);
    check(
      Number.isInteger(this.batchSize) && this.batchSize > 0,
      'DataLoader',
      () => `batchSize must be a positive integer, got ${this.batchSize}`,
    );
    check(
      !(this.shuffle && opts.sampler !== undefined),
      'DataLoader',
      () => 'shuffle and sampler are mutually exclusive',
    );
    if (!isMapStyle(dataset))
      check(
        !this.shuffle && opts.sampler === undefined,
        'DataLoader',
        () => 'an iterable dataset cannot be shuffled by index; use shuffleBuffer',
      );
  }

  /** Batches per epoch (map-style datasets only). */
  get length(): number {
    if (!isMapStyle(this.dataset)) fail('DataLoader', 'an iterable dataset has no length');
    const n = this.opts.sampler !== undefined ? [...this.opts.sampler].length : this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The sample order of the next epoch (advances the generator when shuffling). */
  private epochOrder(ds: Dataset<T>): ArrayLike<number> {
    if (this.opts.sampler !== undefined) return Int32Array.from(this.opts.sampler);
    if (this.shuffle) return permutation(ds.length, this.generator);
    return Int32Array.from({ length: ds.length }, (_, i) => i);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<B> {
    const ds = this.dataset;
    if (!isMapStyle(ds)) {
      yield* this.iterableBatches(ds);
      return;
    }
    const order = this.epochOrder(ds);
    const nBatches = this.dropLast
      ? Math.floor(order.length / this.batchSize)
      : Math.ceil(order.length / this.batchSize);
    const make = async (b: number): Promise<B> => {
      // Yield to the event loop first so a prefetched batch is built after the consumer resumes its step.
      await new Promise<void>((r) => setImmediate(r));
      const samples: (T | Promise<T>)[] = [];
      for (let k = b * this.batchSize; k < Math.min(order.length, (b + 1) * this.batchSize); k++)
        samples.push(ds.get(order[k]!));
      return this.collate(await Promise.all(samples));
    };
    const inFlight: Promise<B>[] = [];
    let next = 0;
    const fill = () => {
      while (next < nBatches && inFlight.length <= this.prefetch) inFlight.push(make(next++));
    };
    // Attach handlers eagerly so a failing prefetched batch is not an unhandled rejection.
    for (;;) {
      fill();
      const p = inFlight.shift();
      if (p === undefined) return;
      for (const q of inFlight) q.catch(() => {});
      yield await p;
    }
  }

  private async *iterableBatches(ds: IterableDataset<T>): AsyncGenerator<B> {
    const bufSize = this.opts.shuffleBuffer ?? 0;
    const buffer: T[] = [];
    let batch: T[] = [];
    const push = async function* (this: DataLoader<T, B>, s: T): AsyncGenerator<B> {
      batch.push(s);
      if (batch.length === this.batchSize) {
        const out = batch;
        batch = [];
        yield this.collate(out);
      }
    };
    for await (const s of ds as AsyncIterable<T>) {
      if (bufSize <= 0) {
        yield* push.call(this, s);
        continue;
      }
      buffer.push(s);
      if (buffer.length >= bufSize) {
        const j = this.generator.int(0, buffer.length);
        const pick = buffer[j]!;
        buffer[j] = buffer[buffer.length - 1]!;
        buffer.pop();
        yield* push.call(this, pick);
      }
    }
    while (buffer.length > 0) {
      const j = this.generator.int(0, buffer.length);
      const pick = buffer[j]!;
      buffer[j] = buffer[buffer.length - 1]!;
      buffer.pop();
      yield* push.call(this, pick);
    }
    if (batch.length > 0 && !this.dropLast) yield this.collate(batch);
  }
}

function isMapStyle<T>(ds: Dataset<T> | IterableDataset<T>): ds is Dataset<T> {
  return typeof (ds as Dataset<T>).get === 'function' && typeof (ds as Dataset<T>).length === 'number';
}
