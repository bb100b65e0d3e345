import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InferenceServer } from '../../src/serve/server.ts';
import { errorOf, get, inferBody, post, SUITE, start } from './helpers.ts';
import { assertClose, RecordModel, smallDense } from './models.ts';

describe('serve: Open Inference Protocol endpoints', SUITE, () => {
  let server: InferenceServer;
  let url: string;
  const dense = smallDense('dense', '1');
  const records = new RecordModel('records', '3');

  before(async () => {
    ({ server, url } = await start({ models: [dense, records], batching: { maxQueueDelayMs: 0 } }));
  });
  after(async () => {
    await server.close();
  });

  it('answers liveness and readiness with a status and an empty body', async () => {
    const live = await get(`${url}/v2/health/live`);
    assert.equal(live.status, 200);
    assert.equal(live.text, '');
    const ready = await get(`${url}/v2/health/ready`);
    assert.equal(ready.status, 200);
    assert.equal(ready.text, '');
  });

  it('describes the server at GET /v2', async () => {
    const a = await get(`${url}/v2`);
    assert.equal(a.status, 200);
    const m = a.json as { name: string; version: string; extensions: string[] };
    assert.equal(m.name, 'tensorscript');
    assert.match(m.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(m.extensions, ['binary_tensor_data']);
  });

  it('gives model metadata with and without a version', async () => {
    const expected = {
      name: 'dense',
      versions: ['1'],
      platform: 'tensorscript',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
    };
    assert.deepEqual((await get(`${url}/v2/models/dense`)).json, expected);
    assert.deepEqual((await get(`${url}/v2/models/dense/versions/1`)).json, expected);
    const missing = await get(`${url}/v2/models/dense/versions/9`);
    assert.equal(missing.status, 404);
    assert.match(errorOf(missing), /model 'dense' has no version '9'; loaded versions: 1/);
  });

  it('reports model readiness', async () => {
    assert.equal((await get(`${url}/v2/models/dense/ready`)).status, 200);
    assert.equal((await get(`${url}/v2/models/records/versions/3/ready`)).status, 200);
    const unknown = await get(`${url}/v2/models/nope/ready`);
    assert.equal(unknown.status, 404);
    assert.match(errorOf(unknown), /unknown model 'nope'; loaded models: dense, records/);
  });

  it('infers on flat row-major data and echoes the request id', async () => {
    // [1,0,0] -> W row 0 + b = [1.5, 1]; [1,1,1] -> [9+0.5, 12-1]
    const a = await post(`${url}/v2/models/dense/infer`, {
      id: 'req-42',
      ...(inferBody([
        [1, 0, 0],
        [1, 1, 1],
      ]) as object),
    });
    assert.equal(a.status, 200);
    assert.deepEqual(a.json, {
      model_name: 'dense',
      model_version: '1',
      id: 'req-42',
      outputs: [{ name: 'y', datatype: 'FP32', shape: [2, 2], data: [1.5, 1, 9.5, 11] }],
    });
  });

  it('infers on nested data, on a named version, and returns what `outputs` asks for', async () => {
    const x = [0.1, -0.2, 0.3];
    const a = await post(`${url}/v2/models/dense/versions/1/infer`, {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [x] }],
      outputs: [{ name: 'y', parameters: { binary_data: false } }],
    });
    assert.equal(a.status, 200);
    const out = (a.json as { outputs: { data: number[]; shape: number[] }[] }).outputs;
    assert.equal(out.length, 1);
    assert.deepEqual(out[0]!.shape, [1, 2]);
    // y0 = 0.1*1 - 0.2*3 + 0.3*5 + 0.5 = 1.5, y1 = 0.1*2 - 0.2*4 + 0.3*6 - 1 = 0.2
    assertClose(out[0]!.data, [1.5, 0.2]);
    assertClose(out[0]!.data, dense.reference(x, 1));
    assert.equal((a.json as { id?: string }).id, undefined);
  });

  it('accepts a batch of zero rows', async () => {
    const a = await post(`${url}/v2/models/dense/infer`, {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [0, 3], data: [] }],
    });
    assert.equal(a.status, 200);
    assert.deepEqual((a.json as { outputs: { shape: number[] }[] }).outputs[0]!.shape, [0, 2]);
  });

  it('predicts raw records with labels and probabilities at /v1', async () => {
    for (const path of ['/v1/models/records/predict', '/v1/models/records:predict']) {
      const a = await post(`${url}${path}`, {
        instances: [
          { a: 2, b: 0 },
          { a: 0, b: 1 },
        ],
      });
      assert.equal(a.status, 200, a.text);
      const body = a.json as {
        model_name: string;
        predictions: { label: string; probabilities: { A: number; B: number } }[];
      };
      assert.equal(body.model_name, 'records');
      assert.deepEqual(
        body.predictions.map((p) => p.label),
        ['A', 'B'],
      );
      // softmax([2, 0]) = [1 / (1 + e^-2), e^-2 / (1 + e^-2)]
      assert.ok(Math.abs(body.predictions[0]!.probabilities.A - 1 / (1 + Math.exp(-2))) < 1e-6);
      assert.ok(Math.abs(body.predictions[1]!.probabilities.B - 1 / (1 + Math.exp(-1))) < 1e-6);
    }
  });

  it('predicts tensor instances at /v1 for a model without record preprocessing', async () => {
    const a = await post(`${url}/v1/models/dense/predict`, {
      instances: [
        [1, 0, 0],
        [0, 0, 1],
      ],
    });
    assert.equal(a.status, 200, a.text);
    assert.deepEqual((a.json as { predictions: number[][] }).predictions, [
      [1.5, 1],
      [5.5, 5],
    ]);
    assert.deepEqual((await get(`${url}/v1/models/dense`)).json, { name: 'dense', ready: true });
  });

  it('exports Prometheus metrics', async () => {
    await post(`${url}/v2/models/dense/infer`, inferBody([[1, 2, 3]]));
    const a = await get(`${url}/metrics`);
    assert.equal(a.status, 200);
    assert.match(a.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(
      a.text,
      /tensorscript_http_requests_total\{method="POST",route="\/v2\/models\/:name\/infer",status="200"\} \d+/,
    );
    assert.match(
      a.text,
      /tensorscript_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v2\/models\/:name\/infer"\}/,
    );
    assert.match(a.text, /tensorscript_batch_size_count\{model="dense",version="1",kind="tensor"\} \d+/);
    assert.match(a.text, /tensorscript_queue_depth\{model="dense",version="1"\} 0/);
    assert.match(
      a.text,
      /tensorscript_http_requests_total\{method="GET",route="\/v2\/models\/:name\/versions\/:version",status="404"\} 1/,
    );
  });

  it('sends no CORS headers by default', async () => {
    const a = await get(`${url}/v2/health/live`, { origin: 'http://example.test' });
    assert.equal(a.headers.get('access-control-allow-origin'), null);
  });
});

describe('serve: CORS when origins are listed', SUITE, () => {
  it('allows listed origins only, preflight included', async () => {
    const { server, url } = await start({
      models: [smallDense()],
      corsOrigins: ['http://app.test'],
      apiKeys: ['k1'],
    });
    try {
      const ok = await get(`${url}/v2/models/dense`, {
        origin: 'http://app.test',
        authorization: 'Bearer k1',
      });
      assert.equal(ok.headers.get('access-control-allow-origin'), 'http://app.test');
      const other = await get(`${url}/v2/models/dense`, {
        origin: 'http://evil.test',
        authorization: 'Bearer k1',
      });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      const pre = await fetch(`${url}/v2/models/dense/infer`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://app.test',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,authorization',
        },
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), 'http://app.test');
      assert.match(pre.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    } finally {
      await server.close();
    }
  });
});
