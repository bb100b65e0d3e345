import { check, fmtShape } from '../../core/errors.ts';
import { normDim } from '../../core/shape.ts';
import { runKernel } from '../../kernels/kernel-registry.ts';
import { record } from '../lifecycle.ts';
import type { Tensor } from '../tensor.ts';
import { assertTensor, empty } from './dispatch.ts';
import { narrow, unsqueeze } from './views.ts';

/** torch.cat: tensors joined along an existing dim; all other dims must match. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  check(tensors.length > 0, 'cat', () => 'expected a non-empty list of tensors');
  tensors.forEach((t, i) => {
    assertTensor('cat', t, `tensors[${i}]`);
  });
  const first = tensors[0]!;
  const d = normDim('cat', dim, first.ndim);
  let dtype = first.dtype;
  for (const t of tensors)
    if (t.dtype === 'float64' || (t.dtype === 'float32' && dtype !== 'float64')) dtype = t.dtype;
  const parts = tensors.map((t) => (t.dtype === dtype ? t : t.to(dtype)));
  let total = 0;
  parts.forEach((t, i) => {
    check(
      t.ndim === first.ndim,
      'cat',
      () =>
        `tensors[${i}] has rank ${t.ndim}, expected ${first.ndim} (${fmtShape(t.shape)} vs ${fmtShape(first.shape)})`,
    );
    t.shape.forEach((s, j) => {
      if (j !== d)
        check(
          s === first.shape[j],
          'cat',
          () =>
            `sizes must match except in dim ${d}: tensors[0] ${fmtShape(first.shape)}, tensors[${i}] ${fmtShape(t.shape)}`,
        );
    });
    total += t.shape[d]!;
  });
  const shape = [...first.shape];
  shape[d] = total;
  const out = empty(shape, dtype);
  let pos = 0;
  // Copies go through an untracked view of the output; every view made here is freed here, since cat
  // also runs outside scopes (Trainer.predict joining batches).
  const target = out.detach();
  for (const t of parts) {
    const n = t.shape[d]!;
    if (n > 0 && t.size > 0) {
      const dst = narrow(target, d, pos, n);
      runKernel('copy', { inputs: { src: t.asView() }, outputs: { dst: dst.asView() }, attrs: {} });
      dst.dispose();
    }
    pos += n;
  }
  target.dispose();
  return record('cat', parts, out, { dim: d, sizes: parts.map((t) => t.shape[d]!) });
}

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  check(tensors.length > 0, 'stack', () => 'expected a non-empty list of tensors');
  const first = tensors[0]!;
  tensors.forEach((t, i) => {
    assertTensor('stack', t, `tensors[${i}]`);
    check(
      t.shape.join() === first.shape.join(),
      'stack',
      () =>
        `all tensors must have the same shape: tensors[0] ${fmtShape(first.shape)}, tensors[${i}] ${fmtShape(t.shape)}`,
    );
  });
  const d = normDim('stack', dim, first.ndim + 1);
  return cat(
    tensors.map((t) => unsqueeze(t, d)),
    d,
  );
}

/** torch.split: chunks of a given size (the last may be smaller) or explicit section sizes. */
export function split(x: Tensor, sizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  assertTensor('split', x);
  const d = normDim('split', dim, x.ndim);
  const n = x.shape[d]!;
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    check(sizeOrSections > 0 || n === 0, 'split', () => `split size must be positive, got ${sizeOrSections}`);
    sizes = [];
    for (let p = 0; p < n; p += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - p));
    if (sizes.length === 0) sizes.push(0);
  } else {
    sizes = [...sizeOrSections];
    const total = sizes.reduce((a, b) => a + b, 0);
    check(
      total === n,
      'split',
      () => `section sizes ${fmtShape(sizes)} sum to ${total}, but dim ${d} has size ${n}`,
    );
  }
  const out: Tensor[] = [];
  let p = 0;
  for (const s of sizes) {
    out.push(narrow(x, d, p, s));
    p += s;
  }
  return out;
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  assertTensor('chunk', x);
  check(
    Number.isInteger(chunks) && chunks > 0,
    'chunk',
    () => `chunks must be a positive integer, got ${chunks}`,
  );
  const d = normDim('chunk', dim, x.ndim);
  const size = Math.ceil(x.shape[d]! / chunks);
  return split(x, Math.max(size, 1), d);
}
