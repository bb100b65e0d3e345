import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { fail } from '../core/errors.ts';
import { readFailure } from './read-errors.ts';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** An IDX array: row-major data with its shape (e.g. MNIST images [60000, 28, 28], labels [60000]). */
export interface IdxArray {
  shape: number[];
  data: IdxData;
}

// IDX element type codes (third magic byte) -> byte width and reader.
const TYPES: Record<number, { name: string; bytes: number }> = {
  8: { name: 'uint8', bytes: 1 },
  9: { name: 'int8', bytes: 1 },
  11: { name: 'int16', bytes: 2 },
  12: { name: 'int32', bytes: 4 },
  13: { name: 'float32', bytes: 4 },
  14: { name: 'float64', bytes: 8 },
};

/** Reads an IDX file (the MNIST format), gzip-compressed or not (detected from the gzip magic bytes). */
export async function readIdx(path: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    readFailure('readIdx', path, e);
  }
  return parseIdx(bytes, path);
}

/** Parses IDX bytes; `name` labels errors. */
export function parseIdx(bytes: Uint8Array, name = '<buffer>'): IdxArray {
  const op = 'readIdx';
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      fail(op, `${name}: gzip data is corrupt (${(e as Error).message})`);
    }
  }
  if (bytes.length < 4) fail(op, `${name}: expected at least a 4-byte header, got ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0)
    fail(
      op,
      `${name}: bad magic number, expected first two bytes 0x00 0x00, got 0x${hex(bytes[0]!)} 0x${hex(bytes[1]!)}`,
    );
  const type = TYPES[bytes[2]!];
  if (type === undefined) fail(op, `${name}: unknown element type code 0x${hex(bytes[2]!)}`);
  const ndim = bytes[3]!;
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen)
    fail(
      op,
      `${name}: truncated header, expected ${headerLen} bytes for ${ndim} dimensions, got ${bytes.length}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerLen + count * type.bytes;
  if (bytes.length < expected)
    fail(
      op,
      `${name}: truncated data, shape [${shape.join(',')}] of ${type.name} needs ${expected} bytes, got ${bytes.length}`,
    );
  if (bytes.length > expected)
    fail(
      op,
      `${name}: ${bytes.length - expected} unexpected trailing bytes after shape [${shape.join(',')}]`,
    );
  return { shape, data: decode(view, headerLen, count, type.name) };
}

function decode(view: DataView, offset: number, count: number, type: string): IdxData {
  switch (type) {
    case 'uint8':
      return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int8':
      return new Int8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    default: {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/** Encodes an IDX array (big-endian), e.g. for tests and for exporting data other tools read. */
export function encodeIdx(arr: IdxArray): Uint8Array {
  const code =
    arr.data instanceof Uint8Array
      ? 0x08
      : arr.data instanceof Int8Array
        ? 0x09
        : arr.data instanceof Int16Array
          ? 0x0b
          : arr.data instanceof Int32Array
            ? 0x0c
            : arr.data instanceof Float32Array
              ? 0x0d
              : 0x0e;
  const width = TYPES[code]!.bytes;
  const headerLen = 4 + 4 * arr.shape.length;
  const out = new Uint8Array(headerLen + arr.data.length * width);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = arr.shape.length;
  arr.shape.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  for (let i = 0; i < arr.data.length; i++) {
    const o = headerLen + i * width;
    const v = arr.data[i]!;
    if (code === 0x08) view.setUint8(o, v);
    else if (code === 0x09) view.setInt8(o, v);
    else if (code === 0x0b) view.setInt16(o, v, false);
    else if (code === 0x0c) view.setInt32(o, v, false);
    else if (code === 0x0d) view.setFloat32(o, v, false);
    else view.setFloat64(o, v, false);
  }
  return out;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
