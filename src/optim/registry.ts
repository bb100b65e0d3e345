import type { OptionSpecs } from '../core/options.ts';
import { Registry } from '../core/registry.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { Adagrad } from './adagrad.ts';
import { Adam, AdamW } from './adam.ts';
import type { GroupValue, Optimizer } from './optimizer.ts';
import { RMSprop } from './rmsprop.ts';
import { SGD } from './sgd.ts';

/** Options accepted with an optimizer given by name: the learning rate plus that optimizer's own options. */
export interface NamedOptimizerOptions {
  lr?: number;
  [option: string]: GroupValue | undefined;
}

/** A registered optimizer: how to build it by name, and its declared options (the YAML schema reads them). */
export interface OptimizerEntry {
  create(params: Tensor[], opts: NamedOptimizerOptions): Optimizer;
  options: OptionSpecs;
}

/** The optimizer registry: one entry per optimizer, names under the library's one name rule. */
export const optimizers = new Registry<OptimizerEntry>('optimizer', 'getOptimizer');

type Opts<C extends abstract new (...a: never[]) => unknown> = ConstructorParameters<C>[1];

// Defaults are torch's; SGD (which has none in torch) gets Keras' 0.01 when built by name.
optimizers
  .register('sgd', {
    create: (p, o) => new SGD(p, { ...(o as Opts<typeof SGD>), lr: o.lr ?? 0.01 }),
    options: SGD.options,
  })
  .register('adam', { create: (p, o) => new Adam(p, o as Opts<typeof Adam>), options: Adam.options })
  .register('adamw', { create: (p, o) => new AdamW(p, o as Opts<typeof AdamW>), options: AdamW.options })
  .register('rmsprop', {
    create: (p, o) => new RMSprop(p, o as Opts<typeof RMSprop>),
    options: RMSprop.options,
  })
  .register('adagrad', {
    create: (p, o) => new Adagrad(p, o as Opts<typeof Adagrad>),
    options: Adagrad.options,
  });

/** Optimizer names understood by `getOptimizer` and `compile({ optimizer: 'adam' })`. */
export function optimizerNames(): string[] {
  return optimizers.names();
}

/** An optimizer from its name ('sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'; any case) over the given parameters. */
export function getOptimizer(
  name: string,
  params: Iterable<Tensor>,
  opts: NamedOptimizerOptions = {},
): Optimizer {
  return optimizers.get(name).create([...params], opts);
}
