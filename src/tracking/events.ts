/**
 * Writes TensorBoard event files: `events.out.tfevents.<secs>.<host>.<pid>.<n>` in a log directory, each
 * record an Event proto (src/tracking/tensorboard.proto) framed as TFRecord. The first record carries the
 * file version TensorBoard expects ("brain.Event:2"). Records are written synchronously as they come, so a
 * TensorBoard (or the tests) reading the file while a fit runs sees every step logged so far.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import protobuf from 'protobufjs';
import { check, fail } from '../core/errors.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { TENSORBOARD_PROTO } from './tb-schema.ts';
import { frameRecord } from './tfrecord.ts';

let root: protobuf.Root | null = null;

/** A message type of the embedded TensorBoard schema ('Event', 'Summary', 'HistogramProto'), parsed once. */
export function tensorboardType(name: string): protobuf.Type {
  root ??= protobuf.parse(TENSORBOARD_PROTO, { keepCase: false }).root;
  return root.lookupType(`tensorboard.${name}`);
}

/** HistogramProto's fields (camelCase, as protobufjs gives them). */
export interface Histogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  /** Right edge of each bucket; the first bucket starts at `min`. */
  bucketLimit: number[];
  /** Count in each bucket. */
  bucket: number[];
}

/**
 * A histogram of the finite values in `bucketCount` equal-width buckets from min to max (non-finite values
 * are left out: TensorBoard cannot draw them, and TerminateOnNaN reports them). All-equal values make one bucket.
 */
export function histogramOf(values: ArrayLike<number>, bucketCount = 30): Histogram {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    num++;
    sum += v;
    sumSquares += v * v;
  }
  if (num === 0) return { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [] };
  if (min === max) return { min, max, num, sum, sumSquares, bucketLimit: [max], bucket: [num] };
  const width = (max - min) / bucketCount;
  const bucket = new Array<number>(bucketCount).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    bucket[Math.min(bucketCount - 1, Math.floor((v - min) / width))]!++;
  }
  const bucketLimit = bucket.map((_, i) => (i === bucketCount - 1 ? max : min + (i + 1) * width));
  return { min, max, num, sum, sumSquares, bucketLimit, bucket };
}

let fileCounter = 0;

/** An open event file. `close()` when done; every `add*` writes its record at once. */
export class EventWriter {
  readonly path: string;
  private fd: number | null;

  constructor(logDir: string) {
    try {
      mkdirSync(logDir, { recursive: true });
    } catch (e) {
      fail('EventWriter', `cannot create the log directory ${logDir}: ${(e as Error).message}`);
    }
    const secs = Math.floor(Date.now() / 1000);
    this.path = join(logDir, `events.out.tfevents.${secs}.${hostname()}.${process.pid}.${fileCounter++}`);
    this.fd = openSync(this.path, 'a');
    this.writeEvent({ wallTime: Date.now() / 1000, step: 0, fileVersion: 'brain.Event:2' });
  }

  private writeEvent(event: Record<string, unknown>): void {
    check(this.fd !== null, 'EventWriter', () => `${this.path} is closed`);
    const T = tensorboardType('Event');
    const bytes = T.encode(T.fromObject(event)).finish();
    writeSync(this.fd, frameRecord(bytes));
  }

  private writeValue(step: number, value: Record<string, unknown>, wallTime: number): void {
    check(
      Number.isInteger(step) && step >= 0,
      'EventWriter',
      () => `step must be an integer >= 0, got ${step}`,
    );
    this.writeEvent({ wallTime, step, summary: { value: [value] } });
  }

  /** One scalar (TensorBoard's Scalars tab) at `step`. */
  addScalar(tag: string, value: number, step: number, wallTime = Date.now() / 1000): void {
    this.writeValue(step, { tag, simpleValue: value }, wallTime);
  }

  /** A histogram of the values (TensorBoard's Histograms and Distributions tabs). */
  addHistogram(
    tag: string,
    values: ArrayLike<number> | Histogram,
    step: number,
    wallTime = Date.now() / 1000,
  ): void {
    const histo = 'bucketLimit' in values ? values : histogramOf(values);
    this.writeValue(step, { tag, histo }, wallTime);
  }

  /** An encoded PNG image (TensorBoard's Images tab). */
  addImagePng(
    tag: string,
    png: Uint8Array,
    size: { height: number; width: number; channels: number },
    step: number,
    wallTime = Date.now() / 1000,
  ): void {
    const image = {
      height: size.height,
      width: size.width,
      colorspace: size.channels,
      encodedImageString: png,
    };
    this.writeValue(step, { tag, image }, wallTime);
  }

  /**
   * An image from a tensor [H, W] or [C, H, W] (C = 1 or 3) with values in [0, 1] (clamped), as PNG.
   */
  addImage(tag: string, image: Tensor, step: number, wallTime = Date.now() / 1000): void {
    const dims = image.shape;
    check(
      dims.length === 2 || (dims.length === 3 && (dims[0] === 1 || dims[0] === 3)),
      'EventWriter.addImage',
      () => `${tag}: the image must be [H, W] or [C, H, W] with C = 1 or 3, got [${dims.join(', ')}]`,
    );
    const c = dims.length === 2 ? 1 : dims[0]!;
    const h = dims[dims.length - 2]!;
    const w = dims[dims.length - 1]!;
    const data = image.dataSync();
    const png = new PNG({ width: w, height: h });
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 4;
        for (let k = 0; k < 3; k++) {
          const v = Number(data[(c === 1 ? 0 : k) * h * w + y * w + x]);
          png.data[o + k] = Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
        }
        png.data[o + 3] = 255;
      }
    const bytes = PNG.sync.write(png);
    this.addImagePng(tag, bytes, { height: h, width: w, channels: 4 }, step, wallTime);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

/** A decoded Event (the fields this library writes), for reading event files back. */
export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: {
    value: {
      tag: string;
      simpleValue?: number;
      histo?: Histogram;
      image?: { height: number; width: number; colorspace: number; encodedImageString: Uint8Array };
    }[];
  };
}

/** Decodes one Event record (the data of a TFRecord). */
export function decodeEvent(bytes: Uint8Array): DecodedEvent {
  const T = tensorboardType('Event');
  const obj = T.toObject(T.decode(bytes), { longs: Number, defaults: false, arrays: true });
  return { wallTime: 0, step: 0, ...obj } as DecodedEvent;
}
