import { check, fmtShape } from '../core/errors.ts';
import { tensor } from '../tensor/creation.ts';
import type { Tensor } from '../tensor/tensor.ts';

/**
 * Helpers that turn padded token ids into masks, pooling weights and gather indices. They read the ids on the
 * JavaScript side (ids carry no gradient), so the tensors they return are constants of the step.
 *
 * A row with no real token at all (an empty message) is treated as if its first position were real: the
 * attention then has one key to attend to instead of producing NaN (torch's behaviour for a fully masked row),
 * pooling averages that one position, and the LSTM reads its first step. Every helper uses the same rule, so
 * a model stays finite and consistent on such rows.
 */

function idsOf(op: string, ids: Tensor): { data: Int32Array; n: number; s: number } {
  check(ids.dtype === 'int32', op, () => `token ids must be int32, got ${ids.dtype}`);
  check(ids.ndim === 2, op, () => `token ids must be [batch, length], got ${fmtShape(ids.shape)}`);
  const [n, s] = [ids.shape[0]!, ids.shape[1]!];
  check(s > 0, op, () => `token ids need at least one position, got ${fmtShape(ids.shape)}`);
  return { data: ids.toTypedArray() as Int32Array, n, s };
}

/** [N, S] bool, true where the id is padding (what srcKeyPaddingMask takes). */
export function keyPaddingMask(ids: Tensor, padId = 0): Tensor {
  const { data, n, s } = idsOf('keyPaddingMask', ids);
  const out = new Uint8Array(n * s);
  for (let i = 0; i < n; i++) {
    let real = 0;
    for (let j = 0; j < s; j++) {
      const pad = data[i * s + j] === padId;
      out[i * s + j] = pad ? 1 : 0;
      if (!pad) real++;
    }
    if (real === 0) out[i * s] = 0;
  }
  return tensor(out, { shape: [n, s], dtype: 'bool' });
}

/**
 * [N, S, 1] weights for a mean over real tokens: 1 / (number of real tokens) at real positions, 0 at padding.
 * `x.mul(w).sum(1)` is then the masked mean of x [N, S, E].
 */
export function meanPoolWeights(ids: Tensor, padId = 0, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  const { data, n, s } = idsOf('meanPoolWeights', ids);
  const out = dtype === 'float64' ? new Float64Array(n * s) : new Float32Array(n * s);
  for (let i = 0; i < n; i++) {
    let real = 0;
    for (let j = 0; j < s; j++) if (data[i * s + j] !== padId) real++;
    if (real === 0) {
      out[i * s] = 1;
      continue;
    }
    for (let j = 0; j < s; j++) if (data[i * s + j] !== padId) out[i * s + j] = 1 / real;
  }
  return tensor(out, { shape: [n, s, 1] });
}

/** Masked mean over dim 1 of x [N, S, E]: padding positions (ids === padId) are left out. */
export function maskedMeanPool(x: Tensor, ids: Tensor, padId = 0): Tensor {
  check(
    x.ndim === 3 && x.shape[0] === ids.shape[0] && x.shape[1] === ids.shape[1],
    'maskedMeanPool',
    () => `expected x [N, S, E] matching ids ${fmtShape(ids.shape)}, got ${fmtShape(x.shape)}`,
  );
  const dtype = x.dtype === 'float64' ? 'float64' : 'float32';
  return x.mul(meanPoolWeights(ids, padId, dtype)).sum(1);
}

/**
 * Position of the last real token of each row (the last id that is not padding), so it is `length - 1` for
 * post-padded rows and `S - 1` for pre-padded ones; 0 for a row without real tokens.
 */
export function lastRealPositions(ids: Tensor, padId = 0): Int32Array {
  const { data, n, s } = idsOf('lastRealPositions', ids);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let last = 0;
    for (let j = s - 1; j >= 0; j--)
      if (data[i * s + j] !== padId) {
        last = j;
        break;
      }
    out[i] = last;
  }
  return out;
}

/** x [N, T, H] -> [N, H]: the row of each sequence at its last real token (a gather along dim 1). */
export function gatherLastReal(x: Tensor, ids: Tensor, padId = 0): Tensor {
  check(
    x.ndim === 3 && x.shape[0] === ids.shape[0] && x.shape[1] === ids.shape[1],
    'gatherLastReal',
    () => `expected x [N, T, H] matching ids ${fmtShape(ids.shape)}, got ${fmtShape(x.shape)}`,
  );
  const pos = lastRealPositions(ids, padId);
  const [n, h] = [x.shape[0]!, x.shape[2]!];
  const index = new Int32Array(n * h);
  for (let i = 0; i < n; i++) index.fill(pos[i]!, i * h, (i + 1) * h);
  return x.gather(1, tensor(index, { shape: [n, 1, h], dtype: 'int32' })).squeeze(1);
}
