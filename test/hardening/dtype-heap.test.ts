import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WasmHeap } from '../../src/backends/wasm/heap.ts';
import * as ts from '../../src/index.ts';

// Hardening item 1: an invalid dtype used to make the wasm heap pointer NaN, so every later tensor shared
// offset 0 and `add([1,2,3],[10,20,30])` gave [20,40,60].
describe('invalid dtype or shape allocates nothing and corrupts nothing', () => {
  for (const backend of ['ref', 'wasm'] as const) {
    it(`${backend}: later results stay correct after refused requests`, () => {
      const prev = ts.getBackend().name;
      ts.setBackend(backend);
      try {
        const bad: Array<() => unknown> = [
          () => ts.zeros([3], { dtype: 'int64' as never }),
          () => ts.ones([2], { dtype: 'float16' as never }),
          () => ts.tensor([1, 2], { dtype: 'uint8' as never }),
          () => ts.zeros([Number.NaN]),
          () => ts.zeros([-1]),
          () => ts.zeros([1.5]),
        ];
        for (const f of bad) assert.throws(f, ts.TensorScriptError);
        assert.throws(() => ts.zeros([3], { dtype: 'int64' as never }), /\[tensor\] unknown dtype "int64"/);
        const sum = ts.add(ts.tensor([1, 2, 3]), ts.tensor([10, 20, 30]));
        assert.deepEqual(Array.from(sum.toArray() as number[]), [11, 22, 33]);
        const a = ts.arange(0, 8),
          b = ts.arange(100, 108);
        if (backend === 'wasm') assert.notEqual(a.data.byteOffset, b.data.byteOffset);
        assert.deepEqual(Array.from(ts.sub(b, a).toArray() as number[]), new Array(8).fill(100));
      } finally {
        ts.setBackend(prev);
      }
    });
  }

  it('the heap allocator refuses non-finite, negative and fractional sizes', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
    const heap = new WasmHeap(1024, memory as never);
    for (const n of [Number.NaN, -8, 2.5, Number.POSITIVE_INFINITY]) {
      assert.throws(() => heap.allocBytes(n), /\[wasm\.alloc\] invalid block size/);
    }
    const p = heap.allocBytes(16),
      q = heap.allocBytes(16);
    assert.ok(p > 0 && q > p, `offsets ${p}, ${q}`);
    assert.throws(() => heap.allocUninit('int64' as never, 3), /\[wasm\.alloc\] unknown dtype/);
    assert.equal(heap.allocBytes(16), q + 64);
  });
});
