/**
 * The safetensors format (Hugging Face): an 8-byte little-endian u64 header length N, N bytes of UTF-8
 * JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}` padded
 * with spaces so the data starts 8-byte aligned, then the tensors' raw little-endian bytes in row-major
 * order. Offsets are relative to the start of the data and must tile it exactly (no holes, no overlap).
 *
 * We write F32, F64, I32 and BOOL, and I8 for int32 tensors marked with storeAsInt8 (int8 quantized
 * weights: docs/decisions/quantization.md). We read those and also F16/BF16 (as float32) and the other
 * integer types (as int32, refusing values outside int32's range): PyTorch writes num_batches_tracked as I64.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DType, TypedArray } from '../core/dtype.ts';
import { check, fail, fmtShape } from '../core/errors.ts';
import { tensor } from '../tensor/creation.ts';
import { Tensor } from '../tensor/tensor.ts';

export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  /** The `__metadata__` map (string to string), empty when the file has none. */
  metadata: Record<string, string>;
}

const WRITE_CODE: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };
const ELEMENT_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F16: 2,
  BF16: 2,
  I16: 2,
  U16: 2,
  F32: 4,
  I32: 4,
  U32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};
/**
 * Int32 tensors written as I8, one byte a value: the compact storage of int8 weights, which live in
 * memory as int32 tensors (DType has no int8) and are read back as int32 like any I8 file.
 */
const INT8_STORAGE = new WeakSet<Tensor>();

/** Marks an int32 tensor to be written as I8; serialization refuses it if a value leaves [-128, 127]. */
export function storeAsInt8<T extends Tensor>(t: T): T {
  check(t.dtype === 'int32', 'storeAsInt8', () => `only int32 tensors can be stored as I8, got ${t.dtype}`);
  INT8_STORAGE.add(t);
  return t;
}

function writeCode(t: Tensor): string {
  return INT8_STORAGE.has(t) ? 'I8' : WRITE_CODE[t.dtype];
}

/** Largest header accepted, as the reference implementation (guards against hostile files). */
const MAX_HEADER = 100 * 1024 * 1024;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Serialises tensors (and string metadata) to safetensors bytes. Tensors are written row-major. */
export function serializeSafetensors(
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const op = 'serializeSafetensors';
  for (const [k, v] of Object.entries(metadata))
    check(typeof v === 'string', op, () => `metadata values must be strings, got ${typeof v} for "${k}"`);
  const names = Object.keys(tensors);
  for (const n of names) {
    check(n !== '__metadata__', op, () => 'a tensor cannot be named "__metadata__"');
    check(tensors[n] instanceof Tensor, op, () => `"${n}" is not a Tensor`);
  }
  // The reference writer's order: larger elements first (keeps every tensor aligned), then by name.
  const size = (n: string) => ELEMENT_BYTES[writeCode(tensors[n]!)]!;
  names.sort((a, b) => size(b) - size(a) || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const n of names) {
    const t = tensors[n]!;
    const code = writeCode(t);
    const bytes = code === 'I8' ? int8Bytes(n, t) : toLittleEndianBytes(t.toTypedArray());
    header[n] = {
      dtype: code,
      shape: [...t.shape],
      data_offsets: [offset, offset + bytes.length],
    };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - (hb.length % 8)) % 8;
  if (pad > 0) {
    json += ' '.repeat(pad);
    hb = enc.encode(json);
  }
  const out = new Uint8Array(8 + hb.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

function int8Bytes(name: string, t: Tensor): Uint8Array {
  const a = t.toTypedArray();
  const out = new Int8Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v < -128 || v > 127)
      fail('serializeSafetensors', `"${name}" is stored as I8 but holds ${v} at element ${i}`);
    out[i] = v;
  }
  return new Uint8Array(out.buffer);
}

function toLittleEndianBytes(a: TypedArray): Uint8Array {
  if (LITTLE_ENDIAN || a instanceof Uint8Array) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) dv.setFloat32(i * 4, a[i]!, true);
    else if (a instanceof Float64Array) dv.setFloat64(i * 8, a[i]!, true);
    else dv.setInt32(i * 4, a[i]!, true);
  }
  return out;
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Parses safetensors bytes, validating the header against the data before reading anything. */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors data'): SafetensorsContents {
  const op = 'loadSafetensors';
  const bad = (msg: string): never => fail(op, `${source}: ${msg}`);
  if (bytes.length < 8) bad(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(Math.min(MAX_HEADER, bytes.length - 8)))
    bad(`header length ${n64} exceeds the file (${bytes.length} bytes) or the ${MAX_HEADER}-byte limit`);
  const n = Number(n64);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    bad(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    bad('header must be a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
        bad('__metadata__ must be an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') bad(`__metadata__.${k} must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v as string;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info === null || typeof info !== 'object') bad(`entry "${name}" must be an object`);
    const dtype = info.dtype;
    if (typeof dtype !== 'string' || !(dtype in ELEMENT_BYTES))
      bad(
        `tensor "${name}": unsupported dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(ELEMENT_BYTES).join(', ')})`,
      );
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      bad(`tensor "${name}": shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0))
      bad(`tensor "${name}": data_offsets must be [begin, end], got ${JSON.stringify(offs)}`);
    const [begin, end] = offs as [number, number];
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const want = numel * ELEMENT_BYTES[dtype as string]!;
    if (end < begin || end - begin !== want)
      bad(
        `tensor "${name}": data_offsets [${begin}, ${end}] hold ${end - begin} bytes, shape ${fmtShape(shape as number[])} of ${dtype} needs ${want}`,
      );
    if (end > dataLen) bad(`tensor "${name}": data_offsets end ${end} is past the data (${dataLen} bytes)`);
    entries.push({ name, dtype: dtype as string, shape: shape as number[], begin, end });
  }
  // The data must be tiled exactly: sorted by offset, each tensor starts where the previous ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin !== pos)
      bad(`tensor "${e.name}" starts at ${e.begin}, expected ${pos} (holes or overlaps in data_offsets)`);
    pos = e.end;
  }
  if (pos !== dataLen) bad(`the tensors cover ${pos} bytes of data but the file has ${dataLen}`);
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    const { data, dtype } = decode(e, raw, bad);
    tensors[e.name] = tensor(data, { shape: e.shape, dtype });
  }
  return { tensors, metadata };
}

function decode(e: Entry, raw: Uint8Array, bad: (m: string) => never): { data: TypedArray; dtype: DType } {
  const count = raw.length / ELEMENT_BYTES[e.dtype]!;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  // A fresh, exactly sized copy: the typed array views need element alignment, and a Node Buffer's
  // slice() would share (not copy) its pooled memory.
  const aligned = (_k: number) => new Uint8Array(raw).buffer;
  switch (e.dtype) {
    case 'F32':
      return {
        data: LITTLE_ENDIAN ? new Float32Array(aligned(4)) : mapF(count, (i) => dv.getFloat32(i * 4, true)),
        dtype: 'float32',
      };
    case 'F64':
      return {
        data: LITTLE_ENDIAN ? new Float64Array(aligned(8)) : mapD(count, (i) => dv.getFloat64(i * 8, true)),
        dtype: 'float64',
      };
    case 'F16':
      return { data: mapF(count, (i) => half(dv.getUint16(i * 2, true))), dtype: 'float32' };
    case 'BF16':
      return { data: mapF(count, (i) => bf16(dv.getUint16(i * 2, true))), dtype: 'float32' };
    case 'BOOL':
      return { data: Uint8Array.from(raw, (b) => (b !== 0 ? 1 : 0)), dtype: 'bool' };
    case 'I32':
      return {
        data: LITTLE_ENDIAN ? new Int32Array(aligned(4)) : mapI(count, (i) => dv.getInt32(i * 4, true)),
        dtype: 'int32',
      };
    case 'I8':
      return { data: mapI(count, (i) => dv.getInt8(i)), dtype: 'int32' };
    case 'U8':
      return { data: mapI(count, (i) => dv.getUint8(i)), dtype: 'int32' };
    case 'I16':
      return { data: mapI(count, (i) => dv.getInt16(i * 2, true)), dtype: 'int32' };
    case 'U16':
      return { data: mapI(count, (i) => dv.getUint16(i * 2, true)), dtype: 'int32' };
    default: {
      // I64, U64, U32: narrowed to int32, refusing what does not fit.
      const read =
        e.dtype === 'U32'
          ? (i: number) => BigInt(dv.getUint32(i * 4, true))
          : e.dtype === 'I64'
            ? (i: number) => dv.getBigInt64(i * 8, true)
            : (i: number) => dv.getBigUint64(i * 8, true);
      return {
        data: mapI(count, (i) => {
          const v = read(i);
          if (v > 2147483647n || v < -2147483648n)
            bad(`tensor "${e.name}": ${e.dtype} value ${v} at index ${i} does not fit in int32`);
          return Number(v);
        }),
        dtype: 'int32',
      };
    }
  }
}

function mapF(n: number, f: (i: number) => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}
function mapD(n: number, f: (i: number) => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}
function mapI(n: number, f: (i: number) => number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}

/** IEEE half to number. */
function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f === 0 ? s * Number.POSITIVE_INFINITY : Number.NaN;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** bfloat16 is the top half of a float32. */
function bf16(h: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setUint32(0, h << 16);
  return b.getFloat32(0);
}

/**
 * Writes a safetensors file atomically: a temporary file in the same directory, fsync, then rename over
 * the target (and a best-effort fsync of the directory), so a crash leaves the old file or the new one.
 */
export function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

/** Reads a safetensors file: its tensors (dtype as stored, see the module comment) and metadata. */
export function loadSafetensors(path: string): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    fail('loadSafetensors', `cannot read ${path}: ${(e as Error).message}`);
  }
  return parseSafetensors(bytes, path);
}

/** Atomic write used for weights and checkpoints: temp file in the target's directory, fsync, rename. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const dir = dirname(path);
  const tmp = join(
    dir,
    `.${basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`,
  );
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w', 0o644);
    const buf = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    fail('writeFileAtomic', `cannot write ${path}: ${(e as Error).message}`);
  }
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename itself is still atomic.
  }
}
