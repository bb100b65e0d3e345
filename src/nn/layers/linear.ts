import { checkOptionKeys, optionKeys } from '../../core/options.ts';
import { linear } from '../../tensor/ops/linalg.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { cfgBool, cfgDType, cfgNumber } from '../config.ts';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init.ts';
import { type LayerConfig, Module, registerLayer } from '../module.ts';
import type { Parameter } from '../parameter.ts';
import { checkPositiveInt, newParam, type WeightOptions } from './common.ts';

export interface LinearOptions extends WeightOptions {
  bias?: boolean;
}

/** y = x W^T + b (torch.nn.Linear); weight [out, in], bias [out]. */
/** Option names, for the unknown-key check (the compiler keeps them in step with the interface). */
const LINEAR_KEYS = optionKeys<LinearOptions>({ bias: true, dtype: true, generator: true });

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    checkOptionKeys('Linear', opts, LINEAR_KEYS);
    super();
    checkPositiveInt('Linear', 'inFeatures', inFeatures);
    checkPositiveInt('Linear', 'outFeatures', outFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = this.registerParameter('weight', newParam([outFeatures, inFeatures], opts.dtype));
    this.bias = this.registerParameter(
      'bias',
      (opts.bias ?? true) ? newParam([outFeatures], opts.dtype) : null,
    );
    this.resetParameters(opts);
  }

  /** torch's default: kaiming_uniform_(a=sqrt(5)) for the weight, U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for the bias. */
  resetParameters(opts: WeightOptions = {}): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5), generator: opts.generator });
    if (this.bias !== null) {
      const { fanIn } = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound, { generator: opts.generator });
    }
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, { bias: this.bias });
  }

  override getConfig(): LayerConfig {
    return {
      inFeatures: this.inFeatures,
      outFeatures: this.outFeatures,
      bias: this.bias !== null,
      dtype: this.weight.dtype,
    };
  }

  static fromConfig(c: LayerConfig): Linear {
    return new Linear(cfgNumber('Linear', c, 'inFeatures'), cfgNumber('Linear', c, 'outFeatures'), {
      bias: cfgBool('Linear', c, 'bias', true),
      dtype: cfgDType('Linear', c),
    });
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

registerLayer('Linear', Linear, Linear.fromConfig);
