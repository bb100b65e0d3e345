import { check, fmtShape } from '../../core/errors.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { cfgNumber } from '../config.ts';
import { type LayerConfig, Module, registerLayer } from '../module.ts';
import { checkPositiveInt } from './common.ts';

/**
 * Nearest-neighbour upsampling of [N, C, H, W] by a whole factor: out[.., h, w] = x[.., floor(h / s), floor(w / s)]
 * (torch's interpolate(mode='nearest', scale_factor=s) for an integer s). Built from views (unsqueeze, expand,
 * reshape), so the gradient is expand's: the sum over each s x s block.
 */
export function upsampleNearest2d(x: Tensor, scale: number): Tensor {
  checkPositiveInt('upsampleNearest2d', 'scale', scale);
  check(x.ndim === 4, 'upsampleNearest2d', () => `expected [N, C, H, W], got ${fmtShape(x.shape)}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (scale === 1) return x;
  return x
    .reshape([n, c, h, 1, w, 1])
    .expand([n, c, h, scale, w, scale])
    .reshape([n, c, h * scale, w * scale]);
}

/** torch.nn.Upsample(scale_factor=s, mode='nearest') for an integer s, over [N, C, H, W]. */
export class Upsample extends Module {
  readonly scaleFactor: number;
  constructor(scaleFactor = 2) {
    super();
    checkPositiveInt('Upsample', 'scaleFactor', scaleFactor);
    this.scaleFactor = scaleFactor;
  }
  forward(x: Tensor): Tensor {
    return upsampleNearest2d(x, this.scaleFactor);
  }
  override getConfig(): LayerConfig {
    return { scaleFactor: this.scaleFactor };
  }
  static fromConfig(c: LayerConfig): Upsample {
    return new Upsample(cfgNumber('Upsample', c, 'scaleFactor', 2));
  }
  override extraRepr(): string {
    return `scaleFactor=${this.scaleFactor}, mode=nearest`;
  }
}

registerLayer('Upsample', Upsample, Upsample.fromConfig);
