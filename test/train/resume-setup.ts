import { StepLR } from '../../src/optim/index.ts';
import {
  Callback,
  compile,
  EarlyStopping,
  type FitOptions,
  LearningRateScheduler,
  type Trainer,
} from '../../src/train/index.ts';
import { toyData, toyModel } from './setup.ts';

/**
 * The run the kill-and-resume test repeats: dropout (default generator), shuffling, a validation split, Adam
 * state, a StepLR schedule and EarlyStopping counters all have to be restored for the losses to match.
 */
export function resumeRun(extra: Callback[] = []): {
  trainer: Trainer;
  data: ReturnType<typeof toyData>;
  opts: FitOptions;
} {
  const data = toyData(40, 9);
  const model = toyModel(21, 2, 0.25);
  const trainer = compile(model, {
    optimizer: { name: 'adam', lr: 0.02 },
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });
  const opts: FitOptions = {
    epochs: 4,
    batchSize: 6,
    validationSplit: 0.2,
    seed: 77,
    verbose: 0,
    callbacks: [
      new LearningRateScheduler(new StepLR(trainer.optimizer, { stepSize: 1, gamma: 0.7 })),
      new EarlyStopping({ monitor: 'val_loss', patience: 10 }),
      ...extra,
    ],
  };
  return { trainer, data, opts };
}

/** Kills the process (SIGKILL: no cleanup, no flush) when the given epoch begins. */
export class KillAt extends Callback {
  constructor(readonly epoch: number) {
    super();
  }
  override onEpochBegin(epoch: number): void {
    if (epoch === this.epoch) process.kill(process.pid, 'SIGKILL');
  }
}
