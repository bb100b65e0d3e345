/**
 * Secure aggregation by pairwise additive masks (Bonawitz et al. 2017, "Practical Secure Aggregation for
 * Privacy-Preserving Machine Learning", the masking layer of its protocol). Every pair of clients (i, j)
 * agrees on a seed by X25519 Diffie-Hellman; i adds the seed's keystream if i < j and subtracts it
 * otherwise, so the masks cancel in the sum. Values are fixed-point integers modulo 2^32: a masked vector
 * is uniform on Z_{2^32}^d whatever the update, and the coordinator learns only the sum.
 *
 * Drop-outs: when j drops after i masked, i reveals s_ij (its seed with j only) and the coordinator removes
 * that term. This assumes an honest-but-curious coordinator; Bonawitz' self-masks with Shamir-shared seeds,
 * which protect against a coordinator that lies about who dropped, are not implemented (docs/decisions/privacy.md).
 */
import {
  createCipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { check, fail } from '../core/errors.ts';

/** Fixed-point scale: 2^24 units per 1.0, so |sum| must stay below 128 (checked when encoding). */
export const DEFAULT_SCALE = 2 ** 24;

export interface SecAggKeys {
  privateKey: KeyObject;
  /** Base64 DER (SPKI) public key, what the coordinator passes around. */
  publicKey: string;
}

export function generateKeys(): SecAggKeys {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') };
}

/** The pair's seed for one round: HKDF-SHA256 of the X25519 shared secret, bound to the round and the pair. */
export function pairSeed(
  mine: KeyObject,
  peerPublicKey: string,
  round: number,
  a: string,
  b: string,
): Buffer {
  const peer = createPublicKey({ key: Buffer.from(peerPublicKey, 'base64'), format: 'der', type: 'spki' });
  const secret = diffieHellman({ privateKey: mine, publicKey: peer });
  const [lo, hi] = a < b ? [a, b] : [b, a];
  return Buffer.from(
    hkdfSync('sha256', secret, Buffer.alloc(0), `tensorscript secagg v1 ${round} ${lo} ${hi}`, 32),
  );
}

/** d words of AES-256-CTR keystream from `seed` (the PRG every pair expands its seed with). */
export function keystream(seed: Buffer, d: number): Uint32Array {
  const c = createCipheriv('aes-256-ctr', seed, Buffer.alloc(16));
  const bytes = Buffer.concat([c.update(Buffer.alloc(d * 4)), c.final()]);
  return new Uint32Array(bytes.buffer, bytes.byteOffset, d).slice();
}

/** Fixed-point encoding mod 2^32 (two's complement); refuses values the sum could overflow. */
export function encode(values: ArrayLike<number>, scale = DEFAULT_SCALE): Uint32Array {
  const out = new Uint32Array(values.length);
  const lim = 2 ** 31 / scale;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v) || Math.abs(v) >= lim)
      fail(
        'secureAggregation',
        `value ${v} at ${i} is outside the fixed-point range (|v| < ${lim} at scale ${scale})`,
      );
    out[i] = Math.round(v * scale) >>> 0;
  }
  return out;
}

export function decode(words: Uint32Array, scale = DEFAULT_SCALE): Float64Array {
  const out = new Float64Array(words.length);
  for (let i = 0; i < words.length; i++) out[i] = (words[i]! | 0) / scale;
  return out;
}

/** Adds (sign +1) or subtracts (-1) `b` into `a` modulo 2^32. */
function addInto(a: Uint32Array, b: Uint32Array, sign: 1 | -1): void {
  for (let i = 0; i < a.length; i++) a[i] = (a[i]! + sign * b[i]!) >>> 0;
}

export interface Peer {
  id: string;
  publicKey: string;
}

/** Client side: the encoded update plus +mask for every peer with a larger id, -mask for a smaller one. */
export function maskUpdate(
  values: ArrayLike<number>,
  me: { id: string; keys: SecAggKeys },
  peers: readonly Peer[],
  round: number,
  scale = DEFAULT_SCALE,
): Uint32Array {
  const out = encode(values, scale);
  for (const p of peers) {
    if (p.id === me.id) continue;
    const seed = pairSeed(me.keys.privateKey, p.publicKey, round, me.id, p.id);
    addInto(out, keystream(seed, out.length), me.id < p.id ? 1 : -1);
  }
  return out;
}

/** Client side, after drop-outs: its seeds with the dropped peers (hex), so their masks can be removed. */
export function revealSeeds(
  me: { id: string; keys: SecAggKeys },
  dropped: readonly Peer[],
  round: number,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of dropped)
    out[p.id] = pairSeed(me.keys.privateKey, p.publicKey, round, me.id, p.id).toString('hex');
  return out;
}

/**
 * Coordinator side: the sum of the survivors' masked vectors with the masks of dropped peers removed.
 * `reveals[i][j]` is survivor i's seed with dropped j. Returns the decoded sum of the survivors' values.
 */
export function unmaskSum(
  masked: ReadonlyMap<string, Uint32Array>,
  reveals: ReadonlyMap<string, Record<string, string>>,
  dropped: readonly string[],
  scale = DEFAULT_SCALE,
): Float64Array {
  const first = masked.values().next().value;
  if (first === undefined) fail('secureAggregation', 'no masked updates to sum');
  const sum = new Uint32Array(first.length);
  for (const [id, v] of masked) {
    check(
      v.length === sum.length,
      'secureAggregation',
      () => `client ${id} sent ${v.length} values, expected ${sum.length}`,
    );
    addInto(sum, v, 1);
  }
  for (const i of masked.keys()) {
    if (dropped.length === 0) break;
    const r = reveals.get(i);
    if (r === undefined) fail('secureAggregation', `survivor ${i} revealed no seeds for the dropped clients`);
    for (const j of dropped) {
      const hex = r[j];
      if (hex === undefined)
        fail('secureAggregation', `survivor ${i} revealed no seed for dropped client ${j}`);
      // i added +stream when i < j: take it back out (and the reverse).
      addInto(sum, keystream(Buffer.from(hex, 'hex'), sum.length), i < j ? -1 : 1);
    }
  }
  return decode(sum, scale);
}
