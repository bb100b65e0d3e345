import { UNARY_OPS, type UnaryOp, type UnaryOpDef } from '../../kernels/unary-ops.ts';
import { reluBackward, where } from '../../tensor/ops/elementwise.ts';
import { sumTo } from '../../tensor/ops/reduce.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { registerGrad } from '../registry.ts';

// Unary rules (d/dx f(x) in terms of x = inputs[0] and/or the saved output) are defined with their op
// in kernels/unary-ops.ts; registered here, apart from the forward kernels.
for (const [op, def] of Object.entries(UNARY_OPS) as [UnaryOp, UnaryOpDef][]) {
  if (def.grad !== undefined) registerGrad(op, def.grad);
}
// relu passes the gradient where x > 0 only (0 at x = 0, as torch).
registerGrad('relu', (g, { inputs: [x] }) => [reluBackward(g, x!)]);
registerGrad<{ from: Tensor['dtype'] }>('cast', (g, { attrs }) => [g.to(attrs.from)]);
registerGrad('clone', (g) => [g]);
registerGrad('contiguous', (g) => [g]);

// Binary rules: each gradient is summed back over the dims its operand was broadcast along.
registerGrad('add', (g, { inputs: [a, b] }) => [sumTo(g, a!.shape), sumTo(g, b!.shape)]);
registerGrad('sub', (g, { inputs: [a, b] }) => [sumTo(g, a!.shape), sumTo(g.neg(), b!.shape)]);
registerGrad('mul', (g, { inputs: [a, b] }) => [
  a!.requiresGrad ? sumTo(g.mul(b!), a!.shape) : null,
  b!.requiresGrad ? sumTo(g.mul(a!), b!.shape) : null,
]);
registerGrad('div', (g, { inputs: [a, b] }) => [
  a!.requiresGrad ? sumTo(g.div(b!), a!.shape) : null,
  b!.requiresGrad ? sumTo(g.mul(a!).div(b!.mul(b!)).neg(), b!.shape) : null,
]);
registerGrad('pow', (g, { inputs: [a, b], out }) => [
  a!.requiresGrad ? sumTo(g.mul(b!).mul(a!.pow(b!.sub(1))), a!.shape) : null,
  // d/db a^b = a^b log a; torch defines it as 0 where a == 0 and b >= 0.
  b!.requiresGrad ? sumTo(where(a!.eq(0).logicalAnd(b!.ge(0)), 0, g.mul(out).mul(a!.log())), b!.shape) : null,
]);
// Ties split the gradient evenly, as torch's maximum/minimum do.
function minMaxGrad(g: Tensor, a: Tensor, b: Tensor, aWins: Tensor): (Tensor | null)[] {
  const tie = a.eq(b);
  const half = g.mul(0.5);
  const ga = where(tie, half, where(aWins, g, 0));
  const gb = where(tie, half, where(aWins, 0, g));
  return [sumTo(ga, a.shape), sumTo(gb, b.shape)];
}
registerGrad('maximum', (g, { inputs: [a, b] }) => minMaxGrad(g, a!, b!, a!.gt(b!)));
registerGrad('minimum', (g, { inputs: [a, b] }) => minMaxGrad(g, a!, b!, a!.lt(b!)));
registerGrad('remainder', (g, { inputs: [a, b] }) => [
  sumTo(g, a!.shape),
  b!.requiresGrad ? sumTo(g.mul(a!.div(b!).floor()).neg(), b!.shape) : null,
]);
registerGrad('where', (g, { inputs: [c, a, b] }) => [
  null,
  a!.requiresGrad ? sumTo(where(c!, g, 0), a!.shape) : null,
  b!.requiresGrad ? sumTo(where(c!, 0, g), b!.shape) : null,
]);
