import { normDim } from '../../core/shape.ts';
import type { Tensor } from '../tensor.ts';
import { assertTensor } from './dispatch.ts';
import { amax, sum } from './reduce.ts';

/** exp(x - max) / sum: the max is detached (softmax is shift-invariant, so the gradient is unchanged). */
export function softmax(x: Tensor, dim: number): Tensor {
  assertTensor('softmax', x);
  const d = normDim('softmax', dim, x.ndim);
  if (x.size === 0) return x.clone();
  const e = x.sub(amax(x.detach(), d, true)).exp();
  return e.div(sum(e, d, true));
}

export function logSoftmax(x: Tensor, dim: number): Tensor {
  assertTensor('logSoftmax', x);
  const d = normDim('logSoftmax', dim, x.ndim);
  if (x.size === 0) return x.clone();
  // (x - m) - log(sum(exp(x - m))) rather than x - logsumexp(x): with large, close inputs the latter
  // subtracts two nearly equal big numbers and loses most float32 digits.
  const shifted = x.sub(amax(x.detach(), d, true));
  return shifted.sub(sum(shifted.exp(), d, true).log());
}

/** GELU; 'none' is the exact erf form, 'tanh' the approximation (as torch's `approximate`). */
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  assertTensor('gelu', x);
  if ((opts.approximate ?? 'none') === 'tanh') {
    const inner = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return x.mul(0.5).mul(inner.tanh().add(1));
  }
  return x.mul(0.5).mul(x.mul(Math.SQRT1_2).erf().add(1));
}

export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  assertTensor('leakyRelu', x);
  return x.where(x.gt(0), x.mul(negativeSlope));
}

export function elu(x: Tensor, alpha = 1): Tensor {
  assertTensor('elu', x);
  // expm1 is evaluated on min(x, 0) so the unused branch cannot overflow into a nan gradient.
  return x.where(x.gt(0), x.clamp(null, 0).expm1().mul(alpha));
}

export function silu(x: Tensor): Tensor {
  assertTensor('silu', x);
  return x.mul(x.sigmoid());
}

export function softplus(x: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor {
  assertTensor('softplus', x);
  const beta = opts.beta ?? 1;
  const threshold = opts.threshold ?? 20;
  const bx = x.mul(beta);
  // Clamping keeps exp finite in the branch that where() discards (else its gradient is 0 * inf = nan).
  const soft = bx.clamp(null, threshold).exp().log1p().div(beta);
  return x.where(bx.gt(threshold), soft);
}

export function sigmoid(x: Tensor): Tensor {
  return x.sigmoid();
}

export function tanh(x: Tensor): Tensor {
  return x.tanh();
}

export function relu(x: Tensor): Tensor {
  return x.relu();
}

export function logSigmoid(x: Tensor): Tensor {
  assertTensor('logSigmoid', x);
  // log(sigmoid(x)) = -softplus(-x), stable for large |x|.
  return softplus(x.neg()).neg();
}
