/** Missing-value markers every reader understands unless told otherwise (pandas' common subset). */
export const DEFAULT_MISSING: readonly string[] = ['', 'NA', 'NaN', '?'];

// A decimal number with optional sign, fraction and exponent; stricter than Number(), which would
// accept '', ' ', '0x1f' and '1_0'-like surprises that are data errors in a CSV.
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INF_RE = /^([+-]?)(inf|infinity)$/i;

/** Parses a numeric cell; returns undefined when the text is not a number. */
export function parseNumber(text: string): number | undefined {
  const s = text.trim();
  if (NUMBER_RE.test(s)) return Number(s);
  const m = INF_RE.exec(s);
  if (m !== null) return m[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return undefined;
}
