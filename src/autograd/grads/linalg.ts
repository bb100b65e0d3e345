import { sumTo } from '../../tensor/ops/reduce.ts';
import { registerGrad } from '../registry.ts';

// Operands are at least 2-D here (matmul promotes 1-D inputs before recording); broadcast batch dims are
// summed away by sumTo.
registerGrad('matmul', (g, { inputs: [a, b] }) => [
  a!.requiresGrad ? sumTo(g.matmul(b!.mT), a!.shape) : null,
  b!.requiresGrad ? sumTo(a!.mT.matmul(g), b!.shape) : null,
]);
// linear(x, w, b) = x @ w^T + b, recorded as one op when the bias is fused (tensor/ops/linalg.ts): the
// same gradients as the matmul and add rules would give for the composite.
registerGrad('linear', (g, { inputs: [x, w, b] }) => {
  const n = w!.shape[0]!;
  const k = w!.shape[1]!;
  return [
    x!.requiresGrad ? g.matmul(w!) : null,
    w!.requiresGrad ? g.reshape([-1, n]).mT.matmul(x!.reshape([-1, k])) : null,
    b!.requiresGrad ? sumTo(g, b!.shape) : null,
  ];
});
