import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { RefBackend } from '../../../src/backends/ref/backend.ts';
import { WasmBackend } from '../../../src/backends/wasm/backend.ts';
import type { BinaryOp, Conv2dAttrs, Pool2dAttrs, ReduceOp, UnaryOp } from '../../../src/kernels/backend.ts';
import { runKernel } from '../../../src/kernels/kernel-registry.ts';
import { assertClose, contiguousStrides, copyTo, gen, rand, view } from './helpers.ts';

/*
 * Every accelerated kernel of the wasm backend against the reference backend on seeded random inputs,
 * on one thread and on all threads (at least 2, so the pooled paths run even on a 1-core machine).
 * Tolerances: GEMM/conv accumulate in float32 in a different order than the float64 reference:
 * |d| <= 1e-5*sqrt(K) + 1e-5*|ref|. Add/sub/mul/div/max/min/sqrt/comparisons/copies/indexing are exact
 * (IEEE float32 ops are correctly rounded, as is the reference's float64-then-round). exp/log/tanh/
 * sigmoid use polynomial approximations: rtol 4e-7 (a few ulp). Reductions: sum 1e-6*R abs + 1e-5 rel.
 */
const ref = new RefBackend();
const allThreads = Math.max(2, availableParallelism());
const configs = [
  { label: '1 thread', backend: new WasmBackend({ threads: 1 }) },
  { label: `${allThreads} threads`, backend: new WasmBackend({ threads: allThreads, adaptive: false }) },
];

before(async () => {
  for (const c of configs) await c.backend.ready();
});
after(async () => {
  for (const c of configs) await c.backend.terminate();
});

const ODD = [1, 3, 5, 7, 17, 33, 100];

for (const { label, backend: wasm } of configs) {
  describe(`wasm kernels vs ref (${label})`, () => {
    it('matmul: odd shapes, transposes, batch broadcast, size 0, arrays outside wasm memory', () => {
      const shapes: [number, number, number][] = [];
      for (const m of ODD)
        for (const n of [1, 5, 17, 100]) for (const k of [1, 7, 33]) shapes.push([m, n, k]);
      shapes.push([130, 70, 40], [64, 300, 50], [0, 5, 3], [4, 0, 3], [3, 4, 0], [257, 9, 300]);
      let checked = 0;
      for (const [m, n, k] of shapes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const batch = (m + n + k) % 3 === 0 ? 3 : 1;
            const strideA = batch > 1 && transA ? 0 : m * k;
            const strideB = n * k;
            const a = rand(wasm, strideA === 0 ? m * k : batch * m * k);
            const b = rand(wasm, batch * n * k);
            const dims = { batch, m, n, k, transA, transB, strideA, strideB };
            const outW = wasm.alloc('float32', batch * m * n);
            outW.fill(Number.NaN); // must be overwritten, also when k = 0
            const outR = ref.alloc('float32', batch * m * n);
            runKernel('matmul', { inputs: { a, b }, outputs: { out: outW }, attrs: dims }, wasm);
            runKernel('matmul', { inputs: { a, b }, outputs: { out: outR }, attrs: dims }, ref);
            assertClose(
              outW,
              outR,
              1e-5,
              1e-5 * Math.sqrt(k + 1),
              `matmul ${m}x${n}x${k} tA=${transA} tB=${transB} b=${batch}`,
            );
            checked++;
          }
        }
      }
      // plain JS arrays are copied in and out
      const a = Float32Array.from({ length: 35 }, () => gen.uniform());
      const b = Float32Array.from({ length: 35 }, () => gen.uniform());
      const o1 = new Float32Array(25);
      const o2 = new Float32Array(25);
      const dims = { batch: 1, m: 5, n: 5, k: 7, transA: false, transB: true, strideA: 35, strideB: 35 };
      runKernel('matmul', { inputs: { a, b }, outputs: { out: o1 }, attrs: dims }, wasm);
      runKernel('matmul', { inputs: { a, b }, outputs: { out: o2 }, attrs: dims }, ref);
      assertClose(o1, o2, 1e-5, 1e-5, 'matmul plain arrays');
      assert.ok(checked > 300);
    });

    const convCases: [number, number, number, number, number, number, number, number, number, number][] = [
      // N, C, H, W, O, k, stride, pad, dilation, groups
      [2, 3, 7, 5, 4, 3, 1, 1, 1, 1],
      [1, 4, 8, 8, 6, 3, 2, 0, 1, 2],
      [3, 2, 5, 5, 3, 1, 1, 0, 1, 1],
      [2, 2, 9, 9, 4, 3, 2, 2, 2, 1],
      [5, 3, 6, 6, 8, 3, 1, 1, 1, 1],
      [1, 1, 28, 28, 32, 3, 1, 0, 1, 1],
      [4, 8, 12, 12, 16, 3, 1, 1, 1, 1],
      [3, 6, 4, 7, 9, 2, 3, 1, 1, 3],
      [0, 3, 5, 5, 2, 3, 1, 1, 1, 1],
    ];
    it('conv2d forward, backward input and backward filter', () => {
      for (const [N, C, H, W, O, k, s, p, d, g] of convCases) {
        const attrs: Conv2dAttrs = { stride: [s, s], padding: [p, p], dilation: [d, d], groups: g };
        const oH = Math.floor((H + 2 * p - d * (k - 1) - 1) / s) + 1;
        const oW = Math.floor((W + 2 * p - d * (k - 1) - 1) / s) + 1;
        const xShape = [N, C, H, W];
        const wShape = [O, C / g, k, k];
        const yShape = [N, O, oH, oW];
        const x = rand(wasm, N * C * H * W);
        const w = rand(wasm, O * (C / g) * k * k);
        const dy = rand(wasm, N * O * oH * oW);
        const kk = (C / g) * k * k;
        const what = `conv ${[N, C, H, W, O, k, s, p, d, g].join(',')}`;
        const yW = wasm.alloc('float32', dy.length);
        const yR = ref.alloc('float32', dy.length);
        runKernel(
          'conv2d',
          { inputs: { x, w }, outputs: { out: yW }, attrs: { ...attrs, xShape, wShape } },
          wasm,
        );
        runKernel(
          'conv2d',
          { inputs: { x, w }, outputs: { out: yR }, attrs: { ...attrs, xShape, wShape } },
          ref,
        );
        assertClose(yW, yR, 1e-5, 1e-5 * Math.sqrt(kk), `${what} forward`);
        const dxW = wasm.alloc('float32', x.length);
        dxW.fill(7); // the kernel must overwrite, not accumulate
        const dxR = ref.alloc('float32', x.length);
        runKernel(
          'conv2dBackwardInput',
          { inputs: { dy, w }, outputs: { dx: dxW }, attrs: { ...attrs, dyShape: yShape, wShape, xShape } },
          wasm,
        );
        runKernel(
          'conv2dBackwardInput',
          { inputs: { dy, w }, outputs: { dx: dxR }, attrs: { ...attrs, dyShape: yShape, wShape, xShape } },
          ref,
        );
        assertClose(dxW, dxR, 1e-5, 1e-5 * Math.sqrt(O * k * k), `${what} backward input`);
        const dwW = wasm.alloc('float32', w.length);
        dwW.fill(7);
        const dwR = ref.alloc('float32', w.length);
        runKernel(
          'conv2dBackwardFilter',
          { inputs: { x, dy }, outputs: { dw: dwW }, attrs: { ...attrs, xShape, dyShape: yShape, wShape } },
          wasm,
        );
        runKernel(
          'conv2dBackwardFilter',
          { inputs: { x, dy }, outputs: { dw: dwR }, attrs: { ...attrs, xShape, dyShape: yShape, wShape } },
          ref,
        );
        assertClose(dwW, dwR, 1e-5, 1e-5 * Math.sqrt(N * oH * oW + 1), `${what} backward filter`);
      }
    });

    it('max and avg pooling, forward and backward, with padding and ceil mode', () => {
      const cases: [number[], number, number, number, boolean, boolean][] = [
        // xShape, kernel, stride, pad, ceilMode, countIncludePad
        [[2, 3, 7, 7], 3, 2, 1, false, true],
        [[2, 3, 7, 7], 3, 2, 1, true, false],
        [[4, 32, 28, 28], 2, 2, 0, false, true],
        [[1, 2, 5, 9], 2, 3, 1, true, true],
        [[3, 1, 1, 1], 1, 1, 0, false, true],
        [[0, 2, 4, 4], 2, 2, 0, false, true],
      ];
      for (const [xShape, k, s, p, ceil, inc] of cases) {
        const attrs: Pool2dAttrs = {
          kernel: [k, k],
          stride: [s, s],
          padding: [p, p],
          dilation: [1, 1],
          ceilMode: ceil,
          countIncludePad: inc,
        };
        const size = (n: number) => {
          const r = (n + 2 * p - k) / s;
          let o = (ceil ? Math.ceil(r) : Math.floor(r)) + 1;
          if (ceil && (o - 1) * s >= n + p) o--;
          return o;
        };
        const outShape = [xShape[0]!, xShape[1]!, size(xShape[2]!), size(xShape[3]!)];
        const nOut = outShape.reduce((a, b) => a * b, 1);
        const nIn = xShape.reduce((a, b) => a * b, 1);
        const x = rand(wasm, nIn);
        const what = `pool ${JSON.stringify([xShape, k, s, p, ceil, inc])}`;
        const oW = wasm.alloc('float32', nOut);
        const oR = ref.alloc('float32', nOut);
        const iW = wasm.alloc('int32', nOut) as Int32Array;
        const iR = ref.alloc('int32', nOut) as Int32Array;
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
        assertClose(oW, oR, 0, 0, `${what} max`);
        assert.deepEqual(iW, iR, `${what} max indices`);
        const dy = rand(wasm, nOut);
        const dxW = wasm.alloc('float32', nIn);
        const dxR = ref.alloc('float32', nIn);
        runKernel(
          'maxPool2dBackward',
          { inputs: { dy, indices: iW }, outputs: { dx: dxW }, attrs: { outShape, xShape } },
          wasm,
        );
        runKernel(
          'maxPool2dBackward',
          { inputs: { dy, indices: iR }, outputs: { dx: dxR }, attrs: { outShape, xShape } },
          ref,
        );
        assertClose(dxW, dxR, 1e-6, 1e-6, `${what} max backward`);
        runKernel(
          'avgPool2d',
          { inputs: { x }, outputs: { out: oW }, attrs: { ...attrs, xShape, outShape } },
          wasm,
        );
        runKernel(
          'avgPool2d',
          { inputs: { x }, outputs: { out: oR }, attrs: { ...attrs, xShape, outShape } },
          ref,
        );
        assertClose(oW, oR, 1e-6, 1e-6, `${what} avg`);
        dxW.fill(0);
        dxR.fill(0);
        runKernel(
          'avgPool2dBackward',
          { inputs: { dy }, outputs: { dx: dxW }, attrs: { ...attrs, outShape, xShape } },
          wasm,
        );
        runKernel(
          'avgPool2dBackward',
          { inputs: { dy }, outputs: { dx: dxR }, attrs: { ...attrs, outShape, xShape } },
          ref,
        );
        assertClose(dxW, dxR, 1e-6, 1e-6, `${what} avg backward`);
      }
    });

    const SPECIAL = [
      0,
      -0,
      1,
      -1,
      0.5,
      1e-3,
      -1e-3,
      1e-30,
      1e-40,
      20,
      -20,
      88,
      89,
      -87,
      -100,
      -110,
      Infinity,
      -Infinity,
      Number.NaN,
      3.4e38,
    ];

    it('unary ops on contiguous, transposed and special-value inputs', () => {
      const ops: [UnaryOp, number][] = [
        ['neg', 0],
        ['abs', 0],
        ['relu', 0],
        ['sqrt', 0],
        ['rsqrt', 2.4e-7],
        ['reciprocal', 0],
        ['floor', 0],
        ['ceil', 0],
        ['exp', 4e-7],
        ['log', 4e-7],
        ['tanh', 4e-7],
        ['sigmoid', 4e-7],
      ];
      for (const [op, rtol] of ops) {
        for (const n of [0, ...ODD, 40000]) {
          const x = rand(wasm, n);
          for (let i = 0; i < n; i++)
            x[i] = x[i]! * (op === 'exp' || op === 'tanh' || op === 'sigmoid' ? 30 : 10);
          if (n === 100) x.set(SPECIAL);
          if (op === 'log' || op === 'sqrt' || op === 'rsqrt')
            for (let i = 0; i < n; i++) x[i] = Math.abs(x[i]!) * 1.5;
          if (n === 100) x.set(SPECIAL, 50);
          const oW = wasm.alloc('float32', n);
          const oR = ref.alloc('float32', n);
          runKernel(
            'unary',
            { inputs: { x: view(x, 'float32', [n]) }, outputs: { out: oW }, attrs: { op } },
            wasm,
          );
          runKernel(
            'unary',
            { inputs: { x: view(x, 'float32', [n]) }, outputs: { out: oR }, attrs: { op } },
            ref,
          );
          assertClose(oW, oR, rtol, 1e-40, `${op} n=${n}`);
        }
        // a transposed 2-D view and an offset view
        const x = rand(wasm, 7 * 33 + 3);
        if (op === 'log' || op === 'sqrt' || op === 'rsqrt')
          for (let i = 0; i < x.length; i++) x[i] = Math.abs(x[i]!);
        const v = view(x, 'float32', [33, 7], [1, 33], 3);
        const oW = wasm.alloc('float32', 231);
        const oR = ref.alloc('float32', 231);
        runKernel('unary', { inputs: { x: v }, outputs: { out: oW }, attrs: { op } }, wasm);
        runKernel('unary', { inputs: { x: v }, outputs: { out: oR }, attrs: { op } }, ref);
        assertClose(oW, oR, rtol, 1e-40, `${op} transposed`);
      }
    });

    it('binary ops: same shape, bias rows, per-row columns, scalars, transposes; comparisons to bool', () => {
      const ops: BinaryOp[] = [
        'add',
        'sub',
        'mul',
        'div',
        'maximum',
        'minimum',
        'eq',
        'ne',
        'lt',
        'le',
        'gt',
        'ge',
      ];
      for (const op of ops) {
        const cmp = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(op);
        for (const [r, c] of [
          [0, 5],
          [1, 1],
          [3, 5],
          [7, 17],
          [33, 100],
          [300, 300],
        ] as [number, number][]) {
          const a = rand(wasm, r * c + 1);
          if (r * c > 20) a.set(SPECIAL, 1);
          const full = rand(wasm, r * c);
          full.set(a.subarray(0, Math.min(r * c, 7))); // some equal elements for eq/le/ge
          const row = rand(wasm, c);
          const col = rand(wasm, r);
          const sc = rand(wasm, 1);
          const bs = [
            view(full, 'float32', [r, c]),
            view(row, 'float32', [r, c], [0, 1]),
            view(col, 'float32', [r, c], [1, 0]),
            view(sc, 'float32', [r, c], [0, 0]),
            view(rand(wasm, r * c), 'float32', [r, c], [1, r]),
          ];
          const av = view(a, 'float32', [r, c], [c, 1], 1);
          for (const [bi, b] of bs.entries()) {
            const dt = cmp ? 'bool' : 'float32';
            const oW = wasm.alloc(dt, r * c);
            const oR = ref.alloc(dt, r * c);
            runKernel('binary', { inputs: { a: av, b }, outputs: { out: oW }, attrs: { op } }, wasm);
            runKernel('binary', { inputs: { a: av, b }, outputs: { out: oR }, attrs: { op } }, ref);
            assertClose(oW, oR, 0, 0, `${op} [${r},${c}] operand ${bi}`);
            // and with the broadcast operand first
            runKernel('binary', { inputs: { a: b, b: av }, outputs: { out: oW }, attrs: { op } }, wasm);
            runKernel('binary', { inputs: { a: b, b: av }, outputs: { out: oR }, attrs: { op } }, ref);
            assertClose(oW, oR, 0, 0, `${op} [${r},${c}] operand ${bi} swapped`);
          }
        }
      }
    });

    it('where with broadcast condition and operands', () => {
      for (const [r, c] of [
        [0, 3],
        [1, 1],
        [5, 7],
        [33, 100],
      ] as [number, number][]) {
        const cond = wasm.alloc('bool', r * c);
        for (let i = 0; i < cond.length; i++) cond[i] = gen.uniform() < 0.5 ? 1 : 0;
        const a = rand(wasm, r * c);
        const b = rand(wasm, c);
        const oW = wasm.alloc('float32', r * c);
        const oR = ref.alloc('float32', r * c);
        const inputs = {
          cond: view(cond, 'bool', [r, c]),
          a: view(a, 'float32', [r, c]),
          b: view(b, 'float32', [r, c], [0, 1]),
        };
        runKernel('where', { inputs, outputs: { out: oW }, attrs: {} }, wasm);
        runKernel('where', { inputs, outputs: { out: oR }, attrs: {} }, ref);
        assertClose(oW, oR, 0, 0, `where [${r},${c}]`);
      }
    });

    it('copy of transposed/permuted float32 and int32 views', () => {
      for (const shape of [[5, 7], [3, 4, 5], [2, 3, 4, 5], [100, 33], [1], [0, 4]]) {
        const n = shape.reduce((a, b) => a * b, 1);
        const perm = shape.map((_, i) => shape.length - 1 - i);
        const src = rand(wasm, n);
        const cs = contiguousStrides(shape);
        const pshape = perm.map((p) => shape[p]!);
        const pstr = perm.map((p) => cs[p]!);
        for (const dt of ['float32', 'int32'] as const) {
          const s =
            dt === 'int32'
              ? copyTo(
                  wasm,
                  Int32Array.from(src, (v) => Math.round(v * 1000)),
                )
              : src;
          const dW = wasm.alloc(dt, n);
          const dR = ref.alloc(dt, n);
          runKernel(
            'copy',
            { inputs: { src: view(s, dt, pshape, pstr) }, outputs: { dst: view(dW, dt, pshape) }, attrs: {} },
            wasm,
          );
          runKernel(
            'copy',
            { inputs: { src: view(s, dt, pshape, pstr) }, outputs: { dst: view(dR, dt, pshape) }, attrs: {} },
            ref,
          );
          assertClose(dW, dR, 0, 0, `copy ${dt} ${JSON.stringify(shape)}`);
        }
      }
    });

    it('reductions sum/max/min over [outer, reduce, inner]', () => {
      const ops: ReduceOp[] = ['sum', 'max', 'min'];
      for (const op of ops) {
        for (const [o, r, i] of [
          [1, 1, 1],
          [3, 5, 1],
          [1, 100, 1],
          [7, 33, 17],
          [100, 17, 3],
          [1, 3, 100],
          [2, 0, 3],
          [0, 4, 4],
          [50, 1000, 1],
          [1, 500, 300],
        ]) {
          const x = rand(wasm, o * r * i);
          if (o * r * i > 100) x[57] = Number.NaN;
          const oW = wasm.alloc('float32', o * i);
          const oR = ref.alloc('float32', o * i);
          runKernel(
            'reduce',
            { inputs: { x }, outputs: { out: oW }, attrs: { op, outer: o, reduce: r, inner: i } },
            wasm,
          );
          runKernel(
            'reduce',
            { inputs: { x }, outputs: { out: oR }, attrs: { op, outer: o, reduce: r, inner: i } },
            ref,
          );
          assertClose(oW, oR, 1e-5, op === 'sum' ? 1e-6 * r : 0, `${op} [${o},${r},${i}]`);
        }
      }
    });

    it('indexRows, indexRowsAdd, gather, scatterAdd; out-of-range indices raise an error', () => {
      const x = rand(wasm, 10 * 7);
      const idx = copyTo(wasm, Int32Array.from([3, 0, 9, 3, 5])) as Int32Array;
      const oW = wasm.alloc('float32', 35);
      const oR = ref.alloc('float32', 35);
      runKernel(
        'indexRows',
        { inputs: { x, index: idx }, outputs: { out: oW }, attrs: { rowSize: 7, rows: 10 } },
        wasm,
      );
      runKernel(
        'indexRows',
        { inputs: { x, index: idx }, outputs: { out: oR }, attrs: { rowSize: 7, rows: 10 } },
        ref,
      );
      assertClose(oW, oR, 0, 0, 'indexRows');
      const src = rand(wasm, 35);
      const aW = copyTo(wasm, x);
      const aR = copyTo(ref, x);
      runKernel(
        'indexRowsAdd',
        { inputs: { index: idx, src }, outputs: { out: aW }, attrs: { rowSize: 7, rows: 10 } },
        wasm,
      );
      runKernel(
        'indexRowsAdd',
        { inputs: { index: idx, src }, outputs: { out: aR }, attrs: { rowSize: 7, rows: 10 } },
        ref,
      );
      assertClose(aW, aR, 0, 0, 'indexRowsAdd');
      const bad = Int32Array.from([1, 10]);
      assert.throws(
        () =>
          runKernel(
            'indexRows',
            {
              inputs: { x, index: bad },
              outputs: { out: wasm.alloc('float32', 14) },
              attrs: { rowSize: 7, rows: 10 },
            },
            wasm,
          ),
        {
          message: '[indexRows] index 10 at position 1 is out of range: expected 0 <= index < 10',
        },
      );
      assert.throws(
        () =>
          runKernel(
            'indexRowsAdd',
            {
              inputs: { index: bad, src: src.subarray(0, 14) },
              outputs: { out: aW },
              attrs: { rowSize: 7, rows: 10 },
            },
            wasm,
          ),
        /\[indexRowsAdd\] index 10/,
      );
      // gather/scatter along each dim of [4, 6, 5]
      const xs = [4, 6, 5];
      const xg = rand(wasm, 120);
      for (let dim = 0; dim < 3; dim++) {
        const is = [...xs];
        is[dim] = 3;
        const n = is.reduce((a, b) => a * b, 1);
        const index = wasm.alloc('int32', n) as Int32Array;
        for (let i = 0; i < n; i++) index[i] = gen.int(0, xs[dim]!);
        const gW = wasm.alloc('float32', n);
        const gR = ref.alloc('float32', n);
        runKernel(
          'gather',
          { inputs: { x: xg, index }, outputs: { out: gW }, attrs: { xShape: xs, dim, indexShape: is } },
          wasm,
        );
        runKernel(
          'gather',
          { inputs: { x: xg, index }, outputs: { out: gR }, attrs: { xShape: xs, dim, indexShape: is } },
          ref,
        );
        assertClose(gW, gR, 0, 0, `gather dim ${dim}`);
        const s = rand(wasm, n);
        const tW = copyTo(wasm, xg);
        const tR = copyTo(ref, xg);
        runKernel(
          'scatterAdd',
          { inputs: { index, src: s }, outputs: { out: tW }, attrs: { outShape: xs, dim, srcShape: is } },
          wasm,
        );
        runKernel(
          'scatterAdd',
          { inputs: { index, src: s }, outputs: { out: tR }, attrs: { outShape: xs, dim, srcShape: is } },
          ref,
        );
        assertClose(tW, tR, 0, 0, `scatterAdd dim ${dim}`);
      }
    });

    it('alloc returns zeroed wasm memory, reuses freed blocks, and old views survive growth', () => {
      const a = wasm.alloc('float32', 1000);
      a.fill(5);
      assert.ok(wasm.heap.owns(a));
      const p = a.byteOffset;
      wasm.free(a);
      const b = wasm.alloc('float32', 1000);
      assert.equal(b.byteOffset, p, 'a freed block of the same size class is reused');
      assert.ok(b.every((v) => v === 0));
      b.fill(3);
      const big = wasm.alloc('float32', 64 << 20); // forces memory.grow
      assert.equal(big.length, 64 << 20);
      assert.equal(b[999], 3, 'a view made before growth still reads the same memory');
      wasm.free(big);
      wasm.free(b);
      wasm.free(new Float32Array(3)); // not ours: ignored
    });
  });
}
