import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { forEachLimited } from '../../src/data/pool.ts';
import { loadTextFolder } from '../../src/data/text/text-folder.ts';

test('forEachLimited keeps at most `concurrency` calls in flight and visits every index once', async () => {
  let inFlight = 0;
  let max = 0;
  const seen = new Array<number>(500).fill(0);
  await forEachLimited(500, 9, async (i) => {
    inFlight++;
    max = Math.max(max, inFlight);
    await new Promise((r) => setImmediate(r));
    seen[i]!++;
    inFlight--;
  });
  assert.equal(max, 9);
  assert.ok(seen.every((c) => c === 1));
  await forEachLimited(0, 4, async () => assert.fail('no index'));
});

test('forEachLimited rejects with the first error and stops taking new indices', async () => {
  let started = 0;
  await assert.rejects(
    forEachLimited(1000, 3, async (i) => {
      started++;
      await new Promise((r) => setImmediate(r));
      if (i === 10) throw new Error('boom at 10');
    }),
    /boom at 10/,
  );
  assert.ok(started < 20, `started ${started}`);
});

test('loadTextFolder reads a few hundred documents through the pool, in sorted path order', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ts-textpool-'));
  for (const c of ['neg', 'pos']) mkdirSync(join(root, c));
  for (let i = 0; i < 300; i++)
    writeFileSync(join(root, i % 2 ? 'pos' : 'neg', `d${String(i).padStart(3, '0')}.txt`), `doc ${i}`);
  const t = await loadTextFolder(root, { concurrency: 5 });
  assert.equal(t.texts.length, 300);
  assert.equal(t.texts[0], 'doc 0');
  assert.equal(t.texts[150], 'doc 1');
  assert.deepEqual(t.classes, ['neg', 'pos']);
  assert.equal(t.labels[150], 1);
  await assert.rejects(loadTextFolder(root, { concurrency: 0 }), /concurrency must be a positive integer/);
});
