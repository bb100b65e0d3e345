import type { DType } from '../../core/dtype.ts';
import { check, fmtShape } from '../../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../../core/options.ts';
import type { Generator } from '../../core/rng.ts';
import { full } from '../../tensor/creation.ts';
import { softmax } from '../../tensor/ops/activations.ts';
import { dropout } from '../../tensor/ops/dropout.ts';
import { linear } from '../../tensor/ops/linalg.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { cfgBool, cfgDType, cfgNumber } from '../config.ts';
import { constant_, xavierUniform_ } from '../init.ts';
import { type LayerConfig, Module, registerLayer } from '../module.ts';
import type { Parameter } from '../parameter.ts';
import { checkPositiveInt, checkProbability, newParam } from './common.ts';
import { Linear } from './linear.ts';

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights, in training. */
  dropout?: number;
  bias?: boolean;
  /** Inputs and output as [N, L, E] instead of [L, N, E]. */
  batchFirst?: boolean;
  dtype?: DType;
  generator?: Generator;
}

export interface AttentionCallOptions {
  /** [N, S]: true (or a float added to the scores, -inf to drop) marks keys to ignore, e.g. padding. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /**
   * [L, S] or [N * numHeads, L, S]: a bool mask (true = not allowed to attend) or a float mask added
   * to the scores.
   */
  attnMask?: Tensor | null;
  /** Average the returned weights over heads ([N, L, S]) or not ([N, numHeads, L, S]). Default true. */
  averageAttnWeights?: boolean;
  /** Adds the causal mask (position i attends to j <= i), combined with attnMask if given. */
  isCausal?: boolean;
}

/** A square mask [n, n] with -inf above the diagonal and 0 elsewhere (torch's generate_square_subsequent_mask). */
export function causalMask(n: number, dtype: DType = 'float32'): Tensor {
  const m = full([n, n], 0, { dtype });
  const d = m.data;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) d[i * n + j] = Number.NEGATIVE_INFINITY;
  return m;
}

/** A bool or float mask as an additive float mask (true -> -inf). */
function additive(mask: Tensor, dtype: DType): Tensor {
  if (mask.dtype === 'bool') return full(mask.shape, 0, { dtype }).maskedFill(mask, Number.NEGATIVE_INFINITY);
  return mask.dtype === dtype ? mask : mask.to(dtype);
}

/**
 * torch.nn.MultiheadAttention with equal query/key/value sizes: parameters `in_proj_weight` [3E, E]
 * (Xavier uniform), `in_proj_bias` [3E] (zeros) and `out_proj` (a Linear, bias zeroed).
 * forward(query, key, value, opts) returns [output, weights | null]; scores are q k^T / sqrt(E / heads).
 * A query row whose keys are all masked gets NaN, as in torch.
 */
/** Option names, for the unknown-key check (the compiler keeps them in step with the interface). */
const MULTIHEAD_ATTENTION_KEYS = optionKeys<MultiheadAttentionOptions>({
  dropout: true,
  bias: true,
  batchFirst: true,
  dtype: true,
  generator: true,
});

export class MultiheadAttention extends Module<
  [Tensor, Tensor, Tensor, AttentionCallOptions?],
  [Tensor, Tensor | null]
> {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly inProjWeight: Parameter;
  readonly inProjBias: Parameter | null;
  readonly outProj: Linear;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    checkOptionKeys('MultiheadAttention', opts, MULTIHEAD_ATTENTION_KEYS);
    super();
    checkPositiveInt('MultiheadAttention', 'embedDim', embedDim);
    checkPositiveInt('MultiheadAttention', 'numHeads', numHeads);
    check(
      embedDim % numHeads === 0,
      'MultiheadAttention',
      () => `embedDim ${embedDim} must be divisible by numHeads ${numHeads}`,
    );
    checkProbability('MultiheadAttention', opts.dropout ?? 0);
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.dropout = opts.dropout ?? 0;
    this.batchFirst = opts.batchFirst ?? false;
    const bias = opts.bias ?? true;
    this.inProjWeight = this.registerParameter(
      'in_proj_weight',
      newParam([3 * embedDim, embedDim], opts.dtype),
    );
    this.inProjBias = this.registerParameter(
      'in_proj_bias',
      bias ? newParam([3 * embedDim], opts.dtype) : null,
    );
    this.outProj = this.registerModule(
      'out_proj',
      new Linear(embedDim, embedDim, { bias, dtype: opts.dtype, generator: opts.generator }),
    );
    this.resetParameters(opts.generator);
  }

  /** torch's _reset_parameters: Xavier-uniform in_proj_weight, zero biases (out_proj.weight keeps Linear's init). */
  resetParameters(generator?: Generator): void {
    xavierUniform_(this.inProjWeight, 1, { generator });
    if (this.inProjBias !== null) constant_(this.inProjBias, 0);
    if (this.outProj.bias !== null) constant_(this.outProj.bias, 0);
  }

  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    opts: AttentionCallOptions = {},
  ): [Tensor, Tensor | null] {
    const M = 'MultiheadAttention';
    const e = this.embedDim;
    const batched = query.ndim === 3;
    check(
      query.ndim === 3 || query.ndim === 2,
      M,
      () => `expected query of rank 3 (batched) or 2 (unbatched), got ${fmtShape(query.shape)}`,
    );
    check(
      key.ndim === query.ndim && value.ndim === query.ndim,
      M,
      () =>
        `query, key and value must have the same rank, got ${fmtShape(query.shape)}, ${fmtShape(key.shape)}, ${fmtShape(value.shape)}`,
    );
    for (const [n, t] of [
      ['query', query],
      ['key', key],
      ['value', value],
    ] as const)
      check(
        t.shape[t.ndim - 1] === e,
        M,
        () => `${n} must have ${e} features in the last dim, got ${fmtShape(t.shape)}`,
      );
    // To [N, L, E] whatever the layout.
    const toNLE = (t: Tensor) => (!batched ? t.unsqueeze(0) : this.batchFirst ? t : t.transpose(0, 1));
    const q0 = toNLE(query);
    const k0 = toNLE(key);
    const v0 = toNLE(value);
    const [n, l] = [q0.shape[0]!, q0.shape[1]!];
    const s = k0.shape[1]!;
    check(
      k0.shape[0] === n && v0.shape[0] === n && v0.shape[1] === s,
      M,
      () =>
        `key and value must match the query's batch and each other's length, got ${fmtShape(key.shape)}, ${fmtShape(value.shape)}`,
    );
    const [wq, wk, wv] = this.inProjWeight.chunk(3, 0) as [Tensor, Tensor, Tensor];
    const [bq, bk, bv] =
      this.inProjBias === null
        ? [null, null, null]
        : (this.inProjBias.chunk(3, 0) as [Tensor, Tensor, Tensor]);
    const h = this.numHeads;
    const dh = this.headDim;
    // [N, L, E] -> [N, h, L, dh]
    const heads = (t: Tensor, len: number) => t.reshape([n, len, h, dh]).transpose(1, 2);
    const q = heads(linear(q0, wq, { bias: bq }), l);
    const k = heads(linear(k0, wk, { bias: bk }), s);
    const v = heads(linear(v0, wv, { bias: bv }), s);
    let scores = q.mul(1 / Math.sqrt(dh)).matmul(k.transpose(-2, -1)); // [N, h, L, S]
    const dtype = scores.dtype;
    let mask: Tensor | null = null;
    const addMask = (m: Tensor) => {
      mask = mask === null ? m : mask.add(m);
    };
    if (opts.attnMask != null) {
      const am = opts.attnMask;
      if (am.ndim === 2) {
        check(
          am.shape[0] === l && am.shape[1] === s,
          M,
          () => `attnMask must be [${l}, ${s}], got ${fmtShape(am.shape)}`,
        );
        addMask(additive(am, dtype));
      } else {
        check(
          am.ndim === 3 && am.shape[0] === n * h && am.shape[1] === l && am.shape[2] === s,
          M,
          () =>
            `a 3-D attnMask must be [${n * h}, ${l}, ${s}] (batch * heads, L, S), got ${fmtShape(am.shape)}`,
        );
        addMask(additive(am, dtype).reshape([n, h, l, s]));
      }
    }
    if (opts.isCausal) {
      check(l === s, M, () => `isCausal needs query and key of the same length, got ${l} and ${s}`);
      addMask(causalMask(l, dtype));
    }
    if (opts.keyPaddingMask != null) {
      const kp = opts.keyPaddingMask;
      const want = batched ? [n, s] : [s];
      check(
        kp.shape.join() === want.join(),
        M,
        () => `keyPaddingMask must be ${fmtShape(want)}, got ${fmtShape(kp.shape)}`,
      );
      addMask(additive(kp, dtype).reshape([n, 1, 1, s]));
    }
    if (mask !== null) scores = scores.add(mask);
    let attn = softmax(scores, -1);
    if (this.dropout > 0 && this.training) attn = dropout(attn, { p: this.dropout });
    const ctx = attn.matmul(v).transpose(1, 2).reshape([n, l, e]); // [N, L, E]
    let out = this.outProj.call(ctx);
    out = !batched ? out.squeeze(0) : this.batchFirst ? out : out.transpose(0, 1);
    if (!(opts.needWeights ?? true)) return [out, null];
    let w = (opts.averageAttnWeights ?? true) ? attn.mean(1) : attn;
    if (!batched) w = w.squeeze(0);
    return [out, w];
  }

  override getConfig(): LayerConfig {
    return {
      embedDim: this.embedDim,
      numHeads: this.numHeads,
      dropout: this.dropout,
      bias: this.inProjBias !== null,
      batchFirst: this.batchFirst,
      dtype: this.inProjWeight.dtype,
    };
  }

  static fromConfig(c: LayerConfig): MultiheadAttention {
    const M = 'MultiheadAttention';
    return new MultiheadAttention(cfgNumber(M, c, 'embedDim'), cfgNumber(M, c, 'numHeads'), {
      dropout: cfgNumber(M, c, 'dropout', 0),
      bias: cfgBool(M, c, 'bias', true),
      batchFirst: cfgBool(M, c, 'batchFirst', false),
      dtype: cfgDType(M, c),
    });
  }
}

registerLayer('MultiheadAttention', MultiheadAttention, MultiheadAttention.fromConfig);
