import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ConfigError, validateConfig } from '../../src/cli/config.ts';
import { Linear } from '../../src/nn/index.ts';
import { Adam, getOptimizer, optimizers, SGD, StepLR } from '../../src/optim/index.ts';
import {
  EarlyStopping,
  getCallback,
  getLoss,
  LearningRateScheduler,
  ReduceLROnPlateau,
  scheduleCallback,
  schedules,
} from '../../src/train/index.ts';

const params = () => new Linear(2, 1).parameters();

describe('unknown option keys are refused with the right name', () => {
  it('optimizers, by class and by name, and in parameter groups', () => {
    assert.throws(
      () => new SGD(params(), { lr: 0.1, weight_decay: 0.1 } as never),
      /^TensorScriptError: \[SGD\] unknown option "weight_decay" \(did you mean "weightDecay"\?\)/,
    );
    assert.throws(
      () => getOptimizer('adam', params(), { beta: [0.9, 0.99] }),
      /\[Adam\] unknown option "beta" \(did you mean "betas"\?\)/,
    );
    assert.throws(
      () => new Adam([{ params: params(), learning_rate: 1 } as never]),
      /\[Adam\] unknown option "learning_rate"/,
    );
    assert.throws(
      () => getOptimizer('adamm', params()),
      /\[getOptimizer\] unknown optimizer "adamm" \(did you mean "adam"\?\)/,
    );
    assert.equal(getOptimizer('AdamW', params()).name, 'AdamW');
  });

  it('schedules, callbacks and losses', () => {
    const opt = new SGD(params(), { lr: 1 });
    assert.throws(
      () => new StepLR(opt, { stepSize: 2, step_size: 2 } as never),
      /\[StepLR\] unknown option "step_size"/,
    );
    assert.throws(
      () => new EarlyStopping({ restore_best_weights: true } as never),
      /did you mean "restoreBestWeights"/,
    );
    assert.throws(
      () => getLoss('huber', { delta: 1, from_logits: true } as never),
      /\[getLoss\(huber\)\] unknown option "from_logits"; options: delta/,
    );
    assert.throws(
      () => getLoss('mse', { fromLogits: true }),
      /unknown option "fromLogits"; options: \(none\)/,
    );
    assert.throws(
      () => getCallback('earlyStoping'),
      /\[getCallback\] unknown callback "earlyStoping" \(did you mean "early_stopping"\?\)/,
    );
    assert.ok(getCallback('earlyStopping', { patience: 2 }) instanceof EarlyStopping);
  });
});

describe('schedules by name', () => {
  it('builds the callback for every registered schedule; required options are checked', () => {
    const opt = new SGD(params(), { lr: 1 });
    assert.deepEqual(schedules.names(), ['cosine', 'exponential', 'multi_step', 'reduce_on_plateau', 'step']);
    assert.ok(scheduleCallback('step', opt, { stepSize: 2 }) instanceof LearningRateScheduler);
    assert.ok(scheduleCallback('multiStep', opt, { milestones: [2, 4] }) instanceof LearningRateScheduler);
    assert.ok(scheduleCallback('cosine', opt, {}, { epochs: 5 }) instanceof LearningRateScheduler);
    assert.ok(scheduleCallback('reduceOnPlateau', opt, { minDelta: 0.01 }) instanceof ReduceLROnPlateau);
    assert.throws(
      () => scheduleCallback('step', opt, {}),
      /\[scheduleCallback\(step\)\] stepSize: required option missing/,
    );
    assert.throws(() => scheduleCallback('exponential', opt, { gamma: -1 }), /gamma: must be > 0, got -1/);
  });
});

describe('the YAML schema is derived from the registries', () => {
  const base = () => ({
    name: 'r',
    data: { source: 'csv', path: 'x.csv', label: 'y' },
    model: { className: 'Linear', config: { inFeatures: 2, outFeatures: 1 } },
    loss: 'mse',
    optimizer: { name: 'adam', lr: 0.01 },
  });
  const problems = (raw: unknown): string[] => {
    try {
      validateConfig(raw);
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  it('keeps the path-first messages', () => {
    const raw = base() as Record<string, unknown>;
    raw.optimizer = { name: 'adam', lr: 'fast' };
    raw.training = { batchsize: 3 };
    const p = problems(raw);
    assert.ok(p.includes('config.optimizer.lr: expected number, received string'), p.join('\n'));
    assert.ok(
      p.some((s) => s.startsWith('config.training.batchsize: unknown key')),
      p.join('\n'),
    );
  });

  it('every optimizer option and schedule in the registries is accepted, and nothing else', () => {
    for (const [name, entry] of optimizers.list()) {
      const raw = base() as Record<string, unknown>;
      raw.optimizer = {
        name,
        ...(Object.fromEntries(
          Object.entries(entry.options).map(([k, s]) => [k, s.default ?? 0.01]),
        ) as object),
      };
      assert.deepEqual(problems(raw), [], name);
    }
    const raw = base() as Record<string, unknown>;
    raw.optimizer = { name: 'sgd', lr: 0.1, betas: [0.9, 0.99] };
    assert.deepEqual(problems(raw), [
      'config.optimizer.betas: not an option of sgd (its options: lr, momentum, dampening, weightDecay, nesterov, maximize)',
    ]);
    raw.optimizer = { name: 'sgd', lr: 0.1 };
    raw.training = { lrSchedule: { name: 'cosine', etaMin: 0.001, t_max: 3 } };
    assert.ok(problems(raw).some((s) => s.startsWith('config.training.lrSchedule.t_max: unknown key')));
    raw.training = { lrSchedule: { name: 'multiStep', milestones: [] } };
    assert.ok(
      problems(raw).some((s) => s.startsWith('config.training.lrSchedule.milestones')),
      problems(raw).join(),
    );
    raw.training = {
      lrSchedule: { name: 'reduceOnPlateau', patience: 2, minDelta: 0.01 },
      earlyStopping: { patience: 3 },
    };
    const c = validateConfig(raw);
    assert.equal(c.training.earlyStopping?.restoreBestWeights, false);
    assert.deepEqual(c.training.lrSchedule, { name: 'reduceOnPlateau', patience: 2, minDelta: 0.01 });
  });
});
