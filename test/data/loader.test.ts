import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/backends/ref/index.ts';
import { Generator } from '../../src/core/rng.ts';
import {
  flip,
  gaussianNoise,
  onField,
  randomCrop,
  randomDeletion,
  randomHorizontalFlip,
  randomRotation,
  randomShift,
  randomSwap,
  rotate,
} from '../../src/data/augment.ts';
import { DataLoader, stackFields } from '../../src/data/dataloader.ts';
import {
  compose,
  type Field,
  MapDataset,
  type Sample,
  Subset,
  TensorDataset,
} from '../../src/data/dataset.ts';
import { WeightedRandomSampler } from '../../src/data/imbalance.ts';

function toyDataset(n: number): TensorDataset {
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = -i;
    y[i] = i % 3;
  }
  return new TensorDataset({ data: x, shape: [n, 2] }, { data: y, shape: [n] });
}

async function epoch(loader: DataLoader): Promise<{ xs: number[][]; ys: number[][]; shapes: number[][] }> {
  const xs: number[][] = [];
  const ys: number[][] = [];
  const shapes: number[][] = [];
  for await (const [x, y] of loader) {
    shapes.push([...x!.shape]);
    assert.equal(x!.dtype, 'float32');
    assert.equal(y!.dtype, 'int32');
    xs.push(Array.from(x!.toTypedArray()));
    ys.push(Array.from(y!.toTypedArray()));
  }
  return { xs, ys, shapes };
}

test('TensorDataset + DataLoader: batches, dropLast, collate to tensors', async () => {
  const ds = toyDataset(10);
  assert.equal(ds.length, 10);
  assert.deepEqual(Array.from(ds.get(3)[0]!.data), [3, -3]);
  assert.deepEqual(ds.get(3)[1]!.shape, []);
  const plain = await epoch(new DataLoader(ds, { batchSize: 4 }));
  assert.deepEqual(plain.shapes, [
    [4, 2],
    [4, 2],
    [2, 2],
  ]);
  assert.deepEqual(plain.ys, [
    [0, 1, 2, 0],
    [1, 2, 0, 1],
    [2, 0],
  ]);
  assert.deepEqual(plain.xs[0], [0, -0, 1, -1, 2, -2, 3, -3]);
  const dropped = new DataLoader(ds, { batchSize: 4, dropLast: true });
  assert.equal(dropped.length, 2);
  assert.deepEqual((await epoch(dropped)).shapes, [
    [4, 2],
    [4, 2],
  ]);
  assert.throws(
    () =>
      new TensorDataset(
        { data: new Float32Array(4), shape: [2, 2] },
        { data: new Int32Array(3), shape: [3] },
      ),
    /array 1 has 3 samples, array 0 has 2/,
  );
  assert.throws(() => ds.get(10), /\[TensorDataset\.get\] index 10 out of range/);
});

test('DataLoader shuffle: seeded, a new order each epoch, every sample once', async () => {
  const ds = toyDataset(20);
  const a = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 42 });
  const e1 = (await epoch(a)).xs.flat().filter((_, i) => i % 2 === 0);
  const e2 = (await epoch(a)).xs.flat().filter((_, i) => i % 2 === 0);
  assert.deepEqual(
    [...e1].sort((p, q) => p - q),
    Array.from({ length: 20 }, (_, i) => i),
  );
  assert.notDeepEqual(e1, e2, 'epochs differ');
  const b = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 42 });
  assert.deepEqual(
    (await epoch(b)).xs.flat().filter((_, i) => i % 2 === 0),
    e1,
    'same seed, same first epoch',
  );
  assert.deepEqual(
    (await epoch(b)).xs.flat().filter((_, i) => i % 2 === 0),
    e2,
    'same seed, same second epoch',
  );
});

test('DataLoader prefetch loads the next batches while the consumer works, at most `prefetch` ahead', async () => {
  // Behaviour, not wall-clock time (a timing comparison was flaky on a loaded machine): each sample read is
  // logged when it starts and ends; while the consumer holds batch k (and yields the event loop, as a
  // training step does), the reads of batches k+1..k+prefetch have started and none beyond.
  const n = 10;
  const batchSize = 2;
  const nBatches = n / batchSize;
  const run = async (prefetch: number) => {
    let started = -1; // highest sample index whose read has started
    let pending = 0;
    let maxPending = 0;
    const slow = {
      length: n,
      get: async (i: number): Promise<Sample> => {
        started = Math.max(started, i);
        maxPending = Math.max(maxPending, ++pending);
        await new Promise((r) => setTimeout(r, 2)); // a file read
        pending--;
        return [{ data: Float32Array.of(i), shape: [] }];
      },
    };
    const seen: number[] = [];
    const startedWhileHolding: number[] = [];
    let k = 0;
    for await (const [x] of new DataLoader(slow, { batchSize, prefetch })) {
      seen.push(...(x!.toArray() as number[]));
      // the "training step": it gives the event loop several turns
      for (let t = 0; t < 5; t++) await new Promise((r) => setImmediate(r));
      startedWhileHolding.push(Math.floor(started / batchSize));
      k++;
    }
    assert.equal(k, nBatches);
    return { seen, startedWhileHolding, maxPending };
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (const prefetch of [0, 1, 2]) {
    const r = await run(prefetch);
    assert.deepEqual(r.seen, order, `prefetch ${prefetch}: samples in order`);
    // holding batch k, the highest batch being read is k + prefetch (the last batch at the end)
    assert.deepEqual(
      r.startedWhileHolding,
      Array.from({ length: nBatches }, (_, b) => Math.min(nBatches - 1, b + prefetch)),
      `prefetch ${prefetch}: batches read ahead while the consumer works`,
    );
    // in flight at once: the batch asked for and `prefetch` more, never the whole epoch
    assert.ok(
      r.maxPending <= (prefetch + 1) * batchSize,
      `prefetch ${prefetch}: ${r.maxPending} reads at once`,
    );
    if (prefetch > 0) assert.ok(r.maxPending > batchSize, `prefetch ${prefetch}: reads overlapped`);
  }
});

test('DataLoader: iterable datasets, shuffle buffer, samplers, custom collate, errors surface', async () => {
  async function* stream(): AsyncGenerator<Sample> {
    for (let i = 0; i < 7; i++) yield [{ data: Float32Array.of(i), shape: [] }];
  }
  const batches: number[][] = [];
  for await (const b of new DataLoader(stream(), {
    batchSize: 3,
    collate: (s: Sample[]) => s.map((f) => f[0]!.data[0]!),
  }))
    batches.push(b);
  assert.deepEqual(batches, [[0, 1, 2], [3, 4, 5], [6]]);
  const shuffled: number[] = [];
  for await (const b of new DataLoader(stream(), {
    batchSize: 7,
    shuffleBuffer: 4,
    seed: 1,
    collate: (s: Sample[]) => s.map((f) => f[0]!.data[0]!),
  }))
    shuffled.push(...b);
  assert.deepEqual([...shuffled].sort(), [0, 1, 2, 3, 4, 5, 6]);
  assert.notDeepEqual(shuffled, [0, 1, 2, 3, 4, 5, 6]);

  const ds = toyDataset(6);
  const sampler = new WeightedRandomSampler([0, 0, 0, 0, 0, 1], 4, { seed: 3 });
  const ys = (await epoch(new DataLoader(ds, { batchSize: 2, sampler }))).ys.flat();
  assert.deepEqual(ys, [2, 2, 2, 2]); // only index 5 has weight

  const failing = {
    length: 4,
    get: (i: number): Sample => {
      if (i === 2) throw new Error('bad sample 2');
      return ds.get(i);
    },
  };
  await assert.rejects(epoch(new DataLoader(failing, { batchSize: 1 })), /bad sample 2/);
  assert.throws(
    () =>
      stackFields([[{ data: new Float32Array(2), shape: [2] }], [{ data: new Float32Array(3), shape: [3] }]]),
    /\[collate\] field 0 of sample 1 has shape \[3\], sample 0 has \[2\]/,
  );
});

function img(h: number, w: number, c = 1): Field {
  return {
    data: Float32Array.from({ length: c * h * w }, (_, i) => i + 1),
    shape: c === 1 ? [h, w] : [c, h, w],
  };
}

test('augmentations: exact geometry, seeded randomness, labels untouched', () => {
  const a = img(3, 3);
  assert.deepEqual(Array.from(flip(a, 'h').data), [3, 2, 1, 6, 5, 4, 9, 8, 7]);
  assert.deepEqual(Array.from(flip(a, 'v').data), [7, 8, 9, 4, 5, 6, 1, 2, 3]);
  // +90 degrees turns counter-clockwise (torchvision): the top row becomes the left column, read upwards.
  const r90 = Array.from(rotate(a, 90).data, Math.round);
  assert.deepEqual(r90, [3, 6, 9, 2, 5, 8, 1, 4, 7]);
  assert.deepEqual(Array.from(rotate(a, 0).data), Array.from(a.data));
  const g1 = new Generator(5);
  const g2 = new Generator(5);
  const t1 = compose(
    randomShift(g1, 1),
    randomCrop(g1, 2),
    randomRotation(g1, 10),
    gaussianNoise(g1, 0.1, [0, 20]),
    randomHorizontalFlip(g1),
  );
  const t2 = compose(
    randomShift(g2, 1),
    randomCrop(g2, 2),
    randomRotation(g2, 10),
    gaussianNoise(g2, 0.1, [0, 20]),
    randomHorizontalFlip(g2),
  );
  const big = img(8, 8, 3);
  assert.deepEqual(t1(big), t2(big), 'same seed, same augmentation');
  assert.deepEqual(t1(big).shape, [3, 8, 8]);
  const g3 = new Generator(6);
  const t3 = compose(
    randomShift(g3, 1),
    randomCrop(g3, 2),
    randomRotation(g3, 10),
    gaussianNoise(g3, 0.1, [0, 20]),
  );
  assert.notDeepEqual(t3(big).data, t1(big).data, 'another seed, another augmentation');
  // randomCrop with padding p moves the image by at most p pixels: the pixel sum stays within what fits.
  const crop = randomCrop(new Generator(1), 1)(img(4, 4));
  assert.equal(crop.data.length, 16);
  const noise = Array.from(
    gaussianNoise(new Generator(0), 1)({ data: new Float64Array(20000), shape: [100, 200] }).data,
  );
  const mean = noise.reduce((s, v) => s + v, 0) / 20000;
  const sd = Math.sqrt(noise.reduce((s, v) => s + v * v, 0) / 20000);
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(sd - 1) < 0.03, `noise mean ${mean} sd ${sd}`);

  const ds = new MapDataset(
    new TensorDataset(
      { data: Float32Array.from([1, 2, 3, 4]), shape: [1, 2, 2] },
      { data: Int32Array.of(7), shape: [1] },
    ),
    onField((f) => flip(f, 'h')),
  );
  const s = ds.get(0) as Sample;
  assert.deepEqual(Array.from(s[0]!.data), [2, 1, 4, 3]);
  assert.deepEqual(Array.from(s[1]!.data), [7]);
  assert.deepEqual(new Subset(ds, [0]).length, 1);
  assert.throws(() => new Subset(ds, [3]), /\[Subset\] index 3 out of range/);
});

test('text augmentation: random deletion and swap are seeded and keep tokens', () => {
  const toks = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const del = randomDeletion(new Generator(3), 0.5)(toks);
  assert.ok(del.length >= 1 && del.length < toks.length);
  assert.deepEqual(del, randomDeletion(new Generator(3), 0.5)(toks));
  for (let k = 1; k < del.length; k++)
    assert.ok(toks.indexOf(del[k]!) > toks.indexOf(del[k - 1]!), 'order kept');
  assert.deepEqual(randomDeletion(new Generator(0), 1)(toks).length, 1);
  const sw = randomSwap(new Generator(4), 2)(toks);
  assert.deepEqual([...sw].sort(), toks);
  assert.deepEqual(sw, randomSwap(new Generator(4), 2)(toks));
});
