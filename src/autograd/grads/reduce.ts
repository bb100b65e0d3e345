import { where } from '../../tensor/ops/elementwise.ts';
import { reshape } from '../../tensor/ops/views.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { registerGrad } from '../registry.ts';

interface ReduceAttrs {
  axes: number[];
  keepdim: boolean;
}

/** The reduced output (or its gradient) reshaped to keepdim form so it broadcasts against the input. */
function unreduce(t: Tensor, inShape: readonly number[], attrs: ReduceAttrs): Tensor {
  if (attrs.keepdim) return t;
  return reshape(
    t,
    inShape.map((d, i) => (attrs.axes.includes(i) ? 1 : d)),
  );
}

registerGrad<ReduceAttrs>('sum', (g, { inputs: [x], attrs }) => [
  unreduce(g, x!.shape, attrs).expand(x!.shape),
]);
// d prod / d x_i = product of the others. out / x is that only without zeros: with one zero in a slice
// the zero's gradient is the product of the rest and all others get 0; with two or more, all get 0.
registerGrad<ReduceAttrs>('prod', (g, { inputs: [x], out, attrs }) => {
  const xv = x!;
  const zero = xv.eq(0);
  const zeros = zero.sum(attrs.axes, true);
  const prodNonZero = where(zero, 1, xv).prod(attrs.axes, true);
  const noZero = unreduce(out, xv.shape, attrs).div(where(zero, 1, xv));
  const local = where(zeros.eq(0), noZero, where(zeros.eq(1).logicalAnd(zero), prodNonZero, 0));
  return [unreduce(g, xv.shape, attrs).mul(local)];
});
// amax/amin: the gradient is shared evenly among the elements that attain the extreme.
function extremeGrad(g: Tensor, x: Tensor, out: Tensor, attrs: ReduceAttrs): Tensor[] {
  const mask = x.eq(unreduce(out, x.shape, attrs)).to(g.dtype);
  const count = mask.sum(attrs.axes, true);
  return [unreduce(g, x.shape, attrs).mul(mask).div(count)];
}
registerGrad<ReduceAttrs>('amax', (g, { inputs: [x], out, attrs }) => extremeGrad(g, x!, out, attrs));
registerGrad<ReduceAttrs>('amin', (g, { inputs: [x], out, attrs }) => extremeGrad(g, x!, out, attrs));
