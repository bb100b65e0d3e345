import { gradRule, registerGrad } from '../../autograd/registry.ts';
import { fail } from '../../core/errors.ts';
import { didYouMean } from '../../core/registry.ts';
import { addUnaryOp, isUnaryOp, type UnaryOpDef } from '../../kernels/unary-ops.ts';
import type { Tensor } from '../tensor.ts';
import { unary } from './elementwise.ts';

const KEYS = ['result', 'ref', 'grad'] as const;
const RESULTS = ['same', 'float', 'bool'] as const;
const NAME = /^[a-z][A-Za-z0-9]*$/;

/**
 * Adds an elementwise unary op at run time with the same parts a built-in has in kernels/unary-ops.ts:
 * the result dtype rule, the reference kernel (a float64 scalar function) and the gradient (in tensor
 * ops). Returns the op. It runs on every backend: backends without a kernel for it decline and the
 * reference kernel runs (wasm -> ref); a backend accelerates it by handling the name in its 'unary'
 * kernel. See docs/adding-an-op.md.
 */
export function defineUnaryOp(name: string, def: UnaryOpDef): (x: Tensor) => Tensor {
  if (typeof name !== 'string' || !NAME.test(name))
    fail('defineUnaryOp', `op name must be camelCase letters and digits, got ${JSON.stringify(name)}`);
  if (def === null || typeof def !== 'object')
    fail('defineUnaryOp', `definition of '${name}' must be an object`);
  for (const k of Object.keys(def)) {
    if (!(KEYS as readonly string[]).includes(k))
      fail('defineUnaryOp', `unknown key '${k}' in the definition of '${name}'${didYouMean(k, KEYS)}`);
  }
  if (!(RESULTS as readonly string[]).includes(def.result))
    fail(
      'defineUnaryOp',
      `'${name}'.result must be one of ${RESULTS.map((r) => `'${r}'`).join(', ')}, got ${JSON.stringify(def.result)}`,
    );
  if (typeof def.ref !== 'function')
    fail('defineUnaryOp', `'${name}'.ref must be a function (x: number) => number`);
  if (def.grad !== undefined && typeof def.grad !== 'function')
    fail('defineUnaryOp', `'${name}'.grad must be a gradient rule (g, { inputs, out }) => [dx]`);
  if (isUnaryOp(name)) fail('defineUnaryOp', `unary op '${name}' is already defined`);
  // Gradient rules are keyed by op name: a name another op's rule already uses would replace it.
  if (gradRule(name) !== undefined) fail('defineUnaryOp', `'${name}' is already an op with a gradient rule`);
  addUnaryOp(name, { ...def });
  if (def.grad !== undefined) registerGrad(name, def.grad);
  return (x: Tensor) => unary(name, x);
}
