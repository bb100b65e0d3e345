// The binary tensor data extension: JSON header + raw little-endian tensor bytes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ServedModel } from '../../src/serve/model.ts';
import type { InferenceServer } from '../../src/serve/server.ts';
import { errorOf, get, SUITE, start } from './helpers.ts';
import { assertClose, smallDense } from './models.ts';

interface BinaryAnswer {
  status: number;
  contentType: string | null;
  json: {
    outputs: {
      name: string;
      datatype: string;
      shape: number[];
      data?: unknown[];
      parameters?: { binary_data_size: number };
    }[];
    error?: string;
  };
  blob: Buffer;
}

/** POSTs JSON + binary with the extension header and splits the answer the same way. */
async function postBinary(
  url: string,
  json: unknown,
  blobs: Buffer[],
  contentType = 'application/octet-stream',
): Promise<BinaryAnswer> {
  const head = Buffer.from(JSON.stringify(json));
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, 'inference-header-content-length': String(head.length) },
    body: Buffer.concat([head, ...blobs]),
  });
  const body = Buffer.from(await res.arrayBuffer());
  const n = Number(res.headers.get('inference-header-content-length') ?? body.length);
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    json: JSON.parse(body.subarray(0, n).toString('utf8')),
    blob: body.subarray(n),
  };
}

const f32bytes = (v: number[]) => Buffer.from(Float32Array.from(v).buffer);

/** A model with every datatype: echoes its INT32/BOOL/BYTES inputs and sums the FP32 one per row. */
function echoModel(): ServedModel {
  return {
    name: 'echo',
    version: '1',
    inputs: [
      { name: 'f', datatype: 'FP32', shape: [-1, 2] },
      { name: 'i', datatype: 'INT32', shape: [-1, 1] },
      { name: 'b', datatype: 'BOOL', shape: [-1, 1] },
      { name: 's', datatype: 'BYTES', shape: [-1, 1] },
    ],
    outputs: [
      { name: 'sum', datatype: 'FP32', shape: [-1, 1] },
      { name: 'i', datatype: 'INT32', shape: [-1, 1] },
      { name: 'b', datatype: 'BOOL', shape: [-1, 1] },
      { name: 's', datatype: 'BYTES', shape: [-1, 1] },
    ],
    async infer(x) {
      const f = x.f!.data as Float32Array;
      const rows = x.f!.shape[0]!;
      const sum = new Float32Array(rows);
      for (let r = 0; r < rows; r++) sum[r] = f[2 * r]! + f[2 * r + 1]!;
      return {
        sum: { data: sum, shape: [rows, 1] },
        i: x.i!,
        b: x.b!,
        s: { data: (x.s!.data as string[]).map((v) => v.toUpperCase()), shape: [rows, 1] },
      };
    },
  };
}

describe('serve: binary tensor data extension', SUITE, () => {
  let server: InferenceServer;
  let url: string;
  before(async () => {
    ({ server, url } = await start({
      models: [smallDense(), echoModel()],
      batching: { maxQueueDelayMs: 0 },
    }));
  });
  after(async () => {
    await server.close();
  });

  it('announces the extension', async () => {
    const m = (await get(`${url}/v2`)).json as { extensions: string[] };
    assert.deepEqual(m.extensions, ['binary_tensor_data']);
  });

  it('reads binary inputs and answers JSON outputs by default', async () => {
    const a = await postBinary(
      `${url}/v2/models/dense/infer`,
      { inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], parameters: { binary_data_size: 24 } }] },
      [f32bytes([1, 0, 0, 1, 1, 1])],
      'application/json',
    );
    assert.equal(a.status, 200, JSON.stringify(a.json));
    assert.match(a.contentType ?? '', /application\/json/);
    assert.deepEqual(a.json.outputs[0]!.data, [1.5, 1, 9.5, 11]);
  });

  it('answers binary outputs when asked, per output or for all, with sizes in the JSON header', async () => {
    const a = await postBinary(
      `${url}/v2/models/dense/infer`,
      {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } }],
        outputs: [{ name: 'y', parameters: { binary_data: true } }],
      },
      [f32bytes([0.1, -0.2, 0.3])],
    );
    assert.equal(a.status, 200);
    assert.equal(a.contentType, 'application/octet-stream');
    assert.deepEqual(a.json.outputs, [
      { name: 'y', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } },
    ]);
    const y = new Float32Array(a.blob.buffer.slice(a.blob.byteOffset, a.blob.byteOffset + 8));
    assertClose(Array.from(y), [1.5, 0.2]);
    // binary_data_output for the whole request, JSON inputs.
    const j = await postBinary(
      `${url}/v2/models/dense/infer`,
      {
        parameters: { binary_data_output: true },
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 0, 0] }],
      },
      [],
    );
    assert.equal(j.status, 200);
    assert.deepEqual(
      Array.from(new Float32Array(j.blob.buffer.slice(j.blob.byteOffset, j.blob.byteOffset + 8))),
      [1.5, 1],
    );
  });

  it('handles INT32, BOOL and length-prefixed BYTES both ways, mixed with JSON tensors', async () => {
    const bytes = (ss: string[]) =>
      Buffer.concat(
        ss.flatMap((s) => {
          const b = Buffer.from(s);
          const n = Buffer.alloc(4);
          n.writeUInt32LE(b.length);
          return [n, b];
        }),
      );
    const sBlob = bytes(['héllo', '']);
    const a = await postBinary(
      `${url}/v2/models/echo/infer`,
      {
        inputs: [
          { name: 'f', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3, 4] },
          { name: 'i', datatype: 'INT32', shape: [2, 1], parameters: { binary_data_size: 8 } },
          { name: 'b', datatype: 'BOOL', shape: [2, 1], parameters: { binary_data_size: 2 } },
          { name: 's', datatype: 'BYTES', shape: [2, 1], parameters: { binary_data_size: sBlob.length } },
        ],
        outputs: [
          { name: 'sum' },
          { name: 'i', parameters: { binary_data: true } },
          { name: 'b' },
          { name: 's', parameters: { binary_data: true } },
        ],
      },
      [Buffer.from(Int32Array.of(-7, 2147483647).buffer), Buffer.from([1, 0]), sBlob],
    );
    assert.equal(a.status, 200, JSON.stringify(a.json));
    assert.deepEqual(a.json.outputs[0], { name: 'sum', datatype: 'FP32', shape: [2, 1], data: [3, 7] });
    assert.deepEqual(a.json.outputs[1], {
      name: 'i',
      datatype: 'INT32',
      shape: [2, 1],
      parameters: { binary_data_size: 8 },
    });
    assert.deepEqual(a.json.outputs[2], { name: 'b', datatype: 'BOOL', shape: [2, 1], data: [true, false] });
    assert.deepEqual(a.blob.subarray(0, 8), Buffer.from(Int32Array.of(-7, 2147483647).buffer));
    assert.deepEqual(a.blob.subarray(8), bytes(['HÉLLO', '']));
    assert.equal(a.json.outputs[3]!.parameters!.binary_data_size, a.blob.length - 8);
  });

  it('refuses binary data that does not add up, with the reason', async () => {
    const x = (size: number) => ({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: size } }],
    });
    const cases: [unknown, Buffer[], RegExp][] = [
      [x(8), [f32bytes([1, 2])], /input 'x': shape \[1,3\] of FP32 needs 12 bytes, binary_data_size is 8/],
      [
        x(12),
        [f32bytes([1, 2, 3, 4])],
        /carries 16 bytes of binary data, its inputs' binary_data_size add up to 12/,
      ],
      [x(16), [f32bytes([1, 2, 3])], /binary_data_size 16 runs past the 12 bytes of binary data/],
      [x(12), [f32bytes([1, Number.NaN, 3])], /value at index 1 is NaN, expected a finite number/],
      [x(12), [f32bytes([1, Number.POSITIVE_INFINITY, 3])], /value at index 1 is Infinity/],
      [x(-1), [], /binary_data_size must be a non-negative integer, got -1/],
      [
        {
          inputs: [
            {
              name: 'x',
              datatype: 'FP32',
              shape: [1, 3],
              data: [1, 2, 3],
              parameters: { binary_data_size: 12 },
            },
          ],
        },
        [f32bytes([1, 2, 3])],
        /has both data and binary_data_size/,
      ],
    ];
    for (const [json, blobs, pattern] of cases) {
      const a = await postBinary(`${url}/v2/models/dense/infer`, json, blobs);
      assert.equal(a.status, 400, JSON.stringify(a.json));
      assert.match(a.json.error ?? '', pattern);
    }
    const bool = await postBinary(
      `${url}/v2/models/echo/infer`,
      {
        inputs: [
          { name: 'f', datatype: 'FP32', shape: [1, 2], data: [1, 2] },
          { name: 'i', datatype: 'INT32', shape: [1, 1], data: [1] },
          { name: 'b', datatype: 'BOOL', shape: [1, 1], parameters: { binary_data_size: 1 } },
          { name: 's', datatype: 'BYTES', shape: [1, 1], parameters: { binary_data_size: 6 } },
        ],
      },
      [Buffer.from([2]), Buffer.from([9, 0, 0, 0, 65, 66])],
    );
    assert.equal(bool.status, 400);
    assert.match(bool.json.error ?? '', /BOOL byte at index 0 is 2, expected 0 or 1/);
    // Header missing or wrong.
    const noHeader = await fetch(`${url}/v2/models/dense/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: f32bytes([1, 2, 3]),
    });
    assert.equal(noHeader.status, 400);
    assert.match((await noHeader.json()).error, /need the inference-header-content-length header/);
    const badHeader = await fetch(`${url}/v2/models/dense/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': '999' },
      body: f32bytes([1, 2, 3]),
    });
    assert.equal(badHeader.status, 400);
    assert.match(
      (await badHeader.json()).error,
      /inference-header-content-length is "999"; expected an integer from 0 to the body length 12/,
    );
    const noBinary = await postBinary(`${url}/v2/models/dense/infer`, x(12), [], 'application/json');
    assert.equal(noBinary.status, 400);
    // A JSON request that claims binary data without the header.
    const claim = await fetch(`${url}/v2/models/dense/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(x(12)),
    });
    assert.equal(claim.status, 400);
    assert.match(
      (await claim.json()).error,
      /has binary_data_size but the request has no inference-header-content-length header/,
    );
    assert.equal((await get(`${url}/v2/health/ready`)).status, 200);
    errorOf(await get(`${url}/v2/models/nope`));
  });
});
