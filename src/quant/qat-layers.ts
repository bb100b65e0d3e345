/**
 * Quantization-aware training layers (torch.ao.nn.qat.Linear / Conv2d and their ReLU-fused forms): a float
 * Linear or Conv2d that, on every forward, fake-quantizes its input (per tensor, affine, with a moving
 * average of the input's min and max observed in training mode, torch's MovingAverageMinMaxObserver) and its
 * weight (per output channel, symmetric, max|w_c| / 127 from the current weights, exactly the scales
 * convertQat will store), with straight-through gradients. They train with fit like the float layers they
 * extend; the observer's state is buffers, so checkpoints and resume keep it.
 */
import { noGrad } from '../autograd/node.ts';
import { check, fail } from '../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../core/options.ts';
import { cfgBool, cfgNumber } from '../nn/config.ts';
import { Conv2d, type Conv2dLayerOptions } from '../nn/layers/conv.ts';
import { Linear, type LinearOptions } from '../nn/layers/linear.ts';
import { type LayerConfig, registerLayer } from '../nn/module.ts';
import type { Parameter } from '../nn/parameter.ts';
import { tensor } from '../tensor/creation.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { fakeQuantizePerChannelAffine, fakeQuantizePerTensorAffine } from './fake-quant.ts';
import { symmetricScale } from './int8-reference.ts';
import { affineQParams, QMAX, QMIN, type QParams } from './observers.ts';

export interface QatOptions {
  /** A ReLU applied after the layer (fused: the converted layer clamps at zero itself). */
  relu?: boolean;
  /** Weight of each batch's min/max in the moving average (torch's 0.01). */
  averagingConstant?: number;
}
const QAT_KEYS = optionKeys<QatOptions>({ relu: true, averagingConstant: true });

const fr = Math.fround;

/** The observer state and fake quantization both QAT layers share (a mixin over the float layer). */
class QatState {
  /** [min, max] of the input, moving average; meaningful once `observed` > 0. */
  readonly range: Tensor;
  /** Training batches observed (float32, as every buffer here). */
  readonly observed: Tensor;
  constructor(
    readonly layer: string,
    readonly relu: boolean,
    readonly averagingConstant: number,
    register: (name: string, t: Tensor) => Tensor,
  ) {
    check(
      averagingConstant > 0 && averagingConstant <= 1,
      layer,
      () => `averagingConstant must be in (0, 1], got ${averagingConstant}`,
    );
    this.range = register('act_range', tensor(new Float32Array(2)));
    this.observed = register('act_observed', tensor(new Float32Array(1)));
  }

  get count(): number {
    return (this.observed.toTypedArray() as Float32Array)[0]!;
  }

  /** The input's quantization parameters, from the observed range (null before any training batch). */
  qparams(): QParams | null {
    if (this.count === 0) return null;
    const [lo, hi] = this.range.toTypedArray() as Float32Array;
    return affineQParams(lo!, hi!);
  }

  /** Observes x (training mode only), then fake-quantizes it with the current parameters. */
  input(x: Tensor, training: boolean): Tensor {
    if (x.dtype !== 'float32') fail(this.layer, `expects a float32 input, got ${x.dtype}`);
    if (training) {
      const v = x.toTypedArray() as Float32Array;
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < v.length; i++) {
        if (v[i]! < lo) lo = v[i]!;
        if (v[i]! > hi) hi = v[i]!;
      }
      if (!Number.isFinite(lo) || !Number.isFinite(hi))
        fail(this.layer, `the input is not finite (range [${lo}, ${hi}]); no quantization range fits it`);
      const n = this.count;
      const [mn, mx] = this.range.toTypedArray() as Float32Array;
      const c = fr(this.averagingConstant);
      const next =
        n === 0
          ? Float32Array.of(lo, hi)
          : Float32Array.of(fr(mn! + fr(c * fr(lo - mn!))), fr(mx! + fr(c * fr(hi - mx!))));
      noGrad(() => {
        this.range.copy_(tensor(next));
        this.observed.copy_(tensor(Float32Array.of(n + 1)));
      });
    }
    const qp = this.qparams();
    return qp === null ? x : fakeQuantizePerTensorAffine(x, qp.scale, qp.zeroPoint, QMIN, QMAX);
  }

  /** The weight fake-quantized per output channel (dim 0) with symmetric scales from its current values. */
  weight(w: Parameter): Tensor {
    const v = w.toTypedArray() as Float32Array;
    const rows = w.shape[0]!;
    const k = v.length / rows;
    const scales = new Float32Array(rows);
    for (let r = 0; r < rows; r++) scales[r] = symmetricScale(v.subarray(r * k, (r + 1) * k));
    return fakeQuantizePerChannelAffine(w, scales, new Int32Array(rows), 0, QMIN, QMAX);
  }

  config(): LayerConfig {
    return { relu: this.relu, averagingConstant: this.averagingConstant };
  }
}

/** Runs `fn` with the layer's weight field pointing at `w` (the float layer's forward reads this.weight). */
function withWeight<T>(layer: { weight: Parameter }, w: Tensor, fn: () => T): T {
  const saved = layer.weight;
  (layer as { weight: Tensor }).weight = w;
  try {
    return fn();
  } finally {
    (layer as { weight: Tensor }).weight = saved;
  }
}

function splitOpts<O extends object>(opts: O & QatOptions): [O, QatOptions] {
  const { relu, averagingConstant, ...rest } = opts;
  return [rest as O, { relu, averagingConstant }];
}

/** Linear with fake-quantized input and weight (torch.ao.nn.qat.Linear; LinearReLU with relu). */
export class QatLinear extends Linear {
  readonly qat: QatState;
  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions & QatOptions = {}) {
    const [lin, q] = splitOpts<LinearOptions>(opts);
    super(inFeatures, outFeatures, lin);
    checkOptionKeys('QatLinear', q, QAT_KEYS);
    this.qat = new QatState('QatLinear', q.relu ?? false, q.averagingConstant ?? 0.01, (n, t) =>
      this.registerBuffer(n, t),
    );
  }

  override forward(x: Tensor): Tensor {
    const xq = this.qat.input(x, this.training);
    const y = withWeight(this, this.qat.weight(this.weight), () => super.forward(xq));
    return this.qat.relu ? y.relu() : y;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), ...this.qat.config() };
  }

  static override fromConfig(c: LayerConfig): QatLinear {
    const L = 'QatLinear';
    const { relu, averagingConstant, ...rest } = c;
    return QatLinear.like(Linear.fromConfig(rest), {
      relu: cfgBool(L, { relu }, 'relu', false),
      averagingConstant: cfgNumber(L, { averagingConstant }, 'averagingConstant', 0.01),
    });
  }

  /** A QatLinear with the shape and bias of `m` (its weights are not copied). */
  static like(m: Linear, q: QatOptions): QatLinear {
    return new QatLinear(m.inFeatures, m.outFeatures, { ...q, bias: m.bias !== null });
  }
}

/** Conv2d with fake-quantized input and weight (torch.ao.nn.qat.Conv2d; ConvReLU2d with relu). */
export class QatConv2d extends Conv2d {
  readonly qat: QatState;
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly [number, number],
    opts: Conv2dLayerOptions & QatOptions = {},
  ) {
    const [conv, q] = splitOpts<Conv2dLayerOptions>(opts);
    super(inChannels, outChannels, kernelSize, conv);
    checkOptionKeys('QatConv2d', q, QAT_KEYS);
    this.qat = new QatState('QatConv2d', q.relu ?? false, q.averagingConstant ?? 0.01, (n, t) =>
      this.registerBuffer(n, t),
    );
  }

  override forward(x: Tensor): Tensor {
    const xq = this.qat.input(x, this.training);
    const y = withWeight(this, this.qat.weight(this.weight), () => super.forward(xq));
    return this.qat.relu ? y.relu() : y;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), ...this.qat.config() };
  }

  static override fromConfig(c: LayerConfig): QatConv2d {
    const L = 'QatConv2d';
    const { relu, averagingConstant, ...rest } = c;
    return QatConv2d.like(Conv2d.fromConfig(rest), {
      relu: cfgBool(L, { relu }, 'relu', false),
      averagingConstant: cfgNumber(L, { averagingConstant }, 'averagingConstant', 0.01),
    });
  }

  /** A QatConv2d with the geometry and bias of `m` (its weights are not copied). */
  static like(m: Conv2d, q: QatOptions): QatConv2d {
    return new QatConv2d(m.inChannels, m.outChannels, m.kernelSize, {
      stride: m.stride,
      padding: m.padding,
      dilation: m.dilation,
      groups: m.groups,
      bias: m.bias !== null,
      ...q,
    });
  }
}

registerLayer('QatLinear', QatLinear, QatLinear.fromConfig);
registerLayer('QatConv2d', QatConv2d, QatConv2d.fromConfig);
