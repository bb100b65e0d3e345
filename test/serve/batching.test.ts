// Dynamic batching and the limits around it, through HTTP on loopback.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorOf, gate, get, inferBody, post, SUITE, start, waitUntil } from './helpers.ts';
import { assertClose, smallDense } from './models.ts';

type Outputs = { outputs: { data: number[]; shape: number[] }[] };

describe('serve: dynamic batching', SUITE, () => {
  it('joins concurrent single-sample requests into fewer infer calls and splits the answers back', async () => {
    const model = smallDense();
    const { server, url } = await start({
      models: [model],
      batching: { maxBatchSize: 64, maxQueueDelayMs: 50 },
    });
    try {
      const rows = Array.from({ length: 24 }, (_, i) => [i, -i / 2, 1 + i / 3]);
      // Open the 24 keep-alive connections first: on Node 24 fetch sets up new connections over several
      // event-loop turns, so cold requests would reach the server one turn apart and never meet in a batch.
      await Promise.all(rows.map(() => get(`${url}/v2/health/ready`)));
      // The first call holds the model until every other request is queued behind it, so the test does not
      // depend on 24 requests reaching a loaded machine's server within one 50 ms window.
      const busy = gate();
      model.gate = busy.promise;
      const pending = Promise.all(rows.map((r) => post(`${url}/v2/models/dense/infer`, inferBody([r]))));
      const queued = async () =>
        Number(
          /tensorscript_queue_depth\{model="dense",version="1"\} (\d+)/.exec(
            (await get(`${url}/metrics`)).text,
          )?.[1],
        );
      await waitUntil(() => model.calls.length === 1, 30_000);
      const end = performance.now() + 30_000;
      while ((await queued()) !== 24 - model.calls[0]! && performance.now() < end)
        await new Promise((r) => setTimeout(r, 5));
      model.gate = undefined;
      busy.open();
      const answers = await pending;
      answers.forEach((a, i) => {
        assert.equal(a.status, 200, a.text);
        const out = (a.json as Outputs).outputs[0]!;
        assert.deepEqual(out.shape, [1, 2]);
        // Each client gets its own row back: the batched answer equals the unbatched one.
        assertClose(out.data, Array.from(model.forward(Float32Array.from(rows[i]!), 1)), `request ${i}`);
        assertClose(out.data, model.reference(rows[i]!, 1), `request ${i} vs float64 reference`);
      });
      assert.equal(
        model.calls.reduce((a, b) => a + b, 0),
        24,
      );
      assert.ok(
        model.calls.length < 24,
        `24 requests took ${model.calls.length} infer calls: ${model.calls}`,
      );
      assert.ok(Math.max(...model.calls) > 1, `no call joined requests: ${model.calls}`);
      const m = await get(`${url}/metrics`);
      const count = Number(
        /tensorscript_batch_size_count\{model="dense",version="1",kind="tensor"\} (\d+)/.exec(m.text)?.[1],
      );
      const sum = Number(
        /tensorscript_batch_size_sum\{model="dense",version="1",kind="tensor"\} (\d+)/.exec(m.text)?.[1],
      );
      assert.equal(count, model.calls.length);
      assert.equal(sum, 24);
    } finally {
      await server.close();
    }
  });

  it('never puts more than maxBatchSize rows into one call, multi-row requests included', async () => {
    const model = smallDense();
    const { server, url } = await start({
      models: [model],
      batching: { maxBatchSize: 4, maxQueueDelayMs: 30 },
    });
    try {
      const reqs = [1, 3, 2, 1, 1, 4, 2, 1].map((n, k) => Array.from({ length: n }, (_, i) => [k, i, k * i]));
      const answers = await Promise.all(reqs.map((r) => post(`${url}/v2/models/dense/infer`, inferBody(r))));
      answers.forEach((a, k) => {
        assert.equal(a.status, 200, a.text);
        assertClose(
          (a.json as Outputs).outputs[0]!.data,
          model.reference(reqs[k]!.flat(), reqs[k]!.length),
          `request ${k}`,
        );
      });
      assert.ok(
        model.calls.every((n) => n <= 4),
        `calls ${model.calls}`,
      );
      assert.equal(
        model.calls.reduce((a, b) => a + b, 0),
        15,
      );
      const tooBig = await post(
        `${url}/v2/models/dense/infer`,
        inferBody([
          [1, 1, 1],
          [1, 1, 1],
          [1, 1, 1],
          [1, 1, 1],
          [1, 1, 1],
        ]),
      );
      assert.equal(tooBig.status, 400);
      assert.match(errorOf(tooBig), /batch of 5 exceeds model 'dense' version '1''s max batch size 4/);
    } finally {
      await server.close();
    }
  });
});

describe('serve: limits', SUITE, () => {
  it('answers 503 with Retry-After when the model queue is full', async () => {
    const model = smallDense();
    const busy = gate();
    model.gate = busy.promise;
    const { server, url } = await start({
      models: [model],
      batching: { maxBatchSize: 1, maxQueueDelayMs: 0, maxQueueSize: 2 },
      retryAfterSeconds: 2,
    });
    try {
      // One request holds the model; two may wait; the other three are refused at once.
      const first = post(`${url}/v2/models/dense/infer`, inferBody([[1, 2, 3]]));
      await waitUntil(() => model.calls.length === 1);
      let answered = 0;
      const rest = Array.from({ length: 5 }, () =>
        post(`${url}/v2/models/dense/infer`, inferBody([[1, 2, 3]])).then((a) => {
          answered++;
          return a;
        }),
      );
      await waitUntil(() => answered === 3);
      assert.equal(answered, 3, 'three requests were refused while the model was busy');
      busy.open();
      const answers = await Promise.all(rest);
      const full = answers.filter((a) => a.status === 503);
      assert.equal(full.length, 3, answers.map((a) => a.status).join(','));
      for (const a of full) {
        assert.equal(a.headers.get('retry-after'), '2');
        assert.match(errorOf(a), /queue is full \(2 requests waiting\)/);
      }
      assert.equal(answers.filter((a) => a.status === 200).length, 2);
      assert.equal((await first).status, 200);
    } finally {
      busy.open();
      await server.close();
    }
  });

  it('answers 503 with Retry-After beyond the server-wide concurrency limit', async () => {
    const model = smallDense();
    const busy = gate();
    model.gate = busy.promise;
    const { server, url } = await start({
      models: [model],
      maxInFlight: 2,
      batching: { maxQueueDelayMs: 0 },
    });
    try {
      const first = post(`${url}/v2/models/dense/infer`, inferBody([[1, 2, 3]]));
      await waitUntil(() => model.calls.length === 1);
      let answered = 0;
      const rest = Array.from({ length: 3 }, () =>
        post(`${url}/v2/models/dense/infer`, inferBody([[1, 2, 3]])).then((a) => {
          answered++;
          return a;
        }),
      );
      await waitUntil(() => answered === 2);
      busy.open();
      const answers = await Promise.all(rest);
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 503, 503]);
      const refused = answers.find((a) => a.status === 503)!;
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.match(errorOf(refused), /limit of 2 concurrent inference requests/);
      assert.equal((await first).status, 200);
      // Slots are given back: the server takes requests again.
      assert.equal((await post(`${url}/v2/models/dense/infer`, inferBody([[1, 2, 3]]))).status, 200);
    } finally {
      busy.open();
      await server.close();
    }
  });

  it('answers 504 with a JSON error when inference exceeds the request timeout', async () => {
    const model = smallDense();
    model.delayMs = 400;
    const { server, url } = await start({
      models: [model],
      requestTimeoutMs: 100,
      batching: { maxQueueDelayMs: 0 },
    });
    try {
      const t0 = performance.now();
      const a = await post(`${url}/v2/models/dense/infer`, inferBody([[1, 2, 3]]));
      assert.equal(a.status, 504);
      assert.match(errorOf(a), /^\[infer\] model 'dense' version '1' did not answer within 100 ms$/);
      assert.ok(performance.now() - t0 < 350, 'the answer came before the model finished');
      model.delayMs = 0;
      await new Promise((r) => setTimeout(r, 350));
      assert.equal((await post(`${url}/v2/models/dense/infer`, inferBody([[1, 2, 3]]))).status, 200);
      assert.equal((await get(`${url}/v2/health/ready`)).status, 200);
    } finally {
      await server.close();
    }
  });
});
