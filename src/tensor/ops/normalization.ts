import { noGrad } from '../../autograd/node.ts';
import { check, fail, fmtShape } from '../../core/errors.ts';
import { checkOpOptions, checkOptionKeys } from '../../core/options.ts';
import { Tensor } from '../tensor.ts';
import { assertTensor } from './dispatch.ts';
import { mean, variance } from './reduce.ts';
import { reshape } from './views.ts';

/** The optional arguments of layerNorm (torch's keyword arguments of F.layer_norm). */
export interface LayerNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

/**
 * torch.nn.functional.layer_norm over the trailing `normalizedShape` dims (biased variance): `layerNorm(x,
 * normalizedShape, { weight, bias, eps = 1e-5 })`, operands positional and optional arguments in one options
 * object as every op (docs/decisions/registries.md).
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  opts: LayerNormOptions = {},
  ...rest: never[]
): Tensor {
  checkOpOptions(
    'layerNorm',
    opts,
    ['weight', 'bias', 'eps'],
    'layerNorm(x, normalizedShape, { weight, bias, eps })',
    rest.length,
  );
  const { weight = null, bias = null, eps = 1e-5 } = opts;
  if (weight !== null) assertTensor('layerNorm', weight, 'weight');
  if (bias !== null) assertTensor('layerNorm', bias, 'bias');
  check(Number.isFinite(eps), 'layerNorm', () => `eps must be a finite number, got ${String(eps)}`);
  assertTensor('layerNorm', x);
  const k = normalizedShape.length;
  check(
    k > 0 && x.shape.slice(x.ndim - k).join() === normalizedShape.join(),
    'layerNorm',
    () =>
      `normalizedShape ${fmtShape(normalizedShape)} does not match the trailing dims of input ${fmtShape(x.shape)}`,
  );
  const axes = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  const mu = mean(x, axes, true);
  const v = variance(x, axes, false, true);
  let y = x.sub(mu).div(v.add(eps).sqrt());
  if (weight !== null) y = y.mul(weight);
  if (bias !== null) y = y.add(bias);
  return y;
}

/** The optional arguments of batchNorm (torch's keyword arguments of F.batch_norm). */
export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Normalise with the batch's statistics (and update the running ones); default false. */
  training?: boolean;
  momentum?: number;
  eps?: number;
}

const BATCH_NORM_KEYS = ['weight', 'bias', 'training', 'momentum', 'eps'] as const;

/** Checks batchNorm's options object: known keys, tensors or null, a boolean, finite numbers. */
function batchNormOptions(opts: BatchNormOptions, extra: number): Required<BatchNormOptions> {
  // The old 8-positional form (weight, bias, training, momentum, eps) would otherwise be read as options.
  if (opts instanceof Tensor || opts === null || extra > 0)
    fail(
      'batchNorm',
      'the optional arguments go in one options object: batchNorm(x, runningMean, runningVar, { weight, bias, training, momentum, eps })',
    );
  checkOptionKeys('batchNorm', opts, BATCH_NORM_KEYS);
  const { weight = null, bias = null, training = false, momentum = 0.1, eps = 1e-5 } = opts;
  for (const [k, v] of [
    ['weight', weight],
    ['bias', bias],
  ] as const)
    if (v !== null && !(v instanceof Tensor)) fail('batchNorm', `${k} must be a Tensor or null`);
  if (typeof training !== 'boolean') fail('batchNorm', `training must be a boolean, got ${String(training)}`);
  for (const [k, v] of [
    ['momentum', momentum],
    ['eps', eps],
  ] as const)
    if (typeof v !== 'number' || !Number.isFinite(v))
      fail('batchNorm', `${k} must be a finite number, got ${String(v)}`);
  return { weight, bias, training, momentum, eps };
}

/**
 * torch.nn.functional.batch_norm over dim 1 of [N, C, ...]: `batchNorm(x, runningMean, runningVar, { weight,
 * bias, training = false, momentum = 0.1, eps = 1e-5 })` (operands positional, optional arguments in one
 * options object, as every op; docs/decisions/registries.md). In training it normalises with the batch's
 * biased variance and, when running stats are given, updates them in place with the unbiased one.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  opts: BatchNormOptions = {},
  ...rest: never[]
): Tensor {
  const { weight, bias, training, momentum, eps } = batchNormOptions(opts, rest.length);
  assertTensor('batchNorm', x);
  check(x.ndim >= 2, 'batchNorm', () => `expected input of rank >= 2 [N, C, ...], got ${fmtShape(x.shape)}`);
  const c = x.shape[1]!;
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  let mu: Tensor;
  let v: Tensor;
  if (training) {
    const count = x.size / c;
    check(
      count > 1,
      'batchNorm',
      () => `expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`,
    );
    mu = mean(x, axes, true);
    v = variance(x, axes, false, true);
    if (runningMean !== null && runningVar !== null) {
      noGrad(() => {
        const m = reshape(mu.detach(), [c]);
        const uv = reshape(v.detach(), [c]).mul(count / (count - 1));
        runningMean.mul_(1 - momentum).add_(m.mul(momentum));
        runningVar.mul_(1 - momentum).add_(uv.mul(momentum));
      });
    }
  } else {
    check(
      runningMean !== null && runningVar !== null,
      'batchNorm',
      () => 'running statistics are required in eval mode',
    );
    mu = reshape(runningMean, bshape);
    v = reshape(runningVar, bshape);
  }
  let y = x.sub(mu).div(v.add(eps).sqrt());
  if (weight !== null) y = y.mul(reshape(weight, bshape));
  if (bias !== null) y = y.add(reshape(bias, bshape));
  return y;
}
