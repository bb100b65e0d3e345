import type { TypedArray } from '../../../core/dtype.ts';
import type { Pool2dAttrs } from '../../../kernels/backend.ts';
import { PAR_ELEMS, wasmKernel } from './util.ts';

// csrc/pool.c: float32 max/avg pooling and their backward kernels over (n, c) planes.

const f32 = (...arrays: TypedArray[]) => arrays.every((a) => a instanceof Float32Array);

function poolGeo(xShape: readonly number[], outShape: readonly number[], attrs: Pool2dAttrs): number[] {
  const [N, C, H, W] = xShape as [number, number, number, number];
  return [
    N * C,
    H,
    W,
    outShape[2]!,
    outShape[3]!,
    attrs.kernel[0],
    attrs.kernel[1],
    attrs.stride[0],
    attrs.stride[1],
    attrs.padding[0],
    attrs.padding[1],
    attrs.dilation[0],
    attrs.dilation[1],
  ];
}

wasmKernel('maxPool2d', ({ inputs: { x }, outputs: { out, indices }, attrs, backend: be }) => {
  const { xShape, outShape } = attrs;
  if (!f32(x, out)) {
    return false;
  }
  if (out.length === 0) return;
  const temps: number[] = [];
  const after: (() => void)[] = [];
  const px = be.input(x, temps);
  const po = be.output(out, temps, after, false);
  const pi = be.output(indices, temps, after, false);
  be.run('k_maxpool2d', [...poolGeo(xShape, outShape, attrs), px, po, pi], x.length >= PAR_ELEMS);
  be.finish(temps, after);
});

wasmKernel('maxPool2dBackward', ({ inputs: { dy, indices }, outputs: { dx: out }, attrs, backend: be }) => {
  const { xShape, outShape } = attrs;
  if (!f32(dy, out)) {
    return false;
  }
  if (out.length === 0 || dy.length === 0) return;
  const temps: number[] = [];
  const after: (() => void)[] = [];
  const pdy = be.input(dy, temps);
  const pi = be.input(indices, temps);
  const po = be.output(out, temps, after, true);
  const nc = xShape[0]! * xShape[1]!;
  const hw = xShape[2]! * xShape[3]!;
  const ohw = outShape[2]! * outShape[3]!;
  be.run('k_maxpool2d_bwd', [nc, hw, ohw, pdy, pi, po], out.length >= PAR_ELEMS);
  be.finish(temps, after);
});

wasmKernel('avgPool2d', ({ inputs: { x }, outputs: { out }, attrs, backend: be }) => {
  const { xShape, outShape } = attrs;
  if (!f32(x, out) || attrs.dilation[0] !== 1 || attrs.dilation[1] !== 1) {
    return false;
  }
  if (out.length === 0) return;
  const temps: number[] = [];
  const after: (() => void)[] = [];
  const px = be.input(x, temps);
  const po = be.output(out, temps, after, false);
  be.run(
    'k_avgpool2d',
    [...poolGeo(xShape, outShape, attrs), px, po, +attrs.countIncludePad],
    x.length >= PAR_ELEMS,
  );
  be.finish(temps, after);
});

wasmKernel('avgPool2dBackward', ({ inputs: { dy }, outputs: { dx: out }, attrs, backend: be }) => {
  const { xShape, outShape } = attrs;
  if (!f32(dy, out) || attrs.dilation[0] !== 1 || attrs.dilation[1] !== 1) {
    return false;
  }
  if (out.length === 0 || dy.length === 0) return;
  const temps: number[] = [];
  const after: (() => void)[] = [];
  const pdy = be.input(dy, temps);
  const po = be.output(out, temps, after, true);
  be.run(
    'k_avgpool2d_bwd',
    [...poolGeo(xShape, outShape, attrs), pdy, po, +attrs.countIncludePad],
    out.length >= PAR_ELEMS,
  );
  be.finish(temps, after);
});
