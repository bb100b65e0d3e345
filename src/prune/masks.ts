/**
 * Unstructured magnitude pruning (torch.nn.utils.prune's l1_unstructured and global_unstructured) without
 * reparametrising the module: a mask is attached to the Parameter itself (a WeakMap, so the model's state dict,
 * config and forward stay those of an ordinary model), and `applyMasks` writes +0 into the pruned entries.
 * Whoever updates the weights (fit's PruningCallback, a hand-written loop) calls it after each optimizer step.
 * See docs/decisions/pruning.md.
 */
import { noGrad } from '../autograd/node.ts';
import { check, fail, fmtShape } from '../core/errors.ts';
import type { AnyModule } from '../nn/module.ts';
import type { Parameter } from '../nn/parameter.ts';
import { tensor } from '../tensor/creation.ts';
import { keep } from '../tensor/lifecycle.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** A parameter's mask: `keep` is true where the weight lives (torch's weight_mask == 1), `pruned` its negation. */
interface MaskEntry {
  keep: Tensor;
  pruned: Tensor;
}

const masks = new WeakMap<Tensor, MaskEntry>();

/** Python's round (half to even), which torch uses to turn a fraction into a count of weights to prune. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** How many of `n` weights an `amount` prunes: a fraction in [0, 1] (rounded as torch does) or a count. */
export function pruneCount(op: string, amount: number, n: number): number {
  check(Number.isFinite(amount) && amount >= 0, op, () => `amount must be a number >= 0, got ${amount}`);
  // torch tells a fraction (float) from a count (int) by type; JavaScript cannot, so up to 1 is a fraction.
  if (amount <= 1) return roundHalfEven(amount * n);
  check(Number.isInteger(amount), op, () => `amount > 1 must be a whole count of weights, got ${amount}`);
  check(amount <= n, op, () => `amount ${amount} is more than the ${n} weights there are`);
  return amount;
}

function param(op: string, module: AnyModule, name: string): Parameter {
  const p = module.getParameter(name);
  if (p === null) fail(op, `${module.constructor.name} has no parameter "${name}"`);
  check(
    p.dtype === 'float32' || p.dtype === 'float64',
    op,
    () => `"${name}" is ${p.dtype}; only floating-point weights are pruned`,
  );
  return p;
}

/** The mask of a parameter (true = kept), or null when it is not pruned. */
export function maskOf(p: Tensor): Tensor | null {
  return masks.get(p)?.keep ?? null;
}

/** Attaches `mask` (bool or 0/1, the parameter's shape; copied) to a parameter and zeroes what it prunes. */
export function setMask(p: Tensor, mask: Tensor): void {
  check(
    mask.shape.length === p.shape.length && mask.shape.every((d, i) => d === p.shape[i]),
    'setMask',
    () => `the mask has shape ${fmtShape(mask.shape)}, the parameter ${fmtShape(p.shape)}`,
  );
  noGrad(() => {
    const k = keep(mask.dtype === 'bool' ? mask.clone() : mask.ne(0));
    const entry = { keep: k, pruned: keep(k.logicalNot()) };
    const old = masks.get(p);
    masks.set(p, entry);
    if (old !== undefined) {
      old.keep.dispose();
      old.pruned.dispose();
    }
  });
  applyMask(p);
}

/** Writes +0 (not -0, so a compact file round-trips bit for bit) into the entries a parameter's mask prunes. */
export function applyMask(p: Tensor): void {
  const e = masks.get(p);
  if (e === undefined) return;
  noGrad(() => {
    const z = p.maskedFill(e.pruned, 0);
    p.copy_(z);
    z.dispose();
  });
}

/** Every pruned parameter of a model, by qualified name ('0.weight'), with its mask. */
export function getMasks(model: AnyModule): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, p] of model.namedParameters()) {
    const m = maskOf(p);
    if (m !== null) out[name] = m;
  }
  return out;
}

/** Attaches masks by qualified name (what getMasks, a checkpoint or a compact file gave); unknown names fail. */
export function setMasks(model: AnyModule, named: Record<string, Tensor>): void {
  const params = new Map(model.namedParameters());
  for (const [name, m] of Object.entries(named)) {
    const p = params.get(name);
    if (p === undefined) fail('setMasks', `the model has no parameter "${name}"`);
    setMask(p, m);
  }
}

/** Re-applies every mask of a model: call it after each optimizer step (PruningCallback does in fit). */
export function applyMasks(model: AnyModule): void {
  for (const p of model.parameters()) applyMask(p);
}

/** torch's prune.is_pruned: whether any parameter of the model carries a mask. */
export function isPruned(model: AnyModule): boolean {
  return model.parameters().some((p) => masks.has(p));
}

/**
 * torch's prune.remove: makes the pruning permanent (the zeros stay) and drops the mask, so later updates may
 * move those weights again.
 */
export function remove(module: AnyModule, name = 'weight'): void {
  const p = param('prune.remove', module, name);
  const e = masks.get(p);
  if (e === undefined)
    fail('prune.remove', `parameter "${name}" of ${module.constructor.name} is not pruned`);
  applyMask(p);
  masks.delete(p);
  e.keep.dispose();
  e.pruned.dispose();
}

/**
 * Which of the magnitudes to prune so that `k` are pruned in all: entries already pruned first (a mask never
 * revives a weight), then the smallest |w|, ties broken by position. Returns the new keep flags.
 */
function selectSmallest(mag: Float64Array, already: Uint8Array, k: number): Uint8Array {
  const n = mag.length;
  const keepFlags = new Uint8Array(n).fill(1);
  let prunedBefore = 0;
  for (let i = 0; i < n; i++) if (already[i] === 1) prunedBefore++;
  const target = Math.max(k, prunedBefore);
  if (target === 0) return keepFlags;
  // Already pruned entries rank below every live one (-1 < |w|); NaN ranks last (it is never "small").
  const key = new Float64Array(n);
  for (let i = 0; i < n; i++) key[i] = already[i] === 1 ? -1 : Number.isNaN(mag[i]!) ? Infinity : mag[i]!;
  const sorted = Float64Array.from(key).sort();
  const thr = sorted[target - 1]!;
  let below = 0;
  for (let i = 0; i < n; i++) if (key[i]! < thr) below++;
  let atThr = target - below;
  for (let i = 0; i < n; i++) {
    const v = key[i]!;
    if (v < thr || (v === thr && atThr-- > 0)) keepFlags[i] = 0;
  }
  return keepFlags;
}

function magnitudes(p: Tensor): { mag: Float64Array; already: Uint8Array } {
  const w = p.toTypedArray();
  const n = w.length;
  const mag = new Float64Array(n);
  for (let i = 0; i < n; i++) mag[i] = Math.abs(w[i] as number);
  const already = new Uint8Array(n);
  const m = maskOf(p);
  if (m !== null) {
    const mk = m.toTypedArray();
    for (let i = 0; i < n; i++) already[i] = mk[i] ? 0 : 1;
  }
  return { mag, already };
}

function maskTensor(flags: Uint8Array, shape: readonly number[]): Tensor {
  return tensor(flags, { shape, dtype: 'bool' });
}

/**
 * torch's prune.l1_unstructured(module, name, amount): prunes the `amount` (a fraction of all the entries, or a
 * count) of smallest-magnitude entries of `module[name]`. Unlike torch, a second call's amount is the total
 * sparsity of the tensor, not a fraction of what is left: the entries pruned before stay pruned and count
 * towards it (what a gradual schedule needs). Returns the mask.
 */
export function l1Unstructured(module: AnyModule, name: string, amount: number): Tensor {
  const p = param('prune.l1Unstructured', module, name);
  pruneTensorTo(p, amount, 'prune.l1Unstructured');
  return maskOf(p)!;
}

/** Layer-wise pruning of one tensor to `amount` (see l1Unstructured). */
export function pruneTensorTo(p: Tensor, amount: number, op = 'prune'): void {
  const { mag, already } = magnitudes(p);
  const k = pruneCount(op, amount, mag.length);
  noGrad(() => {
    const m = maskTensor(selectSmallest(mag, already, k), p.shape);
    setMask(p, m);
    m.dispose();
  });
}

/**
 * torch's prune.global_unstructured(parameters, L1Unstructured, amount): one magnitude threshold over all the
 * given tensors together, so layers with many small weights lose more of them. `parameters` are
 * [module, name] pairs as in torch. `amount` is the total sparsity over them (a fraction, or a count).
 */
export function globalUnstructured(
  parameters: readonly (readonly [AnyModule, string])[],
  amount: number,
): Tensor[] {
  const op = 'prune.globalUnstructured';
  check(parameters.length > 0, op, () => 'no parameters given');
  const ps = parameters.map(([m, n]) => param(op, m, n));
  globalPruneTo(ps, amount, op);
  return ps.map((p) => maskOf(p)!);
}

/** Global pruning of tensors to `amount` of all their entries together (see globalUnstructured). */
export function globalPruneTo(ps: readonly Tensor[], amount: number, op = 'prune'): void {
  check(new Set(ps).size === ps.length, op, () => 'a parameter is listed twice');
  const parts = ps.map(magnitudes);
  const total = parts.reduce((s, x) => s + x.mag.length, 0);
  const mag = new Float64Array(total);
  const already = new Uint8Array(total);
  let off = 0;
  for (const x of parts) {
    mag.set(x.mag, off);
    already.set(x.already, off);
    off += x.mag.length;
  }
  const flags = selectSmallest(mag, already, pruneCount(op, amount, total));
  off = 0;
  noGrad(() => {
    ps.forEach((p, i) => {
      const n = parts[i]!.mag.length;
      const m = maskTensor(flags.subarray(off, off + n), p.shape);
      setMask(p, m);
      m.dispose();
      off += n;
    });
  });
}

/** The fraction of zero entries in the given tensors together (sparsity as the bench and the logs report it). */
export function sparsityOf(ps: readonly Tensor[]): number {
  let zeros = 0;
  let n = 0;
  for (const p of ps) {
    const v = p.toTypedArray();
    for (let i = 0; i < v.length; i++) if (v[i] === 0) zeros++;
    n += v.length;
  }
  return n === 0 ? 0 : zeros / n;
}
