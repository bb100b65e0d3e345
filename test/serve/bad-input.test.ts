// Every malformed or hostile request gets a 4xx with a JSON error that says what was wrong, and the
// server stays healthy afterwards.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { InferenceServer } from '../../src/serve/server.ts';
import { type Answer, errorOf, get, inferBody, post, SUITE, start } from './helpers.ts';
import { RecordModel, smallDense } from './models.ts';

/** Sends a raw request (no URL normalisation by fetch) and returns status and body. */
function raw(
  url: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: new Headers(res.headers as Record<string, string>),
          text,
          json,
        });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('serve: bad input', SUITE, () => {
  let server: InferenceServer;
  let url: string;
  const key = 'sk-test-0123456789';

  before(async () => {
    ({ server, url } = await start({
      models: [smallDense(), new RecordModel()],
      apiKeys: [key, 'second-key'],
      bodyLimitBytes: 64 * 1024,
      batching: { maxQueueDelayMs: 0 },
    }));
  });
  after(async () => {
    await server.close();
  });

  const auth = { authorization: `Bearer ${key}` };
  const infer = (body: unknown) => post(`${url}/v2/models/dense/infer`, body, auth);
  const expect4xx = (a: Answer, status: number, pattern: RegExp) => {
    assert.equal(a.status, status, a.text);
    assert.match(errorOf(a), pattern);
  };

  it('rejects malformed JSON', async () => {
    expect4xx(await infer('{"inputs": [ {"name": "x",'), 400, /^\[infer\] malformed JSON body/);
    expect4xx(await infer(''), 400, /malformed JSON body/);
    expect4xx(await infer('[1,2,3]'), 400, /invalid request: body must be object/);
  });

  it('rejects bodies that do not follow the inference request schema', async () => {
    expect4xx(await infer({}), 400, /body must have required property 'inputs'/);
    expect4xx(await infer({ inputs: [] }), 400, /body\/inputs must NOT have fewer than 1 items/);
    expect4xx(
      await infer({ inputs: [{ name: 'x', datatype: 'FP32', data: [1, 2, 3] }] }),
      400,
      /body\/inputs\/0 must have required property 'shape'/,
    );
    expect4xx(
      await infer({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, -3], data: [1, 2, 3] }] }),
      400,
      /body\/inputs\/0\/shape\/1 must be >= 0/,
    );
    expect4xx(
      await infer({ inputs: [{ name: 'x', datatype: 'FP32', shape: ['1', 3], data: [1, 2, 3] }] }),
      400,
      /shape\/0 must be integer/,
    );
    expect4xx(
      await infer({ ...(inferBody([[1, 2, 3]]) as object), parameters: { nested: { a: 1 } } }),
      400,
      /body\/parameters\/nested must be string,number,boolean/,
    );
  });

  it('names both shapes when the shape is wrong', async () => {
    expect4xx(
      await infer({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }),
      400,
      /^\[infer\] input 'x': expected shape \[-1,3\], got \[1,4\]$/,
    );
    expect4xx(
      await infer({ inputs: [{ name: 'x', datatype: 'FP32', shape: [3], data: [1, 2, 3] }] }),
      400,
      /expected shape \[-1,3\], got \[3\]/,
    );
    expect4xx(
      await infer({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3] }] }),
      400,
      /input 'x': shape \[2,3\] needs 6 values, data has 3/,
    );
    expect4xx(
      await infer({
        inputs: [
          {
            name: 'x',
            datatype: 'FP32',
            shape: [2, 3],
            data: [
              [1, 2],
              [3, 4],
              [5, 6],
            ],
          },
        ],
      }),
      400,
      /nested data does not match shape \[2,3\]: data should be an array of length 2, got length 3/,
    );
  });

  it('names both datatypes when the datatype is wrong, and bad elements by index', async () => {
    expect4xx(
      await infer({ inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 3], data: [1, 2, 3] }] }),
      400,
      /input 'x': expected datatype FP32, got INT32/,
    );
    expect4xx(
      await infer({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 'two', 3] }] }),
      400,
      /expected a number at index 1, got string "two"/,
    );
    expect4xx(
      await infer({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, true, 3] }] }),
      400,
      /expected a number at index 1, got boolean true/,
    );
    expect4xx(
      await infer({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, null, 3] }] }),
      400,
      /expected a number at index 1, got null/,
    );
  });

  it('rejects NaN, Infinity and values beyond the FP32 range', async () => {
    // JSON has no NaN literal: clients send it as a string, or a number that overflows to Infinity.
    expect4xx(
      await infer('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,"NaN",3]}]}'),
      400,
      /expected a number at index 1, got string "NaN"/,
    );
    expect4xx(
      await infer('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,NaN,3]}]}'),
      400,
      /malformed JSON/,
    );
    expect4xx(
      await infer('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,1e999]}]}'),
      400,
      /value at index 2 is Infinity, expected a finite number/,
    );
    expect4xx(
      await infer('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[-1e39,2,3]}]}'),
      400,
      /value -1e\+39 at index 0 is outside the FP32 range/,
    );
  });

  it('rejects unknown, missing, duplicate and extra inputs and unknown outputs', async () => {
    expect4xx(
      await infer({ inputs: [{ name: 'z', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }),
      400,
      /model 'dense': unknown input 'z'; the model takes 'x'/,
    );
    const x = { name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] };
    expect4xx(await infer({ inputs: [x, x] }), 400, /input 'x' is given twice/);
    expect4xx(
      await infer({ ...(inferBody([[1, 2, 3]]) as object), outputs: [{ name: 'logits' }] }),
      400,
      /unknown output 'logits'; the model gives 'y'/,
    );
    expect4xx(
      await infer({
        ...(inferBody([[1, 2, 3]]) as object),
        outputs: [{ name: 'y', parameters: { shared_memory_region: 'r0' } }],
      }),
      400,
      /output 'y' parameter 'shared_memory_region' asks for the shared-memory extension, which this server does not support/,
    );
    expect4xx(
      await infer({
        ...(inferBody([[1, 2, 3]]) as object),
        outputs: [{ name: 'y', parameters: { binary_data: 'yes' } }],
      }),
      400,
      /output 'y' parameter 'binary_data' must be true or false, got "yes"/,
    );
    expect4xx(
      await infer({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3] }] }),
      400,
      /input 'x': has no data \(and no binary_data_size\)/,
    );
  });

  it('answers 404 for unknown models and versions', async () => {
    expect4xx(
      await post(`${url}/v2/models/nope/infer`, inferBody([[1, 2, 3]]), auth),
      404,
      /unknown model 'nope'/,
    );
    expect4xx(
      await post(`${url}/v2/models/dense/versions/7/infer`, inferBody([[1, 2, 3]]), auth),
      404,
      /has no version '7'/,
    );
    expect4xx(await get(`${url}/v2/models/nope`, auth), 404, /\[metadata\] unknown model 'nope'/);
    expect4xx(await get(`${url}/v2/nothing/here`, auth), 404, /no route for GET \/v2\/nothing\/here/);
  });

  it('refuses path traversal in model names', async () => {
    for (const path of [
      '/v2/models/..%2F..%2Fetc%2Fpasswd/infer',
      '/v2/models/..%2F..%2Fetc',
      '/v2/models/%2e%2e/ready',
      '/v2/models/dense/versions/..%2F1/infer',
    ]) {
      const method = path.endsWith('/infer') ? 'POST' : 'GET';
      const a = await raw(
        url,
        method,
        path,
        method === 'POST' ? JSON.stringify(inferBody([[1, 2, 3]])) : undefined,
        {
          ...auth,
          'content-type': 'application/json',
        },
      );
      assert.equal(a.status, 400, `${path}: ${a.text}`);
      assert.match(errorOf(a), /invalid (model name|version) "\.\./);
    }
    // A literal ../ is resolved away by nothing in the router: it just matches no route.
    const plain = await raw(url, 'GET', '/v2/models/../../etc/passwd', undefined, auth);
    assert.equal(plain.status, 404);
    errorOf(plain);
  });

  it('refuses absurd names, URLs and nesting with a 400', async () => {
    const body = JSON.stringify(inferBody([[1, 2, 3]]));
    const h = { ...auth, 'content-type': 'application/json' };
    const long = await raw(url, 'POST', `/v2/models/${'a'.repeat(200)}/infer`, body, h);
    assert.equal(long.status, 400);
    assert.match(errorOf(long), /invalid model name "a{140}": expected 1-128 characters/);
    const huge = await raw(url, 'POST', `/v2/models/${'a'.repeat(600)}/infer`, body, h);
    assert.equal(huge.status, 400);
    errorOf(huge);
    const badEncoding = await raw(url, 'POST', '/v2/models/%E0%A4%A/infer', body, h);
    assert.equal(badEncoding.status, 400);
    assert.match(errorOf(badEncoding), /not a valid url component/);
    const deep = `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":${'['.repeat(20000)}${']'.repeat(20000)}}]}`;
    expect4xx(await infer(deep), 400, /JSON body nests deeper than 64 levels/);
    expect4xx(
      await infer({ inputs: [{ name: 'x', datatype: 'FP32', shape: [100000000, 3], data: [] }] }),
      400,
      /has 300000000 elements, limit/,
    );
  });

  it('answers 413 for bodies over the limit, even without Content-Length', async () => {
    const big = inferBody(Array.from({ length: 4000 }, () => [0.123456, 0.654321, 0.5]));
    expect4xx(await infer(big), 413, /request body exceeds the limit of 65536 bytes/);
    const u = new URL(url);
    const a = await new Promise<Answer>((resolve, reject) => {
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          method: 'POST',
          path: '/v2/models/dense/infer',
          headers: { ...auth, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: new Headers(), text, json: JSON.parse(text) }),
          );
        },
      );
      req.on('error', reject);
      const chunk = 'x'.repeat(16 * 1024);
      for (let i = 0; i < 6; i++) req.write(chunk);
      req.end();
    });
    expect4xx(a, 413, /exceeds the limit/);
  });

  it('answers 415 for a body that is not JSON', async () => {
    expect4xx(
      await post(`${url}/v2/models/dense/infer`, 'x=1', { ...auth, 'content-type': 'text/plain' }),
      415,
      /send application\/json/,
    );
  });

  it('rejects bad /v1 records and instances with the reason', async () => {
    expect4xx(
      await post(`${url}/v1/models/records/predict`, { instances: [{ a: 1 }] }, auth),
      400,
      /record 0: expected an object with numeric fields a and b/,
    );
    expect4xx(
      await post(`${url}/v1/models/records/predict`, { rows: [] }, auth),
      400,
      /must have required property 'instances'/,
    );
    expect4xx(
      await post(`${url}/v1/models/dense/predict`, { instances: [[1, 2]] }, auth),
      400,
      /instance 0: shape \[3\] needs 3 values, data has 2/,
    );
  });

  it('needs an API key everywhere but the health probes, and says the same for every failure', async () => {
    const body = inferBody([[1, 2, 3]]);
    const failures = [
      await post(`${url}/v2/models/dense/infer`, body),
      await post(`${url}/v2/models/dense/infer`, body, { authorization: 'Bearer wrong' }),
      await post(`${url}/v2/models/dense/infer`, body, { authorization: `Basic ${key}` }),
      await post(`${url}/v2/models/dense/infer`, body, { 'x-api-key': `${key}x` }),
      await post(`${url}/v2/models/dense/infer`, body, { 'x-api-key': key.slice(0, -1) }),
      await get(`${url}/v2/models/nope`),
      await get(`${url}/metrics`),
      await post(`${url}/v2/models/dense/infer`, '{broken', { authorization: 'Bearer wrong' }),
    ];
    for (const a of failures) {
      assert.equal(a.status, 401);
      assert.deepEqual(a.json, { error: '[auth] missing or invalid API key' });
      assert.equal(a.headers.get('www-authenticate'), 'Bearer');
    }
    assert.equal((await get(`${url}/v2/health/live`)).status, 200);
    assert.equal((await get(`${url}/v2/health/ready`)).status, 200);
    assert.equal(
      (await post(`${url}/v2/models/dense/infer`, body, { 'x-api-key': 'second-key' })).status,
      200,
    );
    assert.equal((await get(`${url}/metrics`, auth)).status, 200);
  });

  it('is still healthy and correct after all of that', async () => {
    assert.equal((await get(`${url}/v2/health/ready`)).status, 200);
    const a = await infer(inferBody([[1, 0, 0]]));
    assert.equal(a.status, 200);
    assert.deepEqual((a.json as { outputs: { data: number[] }[] }).outputs[0]!.data, [1.5, 1]);
    const m = await get(`${url}/metrics`, auth);
    assert.doesNotMatch(m.text, /status="5\d\d"/);
  });
});
