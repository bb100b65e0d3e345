import { fmtShape } from '../core/errors.ts';
import { badRequest, unprocessable } from './errors.ts';
import type { Datatype, TensorData, TensorSpec, TensorValue } from './model.ts';

/** Largest finite float32; a JSON number beyond it would silently become Infinity in a Float32Array. */
const FP32_MAX = 3.4028234663852886e38;
/** Refuse to allocate tensors larger than this many elements whatever the shape claims. */
export const MAX_ELEMENTS = 1 << 28;

/** A tensor as it arrives in an Open Inference Protocol JSON request. */
export interface JsonTensor {
  name: string;
  shape: number[];
  datatype: string;
  data?: unknown[];
  parameters?: Record<string, string | number | boolean>;
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function allocate(datatype: Datatype, n: number): TensorData {
  switch (datatype) {
    case 'FP32':
      return new Float32Array(n);
    case 'FP64':
      return new Float64Array(n);
    case 'INT32':
      return new Int32Array(n);
    case 'BOOL':
      return new Uint8Array(n);
    case 'BYTES':
      return new Array<string>(n);
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v)}`;
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return `${typeof v} ${String(v)}`;
}

/** Writes one JSON element into `out[i]`, or says what was wrong with it. */
function put(op: string, what: string, datatype: Datatype, out: TensorData, i: number, v: unknown): void {
  switch (datatype) {
    case 'FP32':
    case 'FP64':
      if (typeof v !== 'number')
        badRequest(op, `${what}: expected a number at index ${i}, got ${describe(v)}`);
      if (!Number.isFinite(v))
        badRequest(op, `${what}: value at index ${i} is ${v}, expected a finite number`);
      if (datatype === 'FP32' && Math.abs(v) > FP32_MAX) {
        badRequest(op, `${what}: value ${v} at index ${i} is outside the FP32 range (|x| <= ${FP32_MAX})`);
      }
      (out as Float32Array | Float64Array)[i] = v;
      return;
    case 'INT32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
        badRequest(op, `${what}: expected a 32-bit integer at index ${i}, got ${describe(v)}`);
      }
      (out as Int32Array)[i] = v;
      return;
    case 'BOOL':
      if (typeof v !== 'boolean')
        badRequest(op, `${what}: expected true or false at index ${i}, got ${describe(v)}`);
      (out as Uint8Array)[i] = v ? 1 : 0;
      return;
    case 'BYTES':
      if (typeof v !== 'string')
        badRequest(op, `${what}: expected a string at index ${i}, got ${describe(v)}`);
      (out as string[])[i] = v;
      return;
  }
}

/**
 * Copies `data` (flat row-major, or nested exactly as `shape`) into a typed array of `datatype`,
 * checking every element.
 */
export function decodeData(
  op: string,
  what: string,
  datatype: Datatype,
  shape: readonly number[],
  data: unknown[],
): TensorData {
  const n = shapeSize(shape);
  if (n > MAX_ELEMENTS)
    badRequest(op, `${what}: shape ${fmtShape(shape)} has ${n} elements, limit ${MAX_ELEMENTS}`);
  const out = allocate(datatype, n);
  const nested = data.length > 0 && Array.isArray(data[0]);
  if (!nested) {
    if (data.length !== n) {
      badRequest(op, `${what}: shape ${fmtShape(shape)} needs ${n} values, data has ${data.length}`);
    }
    for (let i = 0; i < n; i++) put(op, what, datatype, out, i, data[i]);
    return out;
  }
  // Natural multi-dimensional form: every level must have exactly the length the shape gives.
  let k = 0;
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      put(op, what, datatype, out, k++, node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const got = Array.isArray(node) ? `length ${node.length}` : describe(node);
      badRequest(
        op,
        `${what}: nested data does not match shape ${fmtShape(shape)}: data${path} should be an array of length ${shape[depth]}, got ${got}`,
      );
    }
    for (let j = 0; j < node.length; j++) walk(node[j], depth + 1, `${path}[${j}]`);
  };
  walk(data, 0, '');
  return out;
}

/** True when `shape` fits `spec` (same rank, every fixed dimension equal). */
export function shapeMatches(spec: readonly number[], shape: readonly number[]): boolean {
  if (spec.length !== shape.length) return false;
  for (let i = 0; i < spec.length; i++) if (spec[i] !== -1 && spec[i] !== shape[i]) return false;
  return true;
}

/**
 * Checks a request tensor against the model's declared input and converts its data, from JSON or, with
 * the binary extension, through `binary` (which decodes the tensor's raw bytes).
 */
export function decodeInput(
  op: string,
  spec: TensorSpec,
  t: JsonTensor,
  binary?: (what: string, datatype: Datatype, shape: readonly number[]) => TensorData,
): TensorValue {
  const what = `input '${spec.name}'`;
  if (t.datatype !== spec.datatype)
    badRequest(op, `${what}: expected datatype ${spec.datatype}, got ${t.datatype}`);
  if (!shapeMatches(spec.shape, t.shape)) {
    badRequest(op, `${what}: expected shape ${fmtShape(spec.shape)}, got ${fmtShape(t.shape)}`);
  }
  if (binary !== undefined) {
    if (t.data !== undefined) badRequest(op, `${what}: has both data and binary_data_size; send one`);
    return { shape: t.shape, data: binary(what, spec.datatype, t.shape) };
  }
  if (t.data === undefined) badRequest(op, `${what}: has no data (and no binary_data_size)`);
  return { shape: t.shape, data: decodeData(op, what, spec.datatype, t.shape, t.data) };
}

/** The flat JSON array for tensor data (typed arrays are not JSON arrays). */
export function toJsonData(data: TensorData): (number | boolean | string)[] {
  if (Array.isArray(data)) return data;
  if (data instanceof Uint8Array) return Array.from(data, (v) => v !== 0);
  return Array.from(data);
}

/** The datatype a model's output data actually has, to check it against its declared spec. */
export function datatypeOf(data: TensorData): Datatype {
  if (Array.isArray(data)) return 'BYTES';
  if (data instanceof Float32Array) return 'FP32';
  if (data instanceof Float64Array) return 'FP64';
  if (data instanceof Int32Array) return 'INT32';
  return 'BOOL';
}

/**
 * A NaN or infinite output is no answer (JSON would carry it as `null` in a 200): 422, naming the
 * output and the inputs that produced it. Float outputs only; integers and strings are always finite.
 */
export function checkFiniteOutput(
  op: string,
  output: string,
  data: TensorData,
  inputs: readonly string[],
  rowsOf?: number,
): void {
  if (!(data instanceof Float32Array || data instanceof Float64Array)) return;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (Number.isFinite(v)) continue;
    const row = rowsOf === undefined ? '' : ` (row ${Math.floor(i / rowsOf)})`;
    unprocessable(
      op,
      `output '${output}' is ${v} at index ${i}${row}: the model gives no finite answer for input ${inputs.map((n) => `'${n}'`).join(', ')}; check the input values (e.g. for overflow)`,
    );
  }
}
