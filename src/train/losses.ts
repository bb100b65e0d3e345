import { check, fail, fmtShape } from '../core/errors.ts';
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  huberLoss,
  l1Loss,
  mseLoss,
  nllLoss,
} from '../tensor/ops/losses.ts';
import type { Tensor } from '../tensor/tensor.ts';

/**
 * A training loss: `(yPred, yTrue) => losses`. It may return one loss per sample ([N]), per element ([N, ...],
 * averaged over the non-batch dims), or an already reduced scalar (then sample and class weights cannot apply).
 */
export type LossFn = (yPred: Tensor, yTrue: Tensor) => Tensor;

/** A loss module (an nn loss layer, or anything with `call(input, target)`). */
export interface LossModule {
  call(input: Tensor, target: Tensor): Tensor;
}

/** A loss by name, with options: `{ name: 'sparseCategoricalCrossentropy', fromLogits: true }`. */
export interface NamedLoss {
  name: string;
  /** The model outputs logits (no final sigmoid/softmax); the loss applies it, stably. Default false. */
  fromLogits?: boolean;
  /** Huber's delta (default 1). */
  delta?: number;
}

export type LossSpec = string | NamedLoss | LossFn | LossModule;

/** What `resolveLoss` gives the trainer: the function, and the activation that turns outputs into probabilities. */
export interface ResolvedLoss {
  fn: LossFn;
  name: string;
  /** For named losses with fromLogits: how metrics given by name see probabilities. */
  outputActivation: 'sigmoid' | 'softmax' | null;
}

// Keras clips probabilities to [eps, 1 - eps] before taking logs (backend.epsilon() = 1e-7).
const EPS = 1e-7;

/** [N] targets against [N, 1] outputs are a Keras habit: reshape the target to the prediction's shape. */
function like(op: string, yTrue: Tensor, yPred: Tensor): Tensor {
  if (yTrue.shape.join() === yPred.shape.join()) return yTrue;
  check(
    yTrue.size === yPred.size,
    op,
    () => `target shape ${fmtShape(yTrue.shape)} does not match prediction shape ${fmtShape(yPred.shape)}`,
  );
  return yTrue.reshape(yPred.shape);
}

function asFloat(t: Tensor, like: Tensor): Tensor {
  return t.dtype === like.dtype ? t : t.to(like.dtype);
}

/** Integer class labels [N] from [N] or [N, 1] targets. */
function labels(yTrue: Tensor): Tensor {
  const y = yTrue.ndim === 2 && yTrue.shape[1] === 1 ? yTrue.reshape([-1]) : yTrue;
  return y.dtype === 'int32' ? y : y.to('int32');
}

function perSampleMean(t: Tensor): Tensor {
  return t.ndim <= 1 ? t : t.reshape([t.shape[0]!, -1]).mean(1);
}

type Maker = (opts: NamedLoss) => ResolvedLoss;

const NAMED: Record<string, Maker> = {
  mse: () => ({
    name: 'mse',
    outputActivation: null,
    fn: (p, y) => perSampleMean(mseLoss(p, asFloat(like('mse', y, p), p), { reduction: 'none' })),
  }),
  mae: () => ({
    name: 'mae',
    outputActivation: null,
    fn: (p, y) => perSampleMean(l1Loss(p, asFloat(like('mae', y, p), p), { reduction: 'none' })),
  }),
  huber: (o) => ({
    name: 'huber',
    outputActivation: null,
    fn: (p, y) =>
      perSampleMean(
        huberLoss(p, asFloat(like('huber', y, p), p), { reduction: 'none', delta: o.delta ?? 1 }),
      ),
  }),
  binary_crossentropy: (o) => ({
    name: 'binary_crossentropy',
    outputActivation: o.fromLogits ? 'sigmoid' : null,
    fn: o.fromLogits
      ? (p, y) =>
          perSampleMean(
            binaryCrossEntropyWithLogits(p, asFloat(like('binaryCrossentropy', y, p), p), {
              reduction: 'none',
            }),
          )
      : (p, y) =>
          perSampleMean(
            binaryCrossEntropy(p.clamp(EPS, 1 - EPS), asFloat(like('binaryCrossentropy', y, p), p), {
              reduction: 'none',
            }),
          ),
  }),
  categorical_crossentropy: (o) => ({
    name: 'categorical_crossentropy',
    outputActivation: o.fromLogits ? 'softmax' : null,
    fn: (p, y) => {
      check(
        p.ndim === 2 && y.shape.join() === p.shape.join(),
        'categoricalCrossentropy',
        () =>
          `expects [N, C] outputs and one-hot/probability targets of the same shape, got ${fmtShape(p.shape)} and ${fmtShape(y.shape)}; use sparseCategoricalCrossentropy for class indices`,
      );
      const t = asFloat(y, p);
      if (o.fromLogits) return crossEntropy(p, t, { reduction: 'none' });
      // Keras: renormalise the probabilities, clip, then -sum(y log p).
      const probs = p.div(p.sum(1, true)).clamp(EPS, 1 - EPS);
      return t.mul(probs.log()).sum(1).neg();
    },
  }),
  sparse_categorical_crossentropy: (o) => ({
    name: 'sparse_categorical_crossentropy',
    outputActivation: o.fromLogits ? 'softmax' : null,
    fn: (p, y) => {
      const t = labels(y);
      if (o.fromLogits) return crossEntropy(p, t, { reduction: 'none' });
      return nllLoss(p.clamp(EPS, 1 - EPS).log(), t, { reduction: 'none' });
    },
  }),
  // torch's names: CrossEntropyLoss takes logits and class indices; NLLLoss log-probabilities.
  cross_entropy: () => ({
    name: 'cross_entropy',
    outputActivation: 'softmax',
    fn: (p, y) =>
      y.dtype === 'int32' || y.ndim < p.ndim
        ? crossEntropy(p, labels(y), { reduction: 'none' })
        : crossEntropy(p, asFloat(y, p), { reduction: 'none' }),
  }),
  nll: () => ({
    name: 'nll',
    outputActivation: null,
    fn: (p, y) => nllLoss(p, labels(y), { reduction: 'none' }),
  }),
};

const ALIASES: Record<string, string> = {
  mean_squared_error: 'mse',
  mse_loss: 'mse',
  mean_absolute_error: 'mae',
  l1: 'mae',
  l1_loss: 'mae',
  huber_loss: 'huber',
  smooth_l1: 'huber',
  bce: 'binary_crossentropy',
  bce_with_logits: 'binary_crossentropy',
  binary_cross_entropy: 'binary_crossentropy',
  binary_cross_entropy_with_logits: 'binary_crossentropy',
  categorical_cross_entropy: 'categorical_crossentropy',
  sparse_categorical_cross_entropy: 'sparse_categorical_crossentropy',
  nll_loss: 'nll',
};

function normalise(name: string): string {
  const k = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return ALIASES[k] ?? k;
}

/** Loss names `getLoss`/`compile` understand (camelCase or snake_case, Keras or torch spelling). */
export function lossNames(): string[] {
  return [...Object.keys(NAMED), ...Object.keys(ALIASES)].sort();
}

/**
 * A per-sample loss from its name: 'mse', 'mae', 'huber', 'binaryCrossentropy', 'categoricalCrossentropy',
 * 'sparseCategoricalCrossentropy' (Keras; `fromLogits` for logit outputs), 'crossEntropy' (torch: logits),
 * 'nll' (log-probabilities), 'bceWithLogits'.
 */
export function getLoss(name: string, opts: Omit<NamedLoss, 'name'> = {}): ResolvedLoss {
  const key = normalise(String(name));
  const make = NAMED[key];
  if (make === undefined) fail('getLoss', `unknown loss "${name}"; known names: ${lossNames().join(', ')}`);
  const fromLogits =
    opts.fromLogits ?? /with_logits$/.test(name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase());
  return make({ ...opts, name, fromLogits });
}

/** Turns any loss spec into a per-sample loss function. */
export function resolveLoss(spec: LossSpec): ResolvedLoss {
  if (typeof spec === 'string') return getLoss(spec);
  if (typeof spec === 'function') return { fn: spec, name: spec.name || 'loss', outputActivation: null };
  if (spec !== null && typeof spec === 'object') {
    if (typeof (spec as LossModule).call === 'function') {
      const m = spec as LossModule;
      return { fn: (p, y) => m.call(p, y), name: spec.constructor.name, outputActivation: null };
    }
    if (typeof (spec as NamedLoss).name === 'string') {
      const { name, ...rest } = spec as NamedLoss;
      return getLoss(name, rest);
    }
  }
  fail(
    'compile',
    `loss must be a name, { name, fromLogits }, a function or a loss module, got ${typeof spec}`,
  );
}

/**
 * The batch loss: per-sample losses weighted by `weights` (sample x class weights) and averaged over the batch,
 * as Keras' sum_over_batch_size: sum(w_i * l_i) / N.
 */
export function reduceLoss(losses: Tensor, weights: Tensor | null): Tensor {
  if (losses.ndim === 0) {
    check(
      weights === null,
      'trainStep',
      () => 'the loss returned a scalar, so sample/class weights cannot be applied; return per-sample losses',
    );
    return losses;
  }
  const per = perSampleMean(losses);
  return weights === null ? per.mean() : per.mul(weights).mean();
}
