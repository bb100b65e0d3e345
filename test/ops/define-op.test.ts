import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import { getKernel, registerKernel, unregisterKernel } from '../../src/kernels/kernel-registry.ts';

/**
 * docs/adding-an-op.md's claims: a unary op added from outside the library, through the documented API
 * only (ts.defineUnaryOp), runs on ref and on wasm (whose kernel declines it, so ref runs it), matches
 * its scalar function, and its gradient passes a float64 gradcheck; the guide lists at most 5 files for
 * a built-in op, and they exist.
 */
const root = join(import.meta.dirname, '..', '..');
const softsignRef = (x: number) => x / (1 + Math.abs(x));
const softsign = ts.defineUnaryOp('softsign', {
  result: 'float',
  ref: softsignRef,
  grad: (g, { inputs: [x] }) => [g.div(x!.abs().add(1).pow(2))],
});
const inputs = [-3.5, -1, -0.25, 0, 0.5, 2, 7];

/** Counts the calls of the 'unary' kernel per backend for op 'softsign', and what each returned. */
function watchUnary(backends: readonly string[]): { calls: Record<string, unknown[]>; restore: () => void } {
  const calls: Record<string, unknown[]> = {};
  const saved = backends.map((be) => [be, getKernel('unary', be)!] as const);
  for (const [be, fn] of saved) {
    calls[be] = [];
    unregisterKernel('unary', be);
    registerKernel({
      name: 'unary',
      backend: be,
      fn: (args) => {
        const r = fn(args);
        if (args.attrs.op === 'softsign') calls[be]!.push(r);
        return r;
      },
    });
  }
  return {
    calls,
    restore: () => {
      for (const [be, fn] of saved) {
        unregisterKernel('unary', be);
        registerKernel({ name: 'unary', backend: be, fn });
      }
    },
  };
}

describe('defineUnaryOp (docs/adding-an-op.md)', () => {
  for (const backend of ['ref', 'wasm']) {
    it(`runs on ${backend}${backend === 'wasm' ? ' (its kernel declines, ref runs it)' : ''} in float32 and float64`, () => {
      ts.setBackend(backend);
      const w = watchUnary(['ref', 'wasm']);
      try {
        for (const dtype of ['float32', 'float64'] as const) {
          const y = softsign(ts.tensor(inputs, { dtype }));
          assert.equal(y.dtype, dtype);
          const want = inputs.map(softsignRef);
          const got = Array.from(y.dataSync());
          const tol = dtype === 'float32' ? 1e-7 : 0;
          for (let i = 0; i < want.length; i++)
            assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${dtype} softsign(${inputs[i]}) = ${got[i]}`);
        }
        // 'float': an int32 input is cast to float32 first.
        assert.equal(softsign(ts.tensor([1, -3])).dtype, 'float32');
      } finally {
        w.restore();
      }
      if (backend === 'wasm') {
        assert.deepEqual(w.calls.wasm, [false, false, false], 'the wasm kernel was asked and declined');
        assert.equal(w.calls.ref!.length, 3, 'the reference kernel ran each call');
      } else {
        assert.equal(w.calls.wasm!.length, 0);
        assert.equal(w.calls.ref!.length, 3);
      }
    });
  }

  it('gradchecks in float64 (central differences against backward)', () => {
    ts.setBackend('ref');
    const x = ts.tensor(inputs, { dtype: 'float64', requiresGrad: true });
    const up = ts.tensor(
      inputs.map((_, i) => 0.3 + 0.1 * i),
      { dtype: 'float64' },
    );
    softsign(x).mul(up).sum().backward();
    const analytic = Array.from(x.grad!.dataSync());
    const h = 1e-6;
    const f = (v: number[]) =>
      softsign(ts.tensor(v, { dtype: 'float64' }))
        .mul(up)
        .sum()
        .item();
    for (let i = 0; i < inputs.length; i++) {
      if (inputs[i] === 0) continue; // |x| has a kink at 0: central differences straddle it
      const plus = [...inputs];
      const minus = [...inputs];
      plus[i]! += h;
      minus[i]! -= h;
      const numeric = (f(plus) - f(minus)) / (2 * h);
      assert.ok(
        Math.abs(numeric - analytic[i]!) <= 1e-6 + 1e-4 * Math.abs(numeric),
        `d/dx at ${inputs[i]}: ${analytic[i]} vs ${numeric}`,
      );
    }
  });

  it('refuses bad definitions with the key or name in the message', () => {
    assert.throws(
      () => ts.defineUnaryOp('softsign', { result: 'float', ref: softsignRef }),
      /unary op 'softsign' is already defined/,
    );
    assert.throws(() => ts.defineUnaryOp('tanh', { result: 'float', ref: Math.tanh }), /'tanh'/);
    assert.throws(() => ts.defineUnaryOp('add', { result: 'float', ref: (x) => x }), /gradient rule/);
    assert.throws(
      () =>
        ts.defineUnaryOp('cube', { result: 'float', ref: (x: number) => x ** 3, gard: () => [] } as never),
      /unknown key 'gard'.*did you mean "grad"/,
    );
    assert.throws(
      () => ts.defineUnaryOp('cube', { result: 'int', ref: (x: number) => x ** 3 } as never),
      /result must be one of/,
    );
    assert.throws(() => ts.defineUnaryOp('Bad-Name', { result: 'same', ref: (x) => x }), /camelCase/);
  });

  it("the guide's file list for a built-in unary op has at most 5 files, all present", () => {
    const guide = readFileSync(join(root, 'docs', 'adding-an-op.md'), 'utf8');
    const section = /<!-- files-touched -->([\s\S]*?)<!-- \/files-touched -->/.exec(guide);
    assert.ok(section !== null, 'the files-touched markers');
    const files = [...section[1]!.matchAll(/^\d+\. `([^`]+)`/gm)].map((m) => m[1]!);
    assert.ok(files.length >= 3 && files.length <= 5, `files: ${files.join(', ')}`);
    assert.match(guide, new RegExp(`That is ${files.length} files`));
    for (const f of files.slice(0, -1)) assert.ok(existsSync(join(root, f)), f);
    // The table and the op function the guide points at are where it says.
    assert.match(readFileSync(join(root, files[0]!), 'utf8'), /export const UNARY_OPS = \{/);
    assert.match(readFileSync(join(root, files[1]!), 'utf8'), /export function unary\(/);
  });
});
