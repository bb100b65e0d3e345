import { endianness } from 'node:os';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fmtShape } from '../core/errors.ts';
import { badRequest } from './errors.ts';
import type { Datatype, TensorData } from './model.ts';
import { MAX_ELEMENTS, shapeSize } from './tensors.ts';

/**
 * The binary tensor data extension of the Open Inference Protocol (KServe/Triton): a request or answer
 * body is a JSON object followed by raw little-endian tensor bytes; the `Inference-Header-Content-Length`
 * header gives the JSON part's length, and `binary_data_size` parameters give each tensor's bytes, in
 * the order the tensors are listed. BOOL is one byte (0/1); BYTES elements are a 4-byte little-endian
 * length followed by the bytes.
 */
export const HEADER_LENGTH = 'inference-header-content-length';

const BYTES_PER: Record<Exclude<Datatype, 'BYTES'>, number> = { FP32: 4, FP64: 8, INT32: 4, BOOL: 1 };

// Typed arrays use the machine's byte order; the wire format is little-endian.
if (endianness() !== 'LE')
  throw new Error('[serve] the binary tensor extension needs a little-endian machine');

const binaryParts = new WeakMap<object, Buffer>();

/** The bytes that followed the JSON object of this request, if it used the binary extension. */
export function binaryOf(req: FastifyRequest): Buffer | undefined {
  return binaryParts.get(req);
}

/**
 * Deepest nesting a request body may have. Real requests need about 40 levels at most (a rank-32 tensor
 * as nested arrays inside `inputs`); an attacker's 4 million `[` in an ignored field would otherwise cost
 * JSON.parse seconds of blocked event loop and hundreds of MB before the schema check.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The byte offset where the JSON text in `b` first nests deeper than `max`, or -1. One pass over the
 * bytes, skipping strings (brackets inside them do not count); UTF-8 continuation bytes are all >= 0x80
 * so they never look like a bracket or a quote.
 */
export function depthExceededAt(b: Uint8Array, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}

type ParserError = Error & { statusCode: number };

function parserError(status: number, message: string): ParserError {
  const err = new Error(message) as ParserError;
  err.statusCode = status;
  return err;
}

/** 415 for a body the server would misread: compressed, or in a charset other than UTF-8. */
function unreadableBody(req: FastifyRequest): ParserError | undefined {
  const enc = req.headers['content-encoding'];
  if (enc !== undefined && enc.trim().toLowerCase() !== 'identity') {
    return parserError(
      415,
      `Content-Encoding ${JSON.stringify(enc)} is not supported; send the body uncompressed`,
    );
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    return parserError(415, `charset ${JSON.stringify(charset)} is not supported; send UTF-8 JSON`);
  }
  return undefined;
}

/**
 * JSON parsing that also understands `JSON + binary` bodies: with the extension header, the body is split
 * there (for application/json and application/octet-stream alike); the JSON part is checked for nesting
 * depth, then goes through fastify's own parser (prototype-poisoning checks included).
 */
export function registerBinaryBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const parseChecked = (
    req: FastifyRequest,
    json: Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ): void => {
    const at = depthExceededAt(json, MAX_JSON_DEPTH);
    if (at >= 0) {
      done(parserError(400, `JSON body nests deeper than ${MAX_JSON_DEPTH} levels (at byte ${at})`));
      return;
    }
    parseJson(req, json.toString('utf8'), done);
  };
  const parser = (req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
    const unreadable = unreadableBody(req);
    if (unreadable !== undefined) {
      done(unreadable);
      return;
    }
    const header = req.headers[HEADER_LENGTH];
    if (header === undefined) {
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
        done(parserError(400, `application/octet-stream bodies need the ${HEADER_LENGTH} header`));
        return;
      }
      parseChecked(req, body, done);
      return;
    }
    const n = Number(header);
    if (!Number.isInteger(n) || n < 0 || n > body.length) {
      done(
        parserError(
          400,
          `${HEADER_LENGTH} is ${JSON.stringify(header)}; expected an integer from 0 to the body length ${body.length}`,
        ),
      );
      return;
    }
    binaryParts.set(req, body.subarray(n));
    parseChecked(req, body.subarray(0, n), done);
  };
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parser);
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, parser);
}

/** Reads one tensor's raw bytes into its typed array (copying: the slice may be unaligned), checking values. */
export function decodeBinary(
  op: string,
  what: string,
  datatype: Datatype,
  shape: readonly number[],
  bytes: Buffer,
): TensorData {
  const n = shapeSize(shape);
  if (n > MAX_ELEMENTS)
    badRequest(op, `${what}: shape ${fmtShape(shape)} has ${n} elements, limit ${MAX_ELEMENTS}`);
  if (datatype === 'BYTES') return decodeBytes(op, what, n, bytes);
  const size = n * BYTES_PER[datatype];
  if (bytes.length !== size) {
    badRequest(
      op,
      `${what}: shape ${fmtShape(shape)} of ${datatype} needs ${size} bytes, binary_data_size is ${bytes.length}`,
    );
  }
  const out =
    datatype === 'FP32'
      ? new Float32Array(n)
      : datatype === 'FP64'
        ? new Float64Array(n)
        : datatype === 'INT32'
          ? new Int32Array(n)
          : new Uint8Array(n);
  new Uint8Array(out.buffer).set(bytes);
  if (datatype === 'FP32' || datatype === 'FP64') {
    for (let i = 0; i < n; i++) {
      const v = out[i]!;
      if (!Number.isFinite(v))
        badRequest(op, `${what}: value at index ${i} is ${v}, expected a finite number`);
    }
  } else if (datatype === 'BOOL') {
    for (let i = 0; i < n; i++) {
      if (out[i]! > 1) badRequest(op, `${what}: BOOL byte at index ${i} is ${out[i]}, expected 0 or 1`);
    }
  }
  return out;
}

function decodeBytes(op: string, what: string, n: number, bytes: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length)
      badRequest(op, `${what}: BYTES element ${out.length} has a truncated length prefix`);
    const len = bytes.readUInt32LE(at);
    at += 4;
    if (at + len > bytes.length) {
      badRequest(op, `${what}: BYTES element ${out.length} needs ${len} bytes, ${bytes.length - at} remain`);
    }
    out.push(bytes.toString('utf8', at, at + len));
    at += len;
    if (out.length > n) break;
  }
  if (out.length !== n)
    badRequest(op, `${what}: expected ${n} BYTES elements, the binary data holds ${out.length}`);
  return out;
}

/** Raw little-endian bytes of an output tensor. */
export function encodeBinary(data: TensorData): Buffer {
  if (Array.isArray(data)) {
    const parts: Buffer[] = [];
    for (const s of data) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32LE(b.length, 0);
      parts.push(len, b);
    }
    return Buffer.concat(parts);
  }
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Checks every `binary_data_size` against the bytes that came, and hands out each tensor's slice in order. */
export function sliceBinary(
  op: string,
  inputs: readonly { name: string; parameters?: Record<string, unknown> }[],
  binary: Buffer | undefined,
): Map<string, Buffer> {
  const slices = new Map<string, Buffer>();
  let at = 0;
  for (const t of inputs) {
    const size = t.parameters?.binary_data_size;
    if (size === undefined) continue;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
      badRequest(
        op,
        `input '${t.name}': binary_data_size must be a non-negative integer, got ${JSON.stringify(size)}`,
      );
    }
    if (binary === undefined) {
      badRequest(op, `input '${t.name}' has binary_data_size but the request has no ${HEADER_LENGTH} header`);
    }
    if (at + size > binary.length) {
      badRequest(
        op,
        `input '${t.name}': binary_data_size ${size} runs past the ${binary.length} bytes of binary data`,
      );
    }
    slices.set(t.name, binary.subarray(at, at + size));
    at += size;
  }
  if (binary !== undefined && at !== binary.length) {
    badRequest(
      op,
      `the request carries ${binary.length} bytes of binary data, its inputs' binary_data_size add up to ${at}`,
    );
  }
  return slices;
}
