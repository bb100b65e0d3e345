import { check, fail, fmtShape } from '../core/errors.ts';
import { checkOptionKeys } from '../core/options.ts';
import { cfgBool, cfgNumber } from '../nn/config.ts';
import { checkPositiveInt } from '../nn/layers/common.ts';
import type { Linear } from '../nn/layers/linear.ts';
import { type LayerConfig, Module, registerLayer } from '../nn/module.ts';
import { tensor } from '../tensor/creation.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { checkNoGrad, floatBuffer, inferenceOnly, int8Buffer, type WatchedBuffer } from './inference-only.ts';
import { dynamicInt8Linear, packInt8Weights } from './int8-kernels.ts';
import { quantizeRowsSymmetric } from './int8-reference.ts';

type Packed = ReturnType<typeof packInt8Weights>;

/**
 * Dynamic int8 Linear (torch.ao.nn.quantized.dynamic.Linear): weight [out, in] symmetric int8 with one
 * float32 scale per output channel, stored as `weight` (I8 on disk) and `weight_scale`; the input is
 * quantized per call with one scale for the whole batch, multiplied on the integer kernels (i32
 * accumulation) and dequantized to float32 with the bias added. Inference-only.
 */
export class QuantizedLinear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: WatchedBuffer;
  readonly weightScale: WatchedBuffer;
  readonly bias: WatchedBuffer | null;
  /** The weights in the kernels' layout, rebuilt lazily after a load into the buffers. */
  #packed: Packed | null = null;

  constructor(inFeatures: number, outFeatures: number, opts: { bias?: boolean } = {}) {
    checkOptionKeys('QuantizedLinear', opts, ['bias']);
    super();
    checkPositiveInt('QuantizedLinear', 'inFeatures', inFeatures);
    checkPositiveInt('QuantizedLinear', 'outFeatures', outFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const stale = () => {
      this.#packed = null;
    };
    this.weight = this.registerBuffer('weight', int8Buffer([outFeatures, inFeatures], stale));
    this.weightScale = this.registerBuffer('weight_scale', floatBuffer([outFeatures], stale, 1));
    this.bias = (opts.bias ?? true) ? this.registerBuffer('bias', floatBuffer([outFeatures], stale)) : null;
    inferenceOnly(this as unknown as Module<never, unknown>, 'QuantizedLinear');
  }

  /** The int8 layer of a float32 Linear: each output row quantized with scale max|row| / 127. */
  static fromFloat(lin: Linear): QuantizedLinear {
    check(
      lin.weight.dtype === 'float32',
      'QuantizedLinear',
      () => `the int8 kernels produce float32; the Linear's weights are ${lin.weight.dtype}`,
    );
    const q = new QuantizedLinear(lin.inFeatures, lin.outFeatures, { bias: lin.bias !== null });
    const { values, scales } = quantizeRowsSymmetric(
      lin.weight.toTypedArray() as Float32Array,
      lin.outFeatures,
    );
    q.weight.copy_(tensor(values, { shape: [lin.outFeatures, lin.inFeatures] }));
    q.weightScale.copy_(tensor(scales));
    if (q.bias !== null && lin.bias !== null) q.bias.copy_(lin.bias);
    return q;
  }

  #pack(): Packed {
    if (this.#packed === null) {
      const w = Int8Array.from(this.weight.toTypedArray() as Int32Array);
      this.#packed = packInt8Weights(
        w,
        this.outFeatures,
        this.inFeatures,
        this.weightScale.toTypedArray() as Float32Array,
      );
    }
    return this.#packed;
  }

  forward(x: Tensor): Tensor {
    const L = 'QuantizedLinear';
    checkNoGrad(L, x);
    if (x.dtype !== 'float32') fail(L, `expected a float32 input, got ${x.dtype}`);
    check(
      x.ndim >= 1 && x.shape[x.ndim - 1] === this.inFeatures,
      L,
      () => `expected input with ${this.inFeatures} features in the last dim, got ${fmtShape(x.shape)}`,
    );
    const m = x.size / this.inFeatures;
    const bias = this.bias === null ? null : (this.bias.toTypedArray() as Float32Array);
    const y = dynamicInt8Linear(x.toTypedArray() as Float32Array, m, this.#pack(), bias);
    return tensor(y, { shape: [...x.shape.slice(0, -1), this.outFeatures] });
  }

  /** The weights as the kernels see them (q * scale per row), for error bounds and inspection. */
  dequantizedWeight(): Float32Array {
    const q = this.weight.toTypedArray() as Int32Array;
    const s = this.weightScale.toTypedArray() as Float32Array;
    const out = new Float32Array(q.length);
    for (let i = 0; i < q.length; i++) out[i] = q[i]! * s[Math.floor(i / this.inFeatures)]!;
    return out;
  }

  override getConfig(): LayerConfig {
    return { inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null };
  }

  static fromConfig(c: LayerConfig): QuantizedLinear {
    const L = 'QuantizedLinear';
    return new QuantizedLinear(cfgNumber(L, c, 'inFeatures'), cfgNumber(L, c, 'outFeatures'), {
      bias: cfgBool(L, c, 'bias', true),
    });
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}, dtype=int8`;
  }
}

registerLayer('QuantizedLinear', QuantizedLinear, QuantizedLinear.fromConfig);
