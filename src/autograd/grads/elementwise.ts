import { BINARY_OPS, type BinaryOp, type BinaryOpDef } from '../../kernels/binary-ops.ts';
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

// Binary rules are defined with their op in kernels/binary-ops.ts for the broadcast shape; each
// gradient is summed back here over the dims its operand was broadcast along.
for (const [op, def] of Object.entries(BINARY_OPS) as [BinaryOp, BinaryOpDef][]) {
  const rule = def.grad;
  if (rule === undefined) continue;
  registerGrad<Record<string, unknown>>(op, (g, ctx) =>
    rule(g, ctx).map((d, i) => (d === null ? null : sumTo(d, ctx.inputs[i]!.shape))),
  );
}
registerGrad('where', (g, { inputs: [c, a, b] }) => [
  null,
  a!.requiresGrad ? sumTo(where(c!, g, 0), a!.shape) : null,
  b!.requiresGrad ? sumTo(where(c!, 0, g), b!.shape) : null,
]);
