// Loads the scikit-learn fixtures written by scripts/gen_metric_fixtures.py and compares results within tolerance.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

export type Json = number | string | boolean | null | Json[] | { [k: string]: Json };

export interface FixtureCase {
  id: string;
  fn: string;
  args: Json[];
  opts: Record<string, Json>;
  expected?: Json;
  error?: string;
  sklearnError?: string;
}

const file = new URL('../fixtures/metrics/sklearn.json', import.meta.url);
export const fixture = JSON.parse(readFileSync(file, 'utf8')) as { sklearn: string; cases: FixtureCase[] };

/** JSON has no NaN: the generator writes "NaN". */
export function decode(x: Json): Json {
  if (x === 'NaN') return Number.NaN;
  if (Array.isArray(x)) return x.map(decode);
  if (x !== null && typeof x === 'object')
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, decode(v)]));
  return x;
}

/** Deep comparison with |a - b| <= tol * max(1, |b|) on numbers; NaN equals NaN. */
export function assertClose(actual: unknown, expected: Json, tol: number, path: string): void {
  if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number', `${path}: expected a number, got ${JSON.stringify(actual)}`);
    const a = actual as number;
    if (Number.isNaN(expected)) {
      assert.ok(Number.isNaN(a), `${path}: expected NaN, got ${a}`);
      return;
    }
    assert.ok(
      Math.abs(a - expected) <= tol * Math.max(1, Math.abs(expected)),
      `${path}: got ${a}, sklearn ${expected}`,
    );
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(
      Array.isArray(actual),
      `${path}: expected an array of ${expected.length}, got ${JSON.stringify(actual)}`,
    );
    const a = actual as unknown[];
    assert.equal(a.length, expected.length, `${path}: length ${a.length}, sklearn ${expected.length}`);
    for (let i = 0; i < expected.length; i++) assertClose(a[i], expected[i]!, tol, `${path}[${i}]`);
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    for (const [k, v] of Object.entries(expected))
      assertClose((actual as Record<string, unknown>)[k], v, tol, `${path}.${k}`);
    return;
  }
  assert.equal(actual, expected, path);
}
