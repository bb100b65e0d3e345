import { arrayFor } from '../../core/dtype.ts';
import { check } from '../../core/errors.ts';
import { checkOpOptions } from '../../core/options.ts';
import { defaultGenerator, type Generator } from '../../core/rng.ts';
import { fromHost } from '../lifecycle.ts';
import type { Tensor } from '../tensor.ts';
import { assertTensor } from './dispatch.ts';

/** The optional arguments of dropout (torch's `p` and `training`, plus the generator that draws the mask). */
export interface DropoutOptions {
  /** Probability of zeroing an element; default 0.5. */
  p?: number;
  /** Default true, as torch.nn.functional.dropout. */
  training?: boolean;
  generator?: Generator;
}

/**
 * Inverted dropout, `dropout(x, { p = 0.5, training = true, generator })`: zeroes each element with probability
 * p and scales the rest by 1/(1-p).
 */
export function dropout(x: Tensor, opts: DropoutOptions = {}, ...rest: never[]): Tensor {
  checkOpOptions(
    'dropout',
    opts,
    ['p', 'training', 'generator'],
    'dropout(x, { p, training, generator })',
    rest.length,
  );
  const { p = 0.5, training = true, generator = defaultGenerator } = opts;
  assertTensor('dropout', x);
  check(
    typeof p === 'number' && p >= 0 && p <= 1,
    'dropout',
    () => `probability must be in [0, 1], got ${p}`,
  );
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  // The mask is drawn on the host (the generator is JavaScript) and uploaded in one write.
  const d = arrayFor(x.dtype, x.size);
  const scale = 1 / (1 - p);
  for (let i = 0; i < d.length; i++) d[i] = generator.uniform() >= p ? scale : 0;
  return x.mul(fromHost(d, x.shape, x.dtype));
}
