import { elu, gelu, leakyRelu, logSoftmax, silu, softmax, softplus } from '../../tensor/ops/activations.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { cfgNumber, cfgString } from '../config.ts';
import { type LayerConfig, Module, registerLayer } from '../module.ts';

/** Activation layers (torch.nn.ReLU and friends): no parameters, config = their options. */

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
  override getConfig(): LayerConfig {
    return {};
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, { negativeSlope: this.negativeSlope });
  }
  override getConfig(): LayerConfig {
    return { negativeSlope: this.negativeSlope };
  }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return elu(x, { alpha: this.alpha });
  }
  override getConfig(): LayerConfig {
    return { alpha: this.alpha };
  }
}

/** GELU: 'none' is the exact erf form, 'tanh' the approximation. */
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }
  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
  override getConfig(): LayerConfig {
    return { approximate: this.approximate };
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
  override getConfig(): LayerConfig {
    return {};
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
  override getConfig(): LayerConfig {
    return {};
  }
}

export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
  override getConfig(): LayerConfig {
    return {};
  }
}

export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softplus(x, { beta: this.beta, threshold: this.threshold });
  }
  override getConfig(): LayerConfig {
    return { beta: this.beta, threshold: this.threshold };
  }
}

/** Softmax along `dim` (required: torch's implicit-dim guess is deprecated). */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
  override getConfig(): LayerConfig {
    return { dim: this.dim };
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
  override getConfig(): LayerConfig {
    return { dim: this.dim };
  }
}

registerLayer('ReLU', ReLU, () => new ReLU());
registerLayer('LeakyReLU', LeakyReLU, (c) => new LeakyReLU(cfgNumber('LeakyReLU', c, 'negativeSlope', 0.01)));
registerLayer('ELU', ELU, (c) => new ELU(cfgNumber('ELU', c, 'alpha', 1)));
registerLayer(
  'GELU',
  GELU,
  (c) => new GELU(cfgString('GELU', c, 'approximate', ['none', 'tanh'] as const, 'none')),
);
registerLayer('Sigmoid', Sigmoid, () => new Sigmoid());
registerLayer('Tanh', Tanh, () => new Tanh());
registerLayer('SiLU', SiLU, () => new SiLU());
registerLayer(
  'Softplus',
  Softplus,
  (c) => new Softplus(cfgNumber('Softplus', c, 'beta', 1), cfgNumber('Softplus', c, 'threshold', 20)),
);
registerLayer('Softmax', Softmax, (c) => new Softmax(cfgNumber('Softmax', c, 'dim')));
registerLayer('LogSoftmax', LogSoftmax, (c) => new LogSoftmax(cfgNumber('LogSoftmax', c, 'dim')));
