/**
 * The saved-model directory format (docs/format.md, docs/saved-model.schema.json) and the checks every file
 * gets at load: a hostile or damaged file is an error naming the file and the key, never a TypeError.
 */
import { TensorScriptError } from '../core/errors.ts';

export const SAVED_MODEL_FORMAT = 'tensorscript-saved-model';
/** major.minor: a reader refuses a newer major; a newer minor only adds optional keys. */
export const SAVED_MODEL_VERSION = '1.0';
/** The pointer file naming the current version directory; replaced by one atomic rename per save. */
export const POINTER_FILE = 'saved-model.json';

export interface Pointer {
  format: string;
  version: string;
  /** The version subdirectory holding the files (`v-<n>-<tag>`). */
  current: string;
}

/** A reader for one JSON file: every failed check names the file and the key path. */
export class JsonCheck {
  constructor(
    readonly op: string,
    readonly file: string,
  ) {}

  fail(key: string, msg: string): never {
    throw new TensorScriptError(this.op, `${this.file}: ${key === '' ? '' : `key "${key}" `}${msg}`);
  }

  object(v: unknown, key: string): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      this.fail(key, `must be an object, got ${describe(v)}`);
    return v as Record<string, unknown>;
  }

  string(v: unknown, key: string): string {
    if (typeof v !== 'string') this.fail(key, `must be a string, got ${describe(v)}`);
    return v;
  }

  number(v: unknown, key: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v))
      this.fail(key, `must be a finite number, got ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(v: unknown, key: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
      this.fail(key, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${describe(v)}`);
    return v as T;
  }

  strings(v: unknown, key: string): string[] {
    if (!Array.isArray(v)) this.fail(key, `must be an array of strings, got ${describe(v)}`);
    for (const [i, s] of v.entries()) this.string(s, `${key}[${i}]`);
    return v as string[];
  }

  numbers(v: unknown, key: string): number[] {
    if (!Array.isArray(v)) this.fail(key, `must be an array of numbers, got ${describe(v)}`);
    for (const [i, s] of v.entries()) this.number(s, `${key}[${i}]`);
    return v as number[];
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (the key is missing)';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function parseJson(op: string, file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TensorScriptError(op, `${file} is not valid JSON: ${(e as Error).message}`);
  }
}

export function checkPointer(op: string, file: string, raw: unknown): Pointer {
  const c = new JsonCheck(op, file);
  const o = c.object(raw, '');
  const format = c.string(o.format, 'format');
  if (format !== SAVED_MODEL_FORMAT) c.fail('format', `must be "${SAVED_MODEL_FORMAT}", got "${format}"`);
  const version = c.string(o.version, 'version');
  const m = /^(\d+)\.(\d+)$/.exec(version);
  if (m === null) return c.fail('version', `must be "major.minor", got "${version}"`);
  const major = Number(m[1]);
  const ours = Number(SAVED_MODEL_VERSION.split('.')[0]);
  if (major > ours)
    throw new TensorScriptError(
      op,
      `${file}: written by a newer TensorScript (format version ${version}; this one reads up to ${ours}.x)`,
    );
  const current = c.string(o.current, 'current');
  if (!/^v-[A-Za-z0-9-]+$/.test(current))
    c.fail('current', `must name a version directory v-..., got "${current}"`);
  return { format, version, current };
}

/** Safetensors dtypes a float parameter may be stored in (read back as float32/float64). */
const FLOAT_CODES = new Set(['F16', 'BF16', 'F32', 'F64']);
const INT_CODES = new Set(['I8', 'U8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64']);
/** Tensor names must be dotted identifiers (PyTorch state-dict keys); `__proto__` and friends are refused. */
const NAME = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Reads a safetensors header on its own (the parser stores tensors in a plain object, where a `__proto__` entry
 * would vanish) and checks names and dtypes against the model's own state dict.
 */
export function checkWeightsHeader(
  op: string,
  file: string,
  bytes: Uint8Array,
  expected: Record<string, { dtype: string }>,
): void {
  if (bytes.length < 8) throw new TensorScriptError(op, `${file}: too short for a safetensors header`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > bytes.length - 8) throw new TensorScriptError(op, `${file}: header length ${n} exceeds the file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new TensorScriptError(op, `${file}: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  const c = new JsonCheck(op, file);
  const h = c.object(header, '');
  for (const name of Object.keys(h)) {
    if (name === '__metadata__') continue;
    if (FORBIDDEN.has(name) || name.split('.').some((p) => FORBIDDEN.has(p)) || !NAME.test(name))
      c.fail(name, 'is not a valid tensor name (expected a dotted state-dict key)');
    const e = c.object(h[name], name);
    const code = c.string(e.dtype, `${name}.dtype`);
    const want = expected[name];
    if (want === undefined) continue; // unexpected keys are reported by loadStateDict
    const ok =
      want.dtype === 'int32'
        ? INT_CODES.has(code)
        : want.dtype === 'bool'
          ? code === 'BOOL'
          : FLOAT_CODES.has(code);
    if (!ok) c.fail(`${name}.dtype`, `is ${code}, but the model's parameter is ${want.dtype}`);
  }
}
