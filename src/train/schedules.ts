import { checkOptions, type OptionSpecs } from '../core/options.ts';
import { Registry } from '../core/registry.ts';
import { CosineAnnealingLR, ExponentialLR, MultiStepLR, StepLR } from '../optim/lr-scheduler.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import type { Callback } from './callback.ts';
import { LearningRateScheduler, ReduceLROnPlateau } from './callbacks.ts';

/** What a schedule built by name may need besides its options. */
export interface ScheduleContext {
  /** The epochs of the run (the cosine schedule's default tMax). */
  epochs: number;
}

/** A registered LR schedule: its declared options (the YAML schema reads them) and the callback that applies it. */
export interface ScheduleEntry {
  options: OptionSpecs;
  create(optimizer: Optimizer, opts: Record<string, unknown>, ctx: ScheduleContext): Callback;
}

/** The cosine schedule by name may leave out tMax: it then spans the whole run. */
const COSINE_OPTIONS: OptionSpecs = {
  ...CosineAnnealingLR.options,
  tMax: { type: 'number', int: true, gt: 0, doc: "epochs of one half cosine (default: the run's epochs)" },
};

/**
 * LR schedules by name (the CLI's `training.lrSchedule`, or `scheduleCallback` in code), each an epoch-level
 * callback around one optim scheduler. One place per schedule replaces a `switch` on the name.
 */
export const schedules = new Registry<ScheduleEntry>('lr schedule', 'scheduleCallback')
  .register(
    'step',
    {
      options: StepLR.options,
      create: (o, s) =>
        new LearningRateScheduler(new StepLR(o, s as ConstructorParameters<typeof StepLR>[1])),
    },
    { aliases: ['step_lr'] },
  )
  .register(
    'multi_step',
    {
      options: MultiStepLR.options,
      create: (o, s) =>
        new LearningRateScheduler(new MultiStepLR(o, s as ConstructorParameters<typeof MultiStepLR>[1])),
    },
    { aliases: ['multi_step_lr'] },
  )
  .register(
    'exponential',
    {
      options: ExponentialLR.options,
      create: (o, s) =>
        new LearningRateScheduler(new ExponentialLR(o, s as ConstructorParameters<typeof ExponentialLR>[1])),
    },
    { aliases: ['exponential_lr'] },
  )
  .register(
    'cosine',
    {
      options: COSINE_OPTIONS,
      create: (o, s, ctx) =>
        new LearningRateScheduler(
          new CosineAnnealingLR(o, {
            ...(s as Partial<ConstructorParameters<typeof CosineAnnealingLR>[1]>),
            tMax: (s.tMax as number | undefined) ?? ctx.epochs,
          }),
        ),
    },
    { aliases: ['cosine_annealing', 'cosine_annealing_lr'] },
  )
  .register(
    'reduce_on_plateau',
    {
      options: ReduceLROnPlateau.options,
      create: (_o, s) => new ReduceLROnPlateau(s),
    },
    { aliases: ['reduce_lr_on_plateau'] },
  );

/**
 * The callback of a schedule given by name: `scheduleCallback('cosine', optimizer, { etaMin: 1e-5 }, { epochs })`.
 * Unknown names and options are errors with a did-you-mean; `undefined` options are left out.
 */
export function scheduleCallback(
  name: string,
  optimizer: Optimizer,
  opts: Record<string, unknown> = {},
  ctx: ScheduleContext = { epochs: 1 },
): Callback {
  const entry = schedules.get(name);
  const clean = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  checkOptions(`scheduleCallback(${name})`, clean, entry.options);
  return entry.create(optimizer, clean, ctx);
}
