/**
 * TransformerEncoderLayer and TransformerEncoder export (no masks): self-attention composed from MatMul,
 * Split, Reshape, Transpose and Softmax (opset 17 has no attention op), LayerNormalization and the
 * feed-forward block. Dropout is the identity (eval). Weights keep their state-dict names
 * (`self_attn.in_proj_weight`, `linear1.weight`, ...).
 */
import { GELU } from '../nn/layers/activations.ts';
import type { Linear } from '../nn/layers/linear.ts';
import type { LayerNorm } from '../nn/layers/normalization.ts';
import { TransformerEncoder, TransformerEncoderLayer } from '../nn/layers/transformer.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { type ExportContext, exportRuleFor, registerExportRule } from './export-rules.ts';

function linearNodes(ctx: ExportContext, key: string, m: Linear, x: string): string {
  const g = ctx.g;
  const wt = g.addNode('Transpose', [ctx.param(`${key}.weight`, m.weight)], { perm: [1, 0] })[0]!;
  const y = g.addNode('MatMul', [x, wt])[0]!;
  return m.bias === null ? y : g.addNode('Add', [y, ctx.param(`${key}.bias`, m.bias)])[0]!;
}

function layerNormNodes(ctx: ExportContext, key: string, m: LayerNorm, x: string): string {
  const inputs = [x, ctx.param(`${key}.weight`, m.weight!)];
  if (m.bias !== null) inputs.push(ctx.param(`${key}.bias`, m.bias));
  return ctx.g.addNode('LayerNormalization', inputs, { axis: -1, epsilon: { float: m.eps } })[0]!;
}

/** Self-attention on x [N, L, E] -> [N, L, E]. */
function selfAttentionNodes(ctx: ExportContext, layer: TransformerEncoderLayer, x: string): string {
  const g = ctx.g;
  const a = layer.selfAttn;
  const [E, H, D] = [a.embedDim, a.numHeads, a.headDim];
  const wt = g.addNode('Transpose', [ctx.param('self_attn.in_proj_weight', a.inProjWeight)], {
    perm: [1, 0],
  })[0]!;
  let qkv = g.addNode('MatMul', [x, wt])[0]!;
  if (a.inProjBias !== null)
    qkv = g.addNode('Add', [qkv, ctx.param('self_attn.in_proj_bias', a.inProjBias)])[0]!;
  const [q, k, v] = g.addNode(
    'Split',
    [qkv, g.addInt64('qkv_split', [E, E, E])],
    { axis: -1 },
    { outputs: 3 },
  );
  const heads = (t: string) =>
    g.addNode('Transpose', [g.addNode('Reshape', [t, g.addInt64('heads_shape', [0, 0, H, D])])[0]!], {
      perm: [0, 2, 1, 3],
    })[0]!;
  const [qh, kh, vh] = [heads(q!), heads(k!), heads(v!)];
  const kt = g.addNode('Transpose', [kh], { perm: [0, 1, 3, 2] })[0]!;
  const scores = g.addNode('Mul', [
    g.addNode('MatMul', [qh, kt])[0]!,
    g.addFloatConst('attn_scale', [], Float32Array.of(1 / Math.sqrt(D))),
  ])[0]!;
  const ctxv = g.addNode('MatMul', [g.addNode('Softmax', [scores], { axis: -1 })[0]!, vh])[0]!;
  const merged = g.addNode('Reshape', [
    g.addNode('Transpose', [ctxv], { perm: [0, 2, 1, 3] })[0]!,
    g.addInt64('merge_shape', [0, 0, E]),
  ])[0]!;
  return linearNodes(ctx, 'self_attn.out_proj', a.outProj, merged);
}

const gelu = new GELU();

function encoderLayerNodes(
  ctx: ExportContext,
  m: TransformerEncoderLayer,
  input: string,
  sample: Tensor,
): string {
  const g = ctx.g;
  // The layer works batch-first inside; sequence-first input is transposed in and out.
  let x = m.batchFirst ? input : g.addNode('Transpose', [input], { perm: [1, 0, 2] })[0]!;
  const sa = (t: string) => selfAttentionNodes(ctx, m, t);
  const ff = (t: string) => {
    const h = linearNodes(ctx, 'linear1', m.linear1, t);
    const act =
      m.activation === 'gelu' ? exportRuleFor(gelu)!.emit(ctx, gelu, h, sample) : g.addNode('Relu', [h])[0]!;
    return linearNodes(ctx, 'linear2', m.linear2, act);
  };
  const add = (p: string, q: string) => g.addNode('Add', [p, q])[0]!;
  if (m.normFirst) {
    x = add(x, sa(layerNormNodes(ctx, 'norm1', m.norm1, x)));
    x = add(x, ff(layerNormNodes(ctx, 'norm2', m.norm2, x)));
  } else {
    x = layerNormNodes(ctx, 'norm1', m.norm1, add(x, sa(x)));
    x = layerNormNodes(ctx, 'norm2', m.norm2, add(x, ff(x)));
  }
  return m.batchFirst ? x : g.addNode('Transpose', [x], { perm: [1, 0, 2] })[0]!;
}

registerExportRule(TransformerEncoderLayer, { emit: encoderLayerNodes });

// Not a container for the pre-scan: its ModuleList child has no rule of its own, the layers do.
registerExportRule(TransformerEncoder, {
  emit(ctx, m, x, sample) {
    let name = x;
    let s = sample;
    m.layers.namedChildren().forEach(([i, layer]) => {
      ({ name, sample: s } = ctx.emit(layer, `layers.${i}`, name, s));
    });
    return m.norm === null ? name : ctx.emit(m.norm, 'norm', name, s).name;
  },
});
