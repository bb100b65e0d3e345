import type { GradRule } from '../autograd/registry.ts';
import type { Tensor } from '../tensor/tensor.ts';

/**
 * Every elementwise binary op in one place, as unary-ops.ts holds the unary ones: the result dtype rule,
 * the reference kernel (a float64 scalar function: the specification every backend is tested against)
 * and the gradient. Gradients here are written for the broadcast shape, in public tensor methods;
 * autograd/grads/elementwise.ts registers them, summing each one back over the dims its operand was
 * broadcast along (sumTo), so no rule repeats that. A null gradient means the operand needs none.
 * A backend accelerates an op by handling its name in its own 'binary' kernel and declining the rest.
 */
export interface BinaryOpDef {
  /**
   * 'promote': the operands' promoted dtype (bool operands are counted as int32); 'float': promoted,
   * then integers cast to float (true division); 'bool': a comparison or logical op.
   */
  readonly result: 'promote' | 'float' | 'bool';
  readonly ref: (a: number, b: number) => number;
  /** Absent for comparisons and logical ops (no gradient). */
  readonly grad?: GradRule;
}

// Ties split the gradient evenly, as torch's maximum/minimum do.
function minMaxGrad(g: Tensor, a: Tensor, b: Tensor, aWins: Tensor): Tensor[] {
  const tie = a.eq(b);
  const half = g.mul(0.5);
  return [half.where(tie, g.where(aWins, 0)), half.where(tie, g.where(aWins.logicalNot(), 0))];
}

const needs = (t: Tensor | undefined) => t!.requiresGrad;

export const BINARY_OPS = {
  add: { result: 'promote', ref: (a, b) => a + b, grad: (g) => [g, g] },
  sub: { result: 'promote', ref: (a, b) => a - b, grad: (g) => [g, g.neg()] },
  mul: {
    result: 'promote',
    ref: (a, b) => a * b,
    grad: (g, { inputs: [a, b] }) => [needs(a) ? g.mul(b!) : null, needs(b) ? g.mul(a!) : null],
  },
  div: {
    result: 'float',
    ref: (a, b) => a / b,
    grad: (g, { inputs: [a, b] }) => [
      needs(a) ? g.div(b!) : null,
      needs(b) ? g.mul(a!).div(b!.mul(b!)).neg() : null,
    ],
  },
  pow: {
    result: 'promote',
    ref: (a, b) => a ** b,
    grad: (g, { inputs: [a, b], out }) => [
      needs(a) ? g.mul(b!).mul(a!.pow(b!.sub(1))) : null,
      // d/db a^b = a^b log a; torch defines it as 0 where a == 0 and b >= 0.
      needs(b)
        ? g
            .mul(out)
            .mul(a!.log())
            .maskedFill(a!.eq(0).logicalAnd(b!.ge(0)), 0)
        : null,
    ],
  },
  // Math.max/min propagate NaN, as torch.maximum/minimum do.
  maximum: {
    result: 'promote',
    ref: (a, b) => Math.max(a, b),
    grad: (g, { inputs: [a, b] }) => minMaxGrad(g, a!, b!, a!.gt(b!)),
  },
  minimum: {
    result: 'promote',
    ref: (a, b) => Math.min(a, b),
    grad: (g, { inputs: [a, b] }) => minMaxGrad(g, a!, b!, a!.lt(b!)),
  },
  // Python/torch remainder takes the divisor's sign.
  remainder: {
    result: 'promote',
    ref: (a, b) => a - Math.floor(a / b) * b,
    grad: (g, { inputs: [a, b] }) => [g, needs(b) ? g.mul(a!.div(b!).floor()).neg() : null],
  },
  eq: { result: 'bool', ref: (a, b) => (a === b ? 1 : 0) },
  ne: { result: 'bool', ref: (a, b) => (a !== b ? 1 : 0) },
  lt: { result: 'bool', ref: (a, b) => (a < b ? 1 : 0) },
  le: { result: 'bool', ref: (a, b) => (a <= b ? 1 : 0) },
  gt: { result: 'bool', ref: (a, b) => (a > b ? 1 : 0) },
  ge: { result: 'bool', ref: (a, b) => (a >= b ? 1 : 0) },
  logicalAnd: { result: 'bool', ref: (a, b) => (a !== 0 && b !== 0 ? 1 : 0) },
  logicalOr: { result: 'bool', ref: (a, b) => (a !== 0 || b !== 0 ? 1 : 0) },
} as const satisfies Record<string, BinaryOpDef>;

export type BinaryOp = keyof typeof BINARY_OPS;

/** The definition of `op`, typed as the interface (the table itself keeps literal types). */
export function binaryOp(op: BinaryOp): BinaryOpDef {
  return BINARY_OPS[op];
}
