import { check, fail } from '../core/errors.ts';
import { checkOptionKeys } from '../core/options.ts';
import { cfgNumber, cfgNumberOrNull } from '../nn/config.ts';
import { checkPositiveInt } from '../nn/layers/common.ts';
import type { Embedding } from '../nn/layers/embedding.ts';
import { type LayerConfig, Module, registerLayer } from '../nn/module.ts';
import { tensor } from '../tensor/creation.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { checkNoGrad, floatBuffer, inferenceOnly, int8Buffer, type WatchedBuffer } from './inference-only.ts';
import { quantizeRowsSymmetric } from './int8-reference.ts';

/**
 * Int8 lookup table (torch.ao.nn.quantized.Embedding, but symmetric): each row int8 with its own float32
 * scale (`weight`, I8 on disk, and `weight_scale`); a lookup dequantizes the rows it returns, so the
 * table takes a quarter of the memory and the output is float32 as before. Inference-only.
 */
export class QuantizedEmbedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** Kept from the float layer so the config round-trips (it only ever affected gradients). */
  readonly paddingIdx: number | null;
  readonly weight: WatchedBuffer;
  readonly weightScale: WatchedBuffer;
  #rows: Int8Array | null = null;
  #scales: Float32Array | null = null;

  constructor(numEmbeddings: number, embeddingDim: number, opts: { paddingIdx?: number | null } = {}) {
    checkOptionKeys('QuantizedEmbedding', opts, ['paddingIdx']);
    super();
    checkPositiveInt('QuantizedEmbedding', 'numEmbeddings', numEmbeddings);
    checkPositiveInt('QuantizedEmbedding', 'embeddingDim', embeddingDim);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = opts.paddingIdx ?? null;
    const stale = () => {
      this.#rows = null;
      this.#scales = null;
    };
    this.weight = this.registerBuffer('weight', int8Buffer([numEmbeddings, embeddingDim], stale));
    this.weightScale = this.registerBuffer('weight_scale', floatBuffer([numEmbeddings], stale, 1));
    inferenceOnly(this as unknown as Module<never, unknown>, 'QuantizedEmbedding');
  }

  static fromFloat(e: Embedding): QuantizedEmbedding {
    check(
      e.weight.dtype === 'float32',
      'QuantizedEmbedding',
      () => `int8 rows dequantize to float32; the Embedding's weights are ${e.weight.dtype}`,
    );
    const q = new QuantizedEmbedding(e.numEmbeddings, e.embeddingDim, { paddingIdx: e.paddingIdx });
    const { values, scales } = quantizeRowsSymmetric(
      e.weight.toTypedArray() as Float32Array,
      e.numEmbeddings,
    );
    q.weight.copy_(tensor(values, { shape: [e.numEmbeddings, e.embeddingDim] }));
    q.weightScale.copy_(tensor(scales));
    return q;
  }

  forward(indices: Tensor): Tensor {
    const L = 'QuantizedEmbedding';
    checkNoGrad(L, indices);
    if (indices.dtype !== 'int32') fail(L, `indices must be int32, got ${indices.dtype}`);
    this.#rows ??= Int8Array.from(this.weight.toTypedArray() as Int32Array);
    this.#scales ??= this.weightScale.toTypedArray() as Float32Array;
    const [rows, scales, d] = [this.#rows, this.#scales, this.embeddingDim];
    const idx = indices.toTypedArray() as Int32Array;
    const out = new Float32Array(idx.length * d);
    for (let i = 0; i < idx.length; i++) {
      const r = idx[i]!;
      if (!(r >= 0 && r < this.numEmbeddings))
        fail(L, `index ${r} is out of range for ${this.numEmbeddings} embeddings`);
      const s = scales[r]!;
      for (let c = 0; c < d; c++) out[i * d + c] = rows[r * d + c]! * s;
    }
    return tensor(out, { shape: [...indices.shape, d] });
  }

  override getConfig(): LayerConfig {
    return {
      numEmbeddings: this.numEmbeddings,
      embeddingDim: this.embeddingDim,
      paddingIdx: this.paddingIdx,
    };
  }

  static fromConfig(c: LayerConfig): QuantizedEmbedding {
    const L = 'QuantizedEmbedding';
    return new QuantizedEmbedding(cfgNumber(L, c, 'numEmbeddings'), cfgNumber(L, c, 'embeddingDim'), {
      paddingIdx: cfgNumberOrNull(L, c, 'paddingIdx'),
    });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}, dtype=int8`;
  }
}

registerLayer('QuantizedEmbedding', QuantizedEmbedding, QuantizedEmbedding.fromConfig);
