/**
 * Encryption at rest: AES-256-GCM through node:crypto. Each file is sealed on its own, with its place in
 * the bundle (version directory and file name) as associated data, so files cannot be swapped between
 * bundles or versions unnoticed. Layout of a sealed file:
 *
 *   "TSENC" 0x01 | key id (8) | IV (12) | plaintext length (8, big-endian) | GCM tag (16) | ciphertext
 *
 * The header is authenticated too. The key id (HMAC-SHA256 of a fixed label) tells a wrong key apart from
 * a modified file without revealing the key; the length tells a truncated file apart from a flipped byte.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TensorScriptError } from '../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../core/options.ts';

const MAGIC = Buffer.from([0x54, 0x53, 0x45, 0x4e, 0x43, 0x01]); // "TSENC" v1
const KEY_ID = 8;
const IV = 12;
const LEN = 8;
const TAG = 16;
const HEADER = MAGIC.length + KEY_ID + IV + LEN;

/** Where the 32-byte key comes from: exactly one of them. Files and variables hold hex (64 digits) or base64. */
export interface EncryptionOptions {
  key?: Uint8Array;
  keyFile?: string;
  keyEnv?: string;
}
const KEYS = optionKeys<EncryptionOptions>({ key: true, keyFile: true, keyEnv: true });

/** A resolved key with its id (what a sealed header names). */
export interface EncryptionKey {
  readonly bytes: Buffer;
  readonly id: Buffer;
}

const OP = 'encryption';

function fail(message: string): never {
  throw new TensorScriptError(OP, message);
}

function parseKeyText(text: string, where: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  const b = Buffer.from(t, 'base64');
  if (b.length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(t)) return b;
  return fail(`${where}: expected a 32-byte key as 64 hex digits or base64, got ${t.length} characters`);
}

/** Resolves the key of `opts` (32 bytes, from the bytes, a file or an environment variable). */
export function resolveKey(opts: EncryptionOptions): EncryptionKey {
  checkOptionKeys(OP, opts, KEYS);
  const given = KEYS.filter((k) => opts[k as keyof EncryptionOptions] !== undefined);
  if (given.length !== 1)
    fail(`give exactly one of key, keyFile, keyEnv (got ${given.join(', ') || 'none'})`);
  let bytes: Buffer;
  if (opts.key !== undefined) bytes = Buffer.from(opts.key);
  else if (opts.keyFile !== undefined) {
    let raw: Buffer;
    try {
      raw = readFileSync(opts.keyFile);
    } catch (e) {
      return fail(`cannot read key file ${opts.keyFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    bytes = raw.length === 32 ? raw : parseKeyText(raw.toString('utf8'), `key file ${opts.keyFile}`);
  } else {
    const v = process.env[opts.keyEnv!];
    if (v === undefined || v === '')
      fail(`environment variable ${opts.keyEnv} is not set (it should hold the key)`);
    bytes = parseKeyText(v, `environment variable ${opts.keyEnv}`);
  }
  if (bytes.length !== 32) fail(`AES-256 needs a 32-byte key, got ${bytes.length} bytes`);
  const id = createHmac('sha256', bytes).update('tensorscript key id v1').digest().subarray(0, KEY_ID);
  return { bytes, id };
}

/** A fresh random key (for `tensorscript` users: write it to a file readable only by the service). */
export function generateKey(): Buffer {
  return randomBytes(32);
}

/** True when `data` starts with the sealed-file magic. */
export function isSealed(data: Uint8Array): boolean {
  return data.length >= MAGIC.length && Buffer.from(data.subarray(0, MAGIC.length)).equals(MAGIC);
}

/** Encrypts `plain`; `context` (e.g. "v-000001-x/model.safetensors") is bound as associated data. */
export function seal(plain: Uint8Array | string, context: string, key: EncryptionKey): Buffer {
  const data = typeof plain === 'string' ? Buffer.from(plain, 'utf8') : Buffer.from(plain);
  const iv = randomBytes(IV);
  const len = Buffer.alloc(LEN);
  len.writeBigUInt64BE(BigInt(data.length));
  const header = Buffer.concat([MAGIC, key.id, iv, len]);
  const c = createCipheriv('aes-256-gcm', key.bytes, iv);
  c.setAAD(Buffer.concat([header, Buffer.from(context, 'utf8')]));
  const body = Buffer.concat([c.update(data), c.final()]);
  return Buffer.concat([header, c.getAuthTag(), body]);
}

/**
 * Decrypts and authenticates a sealed file; any problem is a TensorScriptError naming `file` and what is
 * wrong (not encrypted, wrong key, truncated, modified). Nothing is returned unless the tag verifies.
 */
export function open(data: Uint8Array, context: string, key: EncryptionKey, file: string): Buffer {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (!isSealed(buf))
    fail(`${file} is not an encrypted TensorScript file (no TSENC header); was it saved without encryption?`);
  if (buf.length < HEADER + TAG)
    fail(`${file} is truncated: ${buf.length} bytes, shorter than the ${HEADER + TAG}-byte header`);
  const header = buf.subarray(0, HEADER);
  const id = header.subarray(MAGIC.length, MAGIC.length + KEY_ID);
  if (!id.equals(key.id))
    fail(
      `${file} was encrypted with a different key (key id ${id.toString('hex')}, the given key's is ${key.id.toString('hex')})`,
    );
  const iv = header.subarray(MAGIC.length + KEY_ID, MAGIC.length + KEY_ID + IV);
  const want = header.readBigUInt64BE(MAGIC.length + KEY_ID + IV);
  const tag = buf.subarray(HEADER, HEADER + TAG);
  const body = buf.subarray(HEADER + TAG);
  if (BigInt(body.length) < want)
    fail(`${file} is truncated: ${body.length} of ${want} encrypted bytes present`);
  if (BigInt(body.length) > want)
    fail(`${file} has ${BigInt(body.length) - want} bytes more than its header declares (modified)`);
  const d = createDecipheriv('aes-256-gcm', key.bytes, iv);
  d.setAAD(Buffer.concat([header, Buffer.from(context, 'utf8')]));
  d.setAuthTag(tag);
  try {
    return Buffer.concat([d.update(body), d.final()]);
  } catch {
    return fail(
      `${file} failed authentication (AES-256-GCM tag mismatch): its contents were modified, or it was moved from another bundle`,
    );
  }
}
