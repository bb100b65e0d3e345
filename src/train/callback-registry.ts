import { checkOptions, type OptionSpecs } from '../core/options.ts';
import { Registry } from '../core/registry.ts';
import type { Callback } from './callback.ts';
import { EarlyStopping, ReduceLROnPlateau, TerminateOnNaN } from './callbacks.ts';

/** A callback that can be built from plain options (a config file): its declared options and its factory. */
export interface CallbackEntry {
  options: OptionSpecs;
  create(opts: Record<string, unknown>): Callback;
}

/** Callbacks by name. Those that need a path or a function (ModelCheckpoint, CSVLogger, LambdaCallback) are built in code. */
export const callbacks = new Registry<CallbackEntry>('callback', 'getCallback')
  .register('early_stopping', { options: EarlyStopping.options, create: (o) => new EarlyStopping(o) })
  .register('reduce_lr_on_plateau', {
    options: ReduceLROnPlateau.options,
    create: (o) => new ReduceLROnPlateau(o),
  })
  .register('terminate_on_nan', { options: {}, create: () => new TerminateOnNaN() });

/** A callback from its name and options: `getCallback('earlyStopping', { patience: 3 })`. */
export function getCallback(name: string, opts: Record<string, unknown> = {}): Callback {
  const entry = callbacks.get(name);
  checkOptions(`getCallback(${name})`, opts, entry.options);
  return entry.create(opts);
}
