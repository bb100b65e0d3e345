// Secure aggregation by pairwise masks: the sum is exact, one masked update is uncorrelated with the
// true one, and drop-outs are recovered from the survivors' seeds with the dropped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

const { federated: fl } = ts;

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function cohort(k: number) {
  return Array.from({ length: k }, (_, i) => ({ id: `c${i}`, keys: fl.generateKeys() }));
}

describe('secure aggregation', () => {
  const d = 20000;
  const g = new ts.Generator(1);
  const clients = cohort(6);
  const peers = clients.map((c) => ({ id: c.id, publicKey: c.keys.publicKey }));
  const updates = clients.map(() => Float64Array.from({ length: d }, () => g.normal() * 0.05 + 0.01));
  const masked = new Map(clients.map((c, i) => [c.id, fl.maskUpdate(updates[i]!, c, peers, 3)]));

  it('the aggregate equals the sum of the true updates (up to fixed-point rounding)', () => {
    const sum = fl.unmaskSum(masked, new Map(), []);
    for (let j = 0; j < d; j++) {
      const want = updates.reduce((s, u) => s + u[j]!, 0);
      assert.ok(Math.abs(sum[j]! - want) <= 6 / fl.DEFAULT_SCALE, `element ${j}: ${sum[j]} vs ${want}`);
    }
  });

  it('what the coordinator receives from one client is uncorrelated with its true update', () => {
    for (const [i, c] of clients.entries()) {
      const seen = fl.decode(masked.get(c.id)!);
      const r = pearson(seen, updates[i]!);
      // n = 20000: |r| of independent vectors is below 4/sqrt(n) ~ 0.028 with overwhelming probability.
      assert.ok(Math.abs(r) < 4 / Math.sqrt(d), `client ${c.id}: correlation ${r}`);
      // And it spans the whole range (the masked words look uniform): mean |value| ~ 2^31/2 / scale.
      const meanAbs = seen.reduce((s, v) => s + Math.abs(v), 0) / d;
      assert.ok(meanAbs > 40 && meanAbs < 88, `mean |masked| ${meanAbs}, expected ~64`);
    }
    // The same client's update without masks is of course perfectly correlated (the test can fail).
    assert.ok(pearson(fl.decode(fl.encode(updates[0]!)), updates[0]!) > 0.999);
  });

  it('two drop-outs after masking: survivors reveal their seeds with them and the survivors sum is exact', () => {
    const dropped = ['c1', 'c4'];
    const survivors = clients.filter((c) => !dropped.includes(c.id));
    const got = new Map([...masked].filter(([id]) => !dropped.includes(id)));
    const droppedPeers = peers.filter((p) => dropped.includes(p.id));
    const reveals = new Map(survivors.map((c) => [c.id, fl.revealSeeds(c, droppedPeers, 3)]));
    const sum = fl.unmaskSum(got, reveals, dropped);
    for (let j = 0; j < 200; j++) {
      const want = clients.reduce((s, c, i) => (dropped.includes(c.id) ? s : s + updates[i]![j]!), 0);
      assert.ok(Math.abs(sum[j]! - want) <= 6 / fl.DEFAULT_SCALE);
    }
    // Without the reveals the sum is garbage, so the recovery is what makes it exact.
    assert.throws(() => fl.unmaskSum(got, new Map(), dropped), /revealed no seeds/);
  });

  it('seeds are per round and per pair; encoding refuses values that could overflow', () => {
    const [a, b] = clients;
    const s1 = fl.pairSeed(a!.keys.privateKey, b!.keys.publicKey, 1, a!.id, b!.id);
    const s1b = fl.pairSeed(b!.keys.privateKey, a!.keys.publicKey, 1, b!.id, a!.id);
    assert.deepEqual(s1, s1b);
    assert.notDeepEqual(s1, fl.pairSeed(a!.keys.privateKey, b!.keys.publicKey, 2, a!.id, b!.id));
    assert.throws(() => fl.encode([200]), /outside the fixed-point range/);
  });
});

describe('Dirichlet partitions', () => {
  it('cover every sample once; small alpha skews the classes per client', () => {
    const labels = Int32Array.from({ length: 3000 }, (_, i) => i % 10);
    const parts = fl.dirichletSplit(labels, 10, 0.5, new ts.Generator(2));
    const all = parts.flat().sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: 3000 }, (_, i) => i),
    );
    // With alpha 0.5 a typical client's most frequent class holds far more than the IID 10%.
    const topShare = parts.map((p) => {
      const c = new Array(10).fill(0);
      for (const i of p) c[labels[i]!]++;
      return Math.max(...c) / Math.max(1, p.length);
    });
    const median = [...topShare].sort((a, b) => a - b)[5]!;
    assert.ok(median > 0.25, `median top-class share ${median}`);
    const iid = fl.dirichletSplit(labels, 10, 1000, new ts.Generator(2));
    assert.ok(iid.every((p) => Math.abs(p.length - 300) < 40));
  });
});
