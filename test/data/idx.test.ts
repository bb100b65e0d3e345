import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { encodeIdx, parseIdx, readIdx } from '../../src/data/idx.ts';
import { loadMnist } from '../../src/data/mnist.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-idx-'));

test('IDX round trip for every element type, gzip or not', async () => {
  const arrays = [
    new Uint8Array([0, 1, 255, 7, 8, 9]),
    new Int8Array([-128, 1, 127, 0, -1, 2]),
    new Int16Array([-30000, 1, 2, 3, 4, 30000]),
    new Int32Array([-(2 ** 31), 1, 2, 3, 4, 2 ** 31 - 1]),
    new Float32Array([0.5, -1.25, 3, 4, 5, 6]),
    new Float64Array([Math.PI, -1e300, 3, 4, 5, 6]),
  ];
  for (const data of arrays) {
    const bytes = encodeIdx({ shape: [2, 3], data });
    const back = parseIdx(bytes);
    assert.deepEqual(back.shape, [2, 3]);
    assert.deepEqual(Array.from(back.data), Array.from(data));
    assert.equal(back.data.constructor, data.constructor);
    const p = join(dir, `${data.constructor.name}.idx.gz`);
    writeFileSync(p, gzipSync(bytes));
    assert.deepEqual(Array.from((await readIdx(p)).data), Array.from(data));
  }
});

test('IDX: malformed files are rejected with the reason', async () => {
  const good = encodeIdx({ shape: [2, 2], data: new Uint8Array([1, 2, 3, 4]) });
  assert.throws(() => parseIdx(good.subarray(0, 10), 'x.idx'), /\[readIdx\] x\.idx: truncated header/);
  assert.throws(
    () => parseIdx(good.subarray(0, 14), 'x.idx'),
    /truncated data, shape \[2,2\] of uint8 needs 16 bytes, got 14/,
  );
  assert.throws(() => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0])), /bad magic number/);
  assert.throws(
    () => parseIdx(new Uint8Array([0, 0, 0x42, 1, 0, 0, 0, 0])),
    /unknown element type code 0x42/,
  );
  const truncatedGz = gzipSync(good).subarray(0, 12);
  const p = join(dir, 'trunc.gz');
  writeFileSync(p, truncatedGz);
  await assert.rejects(readIdx(p), /gzip data is corrupt/);
});

test('loadMnist: full test split and the first training images', async () => {
  const test10k = await loadMnist({ split: 'test' });
  assert.equal(test10k.length, 10000);
  assert.deepEqual(test10k.shape, [10000, 1, 28, 28]);
  assert.equal(test10k.images.length, 10000 * 784);
  const counts = new Array(10).fill(0);
  for (const l of test10k.labels) counts[l]++;
  // Known MNIST test-set class counts.
  assert.deepEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  let min = Infinity;
  let max = -Infinity;
  for (const v of test10k.images) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert.equal(min, 0);
  assert.equal(max, 1);
  const train = await loadMnist({ split: 'train', flatten: true, limit: 10 });
  assert.deepEqual(train.shape, [10, 784]);
  // The first MNIST training labels are well known: 5 0 4 1 9 2 1 3 1 4.
  assert.deepEqual(Array.from(train.labels), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  assert.ok(train.labels instanceof Int32Array);
});
