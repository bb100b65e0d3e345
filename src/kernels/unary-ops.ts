import type { GradRule } from '../autograd/registry.ts';
import { fail } from '../core/errors.ts';

/**
 * Every elementwise unary op in one place, as MLX's Primitive holds its eval and vjp together: the
 * result dtype rule, the reference kernel (a float64 scalar function: the specification every backend is
 * tested against) and the gradient (written in public tensor ops, registered by autograd/grads/
 * elementwise.ts, so every backend inherits it). Adding a unary op starts here; see docs/adding-an-op.md.
 * A backend accelerates an op by registering its own 'unary' kernel and declining the ops it lacks.
 */
export interface UnaryOpDef {
  /** 'same': x's dtype; 'float': integer inputs are cast to float first; 'bool': a predicate. */
  readonly result: 'same' | 'float' | 'bool';
  readonly ref: (x: number) => number;
  /** Absent for ops with no gradient (predicates) or whose rule needs more than tensor ops (relu). */
  readonly grad?: GradRule;
}

const zero: GradRule = (g) => [g.zerosLike()];

export const UNARY_OPS = {
  neg: { result: 'same', ref: (x) => -x, grad: (g) => [g.neg()] },
  abs: { result: 'same', ref: (x) => Math.abs(x), grad: (g, { inputs: [x] }) => [g.mul(x!.sign())] },
  sign: { result: 'same', ref: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : Number.NaN), grad: zero },
  exp: { result: 'float', ref: (x) => Math.exp(x), grad: (g, { out }) => [g.mul(out)] },
  log: { result: 'float', ref: (x) => Math.log(x), grad: (g, { inputs: [x] }) => [g.div(x!)] },
  sqrt: { result: 'float', ref: (x) => Math.sqrt(x), grad: (g, { out }) => [g.div(out.mul(2))] },
  rsqrt: {
    result: 'float',
    ref: (x) => 1 / Math.sqrt(x),
    grad: (g, { out }) => [g.mul(out.pow(3)).mul(-0.5)],
  },
  sin: { result: 'float', ref: (x) => Math.sin(x), grad: (g, { inputs: [x] }) => [g.mul(x!.cos())] },
  cos: { result: 'float', ref: (x) => Math.cos(x), grad: (g, { inputs: [x] }) => [g.mul(x!.sin()).neg()] },
  tanh: {
    result: 'float',
    ref: (x) => Math.tanh(x),
    grad: (g, { out }) => [g.mul(out.mul(out).neg().add(1))],
  },
  sigmoid: {
    result: 'float',
    // Split by sign so exp never overflows.
    ref: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
    grad: (g, { out }) => [g.mul(out.mul(out.neg().add(1)))],
  },
  erf: {
    result: 'float',
    ref: erf,
    grad: (g, { inputs: [x] }) => [
      g.mul(
        x!
          .mul(x!)
          .neg()
          .exp()
          .mul(2 / Math.sqrt(Math.PI)),
      ),
    ],
  },
  // relu's gradient rule uses the fused reluBackward kernel (autograd/grads/elementwise.ts).
  relu: { result: 'same', ref: (x) => (x > 0 ? x : x === x ? 0 : x) },
  floor: { result: 'same', ref: (x) => Math.floor(x), grad: zero },
  ceil: { result: 'same', ref: (x) => Math.ceil(x), grad: zero },
  round: {
    result: 'same',
    // torch rounds half to even.
    ref: (x) => {
      const r = Math.round(x);
      return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
    },
    grad: zero,
  },
  reciprocal: { result: 'float', ref: (x) => 1 / x, grad: (g, { out }) => [g.mul(out.mul(out)).neg()] },
  log1p: { result: 'float', ref: (x) => Math.log1p(x), grad: (g, { inputs: [x] }) => [g.div(x!.add(1))] },
  expm1: { result: 'float', ref: (x) => Math.expm1(x), grad: (g, { out }) => [g.mul(out.add(1))] },
  logicalNot: { result: 'bool', ref: (x) => (x === 0 ? 1 : 0) },
  isnan: { result: 'bool', ref: (x) => (x !== x ? 1 : 0) },
} as const satisfies Record<string, UnaryOpDef>;

/** A built-in unary op's name. */
export type UnaryOp = keyof typeof UNARY_OPS;
/** Any unary op's name: a built-in, or one added at run time with `defineUnaryOp` (tensor/ops/define-op.ts). */
export type UnaryOpName = UnaryOp | (string & Record<never, never>);

/** Ops added with defineUnaryOp, by name. */
const defined = new Map<string, UnaryOpDef>();

/** The definition of `op`, typed as the interface (the table itself keeps literal types). */
export function unaryOp(op: UnaryOpName): UnaryOpDef {
  const def = Object.hasOwn(UNARY_OPS, op) ? UNARY_OPS[op as UnaryOp] : defined.get(op);
  if (def === undefined) fail('unary', `unknown unary op '${op}'`);
  return def;
}

/** Whether `op` names a unary op (built-in or defined). */
export function isUnaryOp(op: string): boolean {
  return Object.hasOwn(UNARY_OPS, op) || defined.has(op);
}

/** Adds a definition to the table; tensor/ops/define-op.ts validates it and registers its gradient. */
export function addUnaryOp(name: string, def: UnaryOpDef): void {
  if (isUnaryOp(name)) fail('defineUnaryOp', `unary op '${name}' is already defined`);
  defined.set(name, def);
}

/**
 * erf in float64: the Maclaurin series below |x| = 2 and the continued fraction of erfc above it
 * (both accurate to ~1e-15), so float64 gradient checks and float32 goldens can rely on it.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const a = Math.abs(x);
  if (a < 2) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (a > 6) return Math.sign(x);
  // erfc(a) = exp(-a^2)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...))))), evaluated backwards.
  let f = a;
  for (let n = 60; n >= 1; n--) f = a + n / 2 / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}
