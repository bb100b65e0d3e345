/**
 * Gradient attributions of a differentiable model: saliency (|d output / d input|) and integrated gradients
 * (Sundararajan et al. 2017: (x - x') times the mean gradient along the straight path from the baseline x'
 * to x, trapezoidal rule), whose attributions sum to f(x) - f(x') up to the quadrature error, reported as
 * `delta`. For token models the path runs through the embedding output (`embeddingSplit`), and each token's
 * attribution is the sum over its embedding vector.
 */
import { enableGrad } from '../autograd/node.ts';
import { check, fail } from '../core/errors.ts';
import { Sequential } from '../nn/containers.ts';
import { Embedding } from '../nn/layers/embedding.ts';
import type { AnyModule } from '../nn/module.ts';
import { tensor } from '../tensor/creation.ts';
import { mul } from '../tensor/ops/elementwise.ts';
import { sum } from '../tensor/ops/reduce.ts';
import { scope } from '../tensor/scope.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** A differentiable function of a float input [N, ...] to outputs [N, K] (or [N]). */
export type Forward = (x: Tensor) => Tensor;

export interface GradientOptions {
  /** Output column explained per sample (default: each sample's largest output). */
  target?: number | readonly number[];
}

export interface IntegratedGradientsOptions extends GradientOptions {
  /** Same shape as the input, or one sample broadcast to all (default zeros). */
  baseline?: Float32Array;
  /** Path intervals (default 64; the trapezoidal error falls as 1/steps^2). */
  steps?: number;
}

export interface Attribution {
  /** Per input element, the input's shape. */
  values: Float32Array;
  shape: number[];
  /** The explained output column of each sample. */
  target: number[];
  /** f_target(x) per sample. */
  output: number[];
}

export interface IGAttribution extends Attribution {
  /** f_target(baseline) per sample. */
  baselineOutput: number[];
  /** sum(attributions) - (f(x) - f(baseline)) per sample: completeness' residual. */
  delta: number[];
}

function outputsOf(
  forward: Forward,
  data: Float32Array,
  shape: readonly number[],
): { values: Float32Array; k: number } {
  return scope(() => {
    const out = forward(tensor(data, { shape }));
    const k = out.shape.length === 1 ? 1 : out.shape.slice(1).reduce((a, b) => a * b, 1);
    return { values: Float32Array.from(out.dataSync() as ArrayLike<number>), k };
  });
}

function targets(
  op: string,
  opts: GradientOptions,
  out: { values: Float32Array; k: number },
  n: number,
): number[] {
  const t = opts.target;
  if (t === undefined)
    return Array.from({ length: n }, (_, r) => {
      let best = 0;
      for (let c = 1; c < out.k; c++)
        if (out.values[r * out.k + c]! > out.values[r * out.k + best]!) best = c;
      return best;
    });
  const list = typeof t === 'number' ? new Array<number>(n).fill(t) : [...t];
  check(list.length === n, op, () => `target has ${list.length} entries for ${n} samples`);
  for (const c of list)
    if (!Number.isInteger(c) || c < 0 || c >= out.k)
      fail(op, `target ${c} is not an output column (0..${out.k - 1})`);
  return list;
}

/** d sum_r f_{target_r}(x_r) / dx at one input (float64 sum into `acc` with weight `w`). */
function gradAt(
  forward: Forward,
  data: Float32Array,
  shape: readonly number[],
  mask: Float32Array,
  acc: Float64Array,
  w: number,
): void {
  scope(() =>
    enableGrad(() => {
      const x = tensor(data, { shape }).requiresGrad_();
      const out = forward(x);
      sum(mul(out, tensor(mask, { shape: out.shape }))).backward();
      const g = x.grad!.dataSync() as Float32Array;
      for (let i = 0; i < acc.length; i++) acc[i]! += w * g[i]!;
    }),
  );
}

function targetMask(target: readonly number[], k: number): Float32Array {
  const m = new Float32Array(target.length * k);
  target.forEach((c, r) => {
    m[r * k + c] = 1;
  });
  return m;
}

/** |gradient| of the target output with respect to each input element (Simonyan et al. 2014). */
export function saliency(forward: Forward, x: Tensor, opts: GradientOptions = {}): Attribution {
  const shape = [...x.shape];
  const data = Float32Array.from(x.dataSync() as ArrayLike<number>);
  const out = outputsOf(forward, data, shape);
  const n = shape[0] ?? 1;
  const target = targets('saliency', opts, out, n);
  const acc = new Float64Array(data.length);
  gradAt(forward, data, shape, targetMask(target, out.k), acc, 1);
  return {
    values: Float32Array.from(acc, Math.abs),
    shape,
    target,
    output: target.map((c, r) => out.values[r * out.k + c]!),
  };
}

export function integratedGradients(
  forward: Forward,
  x: Tensor,
  opts: IntegratedGradientsOptions = {},
): IGAttribution {
  const op = 'integratedGradients';
  const steps = opts.steps ?? 64;
  check(Number.isInteger(steps) && steps >= 1, op, () => `steps must be an integer >= 1, got ${steps}`);
  const shape = [...x.shape];
  const data = Float32Array.from(x.dataSync() as ArrayLike<number>);
  const n = shape[0] ?? 1;
  const per = data.length / n;
  const base = new Float32Array(data.length);
  if (opts.baseline !== undefined) {
    const b = opts.baseline;
    check(
      b.length === data.length || b.length === per,
      op,
      () => `baseline has ${b.length} values; the input has ${data.length} (or ${per} per sample)`,
    );
    for (let i = 0; i < data.length; i++) base[i] = b[b.length === per ? i % per : i]!;
  }
  const out = outputsOf(forward, data, shape);
  const outBase = outputsOf(forward, base, shape);
  const target = targets(op, opts, out, n);
  const mask = targetMask(target, out.k);
  const acc = new Float64Array(data.length);
  const point = new Float32Array(data.length);
  for (let s = 0; s <= steps; s++) {
    const a = s / steps;
    for (let i = 0; i < data.length; i++) point[i] = base[i]! + a * (data[i]! - base[i]!);
    gradAt(forward, point, shape, mask, acc, s === 0 || s === steps ? 0.5 / steps : 1 / steps);
  }
  const values = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) values[i] = (data[i]! - base[i]!) * acc[i]!;
  const output = target.map((c, r) => out.values[r * out.k + c]!);
  const baselineOutput = target.map((c, r) => outBase.values[r * outBase.k + c]!);
  const delta = output.map((o, r) => {
    let s = 0;
    for (let i = r * per; i < (r + 1) * per; i++) s += values[i]!;
    return s - (o - baselineOutput[r]!);
  });
  return { values, shape, target, output, baselineOutput, delta };
}

/**
 * A Sequential whose first layer is an Embedding, split into the embedding and the rest, so gradients can
 * be taken at the (continuous) embedding output of token ids.
 */
export function embeddingSplit(model: AnyModule): { embed: (ids: Tensor) => Tensor; rest: Forward } {
  if (!(model instanceof Sequential) || model.length < 2 || !(model.at(0) instanceof Embedding))
    fail(
      'tokenAttributions',
      'per-token attributions need a Sequential model whose first layer is an Embedding',
    );
  const seq = model as Sequential;
  const emb = seq.at<Embedding>(0);
  const layers = Array.from(seq).slice(1) as unknown as { call(x: Tensor): Tensor }[];
  return {
    embed: (ids) => emb.call(ids),
    rest: (e) => layers.reduce((y, l) => l.call(y), e),
  };
}

/** Integrated gradients of token ids [N, L] through the embedding (zero-vector baseline): one value per token. */
export function tokenAttributions(
  model: AnyModule,
  ids: Tensor,
  opts: Omit<IntegratedGradientsOptions, 'baseline'> = {},
): IGAttribution & { tokens: Float32Array } {
  const { embed, rest } = embeddingSplit(model);
  const e = scope(() => {
    const t = embed(ids);
    return tensor(Float32Array.from(t.dataSync() as ArrayLike<number>), { shape: t.shape });
  });
  const ig = integratedGradients(rest, e, opts);
  const d = e.shape.at(-1)!;
  const tokens = new Float32Array(ig.values.length / d);
  for (let i = 0; i < tokens.length; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += ig.values[i * d + j]!;
    tokens[i] = s;
  }
  e.dispose();
  return { ...ig, tokens };
}
