import { check } from '../../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../../core/options.ts';
import { adaptiveAvgPool2d, avgPool2d, conv2d, type IntPair, maxPool2d } from '../../tensor/ops/conv.ts';
import { flatten } from '../../tensor/ops/views.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { cfgBool, cfgDType, cfgNumber, cfgPair } from '../config.ts';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init.ts';
import { type JsonValue, type LayerConfig, Module, registerLayer } from '../module.ts';
import type { Parameter } from '../parameter.ts';
import { checkPositiveInt, newParam, type WeightOptions } from './common.ts';

const pairOf = (v: IntPair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const jsonPair = (v: IntPair): JsonValue => (typeof v === 'number' ? v : [v[0], v[1]]);

export interface Conv2dLayerOptions extends WeightOptions {
  stride?: IntPair;
  padding?: IntPair | 'valid' | 'same';
  dilation?: IntPair;
  groups?: number;
  bias?: boolean;
}

/** 2-D convolution over NCHW input (torch.nn.Conv2d, zero padding); weight [out, in/groups, kH, kW]. */
/** Option names, for the unknown-key check (the compiler keeps them in step with the interface). */
const CONV2D_LAYER_KEYS = optionKeys<Conv2dLayerOptions>({
  stride: true,
  padding: true,
  dilation: true,
  groups: true,
  bias: true,
  dtype: true,
  generator: true,
});
const MAX_POOL2D_KEYS = optionKeys<MaxPool2dOptions>({
  stride: true,
  padding: true,
  dilation: true,
  ceilMode: true,
});
const AVG_POOL2D_KEYS = optionKeys<AvgPool2dOptions>({
  stride: true,
  padding: true,
  ceilMode: true,
  countIncludePad: true,
});

export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: IntPair;
  readonly padding: IntPair | 'valid' | 'same';
  readonly dilation: IntPair;
  readonly groups: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: IntPair, opts: Conv2dLayerOptions = {}) {
    checkOptionKeys('Conv2d', opts, CONV2D_LAYER_KEYS);
    super();
    checkPositiveInt('Conv2d', 'inChannels', inChannels);
    checkPositiveInt('Conv2d', 'outChannels', outChannels);
    const groups = opts.groups ?? 1;
    check(
      Number.isInteger(groups) && groups > 0 && inChannels % groups === 0 && outChannels % groups === 0,
      'Conv2d',
      () => `groups ${groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`,
    );
    const k = pairOf(kernelSize);
    checkPositiveInt('Conv2d', 'kernelSize', k[0]);
    checkPositiveInt('Conv2d', 'kernelSize', k[1]);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = k;
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.groups = groups;
    this.weight = this.registerParameter(
      'weight',
      newParam([outChannels, inChannels / groups, k[0], k[1]], opts.dtype),
    );
    this.bias = this.registerParameter(
      'bias',
      (opts.bias ?? true) ? newParam([outChannels], opts.dtype) : null,
    );
    this.resetParameters(opts);
  }

  /** torch's default: kaiming_uniform_(a=sqrt(5)), bias U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
  resetParameters(opts: WeightOptions = {}): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5), generator: opts.generator });
    if (this.bias !== null) {
      const { fanIn } = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound, { generator: opts.generator });
    }
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, {
      bias: this.bias,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override getConfig(): LayerConfig {
    return {
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernelSize: jsonPair(this.kernelSize),
      stride: jsonPair(this.stride),
      padding: typeof this.padding === 'string' ? this.padding : jsonPair(this.padding),
      dilation: jsonPair(this.dilation),
      groups: this.groups,
      bias: this.bias !== null,
      dtype: this.weight.dtype,
    };
  }

  static fromConfig(c: LayerConfig): Conv2d {
    const L = 'Conv2d';
    const padding = c.padding === 'same' || c.padding === 'valid' ? c.padding : cfgPair(L, c, 'padding', 0);
    return new Conv2d(
      cfgNumber(L, c, 'inChannels'),
      cfgNumber(L, c, 'outChannels'),
      cfgPair(L, c, 'kernelSize'),
      {
        stride: cfgPair(L, c, 'stride', 1),
        padding,
        dilation: cfgPair(L, c, 'dilation', 1),
        groups: cfgNumber(L, c, 'groups', 1),
        bias: cfgBool(L, c, 'bias', true),
        dtype: cfgDType(L, c),
      },
    );
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride)}`;
  }
}

export interface MaxPool2dOptions {
  stride?: IntPair | null;
  padding?: IntPair;
  dilation?: IntPair;
  ceilMode?: boolean;
}

/** torch.nn.MaxPool2d; stride defaults to kernelSize. */
export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: IntPair,
    readonly opts: MaxPool2dOptions = {},
  ) {
    checkOptionKeys('MaxPool2d', opts, MAX_POOL2D_KEYS);
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernelSize: this.kernelSize, ...this.opts });
  }
  override getConfig(): LayerConfig {
    const o = this.opts;
    return {
      kernelSize: jsonPair(this.kernelSize),
      stride: o.stride == null ? null : jsonPair(o.stride),
      padding: jsonPair(o.padding ?? 0),
      dilation: jsonPair(o.dilation ?? 1),
      ceilMode: o.ceilMode ?? false,
    };
  }
  static fromConfig(c: LayerConfig): MaxPool2d {
    const L = 'MaxPool2d';
    return new MaxPool2d(cfgPair(L, c, 'kernelSize'), {
      stride: c.stride == null ? null : cfgPair(L, c, 'stride'),
      padding: cfgPair(L, c, 'padding', 0),
      dilation: cfgPair(L, c, 'dilation', 1),
      ceilMode: cfgBool(L, c, 'ceilMode', false),
    });
  }
}

export interface AvgPool2dOptions {
  stride?: IntPair | null;
  padding?: IntPair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

/** torch.nn.AvgPool2d; stride defaults to kernelSize. */
export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: IntPair,
    readonly opts: AvgPool2dOptions = {},
  ) {
    checkOptionKeys('AvgPool2d', opts, AVG_POOL2D_KEYS);
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, { kernelSize: this.kernelSize, ...this.opts });
  }
  override getConfig(): LayerConfig {
    const o = this.opts;
    return {
      kernelSize: jsonPair(this.kernelSize),
      stride: o.stride == null ? null : jsonPair(o.stride),
      padding: jsonPair(o.padding ?? 0),
      ceilMode: o.ceilMode ?? false,
      countIncludePad: o.countIncludePad ?? true,
    };
  }
  static fromConfig(c: LayerConfig): AvgPool2d {
    const L = 'AvgPool2d';
    return new AvgPool2d(cfgPair(L, c, 'kernelSize'), {
      stride: c.stride == null ? null : cfgPair(L, c, 'stride'),
      padding: cfgPair(L, c, 'padding', 0),
      ceilMode: cfgBool(L, c, 'ceilMode', false),
      countIncludePad: cfgBool(L, c, 'countIncludePad', true),
    });
  }
}

/** torch.nn.AdaptiveAvgPool2d: output [.., oH, oW] whatever the input size. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: IntPair) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  override getConfig(): LayerConfig {
    return { outputSize: jsonPair(this.outputSize) };
  }
  static fromConfig(c: LayerConfig): AdaptiveAvgPool2d {
    return new AdaptiveAvgPool2d(cfgPair('AdaptiveAvgPool2d', c, 'outputSize'));
  }
}

/** torch.nn.Flatten: dims startDim..endDim merged (default: all but the batch dim). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
  override getConfig(): LayerConfig {
    return { startDim: this.startDim, endDim: this.endDim };
  }
  static fromConfig(c: LayerConfig): Flatten {
    return new Flatten(cfgNumber('Flatten', c, 'startDim', 1), cfgNumber('Flatten', c, 'endDim', -1));
  }
}

registerLayer('Conv2d', Conv2d, Conv2d.fromConfig);
registerLayer('MaxPool2d', MaxPool2d, MaxPool2d.fromConfig);
registerLayer('AvgPool2d', AvgPool2d, AvgPool2d.fromConfig);
registerLayer('AdaptiveAvgPool2d', AdaptiveAvgPool2d, AdaptiveAvgPool2d.fromConfig);
registerLayer('Flatten', Flatten, Flatten.fromConfig);
