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
registerGrad<ReduceAttrs>('prod', (g, { inputs: [x], out, attrs }) => [
  unreduce(g, x!.shape, attrs)
    .mul(unreduce(out, x!.shape, attrs))
    .div(x!),
]);
// amax/amin: the gradient is shared evenly among the elements that attain the extreme.
function extremeGrad(g: Tensor, x: Tensor, out: Tensor, attrs: ReduceAttrs): Tensor[] {
  const mask = x.eq(unreduce(out, x.shape, attrs)).to(g.dtype);
  const count = mask.sum(attrs.axes, true);
  return [unreduce(g, x.shape, attrs).mul(mask).div(count)];
}
registerGrad<ReduceAttrs>('amax', (g, { inputs: [x], out, attrs }) => extremeGrad(g, x!, out, attrs));
registerGrad<ReduceAttrs>('amin', (g, { inputs: [x], out, attrs }) => extremeGrad(g, x!, out, attrs));
