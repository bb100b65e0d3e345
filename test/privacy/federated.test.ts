// Federated learning over loopback HTTP: FedAvg weights by sample count (checked against a hand-computed
// step), and client processes on a Dirichlet(0.5) split of digits learn under secure aggregation while a
// client killed mid-round is dropped and the round still completes.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

const { federated: fl, nn } = ts;
const dir = mkdtempSync(join(tmpdir(), 'ts-fl-'));
const procs: ChildProcess[] = [];
after(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function digits(): { x: Float32Array; y: Int32Array; n: number } {
  const lines = readFileSync(resolve('datasets/digits.csv'), 'utf8').trim().split('\n').slice(1);
  const x = new Float32Array(lines.length * 64);
  const y = new Int32Array(lines.length);
  lines.forEach((l, i) => {
    const v = l.split(',').map(Number);
    for (let j = 0; j < 64; j++) x[i * 64 + j] = v[j]! / 16;
    y[i] = v[64]!;
  });
  return { x, y, n: lines.length };
}

function pick(d: { x: Float32Array; y: Int32Array }, idx: readonly number[]): ts.federated.ClientData {
  const x = new Float32Array(idx.length * 64);
  idx.forEach((i, k) => {
    x.set(d.x.subarray(i * 64, (i + 1) * 64), k * 64);
  });
  return { x, featureShape: [64], y: Int32Array.from(idx, (i) => d.y[i]!) };
}

describe('federated averaging over HTTP', { timeout: 120_000 }, () => {
  for (const secure of [false, true]) {
    it(`one full-batch round equals w0 - lr * sum_i n_i grad_i / sum_i n_i (secureAggregation: ${secure})`, async () => {
      const d = digits();
      ts.manualSeed(4);
      const model = new nn.Linear(64, 10);
      const w0 = fl.flatWeights(model);
      // Three clients of very different sizes, each doing one full-batch SGD step.
      const shards = [
        pick(d, [...Array(30).keys()]),
        pick(
          d,
          [...Array(200).keys()].map((i) => i + 30),
        ),
        pick(
          d,
          [...Array(90).keys()].map((i) => i + 300),
        ),
      ];
      const lr = 0.5;
      const coord = new fl.Coordinator(model, {
        rounds: 1,
        clientsPerRound: 3,
        minClients: 3,
        roundTimeoutMs: 20_000,
        epochs: 1,
        batchSize: 1000,
        lr,
        secureAggregation: secure,
      });
      const url = await coord.start();
      const clients = shards.map((data, i) => fl.runClient({ url, data, seed: i, pollMs: 5 }));
      await coord.run();
      await Promise.all(clients);
      await coord.close();
      // The reference: each shard's mean-loss gradient at w0, averaged with weights n_i / N.
      const ref = new nn.Linear(64, 10);
      fl.setFlatWeights(ref, w0);
      const want = Float64Array.from(w0);
      const total = shards.reduce((s, c) => s + c.y.length, 0);
      for (const c of shards) {
        for (const p of ref.parameters()) p.zeroGrad();
        ts.functional
          .crossEntropy(ref.call(ts.tensor(c.x, { shape: [c.y.length, 64] })), ts.tensor(c.y))
          .backward();
        const g = ref.parameters().flatMap((p) => Array.from(p.grad!.toTypedArray() as Float32Array));
        for (let i = 0; i < g.length; i++) want[i]! -= (lr * g[i]! * c.y.length) / total;
      }
      const got = fl.flatWeights(model);
      let maxErr = 0;
      for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i]! - want[i]!));
      assert.ok(maxErr < 2e-5, `max |w - w_ref| = ${maxErr}`);
      assert.deepEqual(coord.log[0]!.dropped, []);
    });
  }

  it('client processes on a Dirichlet(0.5) split learn with secure aggregation; a killed client is dropped', async () => {
    const d = digits();
    const g = new ts.Generator(7);
    const order = ts.data.permutation(d.n, g);
    const testIdx = Array.from(order.subarray(0, 400));
    const trainIdx = Array.from(order.subarray(400));
    const k = 5;
    const parts = fl.dirichletSplit(
      Int32Array.from(trainIdx, (i) => d.y[i]!),
      k,
      0.5,
      g,
    );
    ts.manualSeed(1);
    const model = new nn.Sequential(new nn.Linear(64, 32), new nn.ReLU(), new nn.Linear(32, 10));
    let victim: ChildProcess | undefined;
    const ids = new Map<string, ChildProcess>();
    const coord = new fl.Coordinator(model, {
      rounds: 15,
      clientsPerRound: k,
      minClients: k,
      roundTimeoutMs: 10_000,
      epochs: 2,
      batchSize: 16,
      lr: 0.2,
      secureAggregation: true,
      onEvent: (e) => {
        // Kill one client in round 3, after it has taken its task (mid-round).
        if (e.type === 'task' && e.round === 3 && victim === undefined) {
          victim = ids.get(e.client);
          victim?.kill('SIGKILL');
        }
      },
    });
    const url = await coord.start();
    const registered: Promise<void>[] = [];
    parts.forEach((p, i) => {
      const data = pick(
        d,
        p.map((j) => trainIdx[j]!),
      );
      const file = join(dir, `client-${i}.json`);
      writeFileSync(
        file,
        JSON.stringify({ x: Array.from(data.x), featureShape: [64], y: Array.from(data.y) }),
      );
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', resolve('src/federated/client-main.ts'), url, file, String(i)],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
          // One kernel thread per client process: five processes share the machine's cores.
          env: { ...process.env, TENSORSCRIPT_THREADS: '1' },
        },
      );
      procs.push(child);
      registered.push(
        new Promise((res) => {
          child.stdout!.on('data', (b: Buffer) => {
            const m = /registered (\S+)/.exec(b.toString());
            if (m !== null) {
              ids.set(m[1]!, child);
              res();
            }
          });
        }),
      );
    });
    await Promise.all(registered);
    const log = await coord.run();
    await coord.close();
    assert.ok(victim !== undefined, 'a client was killed');
    const r3 = log[2]!;
    assert.equal(r3.dropped.length, 1, JSON.stringify(r3));
    assert.equal(r3.survivors.length, k - 1);
    assert.ok(r3.aggregated, 'the round with a drop-out still aggregated');
    assert.ok(log.every((r) => r.aggregated));
    // The dead client stops polling, so later rounds sample only the live ones and wait for no one (round 4
    // may still pick it when it polled less than one deadline before round 3 ended).
    assert.ok(
      log.slice(4).every((r) => r.cohort.length === k - 1 && r.dropped.length === 0),
      JSON.stringify(log.slice(3)),
    );
    // Test accuracy of the global model on held-out digits.
    const test = pick(d, testIdx);
    const pred = ts.noGrad(() =>
      ts.argmax(model.call(ts.tensor(test.x, { shape: [testIdx.length, 64] })), 1).toTypedArray(),
    );
    let ok = 0;
    for (let i = 0; i < testIdx.length; i++) if (pred[i] === test.y[i]) ok++;
    assert.ok(ok / testIdx.length > 0.85, `federated test accuracy ${ok / testIdx.length}`);
  });

  it('simulation mode: 10 clients in one process on a Dirichlet(0.5) split, FedProx, half sampled per round', async () => {
    const d = digits();
    const g = new ts.Generator(8);
    const order = ts.data.permutation(d.n, g);
    const test = pick(d, Array.from(order.subarray(0, 400)));
    const train = pick(d, Array.from(order.subarray(400)));
    ts.manualSeed(2);
    const model = new nn.Sequential(new nn.Linear(64, 32), new nn.ReLU(), new nn.Linear(32, 10));
    const { log, sizes } = await fl.simulate(model, {
      data: train,
      clients: 10,
      alpha: 0.5,
      rounds: 20,
      clientsPerRound: 5,
      roundTimeoutMs: 20_000,
      epochs: 2,
      batchSize: 16,
      lr: 0.2,
      proximalMu: 0.01,
      seed: 3,
    });
    assert.equal(log.length, 20);
    assert.ok(log.every((r) => r.cohort.length === 5 && r.aggregated));
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      train.y.length,
    );
    const pred = ts.noGrad(() =>
      ts.argmax(model.call(ts.tensor(test.x, { shape: [400, 64] })), 1).toTypedArray(),
    );
    let ok = 0;
    for (let i = 0; i < 400; i++) if (pred[i] === test.y[i]) ok++;
    assert.ok(ok / 400 > 0.85, `simulated federated accuracy ${ok / 400}`);
  });
});
