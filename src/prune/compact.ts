/**
 * A pruned model's weights stored compactly, as ordinary safetensors contents: each pruned tensor `name` becomes
 * `name::values` (its kept entries in row-major order, 1-D, the tensor's dtype) and `name::mask` (its mask, one bit
 * per entry packed into int32 words: bit i % 32 of word i / 32, 1 = kept), and the metadata says which tensors
 * are so stored and their shapes. Every other tensor is stored as it is. 90%-sparse float32 weights take
 * 0.1 * 4 + 1/8 bytes per entry instead of 4 (0.13x). The mask is the pruning mask itself, not "w != 0", so a
 * loaded model can be fine-tuned on with the same masks. Pruned entries load as +0, which is what applyMasks
 * writes, so a model pruned here round-trips bit for bit. See docs/decisions/pruning.md for the alternatives.
 *
 * These are tensors and metadata, not bytes: write them with io.saveSafetensors (Node), read them back with
 * io.loadSafetensors, so this module stays usable in browsers.
 */

import type { DType } from '../core/dtype.ts';
import { check, fail, fmtShape } from '../core/errors.ts';
import { tensor } from '../tensor/creation.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** The `format` metadata value of a compact pruned file. */
export const COMPACT_FORMAT = 'tensorscript-pruned-bitmask';
export const COMPACT_VERSION = '1';
const VALUES = '::values';
const MASK = '::mask';

export interface CompactContents {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** Whether safetensors metadata marks a compact pruned file. */
export function isCompact(metadata: Record<string, string>): boolean {
  return metadata.format === COMPACT_FORMAT;
}

/**
 * The compact form of a state dict whose tensors named in `masks` are pruned (getMasks(model) gives them). Fails
 * when a pruned entry is not zero: the masks were not applied, and the value would be lost.
 */
export function compactStateDict(
  stateDict: Record<string, Tensor>,
  masks: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): CompactContents {
  const op = 'prune.compactStateDict';
  check(
    metadata.format === undefined && metadata.pruned === undefined,
    op,
    () => 'metadata keys "format" and "pruned" are the compact format\'s own',
  );
  const tensors: Record<string, Tensor> = {};
  const pruned: Record<string, number[]> = {};
  for (const name of Object.keys(masks))
    if (stateDict[name] === undefined) fail(op, `a mask names "${name}", which the state dict lacks`);
  for (const [name, t] of Object.entries(stateDict)) {
    check(!name.includes('::'), op, () => `tensor name "${name}" contains "::", which the format reserves`);
    const m = masks[name];
    if (m === undefined) {
      tensors[name] = t;
      continue;
    }
    check(
      t.dtype === 'float32' || t.dtype === 'float64',
      op,
      () => `"${name}" is ${t.dtype}; only floating-point tensors are stored pruned`,
    );
    check(
      m.shape.length === t.shape.length && m.shape.every((d, i) => d === t.shape[i]),
      op,
      () => `the mask of "${name}" has shape ${fmtShape(m.shape)}, the tensor ${fmtShape(t.shape)}`,
    );
    const w = t.toTypedArray() as Float32Array | Float64Array;
    const k = m.toTypedArray();
    const n = w.length;
    const bits = new Int32Array(Math.ceil(n / 32));
    let nnz = 0;
    for (let i = 0; i < n; i++) {
      if (k[i]) {
        bits[i >>> 5]! |= 1 << (i & 31);
        nnz++;
      } else if (w[i] !== 0)
        fail(op, `"${name}"[${i}] = ${w[i]} where its mask prunes; apply the masks first (prune.applyMasks)`);
    }
    const values = t.dtype === 'float64' ? new Float64Array(nnz) : new Float32Array(nnz);
    for (let i = 0, j = 0; i < n; i++) if (k[i]) values[j++] = w[i]!;
    tensors[name + VALUES] = tensor(values, { shape: [nnz], dtype: t.dtype });
    tensors[name + MASK] = tensor(bits, { shape: [bits.length], dtype: 'int32' });
    pruned[name] = [...t.shape];
  }
  return {
    tensors,
    metadata: {
      ...metadata,
      format: COMPACT_FORMAT,
      version: COMPACT_VERSION,
      pruned: JSON.stringify(pruned),
    },
  };
}

/**
 * The dense state dict and the masks of compact contents (what io.loadSafetensors read from a file that
 * compactStateDict wrote). Load the state dict into the model, then `prune.setMasks(model, masks)` to keep
 * training with them. Contents without the marker are returned as they are, with no masks.
 */
export function expandStateDict(contents: CompactContents): {
  stateDict: Record<string, Tensor>;
  masks: Record<string, Tensor>;
} {
  const op = 'prune.expandStateDict';
  const { tensors, metadata } = contents;
  if (!isCompact(metadata)) return { stateDict: { ...tensors }, masks: {} };
  check(
    metadata.version === COMPACT_VERSION,
    op,
    () =>
      `compact format version ${JSON.stringify(metadata.version)} is not supported (expected ${COMPACT_VERSION})`,
  );
  let pruned: Record<string, number[]>;
  try {
    pruned = JSON.parse(metadata.pruned ?? '') as Record<string, number[]>;
  } catch {
    fail(op, `metadata "pruned" is not JSON: ${String(metadata.pruned).slice(0, 80)}`);
  }
  const stateDict: Record<string, Tensor> = {};
  const masks: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(tensors))
    if (!name.endsWith(VALUES) && !name.endsWith(MASK)) stateDict[name] = t;
  for (const [name, shape] of Object.entries(pruned)) {
    const v = tensors[name + VALUES];
    const b = tensors[name + MASK];
    if (v === undefined || b === undefined)
      fail(op, `"${name}" is listed as pruned but its values or mask is missing`);
    check(
      Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0),
      op,
      () => `"${name}" has a bad shape ${JSON.stringify(shape)}`,
    );
    const n = shape.reduce((a, d) => a * d, 1);
    check(
      b.dtype === 'int32' && b.ndim === 1 && b.shape[0] === Math.ceil(n / 32),
      op,
      () =>
        `the mask of "${name}" must be ${Math.ceil(n / 32)} int32 words, got ${b.dtype} ${fmtShape(b.shape)}`,
    );
    const bits = b.toTypedArray() as Int32Array;
    const keepFlags = new Uint8Array(n);
    let nnz = 0;
    for (let i = 0; i < n; i++)
      if ((bits[i >>> 5]! >>> (i & 31)) & 1) {
        keepFlags[i] = 1;
        nnz++;
      }
    check(
      v.ndim === 1 && v.shape[0] === nnz,
      op,
      () => `"${name}" keeps ${nnz} entries by its mask but stores ${fmtShape(v.shape)} values`,
    );
    const dtype: DType = v.dtype;
    check(dtype === 'float32' || dtype === 'float64', op, () => `"${name}" values are ${dtype}`);
    const vals = v.toTypedArray() as Float32Array | Float64Array;
    const dense = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0, j = 0; i < n; i++) if (keepFlags[i]) dense[i] = vals[j++]!;
    stateDict[name] = tensor(dense, { shape, dtype });
    masks[name] = tensor(keepFlags, { shape, dtype: 'bool' });
  }
  return { stateDict, masks };
}
