import type { Generator } from '../../core/rng.ts';
import { dropout } from '../../tensor/ops/dropout.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { cfgNumber } from '../config.ts';
import { type LayerConfig, Module, registerLayer } from '../module.ts';
import { checkProbability } from './common.ts';

/** torch.nn.Dropout: in training, zeroes elements with probability p and scales the rest by 1/(1-p). */
export class Dropout extends Module {
  readonly p: number;
  readonly generator: Generator | undefined;
  constructor(p = 0.5, opts: { generator?: Generator } = {}) {
    super();
    checkProbability('Dropout', p);
    this.p = p;
    this.generator = opts.generator;
  }
  forward(x: Tensor): Tensor {
    return dropout(x, { p: this.p, training: this.training, generator: this.generator });
  }
  override getConfig(): LayerConfig {
    return { p: this.p };
  }
  static fromConfig(c: LayerConfig): Dropout {
    return new Dropout(cfgNumber('Dropout', c, 'p', 0.5));
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

registerLayer('Dropout', Dropout, Dropout.fromConfig);
