import { noGrad } from '../../autograd/node.ts';
import type { DType } from '../../core/dtype.ts';
import { check, fmtShape } from '../../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../../core/options.ts';
import { full, ones, zeros } from '../../tensor/creation.ts';
import { batchNorm, layerNorm } from '../../tensor/ops/normalization.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { cfgBool, cfgDType, cfgNumber, cfgNumberOrNull, cfgNumbers } from '../config.ts';
import { ones_, zeros_ } from '../init.ts';
import { type LayerConfig, Module, registerLayer } from '../module.ts';
import type { Parameter } from '../parameter.ts';
import { checkPositiveInt, newParam } from './common.ts';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch in the running averages; null = cumulative average (1 / batches seen). */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: DType;
}

/**
 * Batch normalisation over dim 1 (torch's _BatchNorm). Buffers `running_mean`, `running_var` (updated
 * with the unbiased batch variance) and `num_batches_tracked` (int32 here, int64 in torch) as in torch.
 */
abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  protected abstract readonly layerName: string;
  protected abstract checkInput(x: Tensor): void;

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    checkOptionKeys(new.target.name, opts, BATCH_NORM_KEYS);
    super();
    checkPositiveInt('BatchNorm', 'numFeatures', numFeatures);
    const dtype = opts.dtype ?? 'float32';
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.weight = this.registerParameter(
      'weight',
      this.affine ? ones_(newParam([numFeatures], dtype)) : null,
    );
    this.bias = this.registerParameter('bias', this.affine ? zeros_(newParam([numFeatures], dtype)) : null);
    const track = this.trackRunningStats;
    this.runningMean = this.registerBuffer('running_mean', track ? zeros([numFeatures], { dtype }) : null);
    this.runningVar = this.registerBuffer('running_var', track ? ones([numFeatures], { dtype }) : null);
    this.numBatchesTracked = this.registerBuffer(
      'num_batches_tracked',
      track ? full([], 0, { dtype: 'int32' }) : null,
    );
  }

  /** Running stats back to mean 0, variance 1, no batches seen. */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    });
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    check(
      x.shape[1] === this.numFeatures,
      this.layerName,
      () => `expected ${this.numFeatures} channels in dim 1, got input ${fmtShape(x.shape)}`,
    );
    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked !== null) {
      const n = this.numBatchesTracked;
      noGrad(() => n.add_(1));
      if (this.momentum === null) factor = 1 / n.item();
    }
    // Batch statistics in training, and always when no running stats are kept (as torch).
    const useBatch = this.training || this.runningMean === null;
    return batchNorm(
      x,
      !this.training || this.trackRunningStats ? this.runningMean : null,
      !this.training || this.trackRunningStats ? this.runningVar : null,
      { weight: this.weight, bias: this.bias, training: useBatch, momentum: factor, eps: this.eps },
    );
  }

  override getConfig(): LayerConfig {
    return {
      numFeatures: this.numFeatures,
      eps: this.eps,
      momentum: this.momentum,
      affine: this.affine,
      trackRunningStats: this.trackRunningStats,
      dtype: (this.weight ?? this.runningMean)?.dtype ?? 'float32',
    };
  }

  protected static optsFrom(name: string, c: LayerConfig): [number, BatchNormOptions] {
    return [
      cfgNumber(name, c, 'numFeatures'),
      {
        eps: cfgNumber(name, c, 'eps', 1e-5),
        momentum: c.momentum === undefined ? 0.1 : cfgNumberOrNull(name, c, 'momentum'),
        affine: cfgBool(name, c, 'affine', true),
        trackRunningStats: cfgBool(name, c, 'trackRunningStats', true),
        dtype: cfgDType(name, c),
      },
    ];
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** torch.nn.BatchNorm1d: input [N, C] or [N, C, L]. */
/** Option names, for the unknown-key check (the compiler keeps them in step with the interface). */
const BATCH_NORM_KEYS = optionKeys<BatchNormOptions>({
  eps: true,
  momentum: true,
  affine: true,
  trackRunningStats: true,
  dtype: true,
});
const LAYER_NORM_KEYS = optionKeys<LayerNormOptions>({ eps: true, elementwiseAffine: true, dtype: true });

export class BatchNorm1d extends BatchNormBase {
  protected readonly layerName = 'BatchNorm1d';
  protected checkInput(x: Tensor): void {
    check(
      x.ndim === 2 || x.ndim === 3,
      'BatchNorm1d',
      () => `expected 2-D or 3-D input [N, C] / [N, C, L], got ${fmtShape(x.shape)}`,
    );
  }
  static fromConfig(c: LayerConfig): BatchNorm1d {
    return new BatchNorm1d(...BatchNormBase.optsFrom('BatchNorm1d', c));
  }
}

/** torch.nn.BatchNorm2d: input [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  protected readonly layerName = 'BatchNorm2d';
  protected checkInput(x: Tensor): void {
    check(x.ndim === 4, 'BatchNorm2d', () => `expected 4-D input [N, C, H, W], got ${fmtShape(x.shape)}`);
  }
  static fromConfig(c: LayerConfig): BatchNorm2d {
    return new BatchNorm2d(...BatchNormBase.optsFrom('BatchNorm2d', c));
  }
}

export interface LayerNormOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  dtype?: DType;
}

/** torch.nn.LayerNorm over the trailing `normalizedShape` dims; weight ones, bias zeros. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    checkOptionKeys('LayerNorm', opts, LAYER_NORM_KEYS);
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    for (const d of this.normalizedShape) checkPositiveInt('LayerNorm', 'normalizedShape', d);
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.elementwiseAffine ?? true;
    const dtype = opts.dtype ?? 'float32';
    this.weight = this.registerParameter(
      'weight',
      affine ? ones_(newParam(this.normalizedShape, dtype)) : null,
    );
    this.bias = this.registerParameter('bias', affine ? zeros_(newParam(this.normalizedShape, dtype)) : null);
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override getConfig(): LayerConfig {
    return {
      normalizedShape: this.normalizedShape,
      eps: this.eps,
      elementwiseAffine: this.weight !== null,
      dtype: this.weight?.dtype ?? 'float32',
    };
  }

  static fromConfig(c: LayerConfig): LayerNorm {
    return new LayerNorm(cfgNumbers('LayerNorm', c, 'normalizedShape'), {
      eps: cfgNumber('LayerNorm', c, 'eps', 1e-5),
      elementwiseAffine: cfgBool('LayerNorm', c, 'elementwiseAffine', true),
      dtype: cfgDType('LayerNorm', c),
    });
  }
}

registerLayer('BatchNorm1d', BatchNorm1d, BatchNorm1d.fromConfig);
registerLayer('BatchNorm2d', BatchNorm2d, BatchNorm2d.fromConfig);
registerLayer('LayerNorm', LayerNorm, LayerNorm.fromConfig);
