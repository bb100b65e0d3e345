import type { DType } from '../core/dtype.ts';
import { check, fmtShape } from '../core/errors.ts';
import type { Generator } from '../core/rng.ts';
import { cfgDType, cfgNumber, cfgString } from '../nn/config.ts';
import { Embedding } from '../nn/layers/embedding.ts';
import { Linear } from '../nn/layers/linear.ts';
import { TransformerEncoder, TransformerEncoderLayer } from '../nn/layers/transformer.ts';
import { type LayerConfig, Module, registerLayer } from '../nn/module.ts';
import { arange } from '../tensor/creation.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { keyPaddingMask, maskedMeanPool } from './masking.ts';

export interface TransformerTextClassifierOptions {
  /** Model width (embedding size). Default 128. */
  dModel?: number;
  /** Attention heads. Default 4. */
  nhead?: number;
  /** Hidden size of each block's feed-forward part. Default 128. */
  dimFeedforward?: number;
  /** Encoder blocks. Default 1. */
  numLayers?: number;
  /** Dropout inside the encoder blocks. Default 0.1. */
  dropout?: number;
  /** Output classes (logits). Default 2. */
  numClasses?: number;
  /** The padding id: masked out of attention keys and of the pooling. Default 0 (WordTokenizer's PAD). */
  padId?: number;
  /**
   * Position information: 'none' (the stated recipe: the mean over real tokens is then order-free) or
   * 'learned' (an Embedding(maxLen, dModel) added to the token embeddings). Default 'none'.
   */
  positional?: 'none' | 'learned';
  /** Longest sequence for positional 'learned'. Default 512. */
  maxLen?: number;
  dtype?: DType;
  generator?: Generator;
}

/**
 * Token ids [N, S] (int32, padded with `padId`) -> class logits [N, numClasses]:
 * Embedding(vocabSize, dModel) -> TransformerEncoder (post-norm blocks, batch first, padding as
 * srcKeyPaddingMask) -> mean over the real tokens only -> Linear(dModel, numClasses).
 * Train it with cross-entropy on the logits (softmax is the loss's). State-dict keys: `embedding.weight`,
 * `pos_embedding.weight` (learned positions only), `encoder.layers.0.self_attn.in_proj_weight`, ...,
 * `classifier.weight`.
 */
export class TransformerTextClassifier extends Module {
  readonly vocabSize: number;
  readonly dModel: number;
  readonly nhead: number;
  readonly dimFeedforward: number;
  readonly numLayers: number;
  readonly dropout: number;
  readonly numClasses: number;
  readonly padId: number;
  readonly positional: 'none' | 'learned';
  readonly maxLen: number;
  readonly embedding: Embedding;
  readonly posEmbedding: Embedding | null;
  readonly encoder: TransformerEncoder;
  readonly classifier: Linear;

  constructor(vocabSize: number, opts: TransformerTextClassifierOptions = {}) {
    super();
    this.vocabSize = vocabSize;
    this.dModel = opts.dModel ?? 128;
    this.nhead = opts.nhead ?? 4;
    this.dimFeedforward = opts.dimFeedforward ?? 128;
    this.numLayers = opts.numLayers ?? 1;
    this.dropout = opts.dropout ?? 0.1;
    this.numClasses = opts.numClasses ?? 2;
    this.padId = opts.padId ?? 0;
    this.positional = opts.positional ?? 'none';
    this.maxLen = opts.maxLen ?? 512;
    const T = 'TransformerTextClassifier';
    check(
      Number.isInteger(this.padId) && this.padId >= 0 && this.padId < vocabSize,
      T,
      () => `padId must be an id in [0, ${vocabSize}), got ${this.padId}`,
    );
    check(
      this.positional === 'none' || this.positional === 'learned',
      T,
      () => `positional must be 'none' or 'learned', got ${JSON.stringify(this.positional)}`,
    );
    const w = { dtype: opts.dtype, generator: opts.generator };
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, this.dModel, w));
    this.posEmbedding = this.registerModule(
      'pos_embedding',
      this.positional === 'learned' ? new Embedding(this.maxLen, this.dModel, w) : null,
    );
    const layer = new TransformerEncoderLayer(this.dModel, this.nhead, {
      dimFeedforward: this.dimFeedforward,
      dropout: this.dropout,
      batchFirst: true,
      ...w,
    });
    this.encoder = this.registerModule('encoder', new TransformerEncoder(layer, this.numLayers));
    this.classifier = this.registerModule('classifier', new Linear(this.dModel, this.numClasses, w));
  }

  forward(ids: Tensor): Tensor {
    const T = 'TransformerTextClassifier';
    check(
      ids.ndim === 2 && ids.dtype === 'int32',
      T,
      () => `expected int32 token ids [batch, length], got ${ids.dtype} ${fmtShape(ids.shape)}`,
    );
    const s = ids.shape[1]!;
    let x = this.embedding.call(ids);
    if (this.posEmbedding !== null) {
      check(s <= this.maxLen, T, () => `sequence length ${s} exceeds maxLen ${this.maxLen}`);
      x = x.add(this.posEmbedding.call(arange(0, s, 1, { dtype: 'int32' })));
    }
    const h = this.encoder.call(x, { srcKeyPaddingMask: keyPaddingMask(ids, this.padId) });
    return this.classifier.call(maskedMeanPool(h, ids, this.padId));
  }

  override getConfig(): LayerConfig {
    return {
      vocabSize: this.vocabSize,
      dModel: this.dModel,
      nhead: this.nhead,
      dimFeedforward: this.dimFeedforward,
      numLayers: this.numLayers,
      dropout: this.dropout,
      numClasses: this.numClasses,
      padId: this.padId,
      positional: this.positional,
      maxLen: this.maxLen,
      dtype: this.embedding.weight.dtype,
    };
  }

  static fromConfig(c: LayerConfig): TransformerTextClassifier {
    const T = 'TransformerTextClassifier';
    return new TransformerTextClassifier(cfgNumber(T, c, 'vocabSize'), {
      dModel: cfgNumber(T, c, 'dModel', 128),
      nhead: cfgNumber(T, c, 'nhead', 4),
      dimFeedforward: cfgNumber(T, c, 'dimFeedforward', 128),
      numLayers: cfgNumber(T, c, 'numLayers', 1),
      dropout: cfgNumber(T, c, 'dropout', 0.1),
      numClasses: cfgNumber(T, c, 'numClasses', 2),
      padId: cfgNumber(T, c, 'padId', 0),
      positional: cfgString(T, c, 'positional', ['none', 'learned'] as const, 'none'),
      maxLen: cfgNumber(T, c, 'maxLen', 512),
      dtype: cfgDType(T, c),
    });
  }

  override extraRepr(): string {
    return `vocabSize=${this.vocabSize}, dModel=${this.dModel}, nhead=${this.nhead}, numLayers=${this.numLayers}, numClasses=${this.numClasses}`;
  }
}

registerLayer('TransformerTextClassifier', TransformerTextClassifier, TransformerTextClassifier.fromConfig);
