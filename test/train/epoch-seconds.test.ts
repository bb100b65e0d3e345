import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import { Callback, compile, History } from '../../src/train/index.ts';
import { toyData, toyModel } from './setup.ts';

const data = toyData();
const root = mkdtempSync(join(tmpdir(), 'ts-epoch-s-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Waits `ms` at the end of the given epoch: a lower bound on that epoch's time that load cannot shrink. */
class SlowEpoch extends Callback {
  constructor(
    private readonly at: number,
    private readonly ms: number,
  ) {
    super();
  }
  override async onEpochEnd(epoch: number): Promise<void> {
    if (epoch === this.at) await new Promise((r) => setTimeout(r, this.ms));
  }
}

describe("History records each epoch's wall-clock seconds", () => {
  it('one finite positive value per epoch, apart from the metric keys, and in the JSON as epoch_seconds', async () => {
    const t = compile(toyModel(3), { optimizer: 'adam', loss: 'crossEntropy', metrics: ['accuracy'] });
    const h = await t.fit(data.x, data.y, {
      epochs: 3,
      batchSize: 16,
      verbose: 0,
      callbacks: [new SlowEpoch(1, 40)],
    });
    assert.equal(h.epochSeconds.length, 3);
    for (const s of h.epochSeconds) assert.ok(Number.isFinite(s) && s > 0, `epoch seconds ${s}`);
    // the callback's wait is inside the epoch it ends
    assert.ok(h.epochSeconds[1]! >= 0.035, `epoch 1 took ${h.epochSeconds[1]} s, it waited 40 ms`);
    assert.deepEqual(Object.keys(h.history).sort(), ['accuracy', 'loss']);
    const json = h.toJSON();
    assert.deepEqual(json.history.epoch_seconds, h.epochSeconds);
    assert.equal(ts.validateHistory(json), json);
    const back = History.fromJSON(json);
    assert.deepEqual(back.epochSeconds, h.epochSeconds);
    assert.deepEqual(back.history, h.history);
  });

  it("a resumed fit keeps the earlier epochs' seconds from the checkpoint and times the new ones", async () => {
    const dir = join(root, 'ck');
    const t = compile(toyModel(4), { optimizer: 'adam', loss: 'crossEntropy' });
    const h = await t.fit(data.x, data.y, { epochs: 2, batchSize: 16, verbose: 0, checkpointDir: dir });
    const t2 = compile(toyModel(4), { optimizer: 'adam', loss: 'crossEntropy' });
    const h2 = await t2.fit(data.x, data.y, { epochs: 3, batchSize: 16, verbose: 0, resumeFrom: dir });
    assert.deepEqual(h2.epoch, [0, 1, 2]);
    assert.deepEqual(h2.epochSeconds.slice(0, 2), h.epochSeconds);
    assert.ok(h2.epochSeconds[2]! > 0);
    assert.deepEqual(Object.keys(h2.history), ['loss']);
  });
});
