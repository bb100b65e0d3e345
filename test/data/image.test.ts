import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import '../../src/backends/ref/index.ts';
import { DataLoader } from '../../src/data/dataloader.ts';
import { assertFinite } from '../../src/data/finite.ts';
import { decodeImage, ImageFolder, readImage } from '../../src/data/image.ts';
import { makeTable } from '../../src/data/table.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-img-'));

/** A w x h RGBA image whose pixel (x, y) is (10x, 20y, 7(x+y), 255 - x). */
function pattern(w: number, h: number): Uint8Array {
  const px = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) px.set([10 * x, 20 * y, 7 * (x + y), 255 - x], 4 * (y * w + x));
  return px;
}

function png(w: number, h: number): Buffer {
  const p = new PNG({ width: w, height: h });
  p.data = Buffer.from(pattern(w, h));
  return PNG.sync.write(p);
}

test('decodeImage: PNG exact in RGB, RGBA and grayscale; JPEG within lossy tolerance', () => {
  const bytes = png(4, 3);
  const rgb = decodeImage(bytes);
  assert.deepEqual(rgb.shape, [3, 3, 4]);
  // pixel (x=2, y=1): R = 20, G = 20, B = 21
  const at = (c: number, y: number, x: number) => Math.round(rgb.data[c * 12 + y * 4 + x]! * 255);
  assert.deepEqual([at(0, 1, 2), at(1, 1, 2), at(2, 1, 2)], [20, 20, 21]);
  const rgba = decodeImage(bytes, { channels: 4 });
  assert.equal(Math.round(rgba.data[3 * 12 + 1 * 4 + 2]! * 255), 253);
  const gray = decodeImage(bytes, { channels: 1 });
  assert.deepEqual(gray.shape, [1, 3, 4]);
  assert.equal(Math.round(gray.data[1 * 4 + 2]! * 255), Math.floor((20 * 299 + 20 * 587 + 21 * 114) / 1000));

  const flat = new Uint8Array(16 * 16 * 4).fill(200);
  const jpg = jpeg.encode({ data: flat, width: 16, height: 16 }, 95).data;
  const j = decodeImage(jpg);
  assert.deepEqual(j.shape, [3, 16, 16]);
  for (const v of j.data) assert.ok(Math.abs(v * 255 - 200) <= 2, `jpeg value ${v * 255}`);
});

test('decodeImage / readImage: corrupt and unknown files are rejected', async () => {
  const bytes = png(8, 8);
  assert.throws(
    () => decodeImage(bytes.subarray(0, 40), { name: 'cut.png' }),
    /\[decodeImage\] cut\.png: corrupt image/,
  );
  const badCrc = Buffer.from(bytes);
  badCrc[40] = badCrc[40]! ^ 0xff;
  assert.throws(() => decodeImage(badCrc, { name: 'crc.png' }), /crc\.png: corrupt image/);
  assert.throws(
    () => decodeImage(new TextEncoder().encode('GIF89a...'), { name: 'x.gif' }),
    /x\.gif: not a PNG or JPEG file \(first bytes 47 49 46 38\)/,
  );
  assert.throws(
    () => decodeImage(Uint8Array.of(0xff, 0xd8, 0xff, 0x00, 0x01), { name: 'bad.jpg' }),
    /bad\.jpg: corrupt image/,
  );
  await assert.rejects(readImage(join(dir, 'none.png')), /\[readImage\] .*none\.png: no such file/);
});

test('ImageFolder: one folder per class, loads through a DataLoader', async () => {
  const root = join(dir, 'folder');
  for (const [cls, n] of [
    ['cat', 2],
    ['dog', 3],
  ] as const) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < n; i++) writeFileSync(join(root, cls, `${i}.png`), png(4, 3));
  }
  writeFileSync(join(root, 'dog', 'notes.txt'), 'ignored');
  const ds = new ImageFolder(root);
  assert.deepEqual(ds.classes, ['cat', 'dog']);
  assert.equal(ds.length, 5);
  const [img, label] = await ds.get(3);
  assert.deepEqual(img!.shape, [3, 3, 4]);
  assert.equal(label!.data[0], 1);
  const labels: number[] = [];
  for await (const [x, y] of new DataLoader(ds, { batchSize: 5 })) {
    assert.deepEqual(x!.shape, [5, 3, 3, 4]);
    labels.push(...Array.from(y!.toTypedArray()));
  }
  assert.deepEqual(labels, [0, 0, 1, 1, 1]);
  assert.throws(() => new ImageFolder(join(dir, 'nope')), /\[ImageFolder\] .*nope: not a readable directory/);
});

test('assertFinite names the column and row (tables) or row and column (arrays)', () => {
  const t = makeTable({ a: Float64Array.of(1, 2), b: Float64Array.of(0, Number.NaN), s: ['x', null] });
  assert.throws(() => assertFinite(t, 'train'), {
    message: '[assertFinite] train: column "b" data row 2 is NaN; impute or drop it before training',
  });
  assert.doesNotThrow(() => assertFinite(makeTable({ a: Float64Array.of(1, 2), s: ['x', null] })));
  assert.throws(
    () => assertFinite({ data: Float32Array.of(0, 1, 2, Number.POSITIVE_INFINITY), shape: [2, 2] }),
    /row 1, column 1 is Infinity/,
  );
  assert.throws(() => assertFinite(Float32Array.of(0, Number.NEGATIVE_INFINITY)), /index 1 is -Infinity/);
});
