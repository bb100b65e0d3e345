import { fail } from '../core/errors.ts';
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

// Defaults are torch's; SGD (which has none in torch) gets Keras' 0.01.
const FACTORIES: Record<string, (params: Tensor[], opts: NamedOptimizerOptions) => Optimizer> = {
  sgd: (p, o) => new SGD(p, { lr: 0.01, ...o }),
  adam: (p, o) => new Adam(p, o),
  adamw: (p, o) => new AdamW(p, o),
  rmsprop: (p, o) => new RMSprop(p, o),
  adagrad: (p, o) => new Adagrad(p, o),
};

/** Optimizer names understood by `getOptimizer` and `compile({ optimizer: 'adam' })`. */
export function optimizerNames(): string[] {
  return Object.keys(FACTORIES);
}

/** An optimizer from its name ('sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'; any case) over the given parameters. */
export function getOptimizer(
  name: string,
  params: Iterable<Tensor>,
  opts: NamedOptimizerOptions = {},
): Optimizer {
  const make = FACTORIES[String(name).toLowerCase()];
  if (make === undefined)
    fail('getOptimizer', `unknown optimizer "${name}"; known names: ${optimizerNames().join(', ')}`);
  return make([...params], opts);
}
