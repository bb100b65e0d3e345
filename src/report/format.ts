/** Number formatting for the report: 4 significant digits (136.37289143 -> 136.4), integers as they are. */
export function fmtNumber(v: number | null | undefined): string {
  if (v === undefined || v === null) return '–';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e15)) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(4)));
}

/** A scalar leaf of a config (or any JSON value) as table text. */
export function fmtLeaf(v: unknown): string {
  if (typeof v === 'number') return fmtNumber(v);
  if (typeof v === 'string') return v;
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null))
    return `[${v.map(fmtLeaf).join(', ')}]`;
  return JSON.stringify(v) ?? String(v);
}

/**
 * Flattens a nested object to dotted keys (`optimizer.lr`) for a two-column table; arrays of scalars stay one
 * cell, arrays of objects are indexed (`crossValidation.0.accuracy`).
 */
export function flattenForTable(
  v: unknown,
  prefix = '',
  out: [string, string][] = [],
  depth = 0,
): [string, string][] {
  const isObj = v !== null && typeof v === 'object';
  const scalarArray = Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null);
  if (!isObj || scalarArray || depth > 8) {
    out.push([prefix, fmtLeaf(v)]);
    return out;
  }
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
  if (entries.length === 0) out.push([prefix, Array.isArray(v) ? '[]' : '{}']);
  for (const [k, x] of entries) flattenForTable(x, prefix === '' ? k : `${prefix}.${k}`, out, depth + 1);
  return out;
}
