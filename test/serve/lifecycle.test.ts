// Loading new versions under load and graceful shutdown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorOf, gate, get, inferBody, post, SUITE, start, waitUntil } from './helpers.ts';
import { DenseModel } from './models.ts';

type Reply = { model_version: string; outputs: { data: number[] }[] };

/** A 3->2 dense model whose answer tells its version apart: y = x W + b with b = [v, -v]. */
function versioned(version: string, delayMs: number): DenseModel {
  const v = Number(version);
  const m = new DenseModel(
    'dense',
    version,
    Float32Array.from([1, 0, 0, 1, 1, 1]),
    Float32Array.from([v, -v]),
    3,
    2,
  );
  m.delayMs = delayMs;
  return m;
}

describe('serve: versions under load', SUITE, () => {
  it('loads new versions and unloads old ones while clients keep sending, without a failed request', async () => {
    const v1 = versioned('1', 3);
    const { server, url } = await start({ models: [v1], batching: { maxBatchSize: 8, maxQueueDelayMs: 1 } });
    const seen = new Map<string, number>();
    const failures: string[] = [];
    let stop = false;
    let sent = 0;
    // 6 clients, each sending one request after another, at most 400 requests in all.
    const client = async (c: number) => {
      for (let i = 0; !stop && sent < 400; i++) {
        sent++;
        const x = [c, i % 7, 1];
        const a = await post(`${url}/v2/models/dense/infer`, inferBody([x]));
        if (a.status !== 200) {
          failures.push(`${a.status} ${a.text}`);
          continue;
        }
        const r = a.json as Reply;
        const v = Number(r.model_version);
        // W = [[1,0],[0,1],[1,1]], b = [v,-v]  ->  y = [x0 + x2 + v, x1 + x2 - v]
        const expected = [x[0]! + x[2]! + v, x[1]! + x[2]! - v];
        if (JSON.stringify(r.outputs[0]!.data) !== JSON.stringify(expected)) {
          failures.push(
            `version ${v} answered ${JSON.stringify(r.outputs[0]!.data)}, expected ${JSON.stringify(expected)}`,
          );
        }
        seen.set(r.model_version, (seen.get(r.model_version) ?? 0) + 1);
      }
    };
    const clients = Array.from({ length: 6 }, (_, c) => client(c));
    const waitFor = async (n: number) => {
      while (sent < n && !stop) await new Promise((r) => setTimeout(r, 2));
    };
    try {
      await waitFor(60);
      const v2 = versioned('2', 3);
      await server.repository.loadVersion('dense', '2', v2);
      await waitFor(120);
      await server.repository.unloadVersion('dense', '1');
      assert.ok(v1.disposed, 'version 1 was disposed after draining');
      await waitFor(200);
      // Replace version 2 in place with a new object: in-flight requests finish on the old one.
      const v2b = versioned('2', 3);
      await server.repository.loadVersion('dense', '2', v2b);
      assert.ok(v2.disposed);
      await waitFor(280);
      const v3 = versioned('3', 3);
      await server.repository.loadVersion('dense', '3', v3);
      await waitFor(360);
      assert.ok(v2b.calls.length > 0 && v3.calls.length > 0);
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    assert.deepEqual(failures, []);
    assert.ok(
      (seen.get('1') ?? 0) > 0 && (seen.get('2') ?? 0) > 0 && (seen.get('3') ?? 0) > 0,
      JSON.stringify([...seen]),
    );
    const meta = await get(`${url}/v2/models/dense`);
    assert.deepEqual((meta.json as { versions: string[] }).versions, ['2', '3']);
    assert.equal((await get(`${url}/v2/models/dense/versions/1/ready`)).status, 404);
    await server.close();
  });

  it('routes unversioned requests to the default version, which can be pinned', async () => {
    const { server, url } = await start({ models: [versioned('1', 0)], batching: { maxQueueDelayMs: 0 } });
    try {
      await server.repository.loadVersion('dense', '2', versioned('2', 0), { makeDefault: false });
      const x = inferBody([[0, 0, 0]]);
      assert.equal(((await post(`${url}/v2/models/dense/infer`, x)).json as Reply).model_version, '1');
      assert.equal(
        ((await post(`${url}/v2/models/dense/versions/2/infer`, x)).json as Reply).model_version,
        '2',
      );
      server.repository.setDefaultVersion('dense', '2');
      assert.equal(((await post(`${url}/v2/models/dense/infer`, x)).json as Reply).model_version, '2');
      await server.repository.unloadModel('dense');
      const gone = await post(`${url}/v2/models/dense/infer`, x);
      assert.equal(gone.status, 404);
      assert.match(errorOf(gone), /unknown model 'dense'; loaded models: \(none\)/);
      assert.equal((await get(`${url}/v2/health/ready`)).status, 400);
    } finally {
      await server.close();
    }
  });
});

describe('serve: graceful shutdown', SUITE, () => {
  it('answers every request already received, then refuses connections and disposes models', async () => {
    const model = versioned('1', 150);
    const { server, url } = await start({
      models: [model],
      batching: { maxBatchSize: 2, maxQueueDelayMs: 0 },
    });
    const pending = Array.from({ length: 5 }, (_, i) =>
      post(`${url}/v2/models/dense/infer`, inferBody([[i, 0, 0]])),
    );
    const entry = server.repository.resolve('test', 'dense');
    // Close only once all five were received (computed or queued).
    await waitUntil(() => model.calls.reduce((a, b) => a + b, 0) + entry.batcher.depth === 5);
    let rowsDoneAtClose = -1;
    const closing = server.close().then(() => {
      rowsDoneAtClose = model.calls.reduce((a, b) => a + b, 0);
    });
    const answers = await Promise.all(pending);
    await closing;
    for (const [i, a] of answers.entries()) {
      assert.equal(a.status, 200, a.text);
      assert.deepEqual((a.json as Reply).outputs[0]!.data, [i + 1, -1]);
    }
    assert.equal(rowsDoneAtClose, 5, 'close resolved only after every request was computed');
    assert.ok(model.calls.length >= 3, `calls ${model.calls}`);
    assert.ok(model.disposed);
    await assert.rejects(fetch(`${url}/v2/health/live`));
  });

  it('does not wait out a long batching delay at shutdown', async () => {
    const model = versioned('1', 0);
    const { server, url } = await start({
      models: [model],
      batching: { maxBatchSize: 64, maxQueueDelayMs: 10_000 },
    });
    const entry = server.repository.resolve('test', 'dense');
    // The first request goes straight to the model (a lone request never waits) and is held there, so
    // the next two queue behind it and then wait out the delay for company.
    const held = gate();
    model.gate = held.promise;
    const pending = Array.from({ length: 3 }, () =>
      post(`${url}/v2/models/dense/infer`, inferBody([[1, 1, 1]])),
    );
    await waitUntil(() => model.calls.length === 1 && entry.batcher.depth === 2);
    model.gate = undefined;
    held.open();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(entry.batcher.depth, 2, 'the two queued requests wait for the batching delay');
    const t0 = performance.now();
    await server.close();
    const answers = await Promise.all(pending);
    assert.ok(performance.now() - t0 < 2_000);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200],
    );
    assert.deepEqual(model.calls, [1, 2]);
  });

  it('reports not ready while closing', async () => {
    const model = versioned('1', 200);
    const { server, url } = await start({ models: [model], batching: { maxQueueDelayMs: 0 } });
    // Hold one keep-alive connection open with a slow request so the server is still up while closing.
    const slow = post(`${url}/v2/models/dense/infer`, inferBody([[1, 1, 1]]));
    while (model.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    const closing = server.close();
    const ready = await server.app.inject({ method: 'GET', url: '/v2/health/ready' });
    assert.ok(ready.statusCode === 400 || ready.statusCode === 503, String(ready.statusCode));
    assert.equal((await slow).status, 200);
    await closing;
  });
});
