// The layer test of STYLE.md for every layer: build, output shape and dtype, one training step, and a
// save/load round trip (stateDict -> safetensors file -> layer rebuilt from JSON config -> same outputs).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as ts from '../../src/index.ts';
import { loadSafetensors, saveSafetensors } from '../../src/io/index.ts';
import * as nn from '../../src/nn/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-nn-layers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Loose = nn.Module<unknown[], unknown>;

interface LayerSpec {
  name: string;
  make: (g: ts.Generator) => nn.AnyModule;
  /** Forward arguments (fresh each call, from the generator). */
  args: (g: ts.Generator) => unknown[];
  /** Expected shape of the first output tensor. */
  shape: number[];
  /** Has parameters (so a training step must change them). */
  trainable: boolean;
}

const f = (shape: number[], g: ts.Generator) => ts.randn(shape, { generator: g });

const SPECS: LayerSpec[] = [
  {
    name: 'Linear',
    make: (g) => new nn.Linear(4, 3, { generator: g }),
    args: (g) => [f([2, 5, 4], g)],
    shape: [2, 5, 3],
    trainable: true,
  },
  {
    name: 'Conv2d',
    make: (g) => new nn.Conv2d(2, 3, 3, { padding: 'same', generator: g }),
    args: (g) => [f([2, 2, 5, 5], g)],
    shape: [2, 3, 5, 5],
    trainable: true,
  },
  {
    name: 'MaxPool2d',
    make: () => new nn.MaxPool2d(2),
    args: (g) => [f([1, 2, 4, 5], g)],
    shape: [1, 2, 2, 2],
    trainable: false,
  },
  {
    name: 'AvgPool2d',
    make: () => new nn.AvgPool2d(3, { stride: 2, padding: 1 }),
    args: (g) => [f([1, 2, 5, 5], g)],
    shape: [1, 2, 3, 3],
    trainable: false,
  },
  {
    name: 'AdaptiveAvgPool2d',
    make: () => new nn.AdaptiveAvgPool2d(1),
    args: (g) => [f([2, 3, 4, 5], g)],
    shape: [2, 3, 1, 1],
    trainable: false,
  },
  {
    name: 'Flatten',
    make: () => new nn.Flatten(),
    args: (g) => [f([2, 3, 4], g)],
    shape: [2, 12],
    trainable: false,
  },
  {
    name: 'BatchNorm1d',
    make: () => new nn.BatchNorm1d(3),
    args: (g) => [f([4, 3], g)],
    shape: [4, 3],
    trainable: true,
  },
  {
    name: 'BatchNorm2d',
    make: () => new nn.BatchNorm2d(2),
    args: (g) => [f([2, 2, 3, 3], g)],
    shape: [2, 2, 3, 3],
    trainable: true,
  },
  {
    name: 'LayerNorm',
    make: () => new nn.LayerNorm([4]),
    args: (g) => [f([2, 3, 4], g)],
    shape: [2, 3, 4],
    trainable: true,
  },
  {
    name: 'Dropout',
    make: () => new nn.Dropout(0.3),
    args: (g) => [f([3, 4], g)],
    shape: [3, 4],
    trainable: false,
  },
  {
    name: 'Embedding',
    make: (g) => new nn.Embedding(6, 3, { paddingIdx: 0, generator: g }),
    args: () => [
      ts.tensor(
        [
          [1, 0, 5],
          [2, 2, 3],
        ],
        { dtype: 'int32' },
      ),
    ],
    shape: [2, 3, 3],
    trainable: true,
  },
  {
    name: 'RNN',
    make: (g) => new nn.RNN(3, 4, { numLayers: 2, generator: g }),
    args: (g) => [f([5, 2, 3], g)],
    shape: [5, 2, 4],
    trainable: true,
  },
  {
    name: 'LSTM',
    make: (g) => new nn.LSTM(3, 4, { numLayers: 2, batchFirst: true, generator: g }),
    args: (g) => [f([2, 5, 3], g), [f([2, 2, 4], g), f([2, 2, 4], g)]],
    shape: [2, 5, 4],
    trainable: true,
  },
  {
    name: 'GRU',
    make: (g) => new nn.GRU(3, 4, { bidirectional: true, generator: g }),
    args: (g) => [f([5, 2, 3], g)],
    shape: [5, 2, 8],
    trainable: true,
  },
  {
    name: 'MultiheadAttention',
    make: (g) => new nn.MultiheadAttention(4, 2, { batchFirst: true, generator: g }),
    args: (g) => {
      const x = f([2, 3, 4], g);
      return [
        x,
        x,
        x,
        {
          keyPaddingMask: ts.tensor([
            [false, false, true],
            [false, false, false],
          ]),
        },
      ];
    },
    shape: [2, 3, 4],
    trainable: true,
  },
  {
    name: 'TransformerEncoderLayer',
    make: (g) => new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0, generator: g }),
    args: (g) => [f([3, 2, 4], g)],
    shape: [3, 2, 4],
    trainable: true,
  },
  {
    name: 'TransformerEncoder',
    make: (g) =>
      new nn.TransformerEncoder(
        new nn.TransformerEncoderLayer(4, 2, {
          dimFeedforward: 8,
          dropout: 0,
          normFirst: true,
          generator: g,
        }),
        2,
        { norm: new nn.LayerNorm(4) },
      ),
    args: (g) => [f([3, 2, 4], g), { isCausal: true }],
    shape: [3, 2, 4],
    trainable: true,
  },
  {
    name: 'Sequential',
    make: (g) =>
      new nn.Sequential(
        new nn.Linear(3, 5, { generator: g }),
        new nn.GELU('tanh'),
        new nn.Linear(5, 2, { generator: g }),
      ),
    args: (g) => [f([4, 3], g)],
    shape: [4, 2],
    trainable: true,
  },
  ...(
    [
      ['ReLU', () => new nn.ReLU()],
      ['LeakyReLU', () => new nn.LeakyReLU(0.1)],
      ['ELU', () => new nn.ELU()],
      ['GELU', () => new nn.GELU()],
      ['Sigmoid', () => new nn.Sigmoid()],
      ['Tanh', () => new nn.Tanh()],
      ['Softmax', () => new nn.Softmax(-1)],
      ['LogSoftmax', () => new nn.LogSoftmax(1)],
      ['SiLU', () => new nn.SiLU()],
      ['Softplus', () => new nn.Softplus()],
    ] as const
  ).map(([name, make]) => ({
    name,
    make,
    args: (g: ts.Generator) => [f([3, 4], g)],
    shape: [3, 4],
    trainable: false,
  })),
];

/** The first tensor in a (nested) output. */
function first(out: unknown): ts.Tensor {
  if (out instanceof ts.Tensor) return out;
  return first((out as unknown[])[0]);
}

/** A scalar from every float output (so all of them take part in the backward pass). */
function scalarOf(out: unknown): ts.Tensor {
  const parts: ts.Tensor[] = [];
  const walk = (o: unknown) => {
    if (o instanceof ts.Tensor) parts.push(o.square().mean());
    else if (Array.isArray(o)) o.forEach(walk);
  };
  walk(out);
  return parts.reduce((a, b) => a.add(b));
}

for (const spec of SPECS) {
  describe(`layer ${spec.name}`, () => {
    test('builds with output shape and dtype (float32 and float64)', () => {
      const m = spec.make(new ts.Generator(1)) as unknown as Loose;
      const out = first(m.call(...spec.args(new ts.Generator(2))));
      assert.deepEqual([...out.shape], spec.shape);
      assert.equal(out.dtype, 'float32');
      const cfg = nn.moduleToConfig(m as unknown as nn.AnyModule);
      if ('dtype' in cfg.config || spec.name === 'Sequential' || spec.name.startsWith('Transformer')) {
        const json = JSON.stringify(cfg).replaceAll('"dtype":"float32"', '"dtype":"float64"');
        const m64 = nn.moduleFromConfig(JSON.parse(json)) as unknown as Loose;
        const args = spec
          .args(new ts.Generator(2))
          .map((a) => (a instanceof ts.Tensor && a.dtype === 'float32' ? a.double() : a));
        const argsFixed = args.map((a) =>
          Array.isArray(a)
            ? a.map((x) => (x instanceof ts.Tensor && x.dtype === 'float32' ? x.double() : x))
            : a,
        );
        assert.equal(first(m64.call(...argsFixed)).dtype, 'float64');
        for (const p of (m64 as unknown as nn.AnyModule).parameters()) assert.equal(p.dtype, 'float64');
      }
    });

    test('one training step', () => {
      const m = spec.make(new ts.Generator(3)) as unknown as Loose & nn.AnyModule;
      m.train();
      const args = spec.args(new ts.Generator(4));
      const loss = scalarOf(m.call(...args));
      assert.ok(Number.isFinite(loss.item()));
      if (!spec.trainable) {
        assert.equal(m.parameters().length, 0);
        return;
      }
      const before = m.parameters().map((p) => p.toTypedArray());
      loss.backward();
      for (const [k, p] of m.namedParameters()) assert.ok(p.grad !== null, `${k} has a gradient`);
      ts.noGrad(() => {
        for (const p of m.parameters()) p.sub_(p.grad!.mul(0.05));
      });
      const changed = m.parameters().some((p, i) => p.toTypedArray().some((v, j) => v !== before[i]![j]));
      assert.ok(changed, 'parameters changed');
      // Dropout-free layers: the same batch's loss went down after a small gradient step.
      if (!['BatchNorm1d', 'BatchNorm2d'].includes(spec.name)) {
        const again = scalarOf(m.call(...args)).item();
        assert.ok(again < loss.item(), `loss ${loss.item()} -> ${again}`);
      }
    });

    test('save/load round trip through safetensors and JSON config gives identical outputs', () => {
      const m = spec.make(new ts.Generator(5)) as unknown as Loose & nn.AnyModule;
      // A training step first so buffers (running stats) are not at their initial values.
      m.train();
      m.call(...spec.args(new ts.Generator(6)));
      m.eval();
      const path = join(dir, `${spec.name}.safetensors`);
      const config = JSON.stringify(nn.moduleToConfig(m));
      saveSafetensors(path, m.stateDict(), { config });
      const { tensors, metadata } = loadSafetensors(path);
      const back = nn.moduleFromConfig(JSON.parse(metadata.config!)) as unknown as Loose & nn.AnyModule;
      assert.equal(back.constructor, m.constructor);
      assert.deepEqual(back.loadStateDict(tensors), { missingKeys: [], unexpectedKeys: [] });
      back.eval();
      const x = spec.args(new ts.Generator(7));
      const a = first(m.call(...x)).toTypedArray();
      const b = first(back.call(...x)).toTypedArray();
      assert.deepEqual(Array.from(b), Array.from(a));
    });
  });
}
