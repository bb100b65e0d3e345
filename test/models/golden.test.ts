import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import '../../src/models/index.ts';

/** Fixtures from scripts/gen_golden_models.py (PyTorch 1.13, float64, eval mode). */
interface Arr {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  module: ts.nn.ModuleConfig;
  stateDict: Record<string, Arr>;
  ids: Arr;
  out: Arr;
  upstream: Arr;
  grads: Record<string, Arr>;
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/golden/models/text-classifiers.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

const f64 = (a: Arr) => ts.tensor(Float64Array.from(a.data), { shape: a.shape });

function assertClose(actual: ts.Tensor, want: Arr, what: string, rtol = 1e-9, atol = 1e-10): void {
  assert.deepEqual(actual.shape, want.shape, `${what}: shape`);
  const got = actual.toTypedArray();
  want.data.forEach((w, i) => {
    const g = got[i]!;
    assert.ok(Math.abs(g - w) <= atol + rtol * Math.abs(w), `${what}[${i}]: ${g} vs torch ${w}`);
  });
}

describe('prebuilt text classifiers match PyTorch (same recipe, random weights, float64)', () => {
  for (const c of fixture.cases) {
    it(`${c.name}: logits and every parameter gradient`, () => {
      const m = ts.nn.moduleFromConfig(c.module) as unknown as ts.nn.Module;
      m.loadStateDict(Object.fromEntries(Object.entries(c.stateDict).map(([k, v]) => [k, f64(v)])));
      m.eval();
      const ids = ts.tensor(Int32Array.from(c.ids.data), { shape: c.ids.shape, dtype: 'int32' });
      const out = m.call(ids);
      assertClose(out, c.out, 'logits');
      out.mul(f64(c.upstream)).sum().backward();
      const params = Object.fromEntries(m.namedParameters());
      assert.deepEqual(Object.keys(params).sort(), Object.keys(c.grads).sort());
      for (const [k, g] of Object.entries(c.grads)) assertClose(params[k]!.grad!, g, `grad ${k}`, 1e-8, 1e-9);
    });
  }
});
