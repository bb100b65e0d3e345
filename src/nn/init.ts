/**
 * torch.nn.init in camelCase: in-place initialisers, run without recording gradients, drawing from the
 * given seeded generator (default: the process-wide one) in row-major order.
 */
import { noGrad } from '../autograd/node.ts';
import { isFloat } from '../core/dtype.ts';
import { check, fail, fmtShape } from '../core/errors.ts';
import { defaultGenerator, type Generator } from '../core/rng.ts';
import type { Tensor } from '../tensor/tensor.ts';

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'leaky_relu'
  | 'selu';

export type FanMode = 'fanIn' | 'fanOut' | 'fan_in' | 'fan_out';

export interface InitOptions {
  generator?: Generator;
}

function fillWith<T extends Tensor>(op: string, t: T, draw: (i: number) => number): T {
  check(isFloat(t.dtype), op, () => `expected a floating point tensor, got ${t.dtype}`);
  noGrad(() => {
    if (t.isContiguous()) {
      const d = t.data;
      for (let i = 0; i < d.length; i++) d[i] = draw(i);
    } else {
      const tmp = t.contiguous().detach();
      const d = tmp.data;
      for (let i = 0; i < d.length; i++) d[i] = draw(i);
      t.copy_(tmp);
      tmp.dispose();
    }
  });
  return t;
}

/** Fills with U(a, b). */
export function uniform_<T extends Tensor>(t: T, a = 0, b = 1, opts: InitOptions = {}): T {
  check(a <= b, 'uniform_', () => `expected a <= b, got ${a}, ${b}`);
  const g = opts.generator ?? defaultGenerator;
  return fillWith('uniform_', t, () => a + (b - a) * g.uniform());
}

/** Fills with N(mean, std^2). */
export function normal_<T extends Tensor>(t: T, mean = 0, std = 1, opts: InitOptions = {}): T {
  check(std >= 0, 'normal_', () => `expected std >= 0, got ${std}`);
  const g = opts.generator ?? defaultGenerator;
  return fillWith('normal_', t, () => mean + std * g.normal());
}

export function constant_<T extends Tensor>(t: T, value: number): T {
  noGrad(() => t.fill_(value));
  return t;
}

export function zeros_<T extends Tensor>(t: T): T {
  return constant_(t, 0);
}

export function ones_<T extends Tensor>(t: T): T {
  return constant_(t, 1);
}

/** torch.nn.init.calculate_gain. `param` is leakyRelu's negative slope (default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu':
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      fail('calculateGain', `unsupported nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/** fan_in = size(1) * receptive field, fan_out = size(0) * receptive field (torch's rule). */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  check(
    t.ndim >= 2,
    'calculateFanInAndFanOut',
    () =>
      `fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions, got ${fmtShape(t.shape)}`,
  );
  let receptive = 1;
  for (let i = 2; i < t.ndim; i++) receptive *= t.shape[i]!;
  return { fanIn: t.shape[1]! * receptive, fanOut: t.shape[0]! * receptive };
}

function fanFor(op: string, t: Tensor, mode: FanMode): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  if (mode === 'fanIn' || mode === 'fan_in') return fanIn;
  if (mode === 'fanOut' || mode === 'fan_out') return fanOut;
  fail(op, `mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
}

export function xavierUniform_<T extends Tensor>(t: T, gain = 1, opts: InitOptions = {}): T {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a, opts);
}

export function xavierNormal_<T extends Tensor>(t: T, gain = 1, opts: InitOptions = {}): T {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), opts);
}

export interface KaimingOptions extends InitOptions {
  /** The negative slope of the rectifier after this layer (only for leakyRelu). Default 0. */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

/** U(-bound, bound), bound = gain * sqrt(3 / fan); torch's defaults: a=0, fanIn, leakyRelu. */
export function kaimingUniform_<T extends Tensor>(t: T, opts: KaimingOptions = {}): T {
  const fan = fanFor('kaimingUniform_', t, opts.mode ?? 'fanIn');
  const gain = calculateGain(opts.nonlinearity ?? 'leakyRelu', opts.a ?? 0);
  const bound = fan === 0 ? 0 : Math.sqrt(3) * (gain / Math.sqrt(fan));
  return uniform_(t, -bound, bound, opts);
}

export function kaimingNormal_<T extends Tensor>(t: T, opts: KaimingOptions = {}): T {
  const fan = fanFor('kaimingNormal_', t, opts.mode ?? 'fanIn');
  const gain = calculateGain(opts.nonlinearity ?? 'leakyRelu', opts.a ?? 0);
  return normal_(t, 0, fan === 0 ? 0 : gain / Math.sqrt(fan), opts);
}
