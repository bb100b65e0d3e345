import { badRequest, unprocessable } from './errors.ts';
import { readImageHeader } from './image-header.ts';
import type { RecordPrediction, RecordSchema } from './model.ts';

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkTabular(
  op: string,
  s: Extract<RecordSchema, { kind: 'tabular' }>,
  r: unknown,
  what: string,
): void {
  if (!isObject(r)) badRequest(op, `${what}: expected an object of columns, got ${show(r)}`);
  const missing = [...s.numeric, ...s.categorical].filter((c) => !(c in r));
  if (missing.length > 0) {
    const shown =
      missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, ... (${missing.length} in all)` : '');
    badRequest(op, `${what} lacks columns ${shown}; send null for a missing value`);
  }
  for (const c of s.numeric) {
    const v = r[c];
    // JSON has no Infinity: 1e999 parses to it, and it must not reach the model as a value.
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v)))
      badRequest(op, `${what}, column '${c}': expected a finite number or null, got ${show(v)}`);
  }
  for (const c of s.categorical) {
    const v = r[c];
    const ok =
      v === null ||
      typeof v === 'string' ||
      typeof v === 'boolean' ||
      (typeof v === 'number' && Number.isFinite(v));
    if (!ok) badRequest(op, `${what}, column '${c}': expected a string, number or null, got ${show(v)}`);
  }
}

function checkImage(op: string, s: Extract<RecordSchema, { kind: 'image' }>, r: unknown, what: string): void {
  const size = `${s.width}x${s.height}`;
  let b64: unknown = r;
  if (isObject(r) && 'b64' in r) b64 = r.b64;
  if (typeof b64 === 'string') {
    const bytes = Buffer.from(b64, 'base64');
    const h = readImageHeader(op, what, bytes);
    if (h === undefined) badRequest(op, `${what}: expected a base64 PNG or JPEG image`);
    // Checked from the header, before decoding: an oversize image is never expanded.
    if (h.width !== s.width || h.height !== s.height)
      badRequest(op, `${what}: ${h.format} image is ${h.width}x${h.height}, the model takes ${size}`);
    return;
  }
  const pixels = Array.isArray(r) ? r : isObject(r) ? (r.pixels ?? r.image) : undefined;
  if (!Array.isArray(pixels))
    badRequest(op, `${what}: expected a base64 image, a pixel array or { "pixels": [...] }, got ${show(r)}`);
  const n = s.channels * s.height * s.width;
  if (pixels.length !== n)
    badRequest(
      op,
      `${what}: expected ${n} pixel values (${s.channels}x${s.height}x${s.width}, in [0, 1]), got ${pixels.length}`,
    );
  for (let k = 0; k < n; k++) {
    const v = pixels[k];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1))
      badRequest(op, `${what}: pixel ${k} is ${show(v)}, expected a number in [0, 1]`);
  }
}

function checkText(op: string, r: unknown, what: string): void {
  if (typeof r === 'string' || (isObject(r) && typeof r.text === 'string')) return;
  badRequest(op, `${what}: expected a text or { "text": "..." }, got ${show(r)}`);
}

/** Checks every v1 instance against the model's declared record schema; the first bad value is a 400. */
export function checkRecords(op: string, schema: RecordSchema, instances: readonly unknown[]): void {
  instances.forEach((r, i) => {
    const what = `instance ${i}`;
    if (schema.kind === 'tabular') checkTabular(op, schema, r, what);
    else if (schema.kind === 'image') checkImage(op, schema, r, what);
    else checkText(op, r, what);
  });
}

/**
 * A prediction with a NaN or infinite probability or value is not an answer: 422 naming the instance,
 * instead of `null` in a 200 (JSON has no NaN).
 */
export function checkPredictions(op: string, preds: readonly RecordPrediction[]): void {
  preds.forEach((p, i) => {
    if (typeof p.label === 'number' && !Number.isFinite(p.label))
      unprocessable(op, `instance ${i}: the model's output is ${p.label}; check the instance's values`);
    for (const [k, v] of Object.entries(p.probabilities ?? {})) {
      if (!Number.isFinite(v))
        unprocessable(
          op,
          `instance ${i}: the model's probability of '${k}' is ${v}; check the instance's values`,
        );
    }
  });
}
