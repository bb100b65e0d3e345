/**
 * torch.nn.GroupNorm: normalises each sample's channels in `numGroups` groups (statistics per sample and
 * group, never across the batch), then a per-channel affine. Because no statistic crosses samples it has a
 * per-sample gradient rule, so it is the replacement for BatchNorm under DP-SGD (as in Opacus).
 * Written with differentiable tensor ops, so autograd supplies its gradient.
 */
import type { DType } from '../../core/dtype.ts';
import { check, fmtShape } from '../../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../../core/options.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { cfgBool, cfgDType, cfgNumber } from '../config.ts';
import { ones_, zeros_ } from '../init.ts';
import { type LayerConfig, Module, registerLayer } from '../module.ts';
import type { Parameter } from '../parameter.ts';
import { checkPositiveInt, newParam } from './common.ts';

export interface GroupNormOptions {
  eps?: number;
  affine?: boolean;
  dtype?: DType;
}

const GROUP_NORM_KEYS = optionKeys<GroupNormOptions>({ eps: true, affine: true, dtype: true });

/** x [N, C, *] -> x_hat with mean 0 and (biased) variance 1 over each sample's group of C/G channels. */
export function groupNormalize(x: Tensor, numGroups: number, eps: number): Tensor {
  const n = x.shape[0]!;
  const g = x.reshape([n, numGroups, -1]);
  const centred = g.sub(g.mean(2, true));
  const variance = centred.square().mean(2, true);
  return centred.mul(variance.add(eps).rsqrt()).reshape([...x.shape]);
}

export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(numGroups: number, numChannels: number, opts: GroupNormOptions = {}) {
    checkOptionKeys('GroupNorm', opts, GROUP_NORM_KEYS);
    super();
    checkPositiveInt('GroupNorm', 'numGroups', numGroups);
    checkPositiveInt('GroupNorm', 'numChannels', numChannels);
    check(
      numChannels % numGroups === 0,
      'GroupNorm',
      () => `numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`,
    );
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.affine ?? true;
    const dtype = opts.dtype ?? 'float32';
    this.weight = this.registerParameter('weight', affine ? ones_(newParam([numChannels], dtype)) : null);
    this.bias = this.registerParameter('bias', affine ? zeros_(newParam([numChannels], dtype)) : null);
  }

  /** The per-channel affine's broadcast shape for an input of `ndim` dims: [C, 1, ..., 1]. */
  channelShape(ndim: number): number[] {
    return [this.numChannels, ...Array.from({ length: ndim - 2 }, () => 1)];
  }

  forward(x: Tensor): Tensor {
    check(
      x.ndim >= 2 && x.shape[1] === this.numChannels,
      'GroupNorm',
      () => `expected input [N, ${this.numChannels}, *], got ${fmtShape(x.shape)}`,
    );
    let y = groupNormalize(x, this.numGroups, this.eps);
    const cs = this.channelShape(x.ndim);
    if (this.weight !== null) y = y.mul(this.weight.reshape(cs));
    if (this.bias !== null) y = y.add(this.bias.reshape(cs));
    return y;
  }

  override getConfig(): LayerConfig {
    return {
      numGroups: this.numGroups,
      numChannels: this.numChannels,
      eps: this.eps,
      affine: this.weight !== null,
      dtype: this.weight?.dtype ?? 'float32',
    };
  }

  static fromConfig(c: LayerConfig): GroupNorm {
    return new GroupNorm(cfgNumber('GroupNorm', c, 'numGroups'), cfgNumber('GroupNorm', c, 'numChannels'), {
      eps: cfgNumber('GroupNorm', c, 'eps', 1e-5),
      affine: cfgBool('GroupNorm', c, 'affine', true),
      dtype: cfgDType('GroupNorm', c),
    });
  }
}

registerLayer('GroupNorm', GroupNorm, GroupNorm.fromConfig);
