import type { DType } from '../core/dtype.ts';
import { check, fmtShape } from '../core/errors.ts';
import type { Generator } from '../core/rng.ts';
import { cfgDType, cfgNumber } from '../nn/config.ts';
import { Embedding } from '../nn/layers/embedding.ts';
import { Linear } from '../nn/layers/linear.ts';
import { LSTM } from '../nn/layers/recurrent.ts';
import { type LayerConfig, Module, registerLayer } from '../nn/module.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { gatherLastReal } from './masking.ts';

export interface LstmTextClassifierOptions {
  /** Embedding size. Default 128. */
  embeddingDim?: number;
  /** LSTM hidden size. Default 128. */
  hiddenSize?: number;
  /** Stacked LSTM layers. Default 1. */
  numLayers?: number;
  /** Dropout between stacked LSTM layers (torch's `dropout`). Default 0. */
  dropout?: number;
  /** Output classes (logits). Default 2. */
  numClasses?: number;
  /** The padding id; the state read is the one at the last id that is not padding. Default 0. */
  padId?: number;
  dtype?: DType;
  generator?: Generator;
}

/**
 * Token ids [N, T] (int32, padded with `padId`) -> class logits [N, numClasses]:
 * Embedding(vocabSize, embeddingDim) -> LSTM(embeddingDim, hiddenSize, batchFirst) -> the top layer's hidden
 * state at each sequence's LAST REAL token (gathered at length - 1, not at the padded end, whose state has run
 * over the padding) -> Linear(hiddenSize, numClasses). State-dict keys: `embedding.weight`,
 * `lstm.weight_ih_l0`, ..., `classifier.weight`.
 */
export class LstmTextClassifier extends Module {
  readonly vocabSize: number;
  readonly embeddingDim: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly dropout: number;
  readonly numClasses: number;
  readonly padId: number;
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  readonly classifier: Linear;

  constructor(vocabSize: number, opts: LstmTextClassifierOptions = {}) {
    super();
    this.vocabSize = vocabSize;
    this.embeddingDim = opts.embeddingDim ?? 128;
    this.hiddenSize = opts.hiddenSize ?? 128;
    this.numLayers = opts.numLayers ?? 1;
    this.dropout = opts.dropout ?? 0;
    this.numClasses = opts.numClasses ?? 2;
    this.padId = opts.padId ?? 0;
    check(
      Number.isInteger(this.padId) && this.padId >= 0 && this.padId < vocabSize,
      'LstmTextClassifier',
      () => `padId must be an id in [0, ${vocabSize}), got ${this.padId}`,
    );
    const w = { dtype: opts.dtype, generator: opts.generator };
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, this.embeddingDim, w));
    this.lstm = this.registerModule(
      'lstm',
      new LSTM(this.embeddingDim, this.hiddenSize, {
        numLayers: this.numLayers,
        dropout: this.dropout,
        batchFirst: true,
        ...w,
      }),
    );
    this.classifier = this.registerModule('classifier', new Linear(this.hiddenSize, this.numClasses, w));
  }

  forward(ids: Tensor): Tensor {
    check(
      ids.ndim === 2 && ids.dtype === 'int32',
      'LstmTextClassifier',
      () => `expected int32 token ids [batch, length], got ${ids.dtype} ${fmtShape(ids.shape)}`,
    );
    const [out] = this.lstm.call(this.embedding.call(ids)); // [N, T, H]
    return this.classifier.call(gatherLastReal(out, ids, this.padId));
  }

  override getConfig(): LayerConfig {
    return {
      vocabSize: this.vocabSize,
      embeddingDim: this.embeddingDim,
      hiddenSize: this.hiddenSize,
      numLayers: this.numLayers,
      dropout: this.dropout,
      numClasses: this.numClasses,
      padId: this.padId,
      dtype: this.embedding.weight.dtype,
    };
  }

  static fromConfig(c: LayerConfig): LstmTextClassifier {
    const L = 'LstmTextClassifier';
    return new LstmTextClassifier(cfgNumber(L, c, 'vocabSize'), {
      embeddingDim: cfgNumber(L, c, 'embeddingDim', 128),
      hiddenSize: cfgNumber(L, c, 'hiddenSize', 128),
      numLayers: cfgNumber(L, c, 'numLayers', 1),
      dropout: cfgNumber(L, c, 'dropout', 0),
      numClasses: cfgNumber(L, c, 'numClasses', 2),
      padId: cfgNumber(L, c, 'padId', 0),
      dtype: cfgDType(L, c),
    });
  }

  override extraRepr(): string {
    return `vocabSize=${this.vocabSize}, embeddingDim=${this.embeddingDim}, hiddenSize=${this.hiddenSize}, numClasses=${this.numClasses}`;
  }
}

registerLayer('LstmTextClassifier', LstmTextClassifier, LstmTextClassifier.fromConfig);
