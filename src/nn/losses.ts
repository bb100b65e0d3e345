import { fail } from '../core/errors.ts';
import { type NestedNumbers, tensor } from '../tensor/creation.ts';
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  huberLoss,
  l1Loss,
  mseLoss,
  nllLoss,
  type Reduction,
  smoothL1Loss,
} from '../tensor/ops/losses.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { cfgNumber, cfgString } from './config.ts';
import { type JsonValue, type LayerConfig, Module, registerLayer } from './module.ts';

/** Loss modules (torch.nn.*Loss): `loss.call(input, target)`, wrapping the functional losses. */

const REDUCTIONS = ['none', 'mean', 'sum'] as const;
type LossArgs = [input: Tensor, target: Tensor];

const reductionOf = (name: string, c: LayerConfig) => cfgString(name, c, 'reduction', REDUCTIONS, 'mean');

function weightFrom(name: string, c: LayerConfig, key: string): Tensor | null {
  const v = c[key];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v))
    fail(name, `config.${key} must be a (nested) array of numbers or null, got ${JSON.stringify(v)}`);
  // float64 holds any JSON number exactly; forward casts to the input's dtype.
  return tensor(v as NestedNumbers, { dtype: 'float64' });
}

const weightJson = (w: Tensor | null): JsonValue => (w === null ? null : (w.toArray() as JsonValue));

abstract class Loss extends Module<LossArgs, Tensor> {
  constructor(readonly reduction: Reduction = 'mean') {
    super();
  }
  override getConfig(): LayerConfig {
    return { reduction: this.reduction };
  }
}

export class MSELoss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

export class SmoothL1Loss extends Loss {
  constructor(opts: { reduction?: Reduction; beta?: number } = {}) {
    super(opts.reduction);
    this.beta = opts.beta ?? 1;
  }
  readonly beta: number;
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
  override getConfig(): LayerConfig {
    return { reduction: this.reduction, beta: this.beta };
  }
}

export class HuberLoss extends Loss {
  constructor(opts: { reduction?: Reduction; delta?: number } = {}) {
    super(opts.reduction);
    this.delta = opts.delta ?? 1;
  }
  readonly delta: number;
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
  override getConfig(): LayerConfig {
    return { reduction: this.reduction, delta: this.delta };
  }
}

export interface CrossEntropyLossOptions {
  /** Per-class weights [C] (a buffer named `weight`, as torch). */
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}

/** Logits [N, C, ...] against int32 class indices or float class probabilities. */
export class CrossEntropyLoss extends Loss {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts: CrossEntropyLossOptions = {}) {
    super(opts.reduction);
    this.weight = this.registerBuffer('weight', opts.weight ?? null);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      weight: this.weight === null ? null : this.weight.to(input.dtype),
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
    });
  }
  override getConfig(): LayerConfig {
    return {
      reduction: this.reduction,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
      weight: weightJson(this.weight),
    };
  }
}

export class NLLLoss extends Loss {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  constructor(opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}) {
    super(opts.reduction);
    this.weight = this.registerBuffer('weight', opts.weight ?? null);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, {
      weight: this.weight === null ? null : this.weight.to(input.dtype),
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
    });
  }
  override getConfig(): LayerConfig {
    return { reduction: this.reduction, ignoreIndex: this.ignoreIndex, weight: weightJson(this.weight) };
  }
}

/** Binary cross entropy on probabilities; `weight` rescales each element (broadcast). */
export class BCELoss extends Loss {
  readonly weight: Tensor | null;
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    super(opts.reduction);
    this.weight = this.registerBuffer('weight', opts.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, {
      weight: this.weight === null ? null : this.weight.to(input.dtype),
      reduction: this.reduction,
    });
  }
  override getConfig(): LayerConfig {
    return { reduction: this.reduction, weight: weightJson(this.weight) };
  }
}

/** Sigmoid + BCE, stable; `posWeight` [C] weighs positives per class (buffer `pos_weight`, as torch). */
export class BCEWithLogitsLoss extends Loss {
  readonly weight: Tensor | null;
  readonly posWeight: Tensor | null;
  constructor(opts: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {}) {
    super(opts.reduction);
    this.weight = this.registerBuffer('weight', opts.weight ?? null);
    this.posWeight = this.registerBuffer('pos_weight', opts.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, {
      weight: this.weight === null ? null : this.weight.to(input.dtype),
      posWeight: this.posWeight === null ? null : this.posWeight.to(input.dtype),
      reduction: this.reduction,
    });
  }
  override getConfig(): LayerConfig {
    return {
      reduction: this.reduction,
      weight: weightJson(this.weight),
      posWeight: weightJson(this.posWeight),
    };
  }
}

registerLayer('MSELoss', MSELoss, (c) => new MSELoss(reductionOf('MSELoss', c)));
registerLayer('L1Loss', L1Loss, (c) => new L1Loss(reductionOf('L1Loss', c)));
registerLayer(
  'SmoothL1Loss',
  SmoothL1Loss,
  (c) =>
    new SmoothL1Loss({
      reduction: reductionOf('SmoothL1Loss', c),
      beta: cfgNumber('SmoothL1Loss', c, 'beta', 1),
    }),
);
registerLayer(
  'HuberLoss',
  HuberLoss,
  (c) =>
    new HuberLoss({ reduction: reductionOf('HuberLoss', c), delta: cfgNumber('HuberLoss', c, 'delta', 1) }),
);
registerLayer(
  'CrossEntropyLoss',
  CrossEntropyLoss,
  (c) =>
    new CrossEntropyLoss({
      reduction: reductionOf('CrossEntropyLoss', c),
      ignoreIndex: cfgNumber('CrossEntropyLoss', c, 'ignoreIndex', -100),
      labelSmoothing: cfgNumber('CrossEntropyLoss', c, 'labelSmoothing', 0),
      weight: weightFrom('CrossEntropyLoss', c, 'weight'),
    }),
);
registerLayer(
  'NLLLoss',
  NLLLoss,
  (c) =>
    new NLLLoss({
      reduction: reductionOf('NLLLoss', c),
      ignoreIndex: cfgNumber('NLLLoss', c, 'ignoreIndex', -100),
      weight: weightFrom('NLLLoss', c, 'weight'),
    }),
);
registerLayer(
  'BCELoss',
  BCELoss,
  (c) => new BCELoss({ reduction: reductionOf('BCELoss', c), weight: weightFrom('BCELoss', c, 'weight') }),
);
registerLayer(
  'BCEWithLogitsLoss',
  BCEWithLogitsLoss,
  (c) =>
    new BCEWithLogitsLoss({
      reduction: reductionOf('BCEWithLogitsLoss', c),
      weight: weightFrom('BCEWithLogitsLoss', c, 'weight'),
      posWeight: weightFrom('BCEWithLogitsLoss', c, 'posWeight'),
    }),
);
