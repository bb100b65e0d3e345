import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Batcher, ItemFailure } from '../../src/serve/batcher.ts';
import { ServeError } from '../../src/serve/errors.ts';
import { SUITE } from './helpers.ts';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A batcher over numbers whose runner doubles them and records each batch. */
function doubler(options: ConstructorParameters<typeof Batcher<number, number>>[2], delayMs = 0) {
  const batches: number[][] = [];
  const depths: number[] = [];
  const b = new Batcher<number, number>(
    'doubler',
    async (reqs) => {
      batches.push([...reqs]);
      if (delayMs > 0) await tick(delayMs);
      return reqs.map((r) => r * 2);
    },
    options,
    { onQueueDepth: (d) => depths.push(d) },
  );
  return { b, batches, depths };
}

describe('serve: Batcher', SUITE, () => {
  it('joins requests that arrive within the delay and answers each its own result', async () => {
    const { b, batches } = doubler({ maxBatchSize: 10, maxQueueDelayMs: 20 });
    const results = await Promise.all([1, 2, 3, 4].map((v) => b.submit(v, 1)));
    assert.deepEqual(results, [2, 4, 6, 8]);
    assert.deepEqual(batches, [[1, 2, 3, 4]]);
  });

  it('starts a batch as soon as it is full, without waiting for the delay', async () => {
    const { b, batches } = doubler({ maxBatchSize: 3, maxQueueDelayMs: 10_000 });
    const t0 = performance.now();
    const results = await Promise.all([1, 2, 3].map((v) => b.submit(v, 1)));
    assert.deepEqual(results, [2, 4, 6]);
    assert.ok(performance.now() - t0 < 1_000);
    assert.deepEqual(batches, [[1, 2, 3]]);
  });

  it('counts rows, not requests, against maxBatchSize', async () => {
    const { b, batches } = doubler({ maxBatchSize: 4, maxQueueDelayMs: 5 });
    await Promise.all([b.submit(1, 3), b.submit(2, 2), b.submit(3, 1), b.submit(4, 4)]);
    assert.deepEqual(batches, [[1], [2, 3], [4]]);
  });

  it('queues while a batch runs, so batches fill under load', async () => {
    const { b, batches } = doubler({ maxBatchSize: 8, maxQueueDelayMs: 0 }, 30);
    const first = b.submit(0, 1);
    await tick(5);
    const rest = [1, 2, 3, 4, 5].map((v) => b.submit(v, 1));
    assert.deepEqual(await Promise.all([first, ...rest]), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(batches, [[0], [1, 2, 3, 4, 5]]);
  });

  it('refuses with 503 when the queue is full and with 400 when one request exceeds the batch size', async () => {
    const { b } = doubler({ maxBatchSize: 10, maxQueueDelayMs: 50, maxQueueSize: 2 });
    const a = b.submit(1, 1);
    const c = b.submit(2, 1);
    await assert.rejects(
      b.submit(3, 1),
      (e: unknown) => e instanceof ServeError && e.status === 503 && /queue is full/.test(e.message),
    );
    await assert.rejects(b.submit(4, 11), (e: unknown) => e instanceof ServeError && e.status === 400);
    assert.deepEqual(await Promise.all([a, c]), [2, 4]);
  });

  it('times out a queued request with 504 and takes it out of the queue', async () => {
    const { b, batches, depths } = doubler({ maxBatchSize: 10, maxQueueDelayMs: 80 });
    const late = b.submit(1, 1, 20);
    const ok = b.submit(2, 1);
    await assert.rejects(
      late,
      (e: unknown) =>
        e instanceof ServeError && e.status === 504 && /did not answer within 20 ms/.test(e.message),
    );
    assert.equal(b.depth, 1);
    assert.equal(await ok, 4);
    assert.deepEqual(batches, [[2]]);
    assert.deepEqual(depths, [1, 2, 1, 0]);
  });

  it('fails only the requests of a failing batch, and single items marked ItemFailure', async () => {
    let call = 0;
    const b = new Batcher<number, number>(
      'flaky',
      async (reqs) => {
        call++;
        if (call === 1) throw new Error('model exploded');
        return reqs.map((r) => (r < 0 ? new ItemFailure(new ServeError('x', 400, `bad ${r}`)) : r));
      },
      { maxBatchSize: 4, maxQueueDelayMs: 5 },
    );
    await assert.rejects(b.submit(1, 1), /model exploded/);
    const [good, bad] = await Promise.allSettled([b.submit(5, 1), b.submit(-1, 1)]);
    assert.deepEqual(good, { status: 'fulfilled', value: 5 });
    assert.equal(bad.status, 'rejected');
    assert.match(String((bad as PromiseRejectedResult).reason), /bad -1/);
  });

  it('rejects every request of a batch whose runner answers the wrong number of results', async () => {
    const b = new Batcher<number, number>('short', async () => [1], { maxBatchSize: 4, maxQueueDelayMs: 5 });
    const r = await Promise.allSettled([b.submit(1, 1), b.submit(2, 1)]);
    assert.ok(
      r.every((x) => x.status === 'rejected' && /returned 1 results for 2 requests/.test(String(x.reason))),
    );
  });

  it('drain runs what is queued at once, waits for it, then refuses new requests', async () => {
    const { b, batches } = doubler({ maxBatchSize: 10, maxQueueDelayMs: 10_000 }, 10);
    const pending = [1, 2].map((v) => b.submit(v, 1));
    await b.drain();
    assert.ok(b.idle);
    assert.deepEqual(await Promise.all(pending), [2, 4]);
    assert.deepEqual(batches, [[1, 2]]);
    await assert.rejects(b.submit(3, 1), (e: unknown) => e instanceof ServeError && e.status === 503);
  });

  it('validates its options', () => {
    assert.throws(
      () => new Batcher('x', async () => [], { maxBatchSize: 0 }),
      /maxBatchSize must be an integer >= 1, got 0/,
    );
    assert.throws(
      () => new Batcher('x', async () => [], { maxQueueDelayMs: -1 }),
      /maxQueueDelayMs must be an integer >= 0/,
    );
  });
});
