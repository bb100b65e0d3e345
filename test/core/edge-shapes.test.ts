import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

/** Size-0, scalar, broadcast, non-contiguous and odd-length cases, on every backend. */
for (const backend of ts.backendNames()) {
  describe(`edge shapes [${backend}]`, () => {
    it('size-0 tensors flow through elementwise, reductions and matmul', () => {
      ts.setBackend(backend);
      const e = ts.zeros([0, 3]);
      assert.deepEqual(e.add(1).shape, [0, 3]);
      assert.deepEqual(e.sum(0).toArray(), [0, 0, 0]);
      assert.equal(e.sum().item(), 0);
      assert.deepEqual(e.matmul(ts.ones([3, 2])).shape, [0, 2]);
      assert.deepEqual(
        ts
          .ones([2, 0])
          .matmul(ts.ones([0, 3]))
          .toArray(),
        [
          [0, 0, 0],
          [0, 0, 0],
        ],
      );
      assert.throws(() => e.amax(0), /\[amax\] cannot reduce over an empty dimension/);
    });
    it('scalars', () => {
      ts.setBackend(backend);
      const s = ts.tensor(3, { dtype: 'float32', requiresGrad: true });
      assert.deepEqual(s.shape, []);
      const y = s.mul(s).add(ts.ones([2]));
      assert.deepEqual(y.toArray(), [10, 10]);
      y.sum().backward();
      assert.equal(s.grad!.item(), 12);
    });
    it('odd lengths (not multiples of 4 or 8) and non-contiguous views match a plain loop', () => {
      ts.setBackend(backend);
      for (const n of [1, 3, 5, 7, 9, 13, 17, 31, 33]) {
        const g = new ts.Generator(n);
        const a = ts.randn([n, n + 2], { generator: g });
        const b = ts.randn([n + 2, n], { generator: g });
        const c = a.matmul(b);
        const ad = a.toTypedArray();
        const bd = b.toTypedArray();
        const cd = c.toTypedArray();
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let k = 0; k < n + 2; k++) s += ad[i * (n + 2) + k]! * bd[k * n + j]!;
            assert.ok(Math.abs(cd[i * n + j]! - s) < 1e-4 * (1 + Math.abs(s)), `matmul n=${n}`);
          }
        }
        const t = a.t();
        const sum = t.add(b).toTypedArray();
        for (let i = 0; i < n + 2; i++)
          for (let j = 0; j < n; j++)
            assert.equal(sum[i * n + j], Math.fround(ad[j * (n + 2) + i]! + bd[i * n + j]!));
        const rowSum = t.sum(1).toTypedArray();
        for (let i = 0; i < n + 2; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += ad[j * (n + 2) + i]!;
          assert.ok(Math.abs(rowSum[i]! - s) < 1e-5 * (1 + Math.abs(s)));
        }
      }
    });
    it('broadcasting a row and a column', () => {
      ts.setBackend(backend);
      const r = ts.arange(5).to('float32');
      const c = ts.arange(3).to('float32').reshape(3, 1);
      assert.deepEqual(r.add(c).toArray(), [
        [0, 1, 2, 3, 4],
        [1, 2, 3, 4, 5],
        [2, 3, 4, 5, 6],
      ]);
    });
  });
}
