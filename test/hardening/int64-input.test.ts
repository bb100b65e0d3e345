import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import { compile } from '../../src/train/index.ts';
import { toyData, toyModel } from '../train/setup.ts';

// Hardening item 12: `ts.tensor(new BigInt64Array(...))` used to throw a raw "Cannot mix BigInt and other
// types" TypeError. int64 data is now accepted: stored as int32 (or the float dtype asked for) with every
// value range-checked, and an out-of-range value is an error naming the op, the element and the way out.
describe('int64 input (BigInt64Array, BigUint64Array, bigint elements)', () => {
  it('BigInt64Array becomes int32 with the same values and shape', () => {
    const t = ts.tensor(new BigInt64Array([1n, -2n, 2147483647n, -2147483648n, 0n, 7n]), { shape: [2, 3] });
    assert.equal(t.dtype, 'int32');
    assert.deepEqual(t.shape, [2, 3]);
    assert.deepEqual(t.toArray(), [
      [1, -2, 2147483647],
      [-2147483648, 0, 7],
    ]);
  });

  it('BigUint64Array and nested bigint arrays convert too; a float dtype keeps exact values up to 2^53 - 1', () => {
    assert.deepEqual(ts.tensor(new BigUint64Array([3n, 4n])).toArray(), [3, 4]);
    const nested = ts.tensor([
      [1n, 2n],
      [3n, 4n],
    ]);
    assert.equal(nested.dtype, 'int32');
    assert.deepEqual(nested.toArray(), [
      [1, 2],
      [3, 4],
    ]);
    const big = ts.tensor(new BigInt64Array([2n ** 40n, -(2n ** 52n)]), { dtype: 'float64' });
    assert.deepEqual(big.toArray(), [2 ** 40, -(2 ** 52)]);
    // A mix of bigints and fractions is float data, as numbers alone would be.
    const mixed = ts.tensor([1n, 0.5]);
    assert.equal(mixed.dtype, 'float32');
    assert.deepEqual(mixed.toArray(), [1, 0.5]);
  });

  it('a value outside int32 is an error naming the op, the index and the value, and allocates nothing', () => {
    assert.throws(
      () => ts.tensor(new BigInt64Array([0n, 1n, 2n ** 31n])),
      (e: unknown) => {
        assert.ok(e instanceof ts.TensorScriptError);
        assert.match(e.message, /^\[tensor\] int64 value 2147483648 at index 2 does not fit int32/);
        assert.match(e.message, /dtype: 'float64'/);
        return true;
      },
    );
    assert.throws(
      () => ts.tensor(new BigUint64Array([2n ** 64n - 1n])),
      /int64 value 18446744073709551615 at index 0/,
    );
    assert.throws(
      () => ts.tensor([[1n], [-(2n ** 40n)]]),
      /\[tensor\] int64 value -1099511627776 at index 1/,
    );
    assert.throws(
      () => ts.tensor(new BigInt64Array([2n ** 53n]), { dtype: 'float64' }),
      /\[tensor\] int64 value 9007199254740992 at index 0 is not exactly representable as float64/,
    );
    assert.throws(
      () => ts.tensor(new BigInt64Array([1n]), { dtype: 'int64' as never }),
      /unknown dtype "int64"/,
    );
    assert.throws(
      () => ts.tensor(new BigInt64Array([1n, 2n]), { shape: [3] }),
      /shape \[3\] needs 3 elements, got 2/,
    );
    // Later tensors are still right (nothing half-allocated).
    assert.deepEqual(ts.add(ts.tensor([1, 2]), ts.tensor([10, 20])).toArray(), [11, 22]);
  });

  it('int64 labels train through ts.tensor(y); fit given the raw array says how to wrap it', async () => {
    const data = toyData();
    const y64 = BigInt64Array.from(data.y.toTypedArray() as Int32Array, (v) => BigInt(v));
    const t = compile(toyModel(1), { optimizer: 'adam', loss: 'crossEntropy', metrics: ['accuracy'] });
    await assert.rejects(
      t.fit(data.x, y64 as never, { epochs: 1 }),
      /\[fit\] fit\(x, y, options\): y must be a Tensor of targets, got BigInt64Array; 64-bit integer labels: wrap them with ts\.tensor\(y\)/,
    );
    const y = ts.tensor(y64);
    const hist = await t.fit(data.x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    assert.equal(hist.history.loss!.length, 2);
    const a = t.evaluate(data.x, y);
    const b = t.evaluate(data.x, data.y);
    assert.deepEqual(a, b);
  });

  it('metrics read int64 labels exactly and refuse values beyond 2^53 - 1', () => {
    const yTrue = new BigInt64Array([0n, 1n, 1n, 2n]);
    assert.equal(ts.metrics.accuracyScore(yTrue, [0, 1, 0, 2]), 0.75);
    assert.deepEqual(
      ts.metrics.confusionMatrix(new BigUint64Array([0n, 1n, 1n]), new BigInt64Array([0n, 1n, 0n])),
      ts.metrics.confusionMatrix([0, 1, 1], [0, 1, 0]),
    );
    assert.throws(
      () => ts.metrics.accuracyScore(new BigInt64Array([2n ** 60n]), [0]),
      /\[accuracyScore\] yTrue holds int64 value 1152921504606846976 at flat index 0, beyond 2\^53 - 1/,
    );
  });
});
