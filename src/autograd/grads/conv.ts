import type { Conv2dAttrs, Pool2dAttrs } from '../../kernels/backend.ts';
import {
  avgPool2dBackward,
  conv2dBackwardFilter,
  conv2dBackwardInput,
  maxPool2dBackward,
} from '../../tensor/ops/conv.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { registerGrad } from '../registry.ts';

registerGrad<{ attrs: Conv2dAttrs }>('conv2d', (g, { inputs: [x, w], attrs }) => [
  x!.requiresGrad ? conv2dBackwardInput(g, w!, x!.shape, attrs.attrs) : null,
  w!.requiresGrad ? conv2dBackwardFilter(x!, g, w!.shape, attrs.attrs) : null,
]);
registerGrad<{ indices: Tensor; xShape: number[] }>('maxPool2d', (g, { attrs }) => [
  maxPool2dBackward(g, attrs.indices, attrs.xShape),
]);
registerGrad<{ attrs: Pool2dAttrs; xShape: number[] }>('avgPool2d', (g, { attrs }) => [
  avgPool2dBackward(g, attrs.attrs, attrs.xShape),
]);
