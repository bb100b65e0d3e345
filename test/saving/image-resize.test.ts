// Image folders of mixed sizes: `size: [h, w]` resizes every image bilinearly (torch's interpolate with
// align_corners=False), in training and in predict, recorded in preprocess.json.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import * as ts from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-resize-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const close = (a: ArrayLike<number>, b: readonly number[]) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6, `${i}: ${a[i]} vs ${b[i]}`);
};

describe('image resizing', () => {
  it('matches torch F.interpolate(bilinear, align_corners=False) up and down', () => {
    // torch 1.13: F.interpolate(torch.tensor([[[[0., 1.], [2., 3.]]]]), size=(4, 4), mode='bilinear')
    const up = ts.data.resizeImage({ data: Float32Array.of(0, 1, 2, 3), shape: [1, 2, 2] }, 4, 4);
    assert.deepEqual(up.shape, [1, 4, 4]);
    close(
      up.data as Float32Array,
      [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3],
    );
    // F.interpolate(torch.arange(12.).reshape(1, 1, 3, 4), size=(2, 3), mode='bilinear')
    const down = ts.data.resizeImage(
      { data: Float32Array.from({ length: 12 }, (_, i) => i), shape: [1, 3, 4] },
      2,
      3,
    );
    close(
      down.data as Float32Array,
      [1.1666667461395264, 2.5, 3.8333334922790527, 7.166666984558105, 8.5, 9.833333015441895],
    );
  });

  it('saving.fit on an image folder of mixed sizes; predict resizes a PNG of yet another size', async () => {
    const root = join(dir, 'imgs');
    const pngOf = (v: number, w: number, h: number) => {
      const png = new PNG({ width: w, height: h });
      for (let p = 0; p < w * h; p++) png.data.set([v, v, v, 255], p * 4);
      return PNG.sync.write(png);
    };
    for (const [c, v] of [
      ['dark', 30],
      ['light', 220],
    ] as const) {
      mkdirSync(join(root, c), { recursive: true });
      for (let i = 0; i < 12; i++)
        writeFileSync(join(root, c, `${i}.png`), pngOf(v + i, 4 + (i % 3), 3 + (i % 2)));
    }
    const r = await ts.saving.fit({
      data: { source: 'imageFolder', path: root, channels: 1, flatten: true, size: [3, 4] },
      model: {
        className: 'Sequential',
        config: { layers: [{ className: 'Linear', config: { inFeatures: 'auto', outFeatures: 'auto' } }] },
      } as unknown as ts.nn.ModuleConfig,
      loss: 'crossEntropy',
      optimizer: { name: 'adam', lr: 0.1 },
      training: { epochs: 10, batchSize: 8 },
    });
    assert.equal(r.metrics.accuracy, 1);
    const v = r.model.save(join(dir, 'm'));
    assert.equal(JSON.parse(readFileSync(join(v, 'preprocess.json'), 'utf8')).resize, true);
    const back = ts.saving.load(join(dir, 'm'));
    const p = back.predict([pngOf(35, 9, 7), pngOf(230, 2, 2)]);
    assert.deepEqual(
      p.map((q) => (q as { label: string }).label),
      ['dark', 'light'],
    );
    // Without size, mixed sizes are refused naming the file, as before.
    await assert.rejects(
      ts.saving.fit({
        data: { source: 'imageFolder', path: root, channels: 1 },
        model: { className: 'Flatten' } as ts.nn.ModuleConfig,
        loss: 'crossEntropy',
        optimizer: { name: 'adam' },
      }),
      /all images must share one size/,
    );
  });
});
