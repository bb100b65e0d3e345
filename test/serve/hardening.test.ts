// Regressions from the abuse run: decompression bombs, non-finite answers, loose v1 values, deep JSON,
// a fixed batching delay, and errors that bypassed the JSON form or the metrics.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import * as ts from '../../src/index.ts';
import { Batcher } from '../../src/serve/batcher.ts';
import { ServeError } from '../../src/serve/errors.ts';
import { readImageHeader } from '../../src/serve/image-header.ts';
import type { RecordPrediction, RecordSchema, ServedModel, TensorSpec } from '../../src/serve/model.ts';
import { errorOf, get, inferBody, post, SUITE, start } from './helpers.ts';
import { RecordModel, smallDense } from './models.ts';

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * An 8-bit grayscale PNG of `width` x `height`: a real (black) one, or with `headerOnly` a tiny IDAT that
 * does not match the IHDR, which is all a bomb check may look at.
 */
function png(width: number, height: number, headerOnly = false): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk(
      'IDAT',
      headerOnly
        ? Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
        : deflateSync(Buffer.alloc(height * (width + 1))),
    ),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG's first segments (SOI, APP0, SOF0) claiming `width` x `height`. */
function jpegHeaderOnly(width: number, height: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const sof = Buffer.from([
    0xff,
    0xc0,
    0x00,
    0x0b,
    8,
    height >> 8,
    height & 255,
    width >> 8,
    width & 255,
    1,
    1,
    0x11,
    0,
  ]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])]);
}

/** A record model that decodes base64 images itself and counts the records it was given. */
class ImageRecordModel implements ServedModel {
  readonly inputs: readonly TensorSpec[] = [{ name: 'pixels', datatype: 'FP32', shape: [-1, 4] }];
  readonly outputs: readonly TensorSpec[] = [{ name: 'score', datatype: 'FP32', shape: [-1, 1] }];
  readonly decoded: number[] = [];
  constructor(
    readonly name: string,
    readonly records?: RecordSchema,
    readonly version = '1',
  ) {}
  async infer(): Promise<never> {
    throw new Error('not used');
  }
  async predictRecords(records: readonly unknown[]): Promise<RecordPrediction[]> {
    return records.map((r) => {
      if (typeof r !== 'string') return { label: 'pixels' };
      const img = ts.data.decodeImage(Buffer.from(r, 'base64'), { channels: 1 });
      this.decoded.push(img.data.length);
      return { label: 'image' };
    });
  }
}

/** A tabular record model whose probabilities are NaN when told so (a model that overflowed). */
class NanModel extends RecordModel {
  override async predictRecords(records: readonly unknown[]): Promise<RecordPrediction[]> {
    return records.map((r) =>
      (r as { nan?: boolean }).nan
        ? { label: 'A', probabilities: { A: Number.NaN, B: Number.NaN } }
        : { label: 'B' },
    );
  }
}

const b64 = (b: Buffer) => b.toString('base64');

describe('serve: readImageHeader', () => {
  it('reads the size of real PNG and JPEG files and refuses truncated headers', () => {
    const p = new PNG({ width: 7, height: 5 });
    p.data.fill(128);
    assert.deepEqual(readImageHeader('t', 'a', PNG.sync.write(p)), { format: 'png', width: 7, height: 5 });
    const j = jpeg.encode({ data: Buffer.alloc(7 * 5 * 4, 200), width: 7, height: 5 }, 80).data;
    assert.deepEqual(readImageHeader('t', 'b', j), { format: 'jpeg', width: 7, height: 5 });
    assert.equal(readImageHeader('t', 'c', Buffer.from('hello')), undefined);
    assert.throws(() => readImageHeader('t', 'd', png(10, 10).subarray(0, 20)), /^.*d: truncated PNG header/);
    assert.throws(
      () => readImageHeader('t', 'e', Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2, 0xff, 0xd9])),
      /e: JPEG has no frame header/,
    );
  });
});

describe('serve: image headers are checked before decoding', SUITE, () => {
  it('refuses a 16000x16000 PNG and an 8000x8000 JPEG from their headers, without decoding', async () => {
    const model = new ImageRecordModel('img');
    const { server, url } = await start({ models: [model] });
    try {
      const t0 = performance.now();
      const pngAnswer = await post(`${url}/v1/models/img/predict`, {
        instances: [b64(png(16000, 16000, true))],
      });
      assert.equal(pngAnswer.status, 400, pngAnswer.text);
      assert.match(
        errorOf(pngAnswer),
        /^\[predict\] instance 0: png image is 16000x16000 \(256000000 pixels\), over the limit of 4194304/,
      );
      const jpg = await post(`${url}/v1/models/img/predict`, {
        instances: [{ b64: b64(jpegHeaderOnly(8000, 8000)) }],
      });
      assert.equal(jpg.status, 400, jpg.text);
      assert.match(errorOf(jpg), /instance 0: jpeg image is 8000x8000/);
      assert.ok(performance.now() - t0 < 2_000);
      assert.deepEqual(model.decoded, [], 'nothing was decoded');
    } finally {
      await server.close();
    }
  });

  it('bounds the decoded pixels of a whole request, and lets images within the bound through', async () => {
    const model = new ImageRecordModel('img');
    const { server, url } = await start({ models: [model], maxImagePixels: 1000 });
    try {
      const one = await post(`${url}/v1/models/img/predict`, { instances: [b64(png(30, 30))] });
      assert.equal(one.status, 200, one.text);
      assert.deepEqual(model.decoded, [900], 'an image within the bound reaches the model');
      const two = await post(`${url}/v1/models/img/predict`, {
        instances: [b64(png(30, 30)), b64(png(30, 30))],
      });
      assert.equal(two.status, 400, two.text);
      assert.match(errorOf(two), /images up to instance 1 hold 1800 pixels in all, over the limit of 1000/);
    } finally {
      await server.close();
    }
  });

  it('checks a declared image size from the header and pixel arrays for type and range', async () => {
    const model = new ImageRecordModel('mnist', { kind: 'image', channels: 1, height: 2, width: 2 });
    const { server, url } = await start({ models: [model] });
    const predict = (instances: unknown[]) => post(`${url}/v1/models/mnist/predict`, { instances });
    try {
      const big = await predict([b64(png(28, 28))]);
      assert.equal(big.status, 400, big.text);
      assert.match(errorOf(big), /instance 0: png image is 28x28, the model takes 2x2/);
      for (const [pixels, pattern] of [
        [['a', 0, 0, 0], /instance 0: pixel 0 is "a", expected a number in \[0, 1\]/],
        [[0, 255, 0, 0], /pixel 1 is 255/],
        [[0, 0, null, 0], /pixel 2 is null/],
        [[0, 0, 0, '0.5'], /pixel 3 is "0.5"/],
        [[0, 0, 0], /expected 4 pixel values/],
      ] as const) {
        const a = await predict([{ pixels }]);
        assert.equal(a.status, 400, a.text);
        assert.match(errorOf(a), pattern);
      }
      const ok = await predict([[0, 0.5, 1, 0.25], { pixels: [1, 1, 1, 1] }]);
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(model.decoded, []);
    } finally {
      await server.close();
    }
  });
});

describe('serve: no null in a successful answer', SUITE, () => {
  it('answers 422 naming the input when the model overflows to Infinity (v2 and v1)', async () => {
    const { server, url } = await start({ models: [smallDense()] });
    try {
      const v2 = await post(`${url}/v2/models/dense/infer`, inferBody([[3.4e38, 3.4e38, 3.4e38]]));
      assert.equal(v2.status, 422, v2.text);
      assert.match(errorOf(v2), /^\[infer\] output 'y' is Infinity at index 0 \(row 0\).*input 'x'/);
      const v1 = await post(`${url}/v1/models/dense/predict`, {
        instances: [
          [1, 2, 3],
          [3.4e38, 3.4e38, 3.4e38],
        ],
      });
      assert.equal(v1.status, 422, v1.text);
      assert.match(errorOf(v1), /^\[predict\] output 'y' is Infinity at index 2 \(row 1\)/);
      const fine = await post(`${url}/v1/models/dense/predict`, { instances: [[1, 2, 3]] });
      assert.equal(fine.status, 200, fine.text);
    } finally {
      await server.close();
    }
  });

  it('answers 422 for a record prediction with NaN probabilities', async () => {
    const { server, url } = await start({ models: [new NanModel('nan')] });
    try {
      const a = await post(`${url}/v1/models/nan/predict`, { instances: [{ nan: false }, { nan: true }] });
      assert.equal(a.status, 422, a.text);
      assert.match(errorOf(a), /instance 1: the model's probability of 'A' is NaN/);
    } finally {
      await server.close();
    }
  });

  it('validates every tabular value: finite JSON numbers or null, no numeric strings', async () => {
    class Tabular extends RecordModel {
      readonly records: RecordSchema = { kind: 'tabular', numeric: ['a', 'b'], categorical: ['c'] };
    }
    const model = new Tabular('tab');
    const { server, url } = await start({ models: [model] });
    const predict = (body: string) => post(`${url}/v1/models/tab/predict`, body);
    try {
      const inf = await predict('{"instances":[{"a":1e999,"b":1,"c":"x"}]}');
      assert.equal(inf.status, 400, inf.text);
      assert.match(errorOf(inf), /instance 0, column 'a': expected a finite number or null, got null/);
      const str = await predict('{"instances":[{"a":1,"b":"12.5","c":"x"}]}');
      assert.equal(str.status, 400, str.text);
      assert.match(errorOf(str), /column 'b': expected a finite number or null, got "12.5"/);
      const cat = await predict('{"instances":[{"a":1,"b":2,"c":{"x":1}}]}');
      assert.match(errorOf(cat), /column 'c': expected a string, number or null/);
      const missing = await predict('{"instances":[{"a":1}]}');
      assert.match(errorOf(missing), /instance 0 lacks columns b, c/);
      assert.deepEqual(model.calls, [], 'no bad record reached the model');
      const ok = await predict('{"instances":[{"a":2,"b":1,"c":null,"extra":"ignored"}]}');
      assert.equal(ok.status, 200, ok.text);
    } finally {
      await server.close();
    }
  });
});

describe('serve: parsing limits', SUITE, () => {
  it('refuses JSON nested a million levels deep in an ignored field, quickly', async () => {
    const { server, url } = await start({ models: [smallDense()] });
    try {
      const depth = 1_000_000;
      const body = `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]}],"junk":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const t0 = performance.now();
      const a = await post(`${url}/v2/models/dense/infer`, body);
      const ms = performance.now() - t0;
      assert.equal(a.status, 400, a.text.slice(0, 200));
      assert.match(errorOf(a), /^\[infer\] JSON body nests deeper than 64 levels \(at byte \d+\)/);
      assert.ok(ms < 1_000, `took ${ms} ms`);
      // Brackets inside strings are text, not nesting.
      const quoted = await post(`${url}/v2/models/dense/infer`, {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }],
        id: '['.repeat(500),
      });
      assert.equal(quoted.status, 200, quoted.text);
    } finally {
      await server.close();
    }
  });

  it('answers 415 for gzip bodies and charsets other than UTF-8', async () => {
    const { server, url } = await start({ models: [smallDense()] });
    try {
      const json = JSON.stringify(inferBody([[1, 2, 3]]));
      const gz = await fetch(`${url}/v2/models/dense/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(json),
      });
      assert.equal(gz.status, 415);
      assert.match(
        ((await gz.json()) as { error: string }).error,
        /^\[infer\] Content-Encoding "gzip" is not supported/,
      );
      const u16 = await fetch(`${url}/v2/models/dense/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-16le' },
        body: Buffer.from(json, 'utf16le'),
      });
      assert.equal(u16.status, 415);
      assert.match(((await u16.json()) as { error: string }).error, /charset "utf-16le" is not supported/);
      const utf8 = await post(`${url}/v2/models/dense/infer`, json, {
        'content-type': 'application/json; charset=UTF-8',
      });
      assert.equal(utf8.status, 200, utf8.text);
    } finally {
      await server.close();
    }
  });
});

/** Writes raw bytes on a fresh connection and collects everything until the server closes it. */
function rawExchange(port: number, bytes: Buffer, holdMs = 15_000): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = connect(port, '127.0.0.1', () => c.write(bytes));
    let text = '';
    const guard = setTimeout(() => c.destroy(), holdMs);
    c.on('data', (d) => {
      text += d.toString('utf8');
    });
    c.on('error', reject);
    c.on('close', () => {
      clearTimeout(guard);
      resolve({ text, ms: performance.now() - t0 });
    });
  });
}

function jsonErrorOf(raw: string): string {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  return (JSON.parse(body) as { error: string }).error;
}

describe('serve: every error in the JSON form and in the metrics', SUITE, () => {
  it('answers raw UTF-8 in the URL and oversize headers with a JSON error, counted', async () => {
    const { server, url } = await start({ models: [smallDense()] });
    const port = Number(new URL(url).port);
    try {
      const utf8 = await rawExchange(
        port,
        Buffer.from('GET /v2/models/\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n', 'utf8'),
      );
      assert.match(utf8.text, /^HTTP\/1.1 400 /);
      assert.match(jsonErrorOf(utf8.text), /^\[server\] invalid request URL/);
      const big = await rawExchange(
        port,
        Buffer.from(`GET /v2 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      );
      assert.match(big.text, /^HTTP\/1.1 431 /);
      assert.match(jsonErrorOf(big.text), /^\[server\] request headers are too large/);
      const m = await get(`${url}/metrics`);
      assert.match(
        m.text,
        /tensorscript_http_requests_total\{method="unparsed",route="unmatched",status="400"\} 1/,
      );
      assert.match(
        m.text,
        /tensorscript_http_requests_total\{method="unparsed",route="unmatched",status="431"\} 1/,
      );
    } finally {
      await server.close();
    }
  });

  it('keeps one [op] prefix on errors re-thrown with a status', () => {
    assert.equal(
      new ServeError('predict', 400, '[predict] record 0: bad').message,
      '[predict] record 0: bad',
    );
    assert.equal(new ServeError('predict', 400, '[linear] bad').message, '[predict] [linear] bad');
  });

  it('labels batch sizes by kind and the KServe colon route by its documented pattern', async () => {
    const { server, url } = await start({ models: [smallDense(), new RecordModel()] });
    try {
      assert.equal(
        (
          await post(`${url}/v1/models/records:predict`, {
            instances: [
              { a: 1, b: 2 },
              { a: 2, b: 1 },
            ],
          })
        ).status,
        200,
      );
      assert.equal((await post(`${url}/v2/models/dense/infer`, inferBody([[1, 2, 3]]))).status, 200);
      const m = (await get(`${url}/metrics`)).text;
      assert.match(m, /tensorscript_batch_size_sum\{model="records",version="1",kind="records"\} 2/);
      assert.match(m, /tensorscript_batch_size_sum\{model="dense",version="1",kind="tensor"\} 1/);
      assert.match(
        m,
        /tensorscript_http_requests_total\{method="POST",route="\/v1\/models\/:name:predict",status="200"\} 1/,
      );
      assert.doesNotMatch(m, /\(\^/);
    } finally {
      await server.close();
    }
  });

  it('cuts a client that stalls in its body at the configured deadline (request timeout + 5 s)', async () => {
    const { server, url } = await start({ models: [smallDense()], requestTimeoutMs: 200 });
    try {
      const head =
        'POST /v2/models/dense/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"inp';
      const r = await rawExchange(Number(new URL(url).port), Buffer.from(head));
      assert.ok(r.ms >= 5_000 && r.ms < 8_000, `the stalled client was held ${Math.round(r.ms)} ms`);
      assert.match(r.text, /^HTTP\/1.1 408 /);
      assert.match(jsonErrorOf(r.text), /not received within 5200 ms/);
    } finally {
      await server.close();
    }
  });
});

describe('serve: adaptive batching delay', SUITE, () => {
  it('does not hold a single sequential client for the delay', async () => {
    const model = smallDense();
    const { server, url } = await start({ models: [model], batching: { maxQueueDelayMs: 300 } });
    try {
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) {
        const a = await post(`${url}/v2/models/dense/infer`, inferBody([[i, 1, 1]]));
        assert.equal(a.status, 200, a.text);
      }
      const ms = performance.now() - t0;
      assert.ok(ms < 1_000, `5 sequential requests took ${Math.round(ms)} ms with a 300 ms delay`);
      assert.deepEqual(model.calls, [1, 1, 1, 1, 1]);
    } finally {
      await server.close();
    }
  });

  it('still joins requests that arrive together, and waits for company once two are queued', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, number>(
      't',
      async (reqs) => {
        batches.push([...reqs]);
        return reqs;
      },
      { maxBatchSize: 8, maxQueueDelayMs: 40 },
    );
    const lone = performance.now();
    assert.equal(await b.submit(7, 1), 7);
    assert.ok(performance.now() - lone < 30, 'a lone request goes straight through');
    const t0 = performance.now();
    const first = [b.submit(1, 1), b.submit(2, 1)];
    await new Promise((r) => setTimeout(r, 10));
    const late = b.submit(3, 1);
    assert.deepEqual(await Promise.all([...first, late]), [1, 2, 3]);
    assert.ok(performance.now() - t0 >= 35, 'two queued requests waited for the delay');
    assert.deepEqual(batches, [[7], [1, 2, 3]]);
  });
});
