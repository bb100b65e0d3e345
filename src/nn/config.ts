import type { DType } from '../core/dtype.ts';
import { fail } from '../core/errors.ts';
import type { JsonValue, LayerConfig } from './module.ts';

/** Readers for layer configs: each checks the type and names the layer and key in its error. */

function get(layer: string, c: LayerConfig, key: string): JsonValue | undefined {
  if (c === null || typeof c !== 'object') fail(layer, `config must be an object, got ${JSON.stringify(c)}`);
  return c[key];
}

export function cfgNumber(layer: string, c: LayerConfig, key: string, dflt?: number): number {
  const v = get(layer, c, key);
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number') fail(layer, `config.${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function cfgNumberOrNull(layer: string, c: LayerConfig, key: string): number | null {
  const v = get(layer, c, key);
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number') fail(layer, `config.${key} must be a number or null, got ${JSON.stringify(v)}`);
  return v;
}

export function cfgBool(layer: string, c: LayerConfig, key: string, dflt: boolean): boolean {
  const v = get(layer, c, key);
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') fail(layer, `config.${key} must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

export function cfgString<S extends string>(
  layer: string,
  c: LayerConfig,
  key: string,
  allowed: readonly S[],
  dflt: S,
): S {
  const v = get(layer, c, key);
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    fail(layer, `config.${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as S;
}

/** An int or an [h, w] pair. */
export function cfgPair(layer: string, c: LayerConfig, key: string, dflt?: number | [number, number]) {
  const v = get(layer, c, key);
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number')
    return [v[0], v[1]] as [number, number];
  fail(layer, `config.${key} must be an int or an [h, w] pair, got ${JSON.stringify(v)}`);
}

export function cfgNumbers(layer: string, c: LayerConfig, key: string): number[] {
  const v = get(layer, c, key);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number'))
    fail(layer, `config.${key} must be an array of numbers, got ${JSON.stringify(v)}`);
  return v as number[];
}

export function cfgDType(layer: string, c: LayerConfig): DType {
  return cfgString(layer, c, 'dtype', ['float32', 'float64'] as const, 'float32');
}
