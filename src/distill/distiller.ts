/**
 * `fit` with a teacher. A Distiller is a Trainer whose training step also runs a frozen teacher on the batch
 * (eval mode, no gradients) and trains the student on distillationLoss(hard loss, T, alpha); everything else
 * (compile's optimizer/loss/metrics, fit's options, callbacks, checkpoints and resume, evaluate, predict) is
 * the Trainer's, unchanged. As in Keras' distillation example, validation and `evaluate` report the student's
 * hard loss, so val_loss compares directly with a student trained alone.
 */
import { noGrad } from '../autograd/node.ts';
import { check, fail } from '../core/errors.ts';
import { checkOptions } from '../core/options.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Logs } from '../train/callback.ts';
import { canonicalLossName, reduceLoss } from '../train/losses.ts';
import { type Batch, type CompileConfig, type TrainableModule, Trainer } from '../train/trainer.ts';
import {
  DISTILL_OPTIONS,
  type DistillationLossFn,
  type DistillOptions,
  distillationLoss,
  type SoftTargets,
} from './loss.ts';

/** The student's hard loss decides how its logits are read (a probability-output loss cannot distil). */
function softTargetsOf(
  loss: Trainer['loss'],
  setting: DistillOptions['softTargets'],
): SoftTargets | 'byWidth' {
  if (setting === 'softmax' || setting === 'sigmoid') return setting;
  if (loss.outputActivation !== null) return loss.outputActivation;
  const name = canonicalLossName(loss.name);
  // nll takes log-probabilities: softmax(log p / T) is softmax(z / T) for the logits z behind them.
  if (name === 'nll') return 'softmax';
  if (name !== undefined)
    fail(
      'Distiller',
      `distillation works on logits, but the loss "${loss.name}" takes ${name === 'mse' || name === 'mae' || name === 'huber' ? 'regression outputs' : 'probabilities'}; use crossEntropy, sparseCategoricalCrossentropy / categoricalCrossentropy with fromLogits: true, or bceWithLogits`,
    );
  return 'byWidth';
}

export class Distiller extends Trainer {
  readonly teacher: TrainableModule;
  readonly temperature: number;
  readonly alpha: number;
  private readonly softTargetsSetting: DistillOptions['softTargets'];
  private distillLoss: ((s: Tensor, y: Tensor, t: Tensor) => Tensor) | null = null;
  /** The current training batch's teacher logits; null outside trainStep (evaluation uses the hard loss). */
  private teacherLogits: Tensor | null = null;

  constructor(student: TrainableModule, teacher: TrainableModule, opts: DistillOptions = {}) {
    super(student);
    checkOptions('Distiller', opts, DISTILL_OPTIONS);
    check(
      teacher !== null && typeof teacher === 'object' && typeof teacher.call === 'function',
      'Distiller',
      () => 'the teacher must be a module with call(x) (an nn.Module)',
    );
    check(teacher !== student, 'Distiller', () => 'the teacher and the student are the same module');
    const mine = new Set(student.parameters());
    check(
      !teacher.parameters().some((p) => mine.has(p)),
      'Distiller',
      () => 'the teacher shares parameters with the student; training the student would change the teacher',
    );
    this.teacher = teacher;
    this.temperature = opts.temperature ?? (DISTILL_OPTIONS.temperature as { default: number }).default;
    this.alpha = opts.alpha ?? (DISTILL_OPTIONS.alpha as { default: number }).default;
    this.softTargetsSetting = opts.softTargets ?? 'auto';
  }

  override compile(cfg: CompileConfig): this {
    super.compile(cfg);
    const kind = softTargetsOf(this.loss, this.softTargetsSetting);
    const hard = this.loss.fn;
    const opts = { temperature: this.temperature, alpha: this.alpha };
    if (kind !== 'byWidth') this.distillLoss = distillationLoss(hard, { ...opts, softTargets: kind });
    else {
      // A loss function says nothing about its outputs: one logit is binary (sigmoid), several are classes.
      const bySoftmax = distillationLoss(hard, { ...opts, softTargets: 'softmax' });
      const bySigmoid = distillationLoss(hard, { ...opts, softTargets: 'sigmoid' });
      const pick: DistillationLossFn = (s, y, t) =>
        (s.ndim === 1 || s.shape[1] === 1 ? bySigmoid : bySoftmax)(s, y, t);
      this.distillLoss = pick;
    }
    return this;
  }

  /** The teacher's logits for x: eval mode (dropout off, batch-norm statistics frozen), no gradients. */
  teacherOutputs(x: Tensor): Tensor {
    this.teacher.train(false);
    return noGrad(() => this.teacher.call(x));
  }

  override trainStep(batch: Batch): Logs {
    this.teacherLogits = this.teacherOutputs(batch.x);
    try {
      return super.trainStep(batch);
    } finally {
      this.teacherLogits = null;
    }
  }

  /** The distillation loss in a training step; the student's hard loss everywhere else (validation, evaluate). */
  override computeLoss(yPred: Tensor, y: Tensor, sampleWeight: Tensor | null): Tensor {
    if (this.teacherLogits === null || this.distillLoss === null)
      return super.computeLoss(yPred, y, sampleWeight);
    return reduceLoss(this.distillLoss(yPred, y, this.teacherLogits), sampleWeight);
  }
}

/**
 * A compiled Distiller: `distiller(student, teacher, { optimizer: 'sgd', loss: 'crossEntropy', temperature: 4,
 * alpha: 0.9 })`, then `fit(x, y, opts)` as any trainer. The keys are compile's and DISTILL_OPTIONS'.
 */
export function distiller(
  student: TrainableModule,
  teacher: TrainableModule,
  cfg: CompileConfig & DistillOptions,
): Distiller {
  const { temperature, alpha, softTargets, ...compileCfg } = cfg;
  const d: DistillOptions = {};
  if (temperature !== undefined) d.temperature = temperature;
  if (alpha !== undefined) d.alpha = alpha;
  if (softTargets !== undefined) d.softTargets = softTargets;
  return new Distiller(student, teacher, d).compile(compileCfg);
}
