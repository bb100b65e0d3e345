import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from '../../src/data/idx.ts';
import { loadMnist } from '../../src/data/mnist.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-mnist-files-'));

// An EMNIST-like pair: 4 images of 5x7 pixels, letters labelled from 1, images gzip-compressed.
function writePair(): { images: string; labels: string } {
  const pixels = new Uint8Array(4 * 5 * 7);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 13) % 256;
  const images = join(dir, 'letters-images-idx3-ubyte.gz');
  const labels = join(dir, 'letters-labels-idx1-ubyte');
  writeFileSync(images, gzipSync(encodeIdx({ shape: [4, 5, 7], data: pixels })));
  writeFileSync(labels, encodeIdx({ shape: [4], data: new Uint8Array([1, 26, 3, 1]) }));
  return { images, labels };
}

test('loadMnist reads any IDX image/label pair: its own size, labels as stored', async () => {
  const files = writePair();
  const m = await loadMnist(files);
  assert.equal(m.length, 4);
  assert.deepEqual(m.shape, [4, 1, 5, 7]);
  assert.deepEqual(Array.from(m.labels), [1, 26, 3, 1]);
  assert.ok(Math.abs(m.images[3]! - 39 / 255) < 1e-7);
  const flat = await loadMnist({ ...files, flatten: true, limit: 2 });
  assert.deepEqual(flat.shape, [2, 35]);
});

test('loadMnist refuses half a pair and files of the wrong shape, naming them', async () => {
  const files = writePair();
  await assert.rejects(loadMnist({ images: files.images }), /images and labels are given together/);
  const wrong = join(dir, 'wrong-labels');
  writeFileSync(wrong, encodeIdx({ shape: [3], data: new Uint8Array([1, 2, 3]) }));
  await assert.rejects(
    loadMnist({ images: files.images, labels: wrong }),
    /wrong-labels: expected 4 integer labels, got shape \[3\]/,
  );
  await assert.rejects(
    loadMnist({ images: files.labels, labels: files.labels }),
    /letters-labels-idx1-ubyte: expected uint8 images \[N, H, W\]/,
  );
});
