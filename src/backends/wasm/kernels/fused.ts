import { wasmKernel } from './util.ts';

// Fused optimizer and gradient kernels (csrc/elementwise.c): operands must already live in wasm memory,
// else they decline and the op layer runs the composite.

wasmKernel('axpy', ({ inputs: { y }, outputs: { x }, attrs: { alpha }, backend: be }) => {
  if (!(x instanceof Float32Array && y instanceof Float32Array)) return false;
  if (!be.heap.owns(x) || !be.heap.owns(y)) return false;
  const n = x.length;
  if (n > 0)
    be.runBlocks('k_axpy', [x.byteOffset, y.byteOffset, n, ...be.floatBits([alpha])], be.blocksFor(n));
});

wasmKernel('sgdMomentum', ({ inputs: { d }, outputs: { p, buf }, attrs, backend: be }) => {
  const arrays = [p, d, buf];
  if (!be.wasmF32(arrays)) return false;
  const n = p.length;
  if (n > 0)
    be.runBlocks(
      'k_sgd_momentum',
      [
        ...arrays.map((a) => a.byteOffset),
        n,
        ...be.floatBits([attrs.momentum, 1 - attrs.dampening, -attrs.lr]),
      ],
      be.blocksFor(n),
    );
});

wasmKernel('adam', ({ inputs: { g }, outputs: { p, m, v }, attrs: o, backend: be }) => {
  const arrays = [p, g, m, v];
  if (!be.wasmF32(arrays)) return false;
  const n = p.length;
  if (n > 0)
    be.runBlocks(
      'k_adam',
      [
        ...arrays.map((a) => a.byteOffset),
        n,
        ...be.floatBits([o.beta1, 1 - o.beta1, o.beta2, 1 - o.beta2, o.bc2, o.eps, -o.stepSize]),
      ],
      be.blocksFor(n),
    );
});

wasmKernel('reluBackward', ({ inputs: { g, x }, outputs: { out }, backend: be }) => {
  if (!(g instanceof Float32Array && x instanceof Float32Array && out instanceof Float32Array)) return false;
  if (!be.heap.owns(g) || !be.heap.owns(x) || !be.heap.owns(out)) return false;
  const n = out.length;
  if (n > 0) be.runBlocks('k_relu_bwd', [g.byteOffset, x.byteOffset, out.byteOffset, n], be.blocksFor(n));
});
