import type { Tensor } from '../../src/index.ts';
import * as ts from '../../src/index.ts';

const F = ts.functional;
type Arg = Tensor | Tensor[] | unknown;
type OpFn = (args: Arg[], kw: Record<string, unknown>) => Tensor | Tensor[];

const T = (a: Arg) => a as Tensor;
const N = (a: Arg) => a as number;
const dims = (a: Arg) => a as number | number[] | null;

/**
 * How each fixture op name maps onto the TypeScript API. Positional args follow torch; keyword options
 * arrive as one options object, as the public API takes them.
 */
export const OPS: Record<string, OpFn> = {
  adaptiveAvgPool2d: ([x, s]) => F.adaptiveAvgPool2d(T(x), s as [number, number]),
  amax: ([x, d, k]) => T(x).amax(dims(d), k as boolean),
  amin: ([x, d, k]) => T(x).amin(dims(d), k as boolean),
  argmax: ([x, d, k]) => T(x).argmax(d as number | null, k as boolean),
  argmin: ([x, d, k]) => T(x).argmin(d as number | null, k as boolean),
  avgPool2d: ([x], kw) => F.avgPool2d(T(x), kw as unknown as ts.functional.Pool2dOptions),
  batchNorm: ([x, rm, rv, w, b, tr, m, e]) =>
    F.batchNorm(T(x), rm as Tensor | null, rv as Tensor | null, {
      weight: w as Tensor | null,
      bias: b as Tensor | null,
      training: tr as boolean,
      momentum: N(m),
      eps: N(e),
    }),
  binaryCrossEntropy: ([x, y], kw) => F.binaryCrossEntropy(T(x), T(y), kw),
  binaryCrossEntropyWithLogits: ([x, y], kw) => F.binaryCrossEntropyWithLogits(T(x), T(y), kw),
  cat: ([xs, d]) => ts.cat(xs as Tensor[], N(d)),
  chunk: ([x, c, d]) => T(x).chunk(N(c), N(d)),
  clamp: ([x, lo, hi]) => T(x).clamp(lo as number | null, hi as number | null),
  conv2d: ([x, w, b], kw) => F.conv2d(T(x), T(w), { bias: b as Tensor | null, ...kw }),
  crossEntropy: ([x, y], kw) => F.crossEntropy(T(x), T(y), kw),
  elu: ([x, a]) => F.elu(T(x), { alpha: N(a) }),
  embedding: ([i, w], kw) => F.embedding(T(i), T(w), kw as { paddingIdx?: number }),
  expand: ([x, s]) => T(x).expand(s as number[]),
  flatten: ([x, s, e]) => T(x).flatten(N(s), N(e)),
  gather: ([x, d, i]) => T(x).gather(N(d), T(i)),
  gelu: ([x], kw) => F.gelu(T(x), kw as { approximate?: 'none' | 'tanh' }),
  huberLoss: ([x, y], kw) => F.huberLoss(T(x), T(y), kw),
  index: ([x, spec]) => T(x).index(spec as ts.SliceSpec[]),
  indexSelect: ([x, d, i]) => T(x).indexSelect(N(d), T(i)),
  l1Loss: ([x, y], kw) => F.l1Loss(T(x), T(y), kw),
  layerNorm: ([x, s, w, b, e]) =>
    F.layerNorm(T(x), s as number[], { weight: w as Tensor | null, bias: b as Tensor | null, eps: N(e) }),
  leakyRelu: ([x, s]) => F.leakyRelu(T(x), { negativeSlope: N(s) }),
  linear: ([x, w, b]) => F.linear(T(x), T(w), { bias: b as Tensor | null }),
  logSoftmax: ([x, d]) => T(x).logSoftmax(N(d)),
  logsumexp: ([x, d, k]) => T(x).logsumexp(dims(d), k as boolean),
  maskedFill: ([x, m, v]) => T(x).maskedFill(T(m), N(v)),
  matmul: ([a, b]) => T(a).matmul(T(b)),
  max: ([x, d, k]) => (d === undefined ? T(x).max() : T(x).max(N(d), k as boolean)),
  maxPool2d: ([x], kw) => F.maxPool2d(T(x), kw as unknown as ts.functional.Pool2dOptions),
  mean: ([x, d, k]) => T(x).mean(dims(d), k as boolean),
  min: ([x, d, k]) => (d === undefined ? T(x).min() : T(x).min(N(d), k as boolean)),
  mseLoss: ([x, y], kw) => F.mseLoss(T(x), T(y), kw),
  narrow: ([x, d, s, l]) => T(x).narrow(N(d), N(s), N(l)),
  nllLoss: ([x, y], kw) => F.nllLoss(T(x), T(y), kw),
  permute: ([x, p]) => T(x).permute(p as number[]),
  prod: ([x, d, k]) => T(x).prod(dims(d), k as boolean),
  reshape: ([x, s]) => T(x).reshape(s as number[]),
  silu: ([x]) => F.silu(T(x)),
  smoothL1Loss: ([x, y], kw) => F.smoothL1Loss(T(x), T(y), kw),
  softmax: ([x, d]) => T(x).softmax(N(d)),
  softplus: ([x], kw) => F.softplus(T(x), kw),
  split: ([x, s, d]) => T(x).split(s as number | number[], N(d)),
  squeeze: ([x, d]) => T(x).squeeze(d as number | null),
  stack: ([xs, d]) => ts.stack(xs as Tensor[], N(d)),
  std: ([x, d, u, k]) => T(x).std(dims(d), u as boolean, k as boolean),
  sum: ([x, d, k]) => T(x).sum(dims(d), k as boolean),
  transpose: ([x, a, b]) => T(x).transpose(N(a), N(b)),
  unsqueeze: ([x, d]) => T(x).unsqueeze(N(d)),
  var: ([x, d, u, k]) => T(x).var(dims(d), u as boolean, k as boolean),
  where: ([c, a, b]) => ts.where(T(c), a as Tensor, b as Tensor),
  scatterAdd: ([x, d, i, s]) => T(x).scatterAdd(N(d), T(i), T(s)),
};

// Elementwise ops share one shape: method call with the remaining args.
for (const op of [
  'abs',
  'ceil',
  'cos',
  'erf',
  'exp',
  'expm1',
  'floor',
  'log',
  'log1p',
  'neg',
  'reciprocal',
  'relu',
  'round',
  'rsqrt',
  'sigmoid',
  'sign',
  'sin',
  'sqrt',
  'square',
  'tanh',
]) {
  OPS[op] = ([x]) => (T(x) as unknown as Record<string, () => Tensor>)[op]!.call(x);
}
for (const op of [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
]) {
  OPS[op] = ([a, b]) => (T(a) as unknown as Record<string, (o: unknown) => Tensor>)[op]!.call(a, b);
}

/** Ops whose derivative is zero almost everywhere: a difference quotient across a jump is meaningless. */
export const PIECEWISE_CONSTANT: ReadonlySet<string> = new Set(['floor', 'ceil', 'round', 'sign']);
