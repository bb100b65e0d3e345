import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

/** Scalars are coerced by JavaScript arithmetic unless checked: 'a' became NaN, '2' became 2. */
describe('ops refuse non-numeric scalar arguments, naming the argument', () => {
  const t = ts.tensor([1, 2, 3]);
  const bad = (v: unknown) => v as number;
  const cases: [string, () => unknown, RegExp][] = [
    [
      'ts.add(t, "a")',
      () => ts.add(t, bad('a')),
      /^\[add\] other must be a Tensor, number or boolean, got string "a"/,
    ],
    ['ts.add("a", t)', () => ts.add(bad('a'), t), /^\[add\] input must be/],
    ['t.mul("2")', () => t.mul(bad('2')), /^\[mul\] other must be .* got string "2"/],
    ['t.add(1n)', () => t.add(bad(1n)), /^\[add\] other .* got bigint 1n/],
    ['t.sub(null)', () => t.sub(bad(null)), /^\[sub\] other .* got null/],
    ['t.add([1])', () => t.add(bad([1])), /^\[add\] other .* got an array/],
    ['t.add(1, "x")', () => t.add(1, bad('x')), /^\[add\] alpha must be a number, got string "x"/],
    ['t.gt(undefined)', () => t.gt(bad(undefined)), /^\[gt\] other .* got undefined/],
    ['ts.where(c, "a", t)', () => ts.where(t.gt(1), bad('a'), t), /^\[where\] input must be/],
    ['t.clamp("0")', () => t.clamp(bad('0')), /^\[clamp\] min must be a number, got string "0"/],
    ['t.clone().add_("a")', () => t.clone().add_(bad('a')), /^\[add_\] other must be/],
    ['t.clone().mul_("a")', () => t.clone().mul_(bad('a')), /^\[mul_\] other must be/],
    ['t.clone().fill_("a")', () => t.clone().fill_(bad('a')), /^\[fill_\] value must be a number or boolean/],
    ['t.clone().clamp_(0, "9")', () => t.clone().clamp_(0, bad('9')), /^\[clamp_\] max must be a number/],
  ];
  for (const [name, f, re] of cases)
    it(name, () =>
      assert.throws(f, (e: Error) => {
        assert.match(e.message, re);
        return true;
      }),
    );

  it('numbers, booleans, NaN and Infinity are still accepted', () => {
    assert.deepEqual(Array.from(t.add(1).toTypedArray()), [2, 3, 4]);
    assert.deepEqual(Array.from(t.mul(true).toTypedArray()), [1, 2, 3]);
    assert.ok(Number.isNaN(t.add(Number.NaN).toTypedArray()[0]!));
    assert.equal(t.div(Number.POSITIVE_INFINITY).toTypedArray()[0], 0);
    assert.deepEqual(Array.from(t.add(t, 2).toTypedArray()), [3, 6, 9]);
  });
});
