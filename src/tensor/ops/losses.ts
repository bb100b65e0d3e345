import { check, fail, fmtShape } from '../../core/errors.ts';
import { checkOpOptions } from '../../core/options.ts';
import { shapesEqual } from '../../core/shape.ts';
import type { Tensor } from '../tensor.ts';
import { logSoftmax } from './activations.ts';
import { assertTensor } from './dispatch.ts';
import { where } from './elementwise.ts';
import { gather } from './indexing.ts';
import { mean, sum } from './reduce.ts';
import { reshape, squeeze, unsqueeze } from './views.ts';

export type Reduction = 'none' | 'mean' | 'sum';

function reduce(op: string, loss: Tensor, reduction: Reduction = 'mean'): Tensor {
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return sum(loss);
  if (reduction === 'mean') return mean(loss);
  fail(op, `reduction must be 'none', 'mean' or 'sum', got '${String(reduction)}'`);
}

/** Loss inputs must match exactly: silently broadcasting [N,1] against [N] is a classic bug. */
function sameShape(op: string, input: Tensor, target: Tensor): void {
  assertTensor(op, input);
  assertTensor(op, target, 'target');
  check(
    shapesEqual(input.shape, target.shape),
    op,
    () => `input shape ${fmtShape(input.shape)} and target shape ${fmtShape(target.shape)} differ`,
  );
}

/** Every loss takes (input, target, options): known keys only, no further positional arguments. */
function lossOptions(op: string, opts: unknown, keys: readonly string[], rest: number): void {
  checkOpOptions(op, opts, keys, `${op}(input, target, { ${keys.join(', ')} })`, rest);
}

function asFloat(t: Tensor, like: Tensor): Tensor {
  return t.dtype === like.dtype ? t : t.to(like.dtype);
}

export function mseLoss(
  input: Tensor,
  target: Tensor,
  opts: { reduction?: Reduction } = {},
  ...rest: never[]
): Tensor {
  lossOptions('mseLoss', opts, ['reduction'], rest.length);
  sameShape('mseLoss', input, target);
  const d = input.sub(asFloat(target, input));
  return reduce('mseLoss', d.mul(d), opts.reduction);
}

export function l1Loss(
  input: Tensor,
  target: Tensor,
  opts: { reduction?: Reduction } = {},
  ...rest: never[]
): Tensor {
  lossOptions('l1Loss', opts, ['reduction'], rest.length);
  sameShape('l1Loss', input, target);
  return reduce('l1Loss', input.sub(asFloat(target, input)).abs(), opts.reduction);
}

export function smoothL1Loss(
  input: Tensor,
  target: Tensor,
  opts: { reduction?: Reduction; beta?: number } = {},
  ...rest: never[]
): Tensor {
  lossOptions('smoothL1Loss', opts, ['reduction', 'beta'], rest.length);
  sameShape('smoothL1Loss', input, target);
  const beta = opts.beta ?? 1;
  check(beta >= 0, 'smoothL1Loss', () => `beta must be >= 0, got ${beta}`);
  const d = input.sub(asFloat(target, input));
  const a = d.abs();
  if (beta === 0) return reduce('smoothL1Loss', a, opts.reduction);
  const loss = where(a.lt(beta), d.mul(d).mul(0.5 / beta), a.sub(0.5 * beta));
  return reduce('smoothL1Loss', loss, opts.reduction);
}

export function huberLoss(
  input: Tensor,
  target: Tensor,
  opts: { reduction?: Reduction; delta?: number } = {},
  ...rest: never[]
): Tensor {
  lossOptions('huberLoss', opts, ['reduction', 'delta'], rest.length);
  sameShape('huberLoss', input, target);
  const delta = opts.delta ?? 1;
  check(delta > 0, 'huberLoss', () => `delta must be > 0, got ${delta}`);
  const d = input.sub(asFloat(target, input));
  const a = d.abs();
  const loss = where(a.le(delta), d.mul(d).mul(0.5), a.sub(0.5 * delta).mul(delta));
  return reduce('huberLoss', loss, opts.reduction);
}

export interface NllOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}

/** Class weights broadcast along dim 1 of an [N, C, ...] tensor. */
function classView(w: Tensor, ndim: number): Tensor {
  return reshape(
    w,
    Array.from({ length: ndim }, (_, i) => (i === 1 ? -1 : 1)),
  );
}

/** torch.nn.functional.nll_loss for [N, C] / [N, C, d1, ...] log-probabilities (or [C] with a scalar target). */
export function nllLoss(logProbs: Tensor, target: Tensor, opts: NllOptions = {}, ...rest: never[]): Tensor {
  lossOptions('nllLoss', opts, ['weight', 'ignoreIndex', 'reduction'], rest.length);
  assertTensor('nllLoss', logProbs);
  assertTensor('nllLoss', target, 'target');
  if (logProbs.ndim === 1)
    return nllLoss(unsqueeze(logProbs, 0), unsqueeze(target, 0), {
      ...opts,
      reduction: opts.reduction === 'none' ? 'sum' : opts.reduction,
    });
  check(
    target.dtype === 'int32',
    'nllLoss',
    () => `target must hold int32 class indices, got ${target.dtype}`,
  );
  const c = logProbs.shape[1]!;
  const want = [logProbs.shape[0]!, ...logProbs.shape.slice(2)];
  check(
    shapesEqual(target.shape, want),
    'nllLoss',
    () =>
      `target shape ${fmtShape(target.shape)} does not match input ${fmtShape(logProbs.shape)} (expected ${fmtShape(want)})`,
  );
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const ignored = target.eq(ignoreIndex);
  const safe = where(ignored, 0, target);
  const tdata = safe.toTypedArray();
  for (const v of tdata) {
    if (v < 0 || v >= c) fail('nllLoss', `target ${v} is out of bounds for ${c} classes`);
  }
  const picked = squeeze(gather(logProbs, 1, unsqueeze(safe, 1)), 1);
  const keepMask = ignored.logicalNot().to(logProbs.dtype);
  let w = keepMask;
  if (opts.weight != null) {
    check(
      opts.weight.ndim === 1 && opts.weight.shape[0] === c,
      'nllLoss',
      () => `weight must have shape [${c}], got ${fmtShape(opts.weight!.shape)}`,
    );
    w = opts.weight
      .indexSelect(0, reshape(safe, [-1]))
      .reshape(safe.shape)
      .mul(keepMask);
  }
  const loss = picked.mul(w).neg();
  const red = opts.reduction ?? 'mean';
  if (red === 'mean') return sum(loss).div(sum(w));
  return reduce('nllLoss', loss, red);
}

export interface CrossEntropyOptions extends NllOptions {
  labelSmoothing?: number;
}

/**
 * torch.nn.functional.cross_entropy on logits [N, C, ...]: class-index targets (int32, with weights,
 * ignoreIndex and label smoothing) or class-probability targets (float, same shape as the input).
 */
export function crossEntropy(
  input: Tensor,
  target: Tensor,
  opts: CrossEntropyOptions = {},
  ...rest: never[]
): Tensor {
  lossOptions('crossEntropy', opts, ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing'], rest.length);
  assertTensor('crossEntropy', input);
  assertTensor('crossEntropy', target, 'target');
  const eps = opts.labelSmoothing ?? 0;
  check(eps >= 0 && eps <= 1, 'crossEntropy', () => `labelSmoothing must be in [0, 1], got ${eps}`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const c = input.shape[classDim]!;
  const logp = logSoftmax(input, classDim);
  const red = opts.reduction ?? 'mean';
  const w = opts.weight ?? null;
  if (target.dtype === 'float32' || target.dtype === 'float64') {
    check(
      shapesEqual(input.shape, target.shape),
      'crossEntropy',
      () =>
        `probability targets must have the input's shape ${fmtShape(input.shape)}, got ${fmtShape(target.shape)}`,
    );
    let t = asFloat(target, input);
    if (eps > 0) t = t.mul(1 - eps).add(eps / c);
    let lp = logp;
    if (w !== null) lp = lp.mul(input.ndim === 1 ? w : classView(w, input.ndim));
    const prod = lp.mul(t);
    if (red === 'mean')
      return sum(prod)
        .neg()
        .div(input.size / c);
    if (red === 'sum') return sum(prod).neg();
    return sum(prod, classDim).neg();
  }
  const nll = nllLoss(logp, target, { weight: w, ignoreIndex: opts.ignoreIndex ?? -100, reduction: red });
  if (eps === 0) return nll;
  const ignored = target.eq(opts.ignoreIndex ?? -100);
  const lpw = w === null ? logp : logp.mul(input.ndim === 1 ? w : classView(w, input.ndim));
  const smooth = where(ignored, 0, sum(lpw, classDim).neg());
  let ret: Tensor;
  if (red === 'mean') {
    if (w !== null) {
      const keepW = w
        .indexSelect(0, reshape(where(ignored, 0, target), [-1]))
        .mul(reshape(ignored.logicalNot(), [-1]).to(w.dtype));
      ret = sum(smooth).div(sum(keepW));
    } else {
      // As torch: the smoothing term's mean runs over all positions, ignored ones included.
      ret = mean(smooth);
    }
  } else ret = reduce('crossEntropy', smooth, red);
  return nll.mul(1 - eps).add(ret.mul(eps / c));
}

export interface BceOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
}

/** torch.nn.functional.binary_cross_entropy on probabilities; logs are clamped at -100 as torch does. */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  opts: BceOptions = {},
  ...rest: never[]
): Tensor {
  lossOptions('binaryCrossEntropy', opts, ['weight', 'reduction'], rest.length);
  sameShape('binaryCrossEntropy', input, target);
  const d = input.toTypedArray();
  for (const v of d)
    if (!(v >= 0 && v <= 1))
      fail(
        'binaryCrossEntropy',
        `input values must be probabilities in [0, 1], got ${v}; use binaryCrossEntropyWithLogits for logits`,
      );
  const t = asFloat(target, input);
  const logp = input.log().clamp(-100, null);
  const log1mp = input.neg().add(1).log().clamp(-100, null);
  let loss = t.mul(logp).add(t.neg().add(1).mul(log1mp)).neg();
  if (opts.weight != null) loss = loss.mul(opts.weight);
  return reduce('binaryCrossEntropy', loss, opts.reduction);
}

export interface BceWithLogitsOptions extends BceOptions {
  posWeight?: Tensor | null;
}

/** Sigmoid + BCE in one stable expression: (1-y)x + lw(log1p(exp(-|x|)) + max(-x, 0)). */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  opts: BceWithLogitsOptions = {},
  ...rest: never[]
): Tensor {
  lossOptions('binaryCrossEntropyWithLogits', opts, ['weight', 'reduction', 'posWeight'], rest.length);
  sameShape('binaryCrossEntropyWithLogits', input, target);
  const t = asFloat(target, input);
  const softTerm = input.abs().neg().exp().log1p().add(input.neg().relu());
  const lw = opts.posWeight == null ? null : opts.posWeight.sub(1).mul(t).add(1);
  let loss = t
    .neg()
    .add(1)
    .mul(input)
    .add(lw === null ? softTerm : lw.mul(softTerm));
  if (opts.weight != null) loss = loss.mul(opts.weight);
  return reduce('binaryCrossEntropyWithLogits', loss, opts.reduction);
}
