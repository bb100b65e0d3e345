/**
 * Fake quantization: quantize then dequantize in float32, so a float model sees the rounding and clipping an
 * int8 model will apply, with a straight-through gradient (torch.fake_quantize_per_tensor_affine and
 * fake_quantize_per_channel_affine, bit for bit: test/quant/qat-golden.test.ts).
 *
 *   q = zeroPoint + nearest_even(fround(x * fround(1 / scale)))
 *   y = fround((clamp(q, quantMin, quantMax) - zeroPoint) * scale)
 *   dy/dx = 1 where quantMin <= q <= quantMax, else 0
 *
 * The values are computed on the host (one read, one write, as dropout's mask is) and the op is recorded
 * with its 0/1 mask as a second input, which the gradient rule multiplies by.
 */
import { isGradEnabled } from '../autograd/node.ts';
import { registerGrad } from '../autograd/registry.ts';
import { check, fail, fmtShape } from '../core/errors.ts';
import { fromHost, record } from '../tensor/lifecycle.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { roundHalfEven } from './int8-reference.ts';

const OP = 'fakeQuantize';

registerGrad(OP, (g, { inputs }) => [g.mul(inputs[1]!), null]);

function checkRange(op: string, quantMin: number, quantMax: number): void {
  check(
    Number.isInteger(quantMin) && Number.isInteger(quantMax) && quantMin <= quantMax,
    op,
    () => `quantMin ${quantMin} and quantMax ${quantMax} must be integers with quantMin <= quantMax`,
  );
}

function checkQParam(op: string, scale: number, zeroPoint: number, quantMin: number, quantMax: number) {
  check(
    Number.isFinite(scale) && scale > 0,
    op,
    () => `scale must be a positive finite number, got ${scale}`,
  );
  check(
    Number.isInteger(zeroPoint) && zeroPoint >= quantMin && zeroPoint <= quantMax,
    op,
    () =>
      `zeroPoint must be an integer in [quantMin, quantMax] = [${quantMin}, ${quantMax}], got ${zeroPoint}`,
  );
}

function checkInput(op: string, x: Tensor): Float32Array {
  if (x.dtype !== 'float32') fail(op, `expects a float32 tensor (as torch does), got ${x.dtype}`);
  return x.dataSync() as Float32Array;
}

/** Quantizes one value's code (before clamping). */
function code(v: number, inv: number, zp: number): number {
  return zp + roundHalfEven(Math.fround(v * inv));
}

/**
 * The fake-quantization loop both forms share: element i belongs to channel floor(i / inner) mod
 * scale.length (per tensor: one channel spanning everything). The mask of in-range elements is the
 * straight-through gradient, kept only when a gradient will be asked for.
 */
function fakeQuantize(
  x: Tensor,
  v: Float32Array,
  inner: number,
  scale: ArrayLike<number>,
  zeroPoint: ArrayLike<number>,
  quantMin: number,
  quantMax: number,
): Tensor {
  const channels = scale.length;
  const out = new Float32Array(v.length);
  const mask = x.requiresGrad && isGradEnabled() ? new Float32Array(v.length) : null;
  for (let i = 0; i < v.length; i++) {
    const ch = Math.floor(i / inner) % channels;
    const s = Math.fround(scale[ch]!);
    const zp = zeroPoint[ch]!;
    const q = code(v[i]!, Math.fround(1 / s), zp);
    const c = q < quantMin ? quantMin : Math.min(q, quantMax);
    out[i] = (c - zp) * s;
    if (mask !== null) mask[i] = q === c ? 1 : 0;
  }
  return finish(x, out, mask);
}

function finish(x: Tensor, out: Float32Array, mask: Float32Array | null): Tensor {
  const y = fromHost(out, x.shape, 'float32');
  if (mask === null) return y;
  return record(OP, [x, fromHost(mask, x.shape, 'float32')], y);
}

/** torch.fake_quantize_per_tensor_affine(x, scale, zeroPoint, quantMin, quantMax). */
export function fakeQuantizePerTensorAffine(
  x: Tensor,
  scale: number,
  zeroPoint: number,
  quantMin: number,
  quantMax: number,
): Tensor {
  const op = 'fakeQuantizePerTensorAffine';
  checkRange(op, quantMin, quantMax);
  checkQParam(op, scale, zeroPoint, quantMin, quantMax);
  const v = checkInput(op, x);
  return fakeQuantize(x, v, v.length, [scale], [zeroPoint], quantMin, quantMax);
}

/** torch.fake_quantize_per_channel_affine(x, scale, zeroPoint, axis, quantMin, quantMax). */
export function fakeQuantizePerChannelAffine(
  x: Tensor,
  scale: ArrayLike<number>,
  zeroPoint: ArrayLike<number>,
  axis: number,
  quantMin: number,
  quantMax: number,
): Tensor {
  const op = 'fakeQuantizePerChannelAffine';
  checkRange(op, quantMin, quantMax);
  const rank = x.shape.length;
  check(
    Number.isInteger(axis) && axis >= -rank && axis < rank,
    op,
    () => `axis ${axis} is out of range for a tensor of shape ${fmtShape(x.shape)}`,
  );
  const ax = axis < 0 ? axis + rank : axis;
  const channels = x.shape[ax]!;
  check(
    scale.length === channels && zeroPoint.length === channels,
    op,
    () =>
      `expected ${channels} scales and zero points (dim ${ax} of ${fmtShape(x.shape)}), got ${scale.length} and ${zeroPoint.length}`,
  );
  for (let c = 0; c < channels; c++) checkQParam(op, scale[c]!, zeroPoint[c]!, quantMin, quantMax);
  const v = checkInput(op, x);
  let inner = 1;
  for (let d = ax + 1; d < rank; d++) inner *= x.shape[d]!;
  return fakeQuantize(x, v, inner, scale, zeroPoint, quantMin, quantMax);
}
