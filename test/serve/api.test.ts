import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createServer, ModelRepository, serve } from '../../src/serve/index.ts';
import type { ServedModel } from '../../src/serve/model.ts';
import { get, inferBody, post, SUITE, track } from './helpers.ts';
import { smallDense } from './models.ts';

describe('serve: programmatic API', SUITE, () => {
  it('serve() listens on loopback and closes gracefully on SIGTERM', async () => {
    const server = track(await serve({ models: [smallDense()], port: 0 }));
    const url = server.url!;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await post(`${url}/v2/models/dense/infer`, inferBody([[1, 0, 0]]))).status, 200);
    const before = process.listenerCount('SIGTERM');
    process.emit('SIGTERM');
    await server.close(); // the same close the signal started
    await assert.rejects(fetch(`${url}/v2/health/live`));
    assert.equal(process.listenerCount('SIGTERM'), before - 1);
  });

  it('rejects bad options and bad models with the reason', async () => {
    await assert.rejects(
      createServer({ bodyLimitBytes: 0 }),
      /\[createServer\] bodyLimitBytes must be a positive integer, got 0/,
    );
    await assert.rejects(
      createServer({ batching: { maxBatchSize: 1.5 }, models: [smallDense()] }),
      /maxBatchSize must be an integer >= 1, got 1.5/,
    );
    const repo = new ModelRepository();
    const bad = { ...smallDense(), infer: smallDense().infer, inputs: [] } as unknown as ServedModel;
    await assert.rejects(
      repo.loadVersion('m', '1', bad),
      /\[loadVersion\] model 'dense': declares no inputs/,
    );
    const fp16 = {
      name: 'h',
      version: '1',
      inputs: [{ name: 'x', datatype: 'FP16', shape: [-1, 2] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
      infer: async () => ({}),
    } as unknown as ServedModel;
    await assert.rejects(
      repo.loadVersion('h', '1', fp16),
      /tensor 'x' has datatype FP16, expected one of FP32, FP64, INT32, BOOL, BYTES/,
    );
    await assert.rejects(
      repo.loadVersion('../x', '1', smallDense()),
      /\[loadVersion\] invalid model name "\.\.\/x"/,
    );
    await assert.rejects(repo.loadVersion('x', 'a/b', smallDense()), /invalid version "a\/b"/);
  });

  it('serves a model without a batch dimension one request per call', async () => {
    const calls: number[][] = [];
    const model: ServedModel = {
      name: 'fixed',
      version: '1',
      inputs: [{ name: 'v', datatype: 'INT32', shape: [3] }],
      outputs: [
        { name: 'sum', datatype: 'INT32', shape: [1] },
        { name: 'positive', datatype: 'BOOL', shape: [3] },
      ],
      async infer(inputs) {
        const v = inputs.v!.data as Int32Array;
        calls.push(Array.from(v));
        return {
          sum: { data: Int32Array.of(v[0]! + v[1]! + v[2]!), shape: [1] },
          positive: { data: Uint8Array.from(v, (x) => (x > 0 ? 1 : 0)), shape: [3] },
        };
      },
    };
    const server = track(await createServer({ models: [model], batching: { maxQueueDelayMs: 20 } }));
    const url = await server.listen({ port: 0 });
    try {
      const answers = await Promise.all(
        [
          [1, -2, 3],
          [4, 5, 6],
        ].map((v) =>
          post(`${url}/v2/models/fixed/infer`, {
            inputs: [{ name: 'v', datatype: 'INT32', shape: [3], data: v }],
          }),
        ),
      );
      assert.deepEqual(
        answers.map((a) => a.json),
        [
          {
            model_name: 'fixed',
            model_version: '1',
            outputs: [
              { name: 'sum', datatype: 'INT32', shape: [1], data: [2] },
              { name: 'positive', datatype: 'BOOL', shape: [3], data: [true, false, true] },
            ],
          },
          {
            model_name: 'fixed',
            model_version: '1',
            outputs: [
              { name: 'sum', datatype: 'INT32', shape: [1], data: [15] },
              { name: 'positive', datatype: 'BOOL', shape: [3], data: [true, true, true] },
            ],
          },
        ],
      );
      assert.equal(calls.length, 2);
      const onlySum = await post(`${url}/v2/models/fixed/infer`, {
        inputs: [{ name: 'v', datatype: 'INT32', shape: [3], data: [0, 0, 1] }],
        outputs: [{ name: 'sum' }],
      });
      assert.deepEqual((onlySum.json as { outputs: unknown[] }).outputs, [
        { name: 'sum', datatype: 'INT32', shape: [1], data: [1] },
      ]);
      const v1 = await post(`${url}/v1/models/fixed/predict`, { instances: [1, 2, 3] });
      assert.equal(v1.status, 400);
      assert.match((v1.json as { error: string }).error, /v1 instances need a batch dimension/);
    } finally {
      await server.close();
    }
  });

  it('answers 500 with a generic message when a model breaks its own contract, and stays up', async () => {
    const model = smallDense('broken');
    model.infer = async () => ({ y: { data: new Float32Array(3), shape: [1, 3] } });
    const server = track(await createServer({ models: [model, smallDense('fine')] }));
    const url = await server.listen({ port: 0 });
    try {
      const a = await post(`${url}/v2/models/broken/infer`, inferBody([[1, 2, 3]]));
      assert.equal(a.status, 500);
      assert.deepEqual(a.json, { error: '[infer] internal server error' });
      assert.equal((await post(`${url}/v2/models/fine/infer`, inferBody([[1, 2, 3]]))).status, 200);
      assert.equal((await get(`${url}/v2/health/live`)).status, 200);
    } finally {
      await server.close();
    }
  });
});
