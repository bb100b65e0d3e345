// Every nn layer and loss module against PyTorch 1.13 (scripts/gen_golden_nn.py): the torch state dict is
// loaded strictly into our layer, then forward outputs, input gradients, parameter gradients and buffers
// after the call (BatchNorm running statistics) are compared. Fixtures are float64, compared in float64
// with tight tolerances (the formulas must match, gate order included) and again in float32.
import { describe, test } from 'node:test';
import * as ts from '../../src/index.ts';
import * as nn from '../../src/nn/index.ts';
import {
  type ArgSpec,
  close,
  fromData,
  type GoldenCase,
  type GradSpec,
  goldenFiles,
  type OutSpec,
  type TensorData,
  type Tol,
} from './golden-helpers.ts';

type Built = ts.Tensor | null | Built[] | { [k: string]: Built } | unknown;

function buildArg(a: ArgSpec, dt: ts.DType, leaves: ts.Tensor[]): Built {
  if ('tensor' in a) {
    const t = fromData(a.tensor, dt);
    if (a.tensor.requiresGrad) t.requiresGrad_(true);
    leaves.push(t);
    return t;
  }
  if ('tuple' in a) return a.tuple.map((x) => buildArg(x, dt, leaves));
  if ('options' in a) {
    const o: Record<string, Built> = {};
    for (const [k, v] of Object.entries(a.options)) o[k] = buildArg(v, dt, leaves);
    return o;
  }
  return a.value;
}

function pairs(
  out: unknown,
  spec: OutSpec,
  up: OutSpec,
  path: string,
  acc: [ts.Tensor, TensorData, TensorData | null, string][],
) {
  if (spec === null) {
    if (out !== null) throw new Error(`${path}: expected null output, got ${String(out)}`);
    return;
  }
  if (Array.isArray(spec)) {
    if (!Array.isArray(out) || out.length !== spec.length)
      throw new Error(`${path}: expected ${spec.length} outputs`);
    spec.forEach((s, i) => {
      pairs(out[i], s, up === null ? null : (up as OutSpec[])[i]!, `${path}[${i}]`, acc);
    });
    return;
  }
  if (!(out instanceof ts.Tensor)) throw new Error(`${path}: expected a tensor`);
  acc.push([out, spec, up as TensorData | null, path]);
}

function gradPairs(arg: Built, g: GradSpec, path: string, acc: [ts.Tensor, TensorData, string][]) {
  if (g === null) return;
  if (Array.isArray(g)) {
    g.forEach((x, i) => {
      gradPairs((arg as Built[])[i], x, `${path}[${i}]`, acc);
    });
    return;
  }
  if ('shape' in g && 'data' in g) {
    acc.push([arg as ts.Tensor, g as TensorData, path]);
    return;
  }
  for (const [k, v] of Object.entries(g))
    gradPairs((arg as Record<string, Built>)[k], v as GradSpec, `${path}.${k}`, acc);
}

function scale(t: Tol, f: number, floor: number): Tol {
  return { rtol: Math.max(t.rtol * f, floor), atol: Math.max(t.atol * f, floor / 10) };
}

function runCase(c: GoldenCase, dt: ts.DType): void {
  const cfg = { ...c.module, config: { ...c.module.config } };
  if ('dtype' in cfg.config) cfg.config.dtype = dt;
  const m = nn.moduleFromConfig(cfg) as unknown as nn.Module<unknown[], unknown>;
  m.train(c.train);
  const sd: Record<string, ts.Tensor> = {};
  for (const [k, v] of Object.entries(c.stateDict)) sd[k] = fromData(v, dt);
  m.loadStateDict(sd);
  const leaves: ts.Tensor[] = [];
  const args = c.args.map((a) => buildArg(a, dt, leaves));
  const out = m.call(...args);
  const f32 = dt === 'float32';
  const tol = f32 ? scale(c.tol, 1, 2e-4) : c.tol;
  const gradTol = f32 ? scale(c.gradTol, 1, 1e-3) : c.gradTol;
  const outs: [ts.Tensor, TensorData, TensorData | null, string][] = [];
  pairs(out, c.out, c.upstream, 'out', outs);
  for (const [o, e, , p] of outs) close(o, e, tol, `${c.name} ${p}`);
  let total: ts.Tensor | null = null;
  for (const [o, , u] of outs) {
    if (u === null) continue;
    const term = o.mul(fromData(u, dt)).sum();
    total = total === null ? term : total.add(term);
  }
  if (total !== null) total.backward();
  const grads: [ts.Tensor, TensorData, string][] = [];
  c.grads.args.forEach((g, i) => {
    gradPairs(args[i], g, `args[${i}]`, grads);
  });
  for (const [t, e, p] of grads) close(t.grad ?? t.zerosLike(), e, gradTol, `${c.name} grad ${p}`);
  const params = new Map(m.namedParameters());
  for (const [k, e] of Object.entries(c.grads.params)) {
    const p = params.get(k);
    if (p === undefined) throw new Error(`${c.name}: no parameter ${k}`);
    close(p.grad ?? p.zerosLike(), e, gradTol, `${c.name} grad ${k}`);
  }
  if (c.after) {
    const bufs = new Map(m.namedBuffers());
    for (const [k, e] of Object.entries(c.after))
      close(bufs.get(k)!, e, tol, `${c.name} buffer ${k} after forward`);
  }
}

function onBackend(name: string, fn: () => void): void {
  const prev = ts.getBackend().name;
  ts.setBackend(name);
  try {
    ts.scope(fn);
  } finally {
    ts.setBackend(prev);
  }
}

// Every registered backend: the layers are compositions of ops, so each backend must agree with torch.
for (const backend of ts.backendNames()) {
  for (const { file, cases } of goldenFiles()) {
    describe(`golden nn/${file} [${backend}]`, () => {
      for (const c of cases) {
        test(`${c.name} (float64)`, () => onBackend(backend, () => runCase(c, 'float64')));
        test(`${c.name} (float32)`, () => onBackend(backend, () => runCase(c, 'float32')));
      }
    });
  }
}
