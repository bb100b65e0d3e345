/**
 * Static int8 layers (torch.ao.nn.quantized.Linear / Conv2d / their ReLU-fused forms): int8 weights per
 * output channel, and an input quantized with the scale and zero point fixed by calibration (quantizeStatic)
 * or learnt by quantization-aware training (convertQat). Float32 in, float32 out: the next layer quantizes
 * its own input with its own calibrated parameters. Inference-only; state is buffers, so the layers save and
 * load from config + safetensors like any other (weights as I8). See static-int8.ts for the exact formula.
 */
import { check, fail, fmtShape } from '../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../core/options.ts';
import { cfgBool, cfgNumber, cfgPair } from '../nn/config.ts';
import { checkPositiveInt } from '../nn/layers/common.ts';
import { type JsonValue, type LayerConfig, Module, registerLayer } from '../nn/module.ts';
import { tensor } from '../tensor/creation.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { checkNoGrad, floatBuffer, inferenceOnly, int8Buffer, type WatchedBuffer } from './inference-only.ts';
import { type PackedInt8Weights, packInt8Weights } from './int8-kernels.ts';
import { quantizeRowsSymmetric } from './int8-reference.ts';
import type { QParams } from './observers.ts';
import {
  type ConvGeometry,
  convOut,
  im2colInt8,
  quantizeAffine,
  type Requant,
  requantize,
  resolvePadding,
  rowSums,
} from './static-int8.ts';

type Pair = [number, number];
/** A size given as one number or an [h, w] pair (readonly, as Conv2d holds it). */
type PairIn = number | readonly [number, number];
const pairOf = (v: PairIn): Pair => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** The int8 weights, scales, bias and activation parameters a static layer holds, as buffers. */
abstract class StaticInt8 extends Module {
  readonly weight: WatchedBuffer;
  readonly weightScale: WatchedBuffer;
  readonly bias: WatchedBuffer | null;
  /** The input's scale and zero point (one value each; the zero point is an integer held in float32). */
  readonly inputScale: WatchedBuffer;
  readonly inputZeroPoint: WatchedBuffer;
  readonly relu: boolean;
  /** Derived from the buffers, rebuilt lazily after a load into them. */
  #derived: { packed: PackedInt8Weights[]; requant: Requant[] } | null = null;

  constructor(
    readonly layerName: string,
    weightShape: number[],
    outChannels: number,
    bias: boolean,
    relu: boolean,
    /** Output channels per weight group (a convolution's groups; 1 for Linear). */
    readonly groups: number,
  ) {
    super();
    const stale = () => {
      this.#derived = null;
    };
    this.weight = this.registerBuffer('weight', int8Buffer(weightShape, stale));
    this.weightScale = this.registerBuffer('weight_scale', floatBuffer([outChannels], stale, 1));
    this.bias = bias ? this.registerBuffer('bias', floatBuffer([outChannels], stale)) : null;
    this.inputScale = this.registerBuffer('input_scale', floatBuffer([1], stale, 1));
    this.inputZeroPoint = this.registerBuffer('input_zero_point', floatBuffer([1], stale));
    this.relu = relu;
    inferenceOnly(this as unknown as Module<never, unknown>, layerName);
  }

  /** Fills the buffers from float32 weights [out, ...] (quantized per output row) and activation qparams. */
  protected setFrom(w: Float32Array, bias: Tensor | null, act: QParams): void {
    const out = this.weightScale.size;
    const { values, scales } = quantizeRowsSymmetric(w, out);
    this.weight.copy_(tensor(values, { shape: this.weight.shape as number[] }));
    this.weightScale.copy_(tensor(scales));
    if (this.bias !== null && bias !== null) this.bias.copy_(bias);
    this.inputScale.copy_(tensor(Float32Array.of(act.scale)));
    this.inputZeroPoint.copy_(tensor(Float32Array.of(act.zeroPoint)));
  }

  /** The input's quantization parameters. */
  get inputQParams(): QParams {
    return {
      scale: (this.inputScale.toTypedArray() as Float32Array)[0]!,
      zeroPoint: (this.inputZeroPoint.toTypedArray() as Float32Array)[0]!,
    };
  }

  protected derived(): { packed: PackedInt8Weights[]; requant: Requant[] } {
    if (this.#derived !== null) return this.#derived;
    const act = this.inputQParams;
    if (!(act.scale > 0) || !Number.isInteger(act.zeroPoint) || Math.abs(act.zeroPoint) > 127)
      fail(this.layerName, `invalid input parameters scale=${act.scale}, zeroPoint=${act.zeroPoint}`);
    const w = Int8Array.from(this.weight.toTypedArray() as Int32Array);
    const sw = this.weightScale.toTypedArray() as Float32Array;
    const b = this.bias === null ? null : (this.bias.toTypedArray() as Float32Array);
    const n = sw.length / this.groups;
    const k = w.length / sw.length;
    const packed: PackedInt8Weights[] = [];
    const requant: Requant[] = [];
    for (let g = 0; g < this.groups; g++) {
      const wg = w.subarray(g * n * k, (g + 1) * n * k);
      const sg = sw.subarray(g * n, (g + 1) * n);
      packed.push(packInt8Weights(wg, n, k, sg));
      requant.push({
        act,
        weightScale: sg,
        weightSums: rowSums(wg, n, k),
        bias: b === null ? null : b.subarray(g * n, (g + 1) * n),
        relu: this.relu,
      });
    }
    this.#derived = { packed, requant };
    return this.#derived;
  }

  protected checkInput(x: Tensor): Float32Array {
    checkNoGrad(this.layerName, x);
    if (x.dtype !== 'float32') fail(this.layerName, `expected a float32 input, got ${x.dtype}`);
    return x.toTypedArray() as Float32Array;
  }

  /** The weights as the kernels see them (q * scale per output channel). */
  dequantizedWeight(): Float32Array {
    const q = this.weight.toTypedArray() as Int32Array;
    const s = this.weightScale.toTypedArray() as Float32Array;
    const k = q.length / s.length;
    const out = new Float32Array(q.length);
    for (let i = 0; i < q.length; i++) out[i] = q[i]! * s[Math.floor(i / k)]!;
    return out;
  }
}

export interface StaticQuantizedOptions {
  bias?: boolean;
  /** A ReLU fused after the rescale (torch's LinearReLU / ConvReLU2d). */
  relu?: boolean;
}
const LINEAR_KEYS = optionKeys<StaticQuantizedOptions>({ bias: true, relu: true });

/** Static int8 Linear: y = x . w^T + b with x quantized by the calibrated parameters. */
export class StaticQuantizedLinear extends StaticInt8 {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: StaticQuantizedOptions = {}) {
    const L = 'StaticQuantizedLinear';
    checkOptionKeys(L, opts, LINEAR_KEYS);
    checkPositiveInt(L, 'inFeatures', inFeatures);
    checkPositiveInt(L, 'outFeatures', outFeatures);
    super(L, [outFeatures, inFeatures], outFeatures, opts.bias ?? true, opts.relu ?? false, 1);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
  }

  /** The int8 layer of a float32 Linear's weight [out, in] and bias, with the input's parameters. */
  static fromWeights(weight: Tensor, bias: Tensor | null, act: QParams, relu = false): StaticQuantizedLinear {
    const [out, inF] = weight.shape as [number, number];
    const q = new StaticQuantizedLinear(inF, out, { bias: bias !== null, relu });
    q.setFrom(weight.toTypedArray() as Float32Array, bias, act);
    return q;
  }

  forward(x: Tensor): Tensor {
    const v = this.checkInput(x);
    check(
      x.ndim >= 1 && x.shape[x.ndim - 1] === this.inFeatures,
      this.layerName,
      () => `expected input with ${this.inFeatures} features in the last dim, got ${fmtShape(x.shape)}`,
    );
    const m = x.size / this.inFeatures;
    const { packed, requant } = this.derived();
    const qa = quantizeAffine(v, requant[0]!.act);
    const out = new Float32Array(m * this.outFeatures);
    const n = this.outFeatures;
    requantize(qa, m, packed[0]!, requant[0]!, out, (i, j) => i * n + j);
    return tensor(out, { shape: [...x.shape.slice(0, -1), this.outFeatures] });
  }

  override getConfig(): LayerConfig {
    return {
      inFeatures: this.inFeatures,
      outFeatures: this.outFeatures,
      bias: this.bias !== null,
      relu: this.relu,
    };
  }

  static fromConfig(c: LayerConfig): StaticQuantizedLinear {
    const L = 'StaticQuantizedLinear';
    return new StaticQuantizedLinear(cfgNumber(L, c, 'inFeatures'), cfgNumber(L, c, 'outFeatures'), {
      bias: cfgBool(L, c, 'bias', true),
      relu: cfgBool(L, c, 'relu', false),
    });
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, relu=${this.relu}, dtype=int8 static`;
  }
}

export interface StaticQuantizedConv2dOptions extends StaticQuantizedOptions {
  stride?: PairIn;
  padding?: PairIn | 'valid' | 'same';
  dilation?: PairIn;
  groups?: number;
}
const CONV_KEYS = optionKeys<StaticQuantizedConv2dOptions>({
  bias: true,
  relu: true,
  stride: true,
  padding: true,
  dilation: true,
  groups: true,
});

/** The hyper-parameters of a float Conv2d that the int8 form copies. */
export interface Conv2dShape {
  inChannels: number;
  outChannels: number;
  kernelSize: PairIn;
  stride: PairIn;
  padding: PairIn | 'valid' | 'same';
  dilation: PairIn;
  groups: number;
}

/** Static int8 Conv2d over NCHW input: im2col rows of the int8 image onto the int8 GEMM, per group. */
export class StaticQuantizedConv2d extends StaticInt8 {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair | 'valid' | 'same';
  readonly dilation: Pair;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: PairIn,
    opts: StaticQuantizedConv2dOptions = {},
  ) {
    const L = 'StaticQuantizedConv2d';
    checkOptionKeys(L, opts, CONV_KEYS);
    checkPositiveInt(L, 'inChannels', inChannels);
    checkPositiveInt(L, 'outChannels', outChannels);
    const groups = opts.groups ?? 1;
    check(
      Number.isInteger(groups) && groups > 0 && inChannels % groups === 0 && outChannels % groups === 0,
      L,
      () => `groups ${groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`,
    );
    const k = pairOf(kernelSize);
    checkPositiveInt(L, 'kernelSize', k[0]);
    checkPositiveInt(L, 'kernelSize', k[1]);
    super(
      L,
      [outChannels, inChannels / groups, k[0], k[1]],
      outChannels,
      opts.bias ?? true,
      opts.relu ?? false,
      groups,
    );
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = k;
    this.stride = pairOf(opts.stride ?? 1);
    const p = opts.padding ?? 0;
    this.padding = p === 'same' || p === 'valid' ? p : pairOf(p);
    this.dilation = pairOf(opts.dilation ?? 1);
    // Fails at construction, not at the first batch, for a padding the int8 path cannot do.
    resolvePadding(L, this.padding, k, this.stride, this.dilation);
  }

  /** The int8 layer of a float32 Conv2d (`shape` its hyper-parameters) with the input's parameters. */
  static fromWeights(
    shape: Conv2dShape,
    weight: Tensor,
    bias: Tensor | null,
    act: QParams,
    relu = false,
  ): StaticQuantizedConv2d {
    const q = new StaticQuantizedConv2d(shape.inChannels, shape.outChannels, shape.kernelSize, {
      stride: shape.stride,
      padding: shape.padding,
      dilation: shape.dilation,
      groups: shape.groups,
      bias: bias !== null,
      relu,
    });
    q.setFrom(weight.toTypedArray() as Float32Array, bias, act);
    return q;
  }

  forward(x: Tensor): Tensor {
    const L = this.layerName;
    const v = this.checkInput(x);
    check(
      x.ndim === 4 && x.shape[1] === this.inChannels,
      L,
      () => `expected input [N, ${this.inChannels}, H, W], got ${fmtShape(x.shape)}`,
    );
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const padding = resolvePadding(L, this.padding, this.kernelSize, this.stride, this.dilation);
    const [kh, kw] = this.kernelSize;
    const oh = convOut(h, kh, this.stride[0], padding[0], this.dilation[0]);
    const ow = convOut(w, kw, this.stride[1], padding[1], this.dilation[1]);
    check(
      oh > 0 && ow > 0,
      L,
      () => `input ${fmtShape(x.shape)} is too small for kernel ${kh}x${kw} (after padding and dilation)`,
    );
    const geo: ConvGeometry = {
      n,
      c,
      h,
      w,
      kh,
      kw,
      stride: this.stride,
      padding,
      dilation: this.dilation,
      groups: this.groups,
      oh,
      ow,
    };
    const { packed, requant } = this.derived();
    const act = requant[0]!.act;
    const q = quantizeAffine(v, act);
    const out = new Float32Array(n * this.outChannels * oh * ow);
    const hw = oh * ow;
    const og = this.outChannels / this.groups;
    for (let g = 0; g < this.groups; g++) {
      const rows = im2colInt8(q, geo, g, act.zeroPoint);
      // Row i is pixel (b, p) of the output; channel j of group g is output channel g*og + j.
      requantize(rows, n * hw, packed[g]!, requant[g]!, out, (i, j) => {
        const b = Math.floor(i / hw);
        return (b * this.outChannels + g * og + j) * hw + (i - b * hw);
      });
    }
    return tensor(out, { shape: [n, this.outChannels, oh, ow] });
  }

  override getConfig(): LayerConfig {
    const jp = (p: Pair): JsonValue => [p[0], p[1]];
    return {
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernelSize: jp(this.kernelSize),
      stride: jp(this.stride),
      padding: typeof this.padding === 'string' ? this.padding : jp(this.padding),
      dilation: jp(this.dilation),
      groups: this.groups,
      bias: this.bias !== null,
      relu: this.relu,
    };
  }

  static fromConfig(c: LayerConfig): StaticQuantizedConv2d {
    const L = 'StaticQuantizedConv2d';
    const padding = c.padding === 'same' || c.padding === 'valid' ? c.padding : cfgPair(L, c, 'padding', 0);
    return new StaticQuantizedConv2d(
      cfgNumber(L, c, 'inChannels'),
      cfgNumber(L, c, 'outChannels'),
      cfgPair(L, c, 'kernelSize'),
      {
        stride: cfgPair(L, c, 'stride', 1),
        padding,
        dilation: cfgPair(L, c, 'dilation', 1),
        groups: cfgNumber(L, c, 'groups', 1),
        bias: cfgBool(L, c, 'bias', true),
        relu: cfgBool(L, c, 'relu', false),
      },
    );
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride)}, relu=${this.relu}, dtype=int8 static`;
  }
}

/**
 * What a ReLU becomes once fused into the layer before it (torch's fuse_modules leaves nn.Identity): the
 * layer already clamps at zero, so this passes its input through.
 */
export class FusedReLU extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
  override getConfig(): LayerConfig {
    return {};
  }
}

registerLayer('StaticQuantizedLinear', StaticQuantizedLinear, StaticQuantizedLinear.fromConfig);
registerLayer('StaticQuantizedConv2d', StaticQuantizedConv2d, StaticQuantizedConv2d.fromConfig);
registerLayer('FusedReLU', FusedReLU, () => new FusedReLU());
