/**
 * The math of knowledge distillation (Hinton, Vinyals and Dean 2015, "Distilling the Knowledge in a Neural
 * Network"): the student matches the teacher's temperature-softened class probabilities, scaled by T^2 so
 * that the soft part's gradient keeps its size as T changes, mixed with the ordinary (hard) loss on the labels:
 *
 *   loss_i = alpha * T^2 * KL(p_teacher,i || p_student,i) + (1 - alpha) * hard_i
 *
 * p = softmax(logits / T) for multi-class logits; for sigmoid outputs (one logit per binary or multi-label
 * output) each output is a Bernoulli sigmoid(logit / T), and its KL is averaged over the outputs, as the hard
 * binary cross-entropy averages them. The batch mean of the softmax KL is exactly PyTorch's
 * F.kl_div(log_softmax(s / T), softmax(t / T), reduction='batchmean').
 */
import { check, fail, fmtShape } from '../core/errors.ts';
import type { OptionSpecs } from '../core/options.ts';
import { logSigmoid, logSoftmax } from '../tensor/ops/activations.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { LossFn } from '../train/losses.ts';

/** How logits become soft targets: one softmax over the classes, or one sigmoid per output. */
export type SoftTargets = 'softmax' | 'sigmoid';

/** Distillation's settings; the YAML schema and every entry point check them against DISTILL_OPTIONS. */
export interface DistillOptions {
  /** Softmax/sigmoid temperature T > 0 for both models' logits (default 4). */
  temperature?: number;
  /** Weight of the soft (teacher) part in [0, 1]; 1 - alpha weighs the hard loss on the labels (default 0.9). */
  alpha?: number;
  /**
   * 'softmax' (multi-class logits), 'sigmoid' (binary or multi-label logits), or 'auto' (default): from the
   * hard loss (crossEntropy / fromLogits categorical losses: softmax; bceWithLogits: sigmoid), or, for a loss
   * given as a function, softmax for several outputs and sigmoid for one.
   */
  softTargets?: 'auto' | SoftTargets;
}

export const DISTILL_OPTIONS: OptionSpecs = {
  temperature: { type: 'number', gt: 0, default: 4, doc: 'temperature T applied to both models’ logits' },
  alpha: {
    type: 'number',
    min: 0,
    max: 1,
    default: 0.9,
    doc: 'weight of the soft (teacher) loss; 1 - alpha weighs the hard loss on the labels',
  },
  softTargets: {
    type: 'string',
    enum: ['auto', 'softmax', 'sigmoid'],
    default: 'auto',
    doc: 'softmax over classes or one sigmoid per output; auto reads it from the hard loss',
  },
};

/** [N] one-logit outputs are [N, 1]; anything else must already be [N, C]. */
function asMatrix(op: string, who: string, t: Tensor): Tensor {
  if (t.ndim === 1) return t.reshape([t.shape[0]!, 1]);
  check(
    t.ndim === 2,
    op,
    () => `the ${who}'s logits must be [N, C] (or [N] for one logit), got ${fmtShape(t.shape)}`,
  );
  return t;
}

/**
 * Per-sample soft-target loss T^2 * KL(teacher || student) at temperature T, shape [N]. The teacher's logits are
 * detached: only the student learns. Class counts (output widths) and batch sizes must agree.
 */
export function softTargetLoss(
  studentLogits: Tensor,
  teacherLogits: Tensor,
  opts: { temperature: number; softTargets: SoftTargets },
): Tensor {
  const op = 'distill';
  const T = opts.temperature;
  check(Number.isFinite(T) && T > 0, op, () => `temperature must be a finite number > 0, got ${T}`);
  const s = asMatrix(op, 'student', studentLogits);
  const t = asMatrix(op, 'teacher', teacherLogits).detach();
  check(
    s.shape[1] === t.shape[1],
    op,
    () =>
      `the student outputs ${s.shape[1]} class logits but the teacher ${t.shape[1]} (student ${fmtShape(studentLogits.shape)}, teacher ${fmtShape(teacherLogits.shape)}); both must score the same classes`,
  );
  check(
    s.shape[0] === t.shape[0],
    op,
    () => `the student's batch has ${s.shape[0]} samples but the teacher's ${t.shape[0]}`,
  );
  const ts = t.dtype === s.dtype ? t : t.to(s.dtype);
  const T2 = T * T;
  if (opts.softTargets === 'softmax') {
    check(
      s.shape[1]! >= 2,
      op,
      () => 'softmax soft targets need at least 2 class logits; one logit is a binary model: use sigmoid',
    );
    // Both as log-probabilities: p_t * (log p_t - log p_s) stays finite where p_t underflows to 0.
    const logPs = logSoftmax(s.div(T), 1);
    const logPt = logSoftmax(ts.div(T), 1);
    return logPt.exp().mul(logPt.sub(logPs)).sum(1).mul(T2);
  }
  if (opts.softTargets !== 'sigmoid')
    fail(op, `softTargets must be 'softmax' or 'sigmoid', got ${String(opts.softTargets)}`);
  // Bernoulli KL per output: p (log p - log q) + (1 - p) (log(1 - p) - log(1 - q)), with log(1 - sigmoid(x))
  // = logSigmoid(-x), stable for large |x|.
  const zs = s.div(T);
  const zt = ts.div(T);
  const logP = logSigmoid(zt);
  const logNotP = logSigmoid(zt.neg());
  const kl = logP
    .exp()
    .mul(logP.sub(logSigmoid(zs)))
    .add(logNotP.exp().mul(logNotP.sub(logSigmoid(zs.neg()))));
  return kl.mean(1).mul(T2);
}

/** A hard loss's per-sample values [N] (per-element losses averaged over the non-batch dims), or its scalar. */
function perSample(l: Tensor): Tensor {
  return l.ndim <= 1 ? l : l.reshape([l.shape[0]!, -1]).mean(1);
}

/** The distillation loss of one batch: `(studentLogits, yTrue, teacherLogits) => per-sample losses [N]`. */
export type DistillationLossFn = (studentLogits: Tensor, yTrue: Tensor, teacherLogits: Tensor) => Tensor;

/**
 * alpha * T^2 * KL(teacher || student) + (1 - alpha) * hard(student, y), per sample (so sample and class weights
 * apply as to any loss). A hard loss that returns a scalar makes the result the scalar batch mean.
 */
export function distillationLoss(
  hard: LossFn,
  opts: { temperature: number; alpha: number; softTargets: SoftTargets },
): DistillationLossFn {
  const { alpha } = opts;
  check(
    Number.isFinite(alpha) && alpha >= 0 && alpha <= 1,
    'distill',
    () => `alpha must be in [0, 1], got ${alpha}`,
  );
  return (studentLogits, yTrue, teacherLogits) => {
    const soft = softTargetLoss(studentLogits, teacherLogits, opts);
    const h = perSample(hard(studentLogits, yTrue));
    const mixedSoft = soft.mul(alpha);
    const mixedHard = h.mul(1 - alpha);
    return h.ndim === 0 ? mixedSoft.mean().add(mixedHard) : mixedSoft.add(mixedHard);
  };
}
