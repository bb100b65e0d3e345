// One fit logging into a shared run store: `node --import tsx store-child.ts <store> <name> <seed>`.
import * as ts from '../../src/index.ts';
import { SGD } from '../../src/optim/index.ts';
import { compile } from '../../src/train/index.ts';
import { toyData, toyModel } from '../train/setup.ts';

const [store, name, seed] = process.argv.slice(2) as [string, string, string];
const data = toyData(96, Number(seed));
const m = toyModel(Number(seed));
const t = compile(m, {
  optimizer: new SGD(m.parameters(), { lr: 0.05 }),
  loss: 'crossEntropy',
  metrics: ['accuracy'],
});
const s = new ts.tracking.RunStore(store);
// flushEvery 1: a transaction per step, so the two processes contend for the write lock as often as possible.
const tracker = new ts.tracking.RunTracker(s, {
  name,
  params: { seed: Number(seed), lr: 0.05 },
  flushEvery: 1,
});
const h = await t.fit(data.x, data.y, {
  epochs: 4,
  batchSize: 4,
  validationSplit: 0.25,
  callbacks: [tracker],
  verbose: 0,
});
s.close();
process.stdout.write(`${JSON.stringify({ runId: tracker.runId, loss: h.history.loss })}\n`);
