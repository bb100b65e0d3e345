import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RefBackend } from '../../../src/backends/ref/backend.ts';
import { WasmBackend } from '../../../src/backends/wasm/backend.ts';
import { fold3d } from '../../../src/backends/wasm/fold.ts';
import * as ts from '../../../src/index.ts';
import type { Pool2dAttrs } from '../../../src/kernels/backend.ts';
import {
  getKernel,
  registerKernel,
  runKernel,
  tryKernel,
  unregisterKernel,
} from '../../../src/kernels/kernel-registry.ts';
import { adamStep_, sgdMomentumStep_ } from '../../../src/tensor/ops/updates.ts';
import { assertClose, contiguousStrides, rand, view } from './helpers.ts';

/*
 * The wasm backend's fused kernels and scheduling against the composites they replace (computed by the
 * reference backend): matmul + bias epilogue (GEMM tolerance), ReLU backward and axpy (exact: the same
 * correctly rounded float32 operations), 3-level elementwise folds (exact), the 2x2 max-pool fast path
 * with ties and NaN (exact, same indices), and many-block tasks on the pool (identical to one thread).
 */
const ref = new RefBackend();
const configs = [
  { label: '1 thread', backend: new WasmBackend({ threads: 1 }) },
  { label: '2 threads', backend: new WasmBackend({ threads: 2, adaptive: false }) },
];

before(async () => {
  for (const c of configs) await c.backend.ready();
});
after(async () => {
  for (const c of configs) await c.backend.terminate();
});

for (const { label, backend: wasm } of configs) {
  describe(`wasm fused kernels (${label})`, () => {
    it('matmulBias equals matmul then a row-vector add (small M, K across packing panels, both layouts)', () => {
      for (const [m, n, k] of [
        [1, 500, 784],
        [2, 37, 33],
        [3, 100, 5],
        [4, 9, 300],
        [100, 250, 500],
        [65, 10, 257],
      ] as [number, number, number][]) {
        for (const transB of [false, true]) {
          const a = rand(wasm, m * k);
          const b = rand(wasm, n * k);
          const bias = rand(wasm, n);
          const dims = { batch: 1, m, n, k, transA: false, transB, strideA: 0, strideB: 0 };
          const out = wasm.alloc('float32', m * n);
          out.fill(Number.NaN);
          assert.equal(
            tryKernel('matmulBias', { inputs: { a, b, bias }, outputs: { out }, attrs: dims }, wasm),
            true,
          );
          const expected = ref.alloc('float32', m * n);
          runKernel('matmul', { inputs: { a, b }, outputs: { out: expected }, attrs: dims }, ref);
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expected[i * n + j]! += bias[j]!;
          assertClose(out, expected, 1e-5, 1e-5 * Math.sqrt(k + 1), `matmulBias ${m}x${n}x${k} tB=${transB}`);
        }
      }
      // Declines what it does not handle, so the op layer falls back to the composite.
      const d = new Float64Array(4);
      const dims = { batch: 1, m: 2, n: 2, k: 2, transA: false, transB: false, strideA: 0, strideB: 0 };
      assert.equal(
        tryKernel(
          'matmulBias',
          { inputs: { a: d, b: d, bias: new Float64Array(2) }, outputs: { out: d }, attrs: dims },
          wasm,
        ),
        false,
      );
    });

    it('reluBackward is where(x > 0, g, 0) bit for bit, NaN and signed zeros included', () => {
      const n = 70001;
      const x = rand(wasm, n);
      const g = rand(wasm, n);
      const specials = [Number.NaN, 0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-45, -1e-45];
      specials.forEach((v, i) => {
        x[i] = v;
        g[i + 10] = v;
        x[i + 10] = 1;
      });
      const out = wasm.alloc('float32', n);
      assert.equal(tryKernel('reluBackward', { inputs: { g, x }, outputs: { out }, attrs: {} }, wasm), true);
      const mask = ref.alloc('bool', n);
      const zero = new Float32Array(1);
      runKernel(
        'binary',
        {
          inputs: { a: view(x, 'float32', [n]), b: view(zero, 'float32', [n], [0]) },
          outputs: { out: mask },
          attrs: { op: 'gt' },
        },
        ref,
      );
      const expected = ref.alloc('float32', n);
      runKernel(
        'where',
        {
          inputs: {
            cond: view(mask, 'bool', [n]),
            a: view(g, 'float32', [n]),
            b: view(zero, 'float32', [n], [0]),
          },
          outputs: { out: expected },
          attrs: {},
        },
        ref,
      );
      for (let i = 0; i < n; i++)
        assert.ok(Object.is(out[i], expected[i]), `[${i}] ${out[i]} vs ${expected[i]}`);
    });

    it('axpy is x + alpha * y as two rounded float32 ops', () => {
      const n = 50003;
      const x = rand(wasm, n);
      const y = rand(wasm, n);
      const scaled = ref.alloc('float32', n);
      const alpha = new Float32Array([-0.37]);
      runKernel(
        'binary',
        {
          inputs: { a: view(y, 'float32', [n]), b: view(alpha, 'float32', [n], [0]) },
          outputs: { out: scaled },
          attrs: { op: 'mul' },
        },
        ref,
      );
      const expected = ref.alloc('float32', n);
      runKernel(
        'binary',
        {
          inputs: { a: view(x, 'float32', [n]), b: view(scaled, 'float32', [n]) },
          outputs: { out: expected },
          attrs: { op: 'add' },
        },
        ref,
      );
      assert.equal(
        tryKernel('axpy', { inputs: { y }, outputs: { x }, attrs: { alpha: alpha[0]! } }, wasm),
        true,
      );
      assert.deepEqual(Array.from(x), Array.from(expected));
    });

    it('elementwise ops on [N, C, H, W] with a per-channel [1, C, 1, 1] operand run folded, exactly', () => {
      const shape = [3, 5, 7, 6];
      const size = 3 * 5 * 7 * 6;
      const x = rand(wasm, size);
      const c = rand(wasm, 5);
      const cStrides = [0, 1, 0, 0];
      for (const op of ['add', 'mul', 'sub', 'gt'] as const) {
        const dt = op === 'gt' ? 'bool' : 'float32';
        const outW = wasm.alloc(dt, size);
        const outR = ref.alloc(dt, size);
        runKernel(
          'binary',
          {
            inputs: { a: view(x, 'float32', shape), b: view(c, 'float32', shape, cStrides) },
            outputs: { out: outW },
            attrs: { op },
          },
          wasm,
        );
        runKernel(
          'binary',
          {
            inputs: { a: view(x, 'float32', shape), b: view(c, 'float32', shape, cStrides) },
            outputs: { out: outR },
            attrs: { op },
          },
          ref,
        );
        assert.deepEqual(Array.from(outW), Array.from(outR), op);
      }
      const outW = wasm.alloc('float32', size);
      const outR = ref.alloc('float32', size);
      runKernel(
        'unary',
        { inputs: { x: view(c, 'float32', shape, cStrides) }, outputs: { out: outW }, attrs: { op: 'exp' } },
        wasm,
      );
      runKernel(
        'unary',
        { inputs: { x: view(c, 'float32', shape, cStrides) }, outputs: { out: outR }, attrs: { op: 'exp' } },
        ref,
      );
      assertClose(outW, outR, 4e-7, 0, 'exp of a broadcast channel vector');
    });

    it('max pooling 2x2 / stride 2 keeps the first of tied maxima and lets NaN win, as the reference', () => {
      const xShape = [2, 3, 9, 8];
      const size = 2 * 3 * 9 * 8;
      const x = rand(wasm, size);
      // ties, NaN, -inf planes
      for (let i = 0; i < size; i += 7) x[i] = 0.5;
      for (let i = 3; i < size; i += 11) x[i] = Number.NaN;
      for (let i = 0; i < 72; i++) x[72 + i] = Number.NEGATIVE_INFINITY;
      const attrs: Pool2dAttrs = {
        kernel: [2, 2],
        stride: [2, 2],
        padding: [0, 0],
        dilation: [1, 1],
        ceilMode: false,
        countIncludePad: true,
      };
      const outShape = [2, 3, 4, 4];
      const oW = wasm.alloc('float32', 96);
      const oR = ref.alloc('float32', 96);
      const iW = wasm.alloc('int32', 96) as Int32Array;
      const iR = ref.alloc('int32', 96) as Int32Array;
      runKernel(
        'maxPool2d',
        { inputs: { x }, outputs: { out: oW, indices: iW }, attrs: { ...attrs, xShape, outShape } },
        wasm,
      );
      runKernel(
        'maxPool2d',
        { inputs: { x }, outputs: { out: oR, indices: iR }, attrs: { ...attrs, xShape, outShape } },
        ref,
      );
      assertClose(oW, oR, 0, 0, 'maxpool values');
      assert.deepEqual(Array.from(iW), Array.from(iR));
    });

    it('argmax/argmin match the reference: first index on ties, first NaN wins, any layout', () => {
      for (const [outer, red, inner] of [
        [1, 10, 1],
        [100, 10, 1],
        [3, 17, 65],
        [1, 100000, 1],
        [70000, 3, 1],
        [2, 1, 5],
      ] as [number, number, number][]) {
        const n = outer * red * inner;
        const x = rand(wasm, n);
        for (let i = 0; i < n; i += 5) x[i] = 0.25; // ties
        for (let i = 7; i < n; i += 97) x[i] = Number.NaN;
        for (const op of ['argmax', 'argmin'] as const) {
          const outW = wasm.alloc('int32', outer * inner) as Int32Array;
          const outR = ref.alloc('int32', outer * inner) as Int32Array;
          runKernel(
            'argReduce',
            { inputs: { x }, outputs: { out: outW }, attrs: { op, outer, reduce: red, inner } },
            wasm,
          );
          runKernel(
            'argReduce',
            { inputs: { x }, outputs: { out: outR }, attrs: { op, outer, reduce: red, inner } },
            ref,
          );
          assert.deepEqual(Array.from(outW), Array.from(outR), `${op} ${outer}x${red}x${inner}`);
        }
      }
    });

    it('back-to-back multi-block tasks run every block exactly once (the claiming protocol)', () => {
      const n = 40000; // 3 blocks
      const x = wasm.alloc('float32', n);
      const y = wasm.alloc('float32', n);
      y.fill(1);
      for (let r = 0; r < 400; r++)
        tryKernel('axpy', { inputs: { y }, outputs: { x }, attrs: { alpha: 1 } }, wasm);
      assert.ok(
        x.every((v) => v === 400),
        `got ${x.find((v) => v !== 400)}`,
      );
    });

    it('a kernel that traps in some block throws, and the pool keeps working', () => {
      const heapBytes = (wasm.heap.memory.buffer as ArrayBuffer).byteLength;
      const n = 1 << 20;
      // The first half of the fill lies inside the memory, the second half past its end: the block
      // that writes it traps, on whichever thread claims it.
      const ptr = heapBytes - (n / 2) * 4;
      const run = (wasm as unknown as { runBlocks(t: string, a: number[], b: number): void }).runBlocks.bind(
        wasm,
      );
      assert.throws(() => run('k_fill32', [ptr, n, 0], 2), /wasm|memory access out of bounds/);
      const x = wasm.alloc('float32', 40000);
      const y = wasm.alloc('float32', 40000);
      y.fill(2);
      for (let r = 0; r < 50; r++)
        tryKernel('axpy', { inputs: { y }, outputs: { x }, attrs: { alpha: 1 } }, wasm);
      assert.ok(x.every((v) => v === 100));
    });

    it('tasks split into many blocks give the same bits as one thread', () => {
      const one = configs[0]!.backend;
      const n = 300001;
      const a = rand(wasm, n);
      const b = rand(wasm, n);
      const outW = wasm.alloc('float32', n);
      const outOne = one.alloc('float32', n);
      const va = view(a, 'float32', [n]);
      const vb = view(b, 'float32', [n]);
      for (let r = 0; r < 20; r++) {
        runKernel('binary', { inputs: { a: va, b: vb }, outputs: { out: outW }, attrs: { op: 'div' } }, wasm);
        runKernel(
          'binary',
          {
            inputs: { a: view(a, 'float32', [n]), b: view(b, 'float32', [n]) },
            outputs: { out: outOne },
            attrs: { op: 'div' },
          },
          one,
        );
        assert.deepEqual(Array.from(outW.subarray(0, 1000)), Array.from(outOne.subarray(0, 1000)));
      }
      assert.deepEqual(Array.from(outW), Array.from(outOne));
      const m = 96;
      const k = 200;
      const p = 300;
      const x = rand(wasm, m * k);
      const w = rand(wasm, k * p);
      const dims = { batch: 1, m, n: p, k, transA: false, transB: false, strideA: 0, strideB: 0 };
      const c1 = wasm.alloc('float32', m * p);
      const c2 = one.alloc('float32', m * p);
      for (let r = 0; r < 10; r++) {
        runKernel('matmul', { inputs: { a: x, b: w }, outputs: { out: c1 }, attrs: dims }, wasm);
        runKernel('matmul', { inputs: { a: x, b: w }, outputs: { out: c2 }, attrs: dims }, one);
        assert.deepEqual(Array.from(c1), Array.from(c2), `round ${r}`);
      }
    });
  });
}

describe('adaptive dispatch', () => {
  it('goes solo when workers cost more than they save over a window, backing off 50 ms -> 2 s, and recovers', async () => {
    const be = new WasmBackend({ threads: 2 });
    await be.ready();
    try {
      type Internals = {
        soloUntil: number;
        soloMs: number;
        cpuMs: () => number;
        account(m: number, t: number, o: number, w: number): void;
      };
      const pool = (be as unknown as { pool: Internals }).pool;
      // The process CPU clock stands in for the machine: 2 cores' worth of CPU per wall ms (free), or 1.
      let cores = 2;
      let cpu = 0;
      let last = performance.now();
      pool.cpuMs = () => {
        const now = performance.now();
        cpu += (now - last) * cores;
        last = now;
        return cpu;
      };
      // A window opens after one task; a task with 20 ms of the caller's kernel time then closes it.
      // (2 ms of real time between them, so the CPU-per-wall-time ratio is not read off clock ticks.)
      const judge = (mine: number, theirs: number, own: number, wait: number) => {
        pool.account(1, 1, 0.01, 0);
        const until = performance.now() + 2;
        while (performance.now() < until);
        pool.account(mine, theirs, own, wait);
      };
      // The worker did 1 block while the caller did 3 in 30 ms (saved ~10 ms) but the caller waited 100 ms.
      const before = performance.now();
      judge(3, 1, 30, 100);
      assert.ok(pool.soloUntil >= before + 50, 'solo for 50 ms');
      assert.equal(pool.soloMs, 100);
      for (let i = 0; i < 10; i++) judge(3, 1, 30, 100);
      assert.equal(pool.soloMs, 2000);
      // Paying dispatch (saved 60 ms, no wait) halves the next solo period again.
      judge(1, 3, 20, 0);
      assert.equal(pool.soloMs, 1000);
      // Judged per window, not per task: one late worker among punctual ones is no verdict (this
      // per-task rule kept a quiet machine's MLP step on one thread), nor are tasks the worker missed
      // with the caller's microseconds of bookkeeping counted as waiting.
      pool.soloUntil = 0;
      pool.account(2, 2, 1, 2.5);
      for (let i = 0; i < 40; i++) pool.account(2, 2, 1, 0.01);
      assert.equal(pool.soloUntil, 0, 'one late wake-up in a paying window');
      for (let i = 0; i < 300; i++) pool.account(4, 0, 0.05, 0.0005);
      assert.equal(pool.soloUntil, 0, 'a window the workers never joined');
      // Starved: workers take blocks and nobody waits, but the process gets one core for both threads.
      cores = 1;
      const t0 = performance.now();
      const period = pool.soloMs;
      judge(2, 2, 20, 0);
      assert.ok(pool.soloUntil >= t0 + period, 'solo while starved');
      // The same window with 2 cores' worth of CPU time pays.
      cores = 2;
      pool.soloUntil = 0;
      judge(2, 2, 20, 0);
      assert.equal(pool.soloUntil, 0, 'not starved with 2 cores');
      // Results do not depend on who ran the blocks: solo now, same bits as before.
      const n = 100000;
      const a = rand(be, n);
      const b = rand(be, n);
      const o1 = be.alloc('float32', n);
      const o2 = be.alloc('float32', n);
      runKernel(
        'binary',
        {
          inputs: { a: view(a, 'float32', [n]), b: view(b, 'float32', [n]) },
          outputs: { out: o1 },
          attrs: { op: 'mul' },
        },
        be,
      );
      pool.soloUntil = 0;
      runKernel(
        'binary',
        {
          inputs: { a: view(a, 'float32', [n]), b: view(b, 'float32', [n]) },
          outputs: { out: o2 },
          attrs: { op: 'mul' },
        },
        be,
      );
      assert.deepEqual(Array.from(o1), Array.from(o2));
    } finally {
      await be.terminate();
    }
  });
});

describe('fold3d', () => {
  it('prefers two levels, finds the per-channel three-level split, and gives up on irregular strides', () => {
    assert.deepEqual(fold3d([4, 5], [contiguousStrides([4, 5]), [0, 1]]), {
      planes: 1,
      outer: 4,
      inner: 5,
      sp: [0, 0],
      so: [5, 0],
      si: [1, 1],
    });
    const f = fold3d([2, 3, 4, 5], [contiguousStrides([2, 3, 4, 5]), [0, 1, 0, 0]])!;
    assert.deepEqual([f.planes, f.outer, f.inner], [2, 3, 20]);
    assert.deepEqual(
      [f.sp, f.so, f.si],
      [
        [60, 0],
        [20, 1],
        [1, 0],
      ],
    );
    // strides that no split makes constant (the reference kernel handles these)
    assert.equal(fold3d([2, 3, 4, 5], [[100, 7, 3, 1]]), undefined);
  });
});

describe('fused ops in the op layer', () => {
  it("linear with a bias records one 'linear' op and matches the composite's values and gradients", () => {
    const run = (backend: string) => {
      ts.setBackend(backend);
      const x = ts.randn([6, 13], { generator: new ts.Generator(1) }).requiresGrad_(true);
      const w = ts.randn([9, 13], { generator: new ts.Generator(2) }).requiresGrad_(true);
      const b = ts.randn([9], { generator: new ts.Generator(3) }).requiresGrad_(true);
      const y = ts.functional.linear(x, w, { bias: b });
      assert.equal(y.gradFn?.op, 'linear');
      const h = y.relu();
      h.backward(ts.randn(h.shape, { generator: new ts.Generator(4) }));
      return [y, x.grad!, w.grad!, b.grad!].map((t) => Array.from(t.toTypedArray()));
    };
    const before = ts.getBackend().name;
    try {
      const r = run('ref');
      const wsm = run('wasm');
      r.forEach((v, i) => {
        assertClose(wsm[i]!, v, 1e-5, 1e-5, `output/grad ${i}`);
      });
    } finally {
      ts.setBackend(before);
    }
  });
});

describe('fused optimizer steps', () => {
  const bits = (t: ts.Tensor) => Array.from(new Uint32Array(new Float32Array(t.toTypedArray()).buffer));
  /** Counts calls of a fused kernel on the current backend, so the tests prove the fused path ran. */
  const spy = (name: 'adam' | 'sgdMomentum') => {
    const be = ts.getBackend().name;
    const orig = getKernel(name, be);
    const count = { n: 0 };
    if (orig !== undefined) {
      unregisterKernel(name, be);
      registerKernel({
        name,
        backend: be,
        fn: (args) => {
          count.n++;
          return orig(args);
        },
      });
    }
    const restore = () => {
      if (orig === undefined) return;
      unregisterKernel(name, be);
      registerKernel({ name, backend: be, fn: orig });
    };
    return { count, restore };
  };
  const setup = (n: number, seed: number) => {
    const g = new ts.Generator(seed);
    return [0, 1, 2, 3].map(() => ts.randn([n], { generator: g }));
  };

  it('sgdMomentumStep_ gives the bits of mul_/add_ with alpha, on wasm and on ref', () => {
    const before = ts.getBackend().name;
    try {
      for (const name of ['wasm', 'ref']) {
        ts.setBackend(name);
        const [p, d, buf] = setup(40003, 1);
        const [p2, , buf2] = [p!.clone(), d, buf!.clone()];
        const s1 = spy('sgdMomentum');
        ts.noGrad(() => {
          for (let s = 0; s < 3; s++) {
            sgdMomentumStep_(p!, d!, buf!, { lr: 0.01, momentum: 0.9, dampening: 0.1 });
            buf2!.mul_(0.9).add_(d!, 1 - 0.1);
            p2!.add_(buf2!, -0.01);
          }
        });
        s1.restore();
        assert.equal(s1.count.n, name === 'wasm' ? 3 : 0);
        assert.deepEqual(bits(buf!), bits(buf2!), `${name} buf`);
        assert.deepEqual(bits(p!), bits(p2!), `${name} p`);
      }
    } finally {
      ts.setBackend(before);
    }
  });

  it('adamStep_ gives the bits of the composite Adam update (torch.optim.Adam, no amsgrad)', () => {
    const before = ts.getBackend().name;
    try {
      ts.setBackend('wasm');
      const [p, g, m0, v0] = setup(30011, 2);
      const m = m0!.mul(0.1);
      const v = v0!.mul(v0!).mul(0.01);
      const [p2, m2, v2] = [p!.clone(), m.clone(), v.clone()];
      const b1 = 0.9;
      const b2 = 0.999;
      const s1 = spy('adam');
      ts.noGrad(() => {
        for (let step = 1; step <= 3; step++) {
          const opts = {
            beta1: b1,
            beta2: b2,
            eps: 1e-8,
            bc2: Math.sqrt(1 - b2 ** step),
            stepSize: 1e-3 / (1 - b1 ** step),
          };
          adamStep_(p!, g!, m, v, opts);
          m2.mul_(b1).add_(g!, 1 - b1);
          v2.mul_(b2).add_(g!.mul(g!), 1 - b2);
          const denom = v2.sqrt().div(opts.bc2).add_(opts.eps);
          p2.add_(m2.div(denom), -opts.stepSize);
        }
      });
      s1.restore();
      assert.equal(s1.count.n, 3);
      assert.deepEqual(bits(m), bits(m2), 'm');
      assert.deepEqual(bits(v), bits(v2), 'v');
      assert.deepEqual(bits(p!), bits(p2), 'p');
    } finally {
      ts.setBackend(before);
    }
  });
});
