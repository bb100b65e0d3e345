import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.ts';
import * as ts from '../../src/index.ts';
import {
  type ArgSpec,
  argTensor,
  close,
  fromData,
  type GoldenCase,
  goldenFiles,
  type TensorData,
} from '../helpers/golden.ts';
import { OPS } from '../helpers/op-table.ts';

/**
 * Every op's forward output and input gradients against PyTorch 1.13 (fixtures from
 * scripts/gen_golden_ops.py), on every registered backend.
 */
function build(arg: ArgSpec): { value: unknown; leaves: Tensor[] } {
  if ('tensor' in arg) {
    const t = argTensor(arg.tensor);
    return { value: t, leaves: [t] };
  }
  if ('tensors' in arg) {
    const ts_ = arg.tensors.map((a) => argTensor(a));
    return { value: ts_, leaves: ts_ };
  }
  return { value: arg.value, leaves: [] };
}

function kwargs(kw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kw)) {
    out[k] =
      v !== null && typeof v === 'object' && 'tensor' in v
        ? fromData((v as { tensor: TensorData }).tensor)
        : v;
  }
  return out;
}

export function runCase(op: string, c: GoldenCase): void {
  const fn = OPS[op];
  assert.ok(fn, `no mapping for op ${op}`);
  const built = c.args.map(build);
  const result = fn(
    built.map((b) => b.value),
    kwargs(c.kwargs),
  );
  const outs = Array.isArray(result) ? result : [result];
  const expected = Array.isArray(c.out) ? c.out : [c.out];
  assert.equal(
    outs.length,
    expected.length,
    `${op}/${c.name}: ${outs.length} outputs, expected ${expected.length}`,
  );
  outs.forEach((o, i) => {
    const err = close(o, expected[i]!, c.tol, `${op}/${c.name} out[${i}]`);
    assert.equal(err, null, err ?? '');
  });
  if (c.after) {
    // batchNorm: the running statistics after the call.
    c.after.forEach((a, i) => {
      if (a === null) return;
      const t = built[i + 1]!.value as Tensor;
      const err = close(t, a, c.tol, `${op}/${c.name} after[${i}]`);
      assert.equal(err, null, err ?? '');
    });
  }
  if (c.upstream === null) return;
  const ups = Array.isArray(c.upstream) ? c.upstream : [c.upstream];
  ups.forEach((u, i) => {
    if (u === null || !outs[i]!.requiresGrad) return;
    outs[i]!.backward(fromData(u), { retainGraph: true });
  });
  const gt = c.gradTol ?? c.tol;
  c.grads.forEach((g, i) => {
    if (g === null) return;
    const leaves = built[i]!.leaves;
    const gl = Array.isArray(g) ? g : [g];
    gl.forEach((gd, j) => {
      if (gd === null) return;
      const leaf = leaves[j]!;
      const actual = leaf.grad ?? ts.zerosLike(leaf);
      const err = close(actual, gd, gt, `${op}/${c.name} grad[${i}]${Array.isArray(g) ? `[${j}]` : ''}`);
      assert.equal(err, null, err ?? '');
    });
  });
}

for (const backend of ts.backendNames()) {
  describe(`golden ops vs PyTorch [${backend}]`, () => {
    for (const file of goldenFiles()) {
      it(file.op, () => {
        ts.setBackend(backend);
        for (const c of file.cases) runCase(file.op, c);
      });
    }
  });
}
