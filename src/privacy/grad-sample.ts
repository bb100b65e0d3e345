/**
 * Per-sample gradients by per-layer rules (Opacus' grad samplers, after Goodfellow 2015 "Efficient
 * per-example gradient computations"): a forward hook keeps each supported layer's input and output, the
 * output retains its gradient through backward, and one batched computation per layer turns (input,
 * output gradient) into a [B, ...paramShape] gradient for every sample. No loop over samples.
 */
import { noGrad } from '../autograd/node.ts';
import { check, fail, fmtShape } from '../core/errors.ts';
import type { Conv2dAttrs } from '../kernels/backend.ts';
import { Conv2d } from '../nn/layers/conv.ts';
import { Embedding } from '../nn/layers/embedding.ts';
import { GroupNorm, groupNormalize } from '../nn/layers/group-norm.ts';
import { Linear } from '../nn/layers/linear.ts';
import { LayerNorm } from '../nn/layers/normalization.ts';
import type { AnyModule, HookHandle } from '../nn/module.ts';
import type { Parameter } from '../nn/parameter.ts';
import { tensor, zeros } from '../tensor/creation.ts';
import { conv2dBackwardFilter } from '../tensor/ops/conv.ts';
import { indexAdd } from '../tensor/ops/indexing.ts';
import { matmul } from '../tensor/ops/linalg.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** A layer's per-sample gradients from its input and its output's gradient (both batch-first). */
type GradSampleRule = (module: AnyModule, input: Tensor, gradOut: Tensor) => Map<Parameter, Tensor>;

/**
 * What clipping needs without the [B, ...paramShape] gradients: each sample's squared gradient norm over the
 * layer's parameters, and the sum over samples of the gradients weighted by f [B].
 */
interface FactoredRule {
  sqNorms(module: AnyModule, input: Tensor, gradOut: Tensor): Tensor;
  weightedSum(module: AnyModule, input: Tensor, gradOut: Tensor, f: Tensor): Map<Parameter, Tensor>;
}

/** Linear: for x [B, ..., in], g [B, ..., out]: dW_b = sum_t g_bt^T x_bt (a batched matmul), db_b = sum_t g_bt. */
function linearRule(m: AnyModule, x: Tensor, g: Tensor): Map<Parameter, Tensor> {
  const lin = m as unknown as Linear;
  const b = x.shape[0]!;
  const x3 = x.reshape([b, -1, lin.inFeatures]);
  const g3 = g.reshape([b, -1, lin.outFeatures]);
  const out = new Map<Parameter, Tensor>();
  out.set(lin.weight, matmul(g3.transpose(1, 2), x3));
  if (lin.bias !== null) out.set(lin.bias, g3.sum(1));
  return out;
}

/**
 * Linear without materialising [B, out, in] (ghost clipping, Li et al. 2022 "Large language models can be
 * strong differentially private learners", appendix): ||dW_b||^2 = sum_{t,t'} (x_bt . x_bt')(g_bt . g_bt'),
 * which for one position per sample is ||x_b||^2 ||g_b||^2; and sum_b f_b dW_b = (f g)^T x, one matmul.
 */
const linearFactored: FactoredRule = {
  sqNorms(m, x, g) {
    const lin = m as unknown as Linear;
    const b = x.shape[0]!;
    const x3 = x.reshape([b, -1, lin.inFeatures]);
    const g3 = g.reshape([b, -1, lin.outFeatures]);
    let w: Tensor;
    if (x3.shape[1] === 1)
      w = x3
        .square()
        .sum([1, 2])
        .mul(g3.square().sum([1, 2]));
    else
      w = matmul(x3, x3.transpose(1, 2))
        .mul(matmul(g3, g3.transpose(1, 2)))
        .sum([1, 2]);
    return lin.bias === null ? w : w.add(g3.sum(1).square().sum(1));
  },
  weightedSum(m, x, g, f) {
    const lin = m as unknown as Linear;
    const b = x.shape[0]!;
    const g3 = g.reshape([b, -1, lin.outFeatures]).mul(f.reshape([b, 1, 1]));
    const gf = g3.reshape([-1, lin.outFeatures]);
    const out = new Map<Parameter, Tensor>();
    out.set(lin.weight, matmul(gf.transpose(0, 1), x.reshape([-1, lin.inFeatures])));
    if (lin.bias !== null) out.set(lin.bias, gf.sum(0));
    return out;
  },
};

/**
 * Conv2d: the per-sample filter gradient is the filter gradient of one grouped convolution where the batch
 * is folded into the channels ([1, B*C, H, W] with groups B*groups), so one kernel call covers every sample.
 */
function conv2dRule(m: AnyModule, x: Tensor, g: Tensor): Map<Parameter, Tensor> {
  const conv = m as unknown as Conv2d;
  const [b, c, h, w] = x.shape as [number, number, number, number];
  const [, o, oh, ow] = g.shape as [number, number, number, number];
  const wShape = conv.weight.shape;
  const attrs: Conv2dAttrs = { ...convAttrs(conv), groups: b * conv.groups };
  const dw = conv2dBackwardFilter(
    x.reshape([1, b * c, h, w]),
    g.reshape([1, b * o, oh, ow]),
    [b * wShape[0]!, ...wShape.slice(1)],
    attrs,
  );
  const out = new Map<Parameter, Tensor>();
  out.set(conv.weight, dw.reshape([b, ...wShape]));
  if (conv.bias !== null) out.set(conv.bias, g.sum([2, 3]));
  return out;
}

/** The stride/padding/dilation conv2d resolves from the layer's options ('same'/'valid' as numbers). */
function convAttrs(conv: Conv2d): Omit<Conv2dAttrs, 'groups'> {
  const pair = (v: number | readonly [number, number]): [number, number] =>
    typeof v === 'number' ? [v, v] : [v[0], v[1]];
  const stride = pair(conv.stride);
  const dilation = pair(conv.dilation);
  const [kh, kw] = conv.kernelSize;
  let padding: [number, number];
  if (conv.padding === 'valid') padding = [0, 0];
  else if (conv.padding === 'same') padding = [(dilation[0] * (kh - 1)) / 2, (dilation[1] * (kw - 1)) / 2];
  else padding = pair(conv.padding);
  return { stride, padding, dilation };
}

/** Embedding: dW_b[v] = sum of g_bt over the positions t where sample b looks up row v (one indexAdd). */
function embeddingRule(m: AnyModule, idx: Tensor, g: Tensor): Map<Parameter, Tensor> {
  const emb = m as unknown as Embedding;
  const b = idx.shape[0]!;
  const v = emb.numEmbeddings;
  const d = emb.embeddingDim;
  const flat = idx.reshape([b, -1]);
  const t = flat.shape[1]!;
  // Row b*V + idx of a [B*V, D] buffer is sample b's gradient of row idx.
  const rows = new Int32Array(b * t);
  const src = flat.contiguous().toTypedArray();
  for (let i = 0; i < b; i++) for (let j = 0; j < t; j++) rows[i * t + j] = i * v + Number(src[i * t + j]);
  let gf = g.reshape([b * t, d]);
  if (emb.paddingIdx !== null) {
    // The padding row gets no gradient (as the layer's own gradient rule).
    const keepMask = flat
      .reshape([b * t, 1])
      .ne(emb.paddingIdx)
      .to(g.dtype);
    gf = gf.mul(keepMask);
  }
  const index = tensor(rows, { shape: [rows.length] });
  const dw = indexAdd(zeros([b * v, d], { dtype: g.dtype }), 0, index, gf);
  return new Map([[emb.weight, dw.reshape([b, v, d])]]);
}

/** LayerNorm: dW_b = sum over the non-normalised dims of g * x_hat, db_b = sum of g (x_hat recomputed). */
function layerNormRule(m: AnyModule, x: Tensor, g: Tensor): Map<Parameter, Tensor> {
  const ln = m as unknown as LayerNorm;
  const k = ln.normalizedShape.length;
  const normDims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  const mu = x.mean(normDims, true);
  const centred = x.sub(mu);
  const variance = centred.square().mean(normDims, true);
  const xHat = centred.mul(variance.add(ln.eps).rsqrt());
  const b = x.shape[0]!;
  const flatShape = [b, -1, ...ln.normalizedShape];
  const out = new Map<Parameter, Tensor>();
  if (ln.weight !== null) out.set(ln.weight, g.mul(xHat).reshape(flatShape).sum(1));
  if (ln.bias !== null) out.set(ln.bias, g.reshape(flatShape).sum(1));
  return out;
}

/** GroupNorm: x_hat uses only the sample's own statistics, so dW_b[c] = sum over positions of g * x_hat, db_b[c] = sum of g. */
function groupNormRule(m: AnyModule, x: Tensor, g: Tensor): Map<Parameter, Tensor> {
  const gn = m as unknown as GroupNorm;
  const b = x.shape[0]!;
  const flat = [b, gn.numChannels, -1];
  const out = new Map<Parameter, Tensor>();
  if (gn.weight !== null)
    out.set(
      gn.weight,
      g
        .mul(groupNormalize(x, gn.numGroups, gn.eps))
        .reshape(flat)
        .sum(2),
    );
  if (gn.bias !== null) out.set(gn.bias, g.reshape(flat).sum(2));
  return out;
}

/** Layer classes, looked up by a module's exact constructor (a subclass may change what forward does). */
type LayerClass = abstract new (...args: never) => unknown;

const RULES = new Map<LayerClass, GradSampleRule>([
  [Linear, linearRule],
  [Conv2d, conv2dRule],
  [Embedding, embeddingRule],
  [LayerNorm, layerNormRule],
  [GroupNorm, groupNormRule],
]);

const FACTORED = new Map<LayerClass, FactoredRule>([[Linear, linearFactored]]);

/** Names of the layers with a per-sample rule, for error messages and docs. */
export const supportedLayers = (): string[] => [...RULES.keys()].map((c) => c.name);

function ruleFor(m: AnyModule): GradSampleRule | undefined {
  return RULES.get(m.constructor as LayerClass);
}

/** Layers whose output mixes samples, so per-sample gradients do not exist, with what to use instead. */
const MIXING = /^BatchNorm/;

/**
 * Checks that every trainable parameter belongs directly to a layer with a per-sample rule; otherwise its
 * gradient could not be clipped per sample and the privacy guarantee would not hold.
 */
export function checkSupported(model: AnyModule): void {
  const op = 'privacy.makePrivate';
  for (const [name, m] of model.namedModules()) {
    const own = m.namedParameters({ recurse: false }).filter(([, p]) => p.requiresGrad);
    const where = name === '' ? 'the model' : `'${name}'`;
    if (MIXING.test(m.constructor.name))
      fail(
        op,
        `${m.constructor.name} at ${where} mixes the samples of a batch (batch statistics), so per-sample gradients do not exist; replace it with LayerNorm or GroupNorm (nn.GroupNorm(numGroups, channels), as Opacus recommends)`,
      );
    if (own.length > 0 && ruleFor(m) === undefined)
      fail(
        op,
        `${m.constructor.name} at ${where} has trainable parameters (${own.map(([k]) => k).join(', ')}) but no per-sample gradient rule; supported layers: ${supportedLayers().join(', ')} (freeze it with requiresGrad_(false) or replace it)`,
      );
  }
}

interface Capture {
  module: AnyModule;
  input: Tensor;
  output: Tensor;
}

/**
 * Hooks a model's supported layers and turns what they saw into per-sample gradients after backward.
 * `lossReduction` says how the loss combined the samples: with 'mean' the output gradients carry 1/B, which
 * is undone so that each row is the gradient of that sample's own loss.
 */
export class GradSampler {
  private readonly handles: HookHandle[] = [];
  private captures: Capture[] = [];
  /** The batch size of the last forward (0 before any). */
  batchSize = 0;

  constructor(
    readonly model: AnyModule,
    readonly lossReduction: 'mean' | 'sum' = 'mean',
  ) {
    checkSupported(model);
    for (const [, m] of model.namedModules()) {
      if (ruleFor(m) === undefined) continue;
      if (!m.parameters({ recurse: false }).some((p) => p.requiresGrad)) continue;
      this.handles.push(
        m.registerForwardHook((mod, args, out) => {
          const input = args[0] as Tensor;
          const output = out as Tensor;
          if (!output.requiresGrad) return undefined; // evaluation (noGrad): nothing to keep
          output.retainGrad();
          this.captures.push({ module: mod, input, output });
          return undefined;
        }),
      );
    }
  }

  /** Per-sample gradients of every hooked parameter, [B, ...shape], from the last forward and backward. */
  perSampleGrads(): Map<Parameter, Tensor> {
    const out = new Map<Parameter, Tensor>();
    noGrad(() => {
      let batch = -1;
      for (const c of this.captures) {
        const g = c.output.grad;
        if (g === null) continue; // the layer's output did not reach the loss
        const b = c.input.shape[0]!;
        check(
          batch === -1 || batch === b,
          'privacy.perSampleGrads',
          () => `layers saw different batch sizes (${batch} and ${b}); inputs must be batch-first`,
        );
        check(
          g.shape[0] === b,
          'privacy.perSampleGrads',
          () =>
            `${c.module.constructor.name}: output gradient ${fmtShape(g.shape)} is not batch-first for ${b} samples`,
        );
        batch = b;
        const scaled = this.lossReduction === 'mean' ? g.mul(b) : g;
        for (const [p, gs] of ruleFor(c.module)!(c.module, c.input.detach(), scaled)) {
          const prev = out.get(p);
          // A layer called more than once per forward (shared weights) gets the sum of its calls.
          out.set(p, prev === undefined ? gs : prev.add(gs));
        }
      }
      this.batchSize = Math.max(batch, 0);
    });
    return out;
  }

  /**
   * The clipped sum DP-SGD needs: sum_b min(1, C / (||g_b|| + 1e-6)) g_b per parameter, where ||g_b|| is
   * sample b's gradient norm over all hooked parameters. Linear layers called once per forward use the
   * factored rule (no per-sample tensors); the others are materialised. Returns the sum and the norms.
   */
  clippedSum(maxNorm: number): { sum: Map<Parameter, Tensor>; norms: Tensor | null } {
    return noGrad(() => {
      const calls = new Map<AnyModule, number>();
      for (const c of this.captures)
        if (c.output.grad !== null) calls.set(c.module, (calls.get(c.module) ?? 0) + 1);
      const factored: { c: Capture; rule: FactoredRule; g: Tensor }[] = [];
      const materialised = new Map<Parameter, Tensor>();
      let sq: Tensor | null = null;
      let batch = -1;
      const addSq = (v: Tensor) => {
        sq = sq === null ? v : sq.add(v);
      };
      for (const c of this.captures) {
        const g0 = c.output.grad;
        if (g0 === null) continue;
        const b = c.input.shape[0]!;
        check(
          batch === -1 || batch === b,
          'privacy.clippedSum',
          () => `layers saw different batch sizes (${batch} and ${b}); inputs must be batch-first`,
        );
        batch = b;
        const g = this.lossReduction === 'mean' ? g0.mul(b) : g0;
        const rule = FACTORED.get(c.module.constructor as LayerClass);
        if (rule !== undefined && calls.get(c.module) === 1) {
          factored.push({ c, rule, g });
          addSq(rule.sqNorms(c.module, c.input.detach(), g));
        } else {
          for (const [p, gs] of ruleFor(c.module)!(c.module, c.input.detach(), g)) {
            const prev = materialised.get(p);
            materialised.set(p, prev === undefined ? gs : prev.add(gs));
          }
        }
      }
      this.batchSize = Math.max(batch, 0);
      const sum = new Map<Parameter, Tensor>();
      if (sq === null && materialised.size === 0) return { sum, norms: null };
      for (const gs of materialised.values()) addSq(gs.reshape([batch, -1]).square().sum(1));
      const norms = (sq as unknown as Tensor).sqrt();
      const f = norms.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1);
      for (const { c, rule, g } of factored)
        for (const [p, v] of rule.weightedSum(c.module, c.input.detach(), g, f)) sum.set(p, v);
      const fRow = f.reshape([1, batch]);
      for (const [p, gs] of materialised)
        sum.set(p, matmul(fRow, gs.reshape([batch, -1])).reshape([...p.shape]));
      return { sum, norms };
    });
  }

  /** Forgets the last forward; frees the retained output gradients. */
  clear(): void {
    for (const c of this.captures) c.output.zeroGrad();
    this.captures = [];
  }

  /** Removes the hooks. */
  remove(): void {
    this.clear();
    for (const h of this.handles) h.remove();
    this.handles.length = 0;
  }
}
