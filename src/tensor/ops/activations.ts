import { fail } from '../../core/errors.ts';
import { checkOpOptions } from '../../core/options.ts';
import { normDim } from '../../core/shape.ts';
import type { Tensor } from '../tensor.ts';
import { assertTensor } from './dispatch.ts';
import { amax, sum } from './reduce.ts';

/** softmax's dim is required: torch's implicit-dim choice is deprecated because it guesses wrong for 1-D or 3-D input. */
function requireDim(op: string, dim: number | undefined): number {
  if (dim === undefined)
    fail(
      op,
      `needs the dim to normalise over, e.g. ${op}(x, -1) for the last dim (there is no implicit dim)`,
    );
  return dim;
}

/** exp(x - max) / sum: the max is detached (softmax is shift-invariant, so the gradient is unchanged). */
export function softmax(x: Tensor, dim: number): Tensor {
  assertTensor('softmax', x);
  const d = normDim('softmax', requireDim('softmax', dim), x.ndim);
  if (x.size === 0) return x.clone();
  const e = x.sub(amax(x.detach(), d, true)).exp();
  return e.div(sum(e, d, true));
}

export function logSoftmax(x: Tensor, dim: number): Tensor {
  assertTensor('logSoftmax', x);
  const d = normDim('logSoftmax', requireDim('logSoftmax', dim), x.ndim);
  if (x.size === 0) return x.clone();
  // (x - m) - log(sum(exp(x - m))) rather than x - logsumexp(x): with large, close inputs the latter
  // subtracts two nearly equal big numbers and loses most float32 digits.
  const shifted = x.sub(amax(x.detach(), d, true));
  return shifted.sub(sum(shifted.exp(), d, true).log());
}

/** GELU; 'none' is the exact erf form, 'tanh' the approximation (as torch's `approximate`). */
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}, ...rest: never[]): Tensor {
  assertTensor('gelu', x);
  checkOpOptions('gelu', opts, ['approximate'], "gelu(x, { approximate: 'none' | 'tanh' })", rest.length);
  if (opts.approximate !== undefined && opts.approximate !== 'none' && opts.approximate !== 'tanh')
    fail('gelu', `approximate must be 'none' or 'tanh', got ${String(opts.approximate)}`);
  if ((opts.approximate ?? 'none') === 'tanh') {
    const inner = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return x.mul(0.5).mul(inner.tanh().add(1));
  }
  return x.mul(0.5).mul(x.mul(Math.SQRT1_2).erf().add(1));
}

/**
 * The one rule for optional op arguments (docs/decisions/registries.md): operands are positional, every optional
 * argument goes in one options object with unknown keys refused (a bare number is refused too, naming the form).
 */
function scalarOption(op: string, arg: unknown, key: string, dflt: number, rest: number): number {
  checkOpOptions(op, arg, [key], `${op}(x, { ${key} })`, rest);
  const v: unknown = (arg as Record<string, unknown> | undefined)?.[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail(op, `${key} must be a finite number, got ${String(v)}`);
  return v;
}

/** leakyRelu(x, { negativeSlope = 0.01 }). */
export function leakyRelu(x: Tensor, opts: { negativeSlope?: number } = {}, ...rest: never[]): Tensor {
  assertTensor('leakyRelu', x);
  const negativeSlope = scalarOption('leakyRelu', opts, 'negativeSlope', 0.01, rest.length);
  return x.where(x.gt(0), x.mul(negativeSlope));
}

/** elu(x, { alpha = 1 }). */
export function elu(x: Tensor, opts: { alpha?: number } = {}, ...rest: never[]): Tensor {
  assertTensor('elu', x);
  const alpha = scalarOption('elu', opts, 'alpha', 1, rest.length);
  // expm1 is evaluated on min(x, 0) so the unused branch cannot overflow into a nan gradient.
  return x.where(x.gt(0), x.clamp(null, 0).expm1().mul(alpha));
}

export function silu(x: Tensor): Tensor {
  assertTensor('silu', x);
  return x.mul(x.sigmoid());
}

export function softplus(
  x: Tensor,
  opts: { beta?: number; threshold?: number } = {},
  ...rest: never[]
): Tensor {
  assertTensor('softplus', x);
  checkOpOptions('softplus', opts, ['beta', 'threshold'], 'softplus(x, { beta, threshold })', rest.length);
  const beta = scalarOption('softplus', { beta: opts.beta }, 'beta', 1, 0);
  const threshold = scalarOption('softplus', { threshold: opts.threshold }, 'threshold', 20, 0);
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
