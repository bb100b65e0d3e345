import { check } from '../core/errors.ts';
import type { Tensor } from '../tensor/tensor.ts';

function sumOver(op: string, params: Iterable<Tensor>, coef: number, term: (p: Tensor) => Tensor): Tensor {
  check(coef >= 0, op, () => `the coefficient must be >= 0, got ${coef}`);
  let total: Tensor | null = null;
  for (const p of params) {
    const t = term(p);
    total = total === null ? t : total.add(t);
  }
  check(total !== null, op, () => 'got no parameters');
  return total.mul(coef);
}

/**
 * An L1 penalty `coef * sum(|p|)` over the parameters, to add to the loss (Keras' `regularizers.l1`).
 * It is differentiable, so `loss.add(l1Penalty(model.parameters(), 1e-4)).backward()` regularises.
 */
export function l1Penalty(params: Iterable<Tensor>, coef: number): Tensor {
  return sumOver('l1Penalty', params, coef, (p) => p.abs().sum());
}

/**
 * An L2 penalty `coef * sum(p^2)` over the parameters (Keras' `regularizers.l2`: no factor 1/2). Its gradient
 * is `2 * coef * p`, so it equals an optimizer's `weightDecay` of `2 * coef` for plain SGD.
 */
export function l2Penalty(params: Iterable<Tensor>, coef: number): Tensor {
  return sumOver('l2Penalty', params, coef, (p) => p.mul(p).sum());
}
