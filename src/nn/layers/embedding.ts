import { noGrad } from '../../autograd/node.ts';
import { check } from '../../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../../core/options.ts';
import { embedding } from '../../tensor/ops/indexing.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { cfgDType, cfgNumber, cfgNumberOrNull } from '../config.ts';
import { normal_ } from '../init.ts';
import { type LayerConfig, Module, registerLayer } from '../module.ts';
import type { Parameter } from '../parameter.ts';
import { checkPositiveInt, newParam, type WeightOptions } from './common.ts';

export interface EmbeddingOptions extends WeightOptions {
  /** This row is zero at init and gets no gradient (negative counts from the end). */
  paddingIdx?: number | null;
}

/** A lookup table (torch.nn.Embedding): int32 indices of any shape -> [..., embeddingDim]; weight N(0, 1). */
/** Option names, for the unknown-key check (the compiler keeps them in step with the interface). */
const EMBEDDING_KEYS = optionKeys<EmbeddingOptions>({ paddingIdx: true, dtype: true, generator: true });

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    checkOptionKeys('Embedding', opts, EMBEDDING_KEYS);
    super();
    checkPositiveInt('Embedding', 'numEmbeddings', numEmbeddings);
    checkPositiveInt('Embedding', 'embeddingDim', embeddingDim);
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      check(
        Number.isInteger(pad) && pad >= -numEmbeddings && pad < numEmbeddings,
        'Embedding',
        () => `paddingIdx must be within numEmbeddings (${numEmbeddings}), got ${opts.paddingIdx}`,
      );
      if (pad < 0) pad += numEmbeddings;
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = pad;
    this.weight = this.registerParameter('weight', newParam([numEmbeddings, embeddingDim], opts.dtype));
    normal_(this.weight, 0, 1, { generator: opts.generator });
    if (pad !== null) noGrad(() => this.weight.narrow(0, pad, 1).zero_());
  }

  forward(indices: Tensor): Tensor {
    check(indices.dtype === 'int32', 'Embedding', () => `indices must be int32, got ${indices.dtype}`);
    return embedding(indices, this.weight, { paddingIdx: this.paddingIdx });
  }

  override getConfig(): LayerConfig {
    return {
      numEmbeddings: this.numEmbeddings,
      embeddingDim: this.embeddingDim,
      paddingIdx: this.paddingIdx,
      dtype: this.weight.dtype,
    };
  }

  static fromConfig(c: LayerConfig): Embedding {
    return new Embedding(
      cfgNumber('Embedding', c, 'numEmbeddings'),
      cfgNumber('Embedding', c, 'embeddingDim'),
      {
        paddingIdx: cfgNumberOrNull('Embedding', c, 'paddingIdx'),
        dtype: cfgDType('Embedding', c),
      },
    );
  }
}

registerLayer('Embedding', Embedding, Embedding.fromConfig);
