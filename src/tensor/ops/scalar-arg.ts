import { fail } from '../../core/errors.ts';
import { Tensor } from '../tensor.ts';

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v)}`;
  if (typeof v === 'bigint') return `bigint ${v}n`;
  if (typeof v === 'object') return Array.isArray(v) ? 'an array (use ts.tensor(...))' : 'an object';
  return typeof v;
}

/**
 * Refuses a scalar argument that is not a number or boolean before it is coerced: `'a'` would become NaN
 * and `'2'` silently 2 (JavaScript's arithmetic), so `ts.add(t, 'a')` used to return NaN without an error.
 */
export function checkScalar(op: string, v: unknown, name: string): asserts v is number | boolean {
  if (typeof v !== 'number' && typeof v !== 'boolean')
    fail(op, `${name} must be a number or boolean, got ${describe(v)}`);
}

/** Like checkScalar for an operand that may also be a tensor. */
export function checkOperand(op: string, v: unknown, name: string): void {
  if (v instanceof Tensor) return;
  if (typeof v !== 'number' && typeof v !== 'boolean')
    fail(op, `${name} must be a Tensor, number or boolean, got ${describe(v)}`);
}

/** For numeric-only options (alpha, min, max, fill values). */
export function checkNumber(op: string, v: unknown, name: string): asserts v is number {
  if (typeof v !== 'number') fail(op, `${name} must be a number, got ${describe(v)}`);
}
