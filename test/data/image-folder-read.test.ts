import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import type { Sample } from '../../src/data/dataset.ts';
import { ImageFolder } from '../../src/data/image.ts';
import { readImageFolder } from '../../src/data/image-folder-read.ts';

// 300 generated 6x5 grey PNGs in three class folders; pixel value encodes the image's index.
const root = mkdtempSync(join(tmpdir(), 'ts-imgfolder-'));
const classes = ['cat', 'dog', 'owl'];
for (const c of classes) mkdirSync(join(root, c));
for (let i = 0; i < 300; i++) {
  const png = new PNG({ width: 6, height: 5 });
  for (let p = 0; p < 30; p++) {
    png.data[4 * p] = i % 251;
    png.data[4 * p + 1] = i % 251;
    png.data[4 * p + 2] = i % 251;
    png.data[4 * p + 3] = 255;
  }
  writeFileSync(join(root, classes[i % 3]!, `img${String(i).padStart(3, '0')}.png`), PNG.sync.write(png));
}

// Counts how many reads are in flight at once (each read holds one open file).
class CountingFolder extends ImageFolder {
  inFlight = 0;
  maxInFlight = 0;
  override async get(i: number): Promise<Sample> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await super.get(i);
    } finally {
      this.inFlight--;
    }
  }
}

test('readImageFolder reads 300 PNGs with at most `concurrency` files open', async () => {
  const ds = new CountingFolder(root, { channels: 1 });
  let progress = 0;
  const out = await readImageFolder(ds, { concurrency: 7, onProgress: (d) => (progress = d) });
  assert.ok(ds.maxInFlight <= 7, `max in flight ${ds.maxInFlight}`);
  assert.ok(ds.maxInFlight >= 2, 'the pool reads in parallel');
  assert.equal(progress, 300);
  assert.deepEqual(out.shape, [300, 1, 5, 6]);
  assert.deepEqual(out.classes, classes);
  // Sample k of the sorted listing sits at k * 30 with its own pixel value and label.
  for (let k = 0; k < 300; k += 37) {
    const idx = Number(out.paths[k]!.match(/img(\d+)/)![1]);
    assert.equal(out.labels[k], idx % 3);
    assert.ok(Math.abs(out.pixels[k * 30 + 11]! - (idx % 251) / 255) < 1e-6);
  }
});

test('readImageFolder turns EMFILE into an error naming the file and the remedy', async () => {
  class Exhausted extends ImageFolder {
    override async get(i: number): Promise<Sample> {
      if (i === 5) throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
      return super.get(i);
    }
  }
  await assert.rejects(
    readImageFolder(new Exhausted(root, { channels: 1 }), { concurrency: 4 }),
    /\[readImageFolder\] .*img\d+\.png: too many open files \(EMFILE\); lower the concurrency/,
  );
  await assert.rejects(readImageFolder(root, { concurrency: 0 }), /concurrency must be a positive integer/);
});

test('readImageFolder refuses images of different sizes, naming both files', async () => {
  const mixed = mkdtempSync(join(tmpdir(), 'ts-imgmixed-'));
  mkdirSync(join(mixed, 'a'));
  for (const [name, w] of [
    ['x1.png', 4],
    ['x2.png', 5],
  ] as const) {
    const png = new PNG({ width: w, height: 4 });
    png.data.fill(255);
    writeFileSync(join(mixed, 'a', name), PNG.sync.write(png));
  }
  await assert.rejects(readImageFolder(mixed), /x2\.png: 5x4 pixels .* but .*x1\.png has 4x4/);
});
