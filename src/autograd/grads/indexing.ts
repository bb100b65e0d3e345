import { empty } from '../../tensor/lifecycle.ts';
import { gather, indexAdd, indexSelect, scatterAdd } from '../../tensor/ops/indexing.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { registerGrad } from '../registry.ts';

interface IndexAttrs {
  dim: number;
  index: Tensor;
}

registerGrad<IndexAttrs>('gather', (g, { inputs: [x], attrs }) => [
  scatterAdd(empty(x!.shape, g.dtype), attrs.dim, attrs.index, g),
]);
registerGrad<IndexAttrs>('scatterAdd', (g, { attrs }) => [g, gather(g, attrs.dim, attrs.index)]);
registerGrad<IndexAttrs>('indexSelect', (g, { inputs: [x], attrs }) => [
  indexAdd(empty(x!.shape, g.dtype), attrs.dim, attrs.index, g),
]);
registerGrad<IndexAttrs>('indexAdd', (g, { attrs }) => [g, indexSelect(g, attrs.dim, attrs.index)]);
