import { sumTo } from '../../tensor/ops/reduce.ts';
import { registerGrad } from '../registry.ts';

// Operands are at least 2-D here (matmul promotes 1-D inputs before recording); broadcast batch dims are
// summed away by sumTo.
registerGrad('matmul', (g, { inputs: [a, b] }) => [
  a!.requiresGrad ? sumTo(g.matmul(b!.mT), a!.shape) : null,
  b!.requiresGrad ? sumTo(a!.mT.matmul(g), b!.shape) : null,
]);
