import { cat } from '../../tensor/ops/join.ts';
import { sumTo } from '../../tensor/ops/reduce.ts';
import { permute, reshape, slice, sliceScatter } from '../../tensor/ops/views.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { registerGrad } from '../registry.ts';

registerGrad<{ inShape: number[] }>('reshape', (g, { attrs }) => [reshape(g.contiguous(), attrs.inShape)]);
registerGrad<{ dims: number[] }>('permute', (g, { attrs }) => {
  const inv = new Array<number>(attrs.dims.length);
  attrs.dims.forEach((d, i) => {
    inv[d] = i;
  });
  return [permute(g, inv)];
});
registerGrad<{ inShape: number[] }>('expand', (g, { attrs }) => [sumTo(g, attrs.inShape)]);
registerGrad<{ inShape: number[]; starts: number[]; steps: number[] }>('slice', (g, { attrs }) => [
  sliceScatter(g, attrs.inShape, attrs.starts, attrs.steps),
]);
registerGrad<{ starts: number[]; stops: number[]; steps: number[] }>('sliceScatter', (g, { attrs }) => [
  slice(g, attrs.starts, attrs.stops, attrs.steps),
]);
registerGrad<{ dim: number; sizes: number[] }>('cat', (g, { attrs }) => {
  const out: Tensor[] = [];
  let p = 0;
  for (const s of attrs.sizes) {
    out.push(g.narrow(attrs.dim, p, s));
    p += s;
  }
  return out;
});
// Referenced so the join module (and its 'cat' op) is loaded with the rule.
void cat;
