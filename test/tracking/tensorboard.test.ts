import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import { SGD } from '../../src/optim/index.ts';
import { TENSORBOARD_PROTO } from '../../src/tracking/tb-schema.ts';
import { compile } from '../../src/train/index.ts';
import { toyData, toyModel } from '../train/setup.ts';
import { crc32cBitwise, readEvents } from './tfevents-reader.ts';

const root = mkdtempSync(join(tmpdir(), 'ts-tb-'));
after(() => rmSync(root, { recursive: true, force: true }));
const bytes = (s: string) => new TextEncoder().encode(s);

describe('CRC-32C', () => {
  it('matches the published check value and the independent bitwise version', () => {
    assert.equal(ts.tracking.crc32c(bytes('123456789')), 0xe3069283);
    assert.equal(crc32cBitwise(bytes('123456789')), 0xe3069283);
    const b = new Uint8Array(1000).map((_, i) => (i * 7919) & 0xff);
    assert.equal(ts.tracking.crc32c(b), crc32cBitwise(b));
  });
});

describe('TFRecord framing', () => {
  it('round-trips and refuses a flipped byte', () => {
    const recs = [bytes('a'), bytes(''), bytes('hello world')];
    const file = new Uint8Array(recs.flatMap((r) => Array.from(ts.tracking.frameRecord(r))));
    assert.deepEqual(
      ts.tracking.readRecords(file).map((r) => new TextDecoder().decode(r)),
      ['a', '', 'hello world'],
    );
    const bad = file.slice();
    bad[14] = bad[14]! ^ 1;
    assert.throws(() => ts.tracking.readRecords(bad, 'x.tfevents'), /x\.tfevents: data CRC mismatch/);
  });
});

describe('TensorBoard callback', () => {
  it('writes per-step and per-epoch scalars and weight/gradient histograms that parse with the event schema', async () => {
    const data = toyData();
    const m = toyModel(1);
    const t = compile(m, {
      optimizer: new SGD(m.parameters(), { lr: 0.05 }),
      loss: 'crossEntropy',
      metrics: ['accuracy'],
    });
    const logDir = join(root, 'run', 'tensorboard');
    const batchLosses: number[] = [];
    const spy = new ts.train.LambdaCallback({ onTrainBatchEnd: (_b, l) => void batchLosses.push(l.loss!) });
    const tb = new ts.tracking.TensorBoard({ logDir });
    const h = await t.fit(data.x, data.y, {
      epochs: 3,
      batchSize: 16,
      validationSplit: 0.25,
      callbacks: [spy, tb],
      verbose: 0,
    });
    const files = readdirSync(logDir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^events\.out\.tfevents\.\d+\..+\.\d+\.\d+$/);
    const events = readEvents(readFileSync(join(logDir, files[0]!)));
    assert.equal(events[0]!.fileVersion, 'brain.Event:2');
    const scalars = (tag: string) =>
      events.flatMap((e) => e.values.filter((v) => v.tag === tag).map((v) => [e.step, v.simple!] as const));
    // 36 training rows in batches of 16: 3 steps an epoch, 9 in all, on one step axis.
    const steps = scalars('batch/loss');
    assert.deepEqual(
      steps.map(([s]) => s),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
    for (const [i, [, v]] of steps.entries()) assert.ok(Math.abs(v - batchLosses[i]!) < 1e-6);
    for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const) {
      const got = scalars(`epoch/${key}`);
      assert.deepEqual(
        got.map(([s]) => s),
        [0, 1, 2],
      );
      for (const [i, [, v]] of got.entries())
        assert.ok(Math.abs(v - h.history[key]![i]!) < 1e-6, `${key}[${i}]`);
    }
    assert.equal(scalars('system/samples_per_sec').length, 3);
    const hist = events.flatMap((e) =>
      e.values.filter((v) => v.histo !== undefined).map((v) => ({ step: e.step, ...v })),
    );
    const w0 = hist.filter((v) => v.tag === 'weights/0.weight');
    assert.deepEqual(
      w0.map((v) => v.step),
      [0, 1, 2],
    );
    const last = w0[2]!.histo!;
    assert.equal(last.num, 32);
    assert.equal(
      last.counts.reduce((a, b) => a + b, 0),
      32,
    );
    const w = Array.from(
      m
        .namedParameters()
        .find(([n]) => n === '0.weight')![1]
        .dataSync(),
    );
    assert.ok(Math.abs(last.min - Math.min(...w)) < 1e-7 && Math.abs(last.max - Math.max(...w)) < 1e-7);
    assert.equal(last.limits.at(-1), last.max);
    assert.equal(hist.filter((v) => v.tag === 'grads/2.bias').length, 3);
  });

  it('writes images as PNG and refuses unknown options with a did-you-mean', () => {
    const w = new ts.tracking.EventWriter(join(root, 'img'));
    w.addImage('sample', ts.tensor(new Float32Array([0, 0.5, 1, 0.25, 0.75, 1]), { shape: [2, 3] }), 4);
    w.close();
    const ev = readEvents(readFileSync(w.path)).find((e) => e.values.some((v) => v.image !== undefined))!;
    assert.equal(ev.step, 4);
    const im = ev.values[0]!.image!;
    assert.deepEqual([im.height, im.width], [2, 3]);
    assert.deepEqual(Array.from(im.png.subarray(1, 4)), [0x50, 0x4e, 0x47]); // "PNG"
    assert.throws(
      () => new ts.tracking.TensorBoard({ logDir: 'x', histogram_freq: 2 } as never),
      /did you mean "histogramFreq"/,
    );
    assert.throws(
      () => new ts.tracking.TensorBoard({ logDir: 'x', updateFreq: 'step' as never }),
      /updateFreq/,
    );
  });

  it('embeds the committed .proto subset unchanged', () => {
    const proto = readFileSync(new URL('../../src/tracking/tensorboard.proto', import.meta.url), 'utf8');
    assert.equal(TENSORBOARD_PROTO, proto, 'run node scripts/gen_tb_schema.mjs');
  });
});
