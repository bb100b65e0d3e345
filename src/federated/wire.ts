/** What coordinator and clients exchange: JSON bodies with typed arrays as base64 of their bytes. */
import { noGrad } from '../autograd/node.ts';
import { fail } from '../core/errors.ts';
import type { AnyModule, ModuleConfig } from '../nn/module.ts';
import { tensor } from '../tensor/creation.ts';

export function toBase64(a: Float32Array | Uint32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function float32FromBase64(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function uint32FromBase64(s: string): Uint32Array {
  const b = Buffer.from(s, 'base64');
  return new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Every trainable parameter, in namedParameters order, as one flat vector. */
export function flatWeights(m: AnyModule): Float32Array {
  const ps = m.parameters();
  const out = new Float32Array(ps.reduce((s, p) => s + p.size, 0));
  let o = 0;
  for (const p of ps) {
    out.set(p.toTypedArray() as ArrayLike<number>, o);
    o += p.size;
  }
  return out;
}

/** Writes a flat vector back into the parameters (same order as flatWeights). */
export function setFlatWeights(m: AnyModule, w: Float32Array): void {
  const ps = m.parameters();
  const n = ps.reduce((s, p) => s + p.size, 0);
  if (n !== w.length) fail('federated', `got ${w.length} weights, the model has ${n}`);
  noGrad(() => {
    let o = 0;
    for (const p of ps) {
      p.copy_(tensor(w.slice(o, o + p.size), { shape: p.shape, dtype: p.dtype }));
      o += p.size;
    }
  });
}

export interface RegisterRequest {
  numSamples: number;
  /** X25519 public key (base64 SPKI) for secure aggregation; absent without it. */
  publicKey?: string;
}

export interface TrainTask {
  state: 'train';
  round: number;
  model: ModuleConfig;
  weights: string;
  epochs: number;
  batchSize: number;
  lr: number;
  /** FedProx' proximal weight mu (0: FedAvg). */
  proximalMu: number;
  /** This client's weight in the round: its samples over the cohort's. */
  weight: number;
  secure: boolean;
  /** The cohort's public keys (secure aggregation). */
  peers: { id: string; publicKey: string }[];
  /** Milliseconds left before the coordinator stops waiting. */
  deadlineMs: number;
}

export interface RevealTask {
  state: 'reveal';
  round: number;
  dropped: { id: string; publicKey: string }[];
}

export type Task = TrainTask | RevealTask | { state: 'wait' } | { state: 'done' };
