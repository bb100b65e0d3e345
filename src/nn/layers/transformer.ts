import type { DType } from '../../core/dtype.ts';
import { check } from '../../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../../core/options.ts';
import type { Generator } from '../../core/rng.ts';
import { gelu } from '../../tensor/ops/activations.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { cfgBool, cfgDType, cfgNumber, cfgString } from '../config.ts';
import { ModuleList } from '../containers.ts';
import { type LayerConfig, Module, moduleFromConfig, moduleToConfig, registerLayer } from '../module.ts';
import { MultiheadAttention } from './attention.ts';
import { checkPositiveInt } from './common.ts';
import { Dropout } from './dropout.ts';
import { Linear } from './linear.ts';
import { LayerNorm } from './normalization.ts';

export interface TransformerEncoderLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu';
  layerNormEps?: number;
  batchFirst?: boolean;
  /** Pre-norm (x + f(norm(x))) instead of torch's default post-norm (norm(x + f(x))). */
  normFirst?: boolean;
  dtype?: DType;
  generator?: Generator;
}

export interface EncoderCallOptions {
  /** Attention mask [S, S] or [N * heads, S, S], bool (true = blocked) or float (added). */
  srcMask?: Tensor | null;
  /** [N, S]: true marks padding positions that no query may attend to. */
  srcKeyPaddingMask?: Tensor | null;
  /** Adds the causal mask. */
  isCausal?: boolean;
}

/**
 * torch.nn.TransformerEncoderLayer: self-attention and a feed-forward block, each with a residual
 * connection, dropout and layer norm. Submodules and state-dict keys as torch: self_attn, linear1,
 * dropout, linear2, norm1, norm2, dropout1, dropout2.
 */
/** Option names, for the unknown-key check (the compiler keeps them in step with the interface). */
const TRANSFORMER_ENCODER_LAYER_KEYS = optionKeys<TransformerEncoderLayerOptions>({
  dimFeedforward: true,
  dropout: true,
  activation: true,
  layerNormEps: true,
  batchFirst: true,
  normFirst: true,
  dtype: true,
  generator: true,
});

export class TransformerEncoderLayer extends Module<[Tensor, EncoderCallOptions?], Tensor> {
  readonly dModel: number;
  readonly nhead: number;
  readonly dimFeedforward: number;
  readonly dropoutP: number;
  readonly activation: 'relu' | 'gelu';
  readonly layerNormEps: number;
  readonly batchFirst: boolean;
  readonly normFirst: boolean;
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;

  constructor(dModel: number, nhead: number, opts: TransformerEncoderLayerOptions = {}) {
    checkOptionKeys('TransformerEncoderLayer', opts, TRANSFORMER_ENCODER_LAYER_KEYS);
    super();
    checkPositiveInt('TransformerEncoderLayer', 'dModel', dModel);
    this.dModel = dModel;
    this.nhead = nhead;
    this.dimFeedforward = opts.dimFeedforward ?? 2048;
    this.dropoutP = opts.dropout ?? 0.1;
    this.activation = opts.activation ?? 'relu';
    check(
      this.activation === 'relu' || this.activation === 'gelu',
      'TransformerEncoderLayer',
      () => `activation must be 'relu' or 'gelu', got ${JSON.stringify(this.activation)}`,
    );
    this.layerNormEps = opts.layerNormEps ?? 1e-5;
    this.batchFirst = opts.batchFirst ?? false;
    this.normFirst = opts.normFirst ?? false;
    const w = { dtype: opts.dtype, generator: opts.generator };
    this.selfAttn = this.registerModule(
      'self_attn',
      new MultiheadAttention(dModel, nhead, { dropout: this.dropoutP, batchFirst: this.batchFirst, ...w }),
    );
    this.linear1 = this.registerModule('linear1', new Linear(dModel, this.dimFeedforward, w));
    this.dropout = this.registerModule('dropout', new Dropout(this.dropoutP));
    this.linear2 = this.registerModule('linear2', new Linear(this.dimFeedforward, dModel, w));
    const ln = { eps: this.layerNormEps, dtype: opts.dtype };
    this.norm1 = this.registerModule('norm1', new LayerNorm(dModel, ln));
    this.norm2 = this.registerModule('norm2', new LayerNorm(dModel, ln));
    this.dropout1 = this.registerModule('dropout1', new Dropout(this.dropoutP));
    this.dropout2 = this.registerModule('dropout2', new Dropout(this.dropoutP));
  }

  forward(src: Tensor, opts: EncoderCallOptions = {}): Tensor {
    let x = src;
    const sa = (t: Tensor) =>
      this.dropout1.call(
        this.selfAttn.call(t, t, t, {
          attnMask: opts.srcMask ?? null,
          keyPaddingMask: opts.srcKeyPaddingMask ?? null,
          isCausal: opts.isCausal ?? false,
          needWeights: false,
        })[0],
      );
    const ff = (t: Tensor) => {
      const hdn = this.linear1.call(t);
      const act = this.activation === 'gelu' ? gelu(hdn) : hdn.relu();
      return this.dropout2.call(this.linear2.call(this.dropout.call(act)));
    };
    if (this.normFirst) {
      x = x.add(sa(this.norm1.call(x)));
      x = x.add(ff(this.norm2.call(x)));
    } else {
      x = this.norm1.call(x.add(sa(x)));
      x = this.norm2.call(x.add(ff(x)));
    }
    return x;
  }

  override getConfig(): LayerConfig {
    return {
      dModel: this.dModel,
      nhead: this.nhead,
      dimFeedforward: this.dimFeedforward,
      dropout: this.dropoutP,
      activation: this.activation,
      layerNormEps: this.layerNormEps,
      batchFirst: this.batchFirst,
      normFirst: this.normFirst,
      dtype: this.linear1.weight.dtype,
    };
  }

  static fromConfig(c: LayerConfig): TransformerEncoderLayer {
    const T = 'TransformerEncoderLayer';
    return new TransformerEncoderLayer(cfgNumber(T, c, 'dModel'), cfgNumber(T, c, 'nhead'), {
      dimFeedforward: cfgNumber(T, c, 'dimFeedforward', 2048),
      dropout: cfgNumber(T, c, 'dropout', 0.1),
      activation: cfgString(T, c, 'activation', ['relu', 'gelu'] as const, 'relu'),
      layerNormEps: cfgNumber(T, c, 'layerNormEps', 1e-5),
      batchFirst: cfgBool(T, c, 'batchFirst', false),
      normFirst: cfgBool(T, c, 'normFirst', false),
      dtype: cfgDType(T, c),
    });
  }
}

/**
 * torch.nn.TransformerEncoder: `numLayers` fresh layers built from one layer's config (keys
 * `layers.0.self_attn.in_proj_weight`, ...), then an optional final norm (`norm.weight`).
 */
export class TransformerEncoder extends Module<[Tensor, EncoderCallOptions?], Tensor> {
  readonly layers: ModuleList;
  readonly norm: LayerNorm | null;
  readonly numLayers: number;

  constructor(
    encoderLayer: TransformerEncoderLayer,
    numLayers: number,
    opts: { norm?: LayerNorm | null } = {},
  ) {
    super();
    checkPositiveInt('TransformerEncoder', 'numLayers', numLayers);
    this.numLayers = numLayers;
    const cfg = moduleToConfig(encoderLayer);
    const layers: TransformerEncoderLayer[] = [encoderLayer];
    for (let i = 1; i < numLayers; i++) layers.push(moduleFromConfig<TransformerEncoderLayer>(cfg));
    this.layers = this.registerModule('layers', new ModuleList(layers));
    this.norm = this.registerModule('norm', opts.norm ?? null);
  }

  forward(src: Tensor, opts: EncoderCallOptions = {}): Tensor {
    let x = src;
    for (const l of this.layers) x = (l as TransformerEncoderLayer).call(x, opts);
    return this.norm === null ? x : this.norm.call(x);
  }

  override getConfig(): LayerConfig {
    return {
      encoderLayer: moduleToConfig(this.layers.at(0)),
      numLayers: this.numLayers,
      norm: this.norm === null ? null : moduleToConfig(this.norm),
    };
  }

  static fromConfig(c: LayerConfig): TransformerEncoder {
    const layer = moduleFromConfig<TransformerEncoderLayer>(c.encoderLayer as never);
    const norm = c.norm == null ? null : moduleFromConfig<LayerNorm>(c.norm as never);
    return new TransformerEncoder(layer, cfgNumber('TransformerEncoder', c, 'numLayers'), { norm });
  }
}

registerLayer('TransformerEncoderLayer', TransformerEncoderLayer, TransformerEncoderLayer.fromConfig);
registerLayer('TransformerEncoder', TransformerEncoder, TransformerEncoder.fromConfig);
