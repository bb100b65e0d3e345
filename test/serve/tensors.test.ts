import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeData, decodeInput, toJsonData } from '../../src/serve/tensors.ts';
import { SUITE } from './helpers.ts';

describe('serve: tensor decoding', SUITE, () => {
  it('reads flat and nested row-major data into the right typed array', () => {
    const flat = decodeData('t', 'x', 'FP32', [2, 3], [1, 2, 3, 4, 5, 6]);
    const nested = decodeData(
      't',
      'x',
      'FP32',
      [2, 3],
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    );
    assert.ok(flat instanceof Float32Array);
    assert.deepEqual(flat, nested);
    assert.deepEqual(
      decodeData('t', 'x', 'INT32', [2, 1, 2], [[[1, -2]], [[3, 2147483647]]]),
      Int32Array.from([1, -2, 3, 2147483647]),
    );
    assert.deepEqual(decodeData('t', 'x', 'BOOL', [3], [true, false, true]), Uint8Array.from([1, 0, 1]));
    assert.deepEqual(decodeData('t', 'x', 'BYTES', [2], ['a', 'héllo']), ['a', 'héllo']);
    const f64 = decodeData('t', 'x', 'FP64', [1], [0.1]);
    assert.ok(f64 instanceof Float64Array && f64[0] === 0.1);
    assert.deepEqual(decodeData('t', 'x', 'FP32', [], [7]), Float32Array.from([7]));
  });

  it('says which element is wrong and why', () => {
    assert.throws(
      () => decodeData('infer', "input 'x'", 'INT32', [2], [1, 2.5]),
      /^TensorScriptError|\[infer\] input 'x': expected a 32-bit integer at index 1, got number 2.5/,
    );
    assert.throws(
      () => decodeData('infer', 'x', 'INT32', [1], [2147483648]),
      /expected a 32-bit integer at index 0/,
    );
    assert.throws(
      () => decodeData('infer', 'x', 'BOOL', [1], [1]),
      /expected true or false at index 0, got number 1/,
    );
    assert.throws(() => decodeData('infer', 'x', 'BYTES', [1], [1]), /expected a string at index 0/);
    assert.throws(
      () => decodeData('infer', 'x', 'FP64', [1], [Number.NaN]),
      /value at index 0 is NaN, expected a finite number/,
    );
    assert.throws(() => decodeData('infer', 'x', 'FP32', [1], [3.5e38]), /outside the FP32 range/);
    // FP64 has the wider range.
    assert.deepEqual(decodeData('infer', 'x', 'FP64', [1], [3.5e38]), Float64Array.from([3.5e38]));
    assert.throws(
      () => decodeData('infer', 'x', 'FP32', [2, 2], [[1, 2], [3]]),
      /data\[1\] should be an array of length 2, got length 1/,
    );
    assert.throws(
      () => decodeData('infer', 'x', 'FP32', [2, 2], [[1, 2], 3]),
      /data\[1\] should be an array of length 2, got number 3/,
    );
    assert.throws(() => decodeData('infer', 'x', 'FP32', [1e5, 1e5], []), /has 10000000000 elements, limit/);
  });

  it('checks datatype and shape against the model spec, -1 matching any size', () => {
    const spec = { name: 'x', datatype: 'FP32' as const, shape: [-1, 2] };
    const t = decodeInput('infer', spec, {
      name: 'x',
      datatype: 'FP32',
      shape: [3, 2],
      data: [1, 2, 3, 4, 5, 6],
    });
    assert.deepEqual(t.shape, [3, 2]);
    assert.throws(
      () => decodeInput('infer', spec, { name: 'x', datatype: 'FP64', shape: [1, 2], data: [1, 2] }),
      /expected datatype FP32, got FP64/,
    );
    assert.throws(
      () => decodeInput('infer', spec, { name: 'x', datatype: 'FP32', shape: [1, 2, 1], data: [1, 2] }),
      /expected shape \[-1,2\], got \[1,2,1\]/,
    );
  });

  it('writes typed arrays back as JSON arrays', () => {
    assert.deepEqual(toJsonData(Uint8Array.from([1, 0])), [true, false]);
    assert.deepEqual(toJsonData(Float32Array.from([0.5, -2])), [0.5, -2]);
    assert.deepEqual(toJsonData(['a']), ['a']);
  });
});
