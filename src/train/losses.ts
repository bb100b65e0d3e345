import { check, fail, fmtShape } from '../core/errors.ts';
import { checkOptions, type OptionSpec, type OptionSpecs } from '../core/options.ts';
import { normaliseName, Registry } from '../core/registry.ts';
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

/**
 * Integer class labels [N] from [N] or [N, 1] targets. Float targets must hold whole numbers: converting 1.5 to
 * class 1 would train on a label nobody gave.
 */
function labels(yTrue: Tensor, op: string): Tensor {
  const y = yTrue.ndim === 2 && yTrue.shape[1] === 1 ? yTrue.reshape([-1]) : yTrue;
  if (y.dtype === 'int32') return y;
  if (y.dtype === 'float32' || y.dtype === 'float64') {
    const v = y.toTypedArray();
    for (let i = 0; i < v.length; i++) {
      const c = v[i] as number;
      if (!Number.isInteger(c))
        fail(
          op,
          `y (the targets) must be integer class indices, got ${c} at index ${i}; for probabilities or one-hot targets use categoricalCrossentropy`,
        );
    }
  }
  return y.to('int32');
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
      const t = labels(y, 'sparseCategoricalCrossentropy');
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
        ? crossEntropy(p, labels(y, 'crossEntropy'), { reduction: 'none' })
        : crossEntropy(p, asFloat(y, p), { reduction: 'none' }),
  }),
  nll: () => ({
    name: 'nll',
    outputActivation: null,
    fn: (p, y) => nllLoss(p, labels(y, 'nll'), { reduction: 'none' }),
  }),
};

const FROM_LOGITS: OptionSpec = {
  type: 'boolean',
  default: false,
  doc: 'the model outputs logits (no final sigmoid/softmax); the loss applies it, stably',
};

/** A registered loss: how to make it, and its declared options (besides `name`; the YAML schema reads them). */
export interface LossEntry {
  make: Maker;
  options: OptionSpecs;
}

/**
 * The loss registry. Keras and torch spellings are aliases of one entry; the name rule makes camelCase and
 * snake_case the same name. A name ending in `with_logits` implies `fromLogits: true`.
 */
export const losses = new Registry<LossEntry>('loss', 'getLoss')
  .register('mse', { make: NAMED.mse!, options: {} }, { aliases: ['mean_squared_error', 'mse_loss'] })
  .register('mae', { make: NAMED.mae!, options: {} }, { aliases: ['mean_absolute_error', 'l1', 'l1_loss'] })
  .register(
    'huber',
    { make: NAMED.huber!, options: { delta: { type: 'number', gt: 0, default: 1 } } },
    { aliases: ['huber_loss', 'smooth_l1'] },
  )
  .register(
    'binary_crossentropy',
    { make: NAMED.binary_crossentropy!, options: { fromLogits: FROM_LOGITS } },
    {
      aliases: ['bce', 'bce_with_logits', 'binary_cross_entropy', 'binary_cross_entropy_with_logits'],
    },
  )
  .register(
    'categorical_crossentropy',
    { make: NAMED.categorical_crossentropy!, options: { fromLogits: FROM_LOGITS } },
    { aliases: ['categorical_cross_entropy'] },
  )
  .register(
    'sparse_categorical_crossentropy',
    { make: NAMED.sparse_categorical_crossentropy!, options: { fromLogits: FROM_LOGITS } },
    { aliases: ['sparse_categorical_cross_entropy'] },
  )
  .register('cross_entropy', { make: NAMED.cross_entropy!, options: {} })
  .register('nll', { make: NAMED.nll!, options: {} }, { aliases: ['nll_loss'] });

/** Loss names `getLoss`/`compile` understand (camelCase or snake_case, Keras or torch spelling). */
export function lossNames(): string[] {
  return losses.allNames();
}

/** The registered name a loss name stands for ('meanSquaredError' -> 'mse'), or undefined when unknown. */
export function canonicalLossName(name: string): string | undefined {
  return losses.canonical(name);
}

/**
 * A per-sample loss from its name: 'mse', 'mae', 'huber', 'binaryCrossentropy', 'categoricalCrossentropy',
 * 'sparseCategoricalCrossentropy' (Keras; `fromLogits` for logit outputs), 'crossEntropy' (torch: logits),
 * 'nll' (log-probabilities), 'bceWithLogits'. An option the loss does not have is an error.
 */
export function getLoss(name: string, opts: Omit<NamedLoss, 'name'> = {}): ResolvedLoss {
  const entry = losses.get(name);
  checkOptions(`getLoss(${name})`, opts, entry.options);
  const fromLogits = opts.fromLogits ?? normaliseName(name).endsWith('withlogits');
  return entry.make({ ...opts, name, fromLogits });
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
