import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.ts';
import * as ts from '../../src/index.ts';
import { fakeQuantizePerTensorAffine } from '../../src/quant/fake-quant.ts';
import { roundHalfEven } from '../../src/quant/int8-reference.ts';
import { sliceScatter } from '../../src/tensor/ops/views.ts';
import {
  type ArgSpec,
  argTensor,
  fromData,
  type GoldenCase,
  goldenFiles,
  type TensorData,
} from '../helpers/golden.ts';
import { OPS, PIECEWISE_CONSTANT } from '../helpers/op-table.ts';
import { tapeOps } from '../helpers/tape.ts';

/**
 * float64 central-difference gradient checks for every gradient rule, driven by the golden cases' inputs
 * (converted to float64) with a seeded random upstream: analytic vector-Jacobian products from backward()
 * must match (f(x + h) - f(x - h)) / 2h of sum(out * upstream).
 */
const H = 1e-6;
const RTOL = 1e-4;
const ATOL = 1e-6;
// At most this many elements of each input are perturbed, spread over the tensor, to bound the run time.
const MAX_PROBES = 24;

// Rules that the golden cases do not reach and that are checked here by a dedicated case below.
const covered = new Set<string>();

function build(arg: ArgSpec): { value: unknown; leaves: Tensor[] } {
  if ('tensor' in arg) {
    const t = argTensor(arg.tensor, 'float64');
    return { value: t, leaves: arg.tensor.requiresGrad ? [t] : [] };
  }
  if ('tensors' in arg) {
    const list = arg.tensors.map((a) => argTensor(a, 'float64'));
    return { value: list, leaves: list.filter((_, i) => arg.tensors[i]!.requiresGrad) };
  }
  return { value: arg.value, leaves: [] };
}

function kwargs64(kw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kw)) {
    out[k] =
      v !== null && typeof v === 'object' && 'tensor' in v
        ? fromData((v as { tensor: TensorData }).tensor, 'float64')
        : v;
  }
  return out;
}

function outputs(r: Tensor | Tensor[]): Tensor[] {
  return (Array.isArray(r) ? r : [r]).filter((t) => t.dtype === 'float64');
}

/**
 * <f(x+h) - f(x-h), up> summed output by output. Differencing element-wise first means outputs that the
 * probe does not move cancel exactly, so huge unrelated values (exp of 80, a -1e9 fill) add no round-off.
 * Non-finite outputs (masked -inf logits) are constant under the probe and are left out.
 */
function directional(plus: ArrayLike<number>[], minus: ArrayLike<number>[], ups: Tensor[]): number {
  let s = 0;
  plus.forEach((a, i) => {
    const b = minus[i]!;
    const u = ups[i]!.toTypedArray();
    for (let k = 0; k < a.length; k++) {
      const d = a[k]! - b[k]!;
      if (Number.isFinite(a[k]!) && Number.isFinite(b[k]!)) s += d * u[k]!;
    }
  });
  return s;
}

// Cases whose stored gradient is not the mathematical derivative, or whose inputs sit within a step of a
// singularity, with the reason.
const SKIP: Record<string, string> = {
  'embedding/padding_idx_0': 'torch defines the padding row gradient as zero, not the derivative',
  'embedding/padding_idx_negative': 'torch defines the padding row gradient as zero, not the derivative',
  'log/tiny': 'inputs of 1e-30 lie within any usable step of the singularity at 0',
};

function checkCase(op: string, c: GoldenCase): void {
  if (SKIP[`${op}/${c.name}`] !== undefined) return;
  const fn = OPS[op]!;
  const built = c.args.map(build);
  const kw = kwargs64(c.kwargs);
  const call = () =>
    outputs(
      fn(
        built.map((b) => b.value),
        kw,
      ),
    );
  const outs = call();
  const gen = new ts.Generator(op.length * 7919 + c.name.length);
  // The upstream is zero where an output is non-finite: those outputs are left out of the difference too.
  const ups = outs.map((o) =>
    ts.where(
      o.isnan().logicalOr(o.abs().eq(Number.POSITIVE_INFINITY)),
      0,
      ts.randn(o.shape, { dtype: 'float64', generator: gen }),
    ),
  );
  for (const o of tapeOps(outs)) covered.add(o);
  checkLeaves(
    `${op}/${c.name}`,
    call,
    ups,
    built.flatMap((b) => b.leaves),
    outs,
  );
}

/** Storage position of the k-th element (row-major) of a possibly strided tensor. */
function storageIndex(t: Tensor, k: number): number {
  let pos = t.offset;
  let rem = k;
  for (let d = t.ndim - 1; d >= 0; d--) {
    const n = t.shape[d]!;
    pos += (rem % n) * t.strides[d]!;
    rem = Math.floor(rem / n);
  }
  return pos;
}

function checkLeaves(
  what: string,
  call: () => Tensor[],
  ups: Tensor[],
  leaves: Tensor[],
  first = call(),
): void {
  first.forEach((o, i) => {
    if (o.requiresGrad) o.backward(ups[i], { retainGraph: true });
  });
  for (const leaf of leaves) {
    const analytic = (leaf.grad ?? ts.zerosLike(leaf)).toTypedArray();
    const data = leaf.rawData();
    const n = leaf.size;
    const step = Math.max(1, Math.ceil(n / MAX_PROBES));
    for (let k = 0; k < n; k += step) {
      const p = storageIndex(leaf, k);
      const orig = data[p]!;
      if (!Number.isFinite(orig)) continue;
      // A step relative to the value keeps large-magnitude inputs above float64 round-off.
      const h = H * Math.max(1, Math.abs(orig));
      data[p] = orig + h;
      // Outputs are copied at once: view ops return tensors that share the perturbed storage.
      const fp = ts.noGrad(() => call().map((t) => t.toTypedArray()));
      data[p] = orig - h;
      const fm = ts.noGrad(() => call().map((t) => t.toTypedArray()));
      data[p] = orig;
      const numeric = directional(fp, fm, ups) / (2 * h);
      const a = analytic[k]!;
      assert.ok(
        Math.abs(a - numeric) <= ATOL + RTOL * Math.abs(numeric),
        `${what}: d/dx[${k}] analytic ${a} vs numeric ${numeric}`,
      );
    }
  }
}

describe('float64 gradient checks', () => {
  ts.setBackend('ref');
  for (const file of goldenFiles()) {
    if (PIECEWISE_CONSTANT.has(file.op)) continue;
    const cases = file.cases.filter((c) => c.upstream !== null && c.grads.some((g) => g !== null));
    if (cases.length === 0) continue;
    it(file.op, () => {
      for (const c of cases) checkCase(file.op, c);
    });
  }

  it('sliceScatter (the gradient of slice, itself differentiable)', () => {
    const g = ts.randn([2, 3], { dtype: 'float64', generator: new ts.Generator(5) }).requiresGrad_(true);
    const up = ts.randn([4, 7], { dtype: 'float64', generator: new ts.Generator(6) });
    const call = () => [sliceScatter(g, [4, 7], [1, 0], [1, 3])];
    for (const o of tapeOps(call())) covered.add(o);
    checkLeaves('sliceScatter', call, [up], [g]);
  });

  it('cast passes the gradient through, converted back to the input dtype', () => {
    const a = ts.randn([2, 3], { dtype: 'float64', generator: new ts.Generator(3) }).requiresGrad_(true);
    const y = a.to('float32');
    covered.add('cast');
    const up = ts.randn([2, 3], { generator: new ts.Generator(4) });
    y.backward(up);
    assert.equal(a.grad!.dtype, 'float64');
    assert.deepEqual(Array.from(a.grad!.toTypedArray()), Array.from(up.toTypedArray()));
  });

  it('clone, contiguous, remainder and indexAdd (rules the op fixtures reach only indirectly)', () => {
    const g = new ts.Generator(11);
    const a = ts.randn([3, 4], { dtype: 'float64', generator: g }).requiresGrad_(true);
    const b = ts.rand([3, 4], { dtype: 'float64', generator: g }).add(0.5).requiresGrad_(true);
    const src = ts.randn([2, 4], { dtype: 'float64', generator: g }).requiresGrad_(true);
    const idx = ts.tensor([2, 0], { dtype: 'int32' });
    const call = () => [
      a.clone().mul(2),
      a.transpose(0, 1).contiguous().mul(b.transpose(0, 1)),
      a.mul(3.3).remainder(b),
      ts.indexAdd(a, 0, idx, src),
    ];
    for (const o of tapeOps(call())) covered.add(o);
    const ups = call().map((o) => ts.randn(o.shape, { dtype: 'float64', generator: g }));
    checkLeaves('clone/contiguous/remainder/indexAdd', call, ups, [a, b, src]);
  });

  it('fakeQuantize: the straight-through rule passes the upstream where the code is in range, 0 elsewhere', () => {
    // Not a difference quotient: the forward is a staircase (derivative 0 almost everywhere) and float32 only,
    // as in torch; the rule is a deliberate estimator, so it is checked against its definition here (and
    // against torch's gradient bit for bit in test/quant/qat-golden.test.ts).
    const g = new ts.Generator(12);
    const x = ts.randn([5, 7], { generator: g }).mul(3).requiresGrad_(true);
    const [scale, zp, qmin, qmax] = [0.05, 3, -20, 40];
    const y = fakeQuantizePerTensorAffine(x, scale, zp, qmin, qmax);
    for (const o of tapeOps([y])) covered.add(o);
    const up = ts.randn(y.shape, { generator: g });
    y.mul(up).sum().backward();
    const xs = x.toTypedArray();
    const us = up.toTypedArray();
    const gs = x.grad!.toTypedArray();
    const inv = Math.fround(1 / scale);
    for (let i = 0; i < xs.length; i++) {
      const q = zp + roundHalfEven(Math.fround(xs[i]! * inv));
      // upstream * 0 is -0 for a negative upstream; === takes it as 0, as the mask rule means.
      const want = q >= qmin && q <= qmax ? us[i]! : 0;
      assert.ok(gs[i] === want, `x[${i}] = ${xs[i]} (code ${q}): ${gs[i]} vs ${want}`);
    }
    assert.ok(gs.some((v) => v === 0) && gs.some((v) => v !== 0), 'both sides of the range are reached');
  });

  it('covers every registered gradient rule', () => {
    const missing = ts.gradOps().filter((op) => !covered.has(op) && !PIECEWISE_CONSTANT.has(op));
    assert.deepEqual(missing, [], `gradient rules without a numeric check: ${missing.join(', ')}`);
  });
});
