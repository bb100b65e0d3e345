import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import {
  gatherLastReal,
  keyPaddingMask,
  LstmTextClassifier,
  lastRealPositions,
  maskedMeanPool,
  SimpleCnn,
  TransformerTextClassifier,
} from '../../src/models/index.ts';

const { nn } = ts;

/** [N, S] int32 ids, each row's real tokens followed by `pad` up to length s. */
function ids(rows: number[][], s: number, pad = 0): ts.Tensor {
  const out = new Int32Array(rows.length * s).fill(pad);
  rows.forEach((r, i) => {
    out.set(r, i * s);
  });
  return ts.tensor(out, { shape: [rows.length, s], dtype: 'int32' });
}

function values(t: ts.Tensor): number[] {
  return [...t.toTypedArray()];
}

function assertClose(a: ts.Tensor | number[], b: ts.Tensor | number[], tol: number, what: string): void {
  const x = Array.isArray(a) ? a : values(a);
  const y = Array.isArray(b) ? b : values(b);
  assert.equal(x.length, y.length, `${what}: lengths differ`);
  for (let i = 0; i < x.length; i++)
    assert.ok(Math.abs(x[i]! - y[i]!) <= tol, `${what}[${i}]: ${x[i]} vs ${y[i]} (tol ${tol})`);
}

const ROWS = [
  [5, 9, 2, 7, 11],
  [3, 4],
  [8, 8, 6, 13, 2, 2, 10],
];

describe('masking helpers', () => {
  it('keyPaddingMask marks padding, and keeps position 0 of an all-padding row', () => {
    const m = keyPaddingMask(ids([[4, 5], [], [7]], 3));
    assert.equal(m.dtype, 'bool');
    assert.deepEqual(values(m), [0, 0, 1, 0, 1, 1, 0, 1, 1]);
  });

  it('maskedMeanPool averages real positions only', () => {
    const x = ts.tensor(
      [
        [
          [1, 2],
          [3, 4],
          [100, 100],
        ],
        [
          [5, 6],
          [-100, 7],
          [100, 0],
        ],
      ],
      { dtype: 'float64' },
    );
    const pooled = maskedMeanPool(x, ids([[1, 2], [3]], 3));
    assert.equal(pooled.dtype, 'float64');
    assert.deepEqual(pooled.toArray(), [
      [2, 3],
      [5, 6],
    ]);
  });

  it('lastRealPositions finds length - 1 for post padding and the last id for pre padding', () => {
    assert.deepEqual([...lastRealPositions(ids(ROWS, 9))], [4, 1, 6]);
    const pre = ts.tensor(
      [
        [0, 0, 3, 4],
        [0, 7, 8, 9],
        [0, 0, 0, 0],
      ],
      { dtype: 'int32' },
    );
    assert.deepEqual([...lastRealPositions(pre)], [3, 3, 0]);
  });

  it('gatherLastReal picks the row at the last real token and passes gradients only there', () => {
    const x = ts
      .arange(0, 2 * 4 * 3, 1, { dtype: 'float64' })
      .reshape([2, 4, 3])
      .detach()
      .requiresGrad_(true);
    const g = gatherLastReal(x, ids([[5, 6, 7], [9]], 4));
    assert.deepEqual(g.toArray(), [
      [6, 7, 8],
      [12, 13, 14],
    ]);
    g.sum().backward();
    const grad = values(x.grad!);
    const want = new Array(24).fill(0);
    for (const i of [6, 7, 8, 12, 13, 14]) want[i] = 1;
    assert.deepEqual(grad, want);
  });

  it('rejects float ids and a wrong rank with the helper name', () => {
    assert.throws(() => keyPaddingMask(ts.zeros([2, 3])), /\[keyPaddingMask\] token ids must be int32/);
    assert.throws(
      () => lastRealPositions(ts.zeros([3], { dtype: 'int32' })),
      /\[lastRealPositions\] token ids must be \[batch, length\]/,
    );
  });
});

describe('TransformerTextClassifier', () => {
  const build = (opts = {}) => {
    ts.manualSeed(1);
    return new TransformerTextClassifier(20, {
      dModel: 8,
      nhead: 2,
      dimFeedforward: 16,
      numClasses: 3,
      ...opts,
    });
  };

  it('builds the recipe model with torch-style keys and [N, classes] logits', () => {
    ts.manualSeed(0);
    const m = new TransformerTextClassifier(10000);
    const keys = Object.keys(m.stateDict());
    assert.deepEqual(keys.slice(0, 3), [
      'embedding.weight',
      'encoder.layers.0.self_attn.in_proj_weight',
      'encoder.layers.0.self_attn.in_proj_bias',
    ]);
    assert.ok(keys.includes('classifier.weight') && keys.includes('encoder.layers.0.norm2.bias'));
    assert.deepEqual(m.stateDict()['encoder.layers.0.linear1.weight']!.shape, [128, 128]);
    // 10000*128 embedding + attention (4*128*128 + 4*128) + ff (2*128*128 + 2*128) + 2 norms + 128*2+2 classifier.
    const attn = 4 * 128 * 128 + 4 * 128;
    const ff = 2 * 128 * 128 + 128 + 128;
    assert.equal(m.numParameters(), 10000 * 128 + attn + ff + 4 * 128 + 128 * 2 + 2);
    const out = m.eval().call(ids(ROWS, 16));
    assert.deepEqual(out.shape, [3, 2]);
    assert.equal(out.dtype, 'float32');
  });

  it('ignores padding: more padding, or a changed padding embedding, gives the same logits', () => {
    const m = build().eval();
    const a = m.call(ids(ROWS, 7));
    const b = m.call(ids(ROWS, 12));
    assertClose(a, b, 1e-5, 'longer padding');
    ts.noGrad(() => m.embedding.weight.narrow(0, 0, 1).fill_(50));
    assertClose(a, m.call(ids(ROWS, 12)), 1e-5, 'changed pad embedding');
    // Without the mask (padId pointing at an id that never occurs), the padding does change the output.
    const unmasked = TransformerTextClassifier.fromConfig({ ...m.getConfig(), padId: 19 });
    unmasked.loadStateDict(m.stateDict());
    unmasked.eval();
    const c = values(unmasked.call(ids(ROWS, 7)));
    const d = values(unmasked.call(ids(ROWS, 12)));
    assert.ok(
      c.some((v, i) => Math.abs(v - d[i]!) > 1e-3),
      'padding should matter when it is not masked',
    );
  });

  it('a padded batch gives each sequence the logits it gets alone, unpadded', () => {
    const m = build({ positional: 'learned', maxLen: 16 }).eval();
    const batch = values(m.call(ids(ROWS, 10)));
    ROWS.forEach((r, i) => {
      const alone = values(m.call(ids([r], r.length)));
      assertClose(batch.slice(i * 3, i * 3 + 3), alone, 1e-5, `row ${i}`);
    });
  });

  it('stays finite on an all-padding row', () => {
    const out = build()
      .eval()
      .call(ids([[], [4, 5]], 4));
    assert.ok(values(out).every(Number.isFinite));
  });

  it('trains: a few Adam steps lower the loss on a separable toy task', () => {
    const m = build({ dropout: 0 });
    const x = ids(
      [
        [2, 3, 4],
        [2, 5],
        [6, 7, 8, 9],
        [6, 9],
      ],
      5,
    );
    const y = ts.tensor([0, 0, 1, 1], { dtype: 'int32' });
    const opt = new ts.optim.Adam(m.parameters(), { lr: 1e-2 });
    const lossAt = () => ts.noGrad(() => ts.functional.crossEntropy(m.call(x), y).item());
    const before = lossAt();
    for (let i = 0; i < 20; i++)
      ts.scope(() => {
        const loss = ts.functional.crossEntropy(m.call(x), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
      });
    assert.ok(lossAt() < before * 0.5, `loss ${lossAt()} did not drop from ${before}`);
  });

  it('rejects float input and too-long sequences for learned positions', () => {
    assert.throws(
      () => build().call(ts.zeros([2, 3])),
      /\[TransformerTextClassifier\] expected int32 token ids/,
    );
    assert.throws(
      () => build({ positional: 'learned', maxLen: 4 }).call(ids(ROWS, 8)),
      /\[TransformerTextClassifier\] sequence length 8 exceeds maxLen 4/,
    );
    assert.throws(
      () => build({ padId: 25 }),
      /\[TransformerTextClassifier\] padId must be an id in \[0, 20\)/,
    );
  });
});

describe('LstmTextClassifier', () => {
  const build = () => {
    ts.manualSeed(2);
    return new LstmTextClassifier(20, { embeddingDim: 6, hiddenSize: 5, numClasses: 3 });
  };

  it('builds the recipe model with torch-style keys and [N, classes] logits', () => {
    ts.manualSeed(0);
    const m = new LstmTextClassifier(10000);
    assert.deepEqual(Object.keys(m.stateDict()), [
      'embedding.weight',
      'lstm.weight_ih_l0',
      'lstm.weight_hh_l0',
      'lstm.bias_ih_l0',
      'lstm.bias_hh_l0',
      'classifier.weight',
      'classifier.bias',
    ]);
    assert.deepEqual(m.stateDict()['lstm.weight_hh_l0']!.shape, [512, 128]);
    assert.deepEqual(m.call(ids(ROWS, 9)).shape, [3, 2]);
  });

  it('reads the last real token: padded batch = each sequence alone, and != the state at the padded end', () => {
    const m = build();
    const x = ids(ROWS, 10);
    const batch = values(m.call(x));
    ROWS.forEach((r, i) => {
      const alone = values(m.call(ids([r], r.length)));
      assertClose(batch.slice(i * 3, i * 3 + 3), alone, 1e-5, `row ${i}`);
    });
    // Classifying the final state (which has run over the padding) would give other logits.
    const [, [hN]] = m.lstm.call(m.embedding.call(x));
    const atEnd = values(m.classifier.call(hN.squeeze(0)));
    assert.ok(
      batch.some((v, i) => Math.abs(v - atEnd[i]!) > 1e-3),
      'padded-end state should differ',
    );
  });

  it('ignores padding: more padding or a changed padding embedding gives the same logits', () => {
    const m = build();
    const a = m.call(ids(ROWS, 7));
    assertClose(a, m.call(ids(ROWS, 15)), 1e-6, 'longer padding');
    ts.noGrad(() => m.embedding.weight.narrow(0, 0, 1).fill_(-3));
    assertClose(a, m.call(ids(ROWS, 15)), 1e-6, 'changed pad embedding');
  });

  it('gradients reach the embedding rows of real tokens only', () => {
    const m = build();
    ts.functional
      .crossEntropy(m.call(ids([[3, 4], [5]], 6)), ts.tensor([0, 2], { dtype: 'int32' }))
      .backward();
    const g = m.embedding.weight.grad!.toArray() as number[][];
    const touched = g.map((row) => row.some((v) => v !== 0));
    assert.deepEqual(
      touched.flatMap((t, i) => (t ? [i] : [])),
      [3, 4, 5],
    );
  });
});

describe('SimpleCnn', () => {
  it('builds the MNIST recipe: 1600 features into dense 128, torchvision-style keys', () => {
    ts.manualSeed(0);
    const m = new SimpleCnn();
    const sd = m.stateDict();
    assert.deepEqual(Object.keys(sd), [
      'features.0.weight',
      'features.0.bias',
      'features.3.weight',
      'features.3.bias',
      'classifier.1.weight',
      'classifier.1.bias',
      'classifier.3.weight',
      'classifier.3.bias',
    ]);
    assert.deepEqual(sd['features.3.weight']!.shape, [64, 32, 3, 3]);
    assert.deepEqual(sd['classifier.1.weight']!.shape, [128, 1600]);
    assert.deepEqual(m.call(ts.rand([2, 1, 28, 28])).shape, [2, 10]);
  });

  it('adapts the dense layer to other sizes and rejects wrong inputs', () => {
    const m = new SimpleCnn({ inChannels: 3, imageSize: 12, channels: [4], hidden: 8, numClasses: 5 });
    assert.deepEqual(m.stateDict()['classifier.1.weight']!.shape, [8, 4 * 5 * 5]);
    assert.deepEqual(m.call(ts.rand([1, 3, 12, 12])).shape, [1, 5]);
    assert.throws(
      () => m.call(ts.rand([1, 1, 12, 12])),
      /\[SimpleCnn\] expected images \[N, 3, 12, 12\], got \[1,1,12,12\]/,
    );
    assert.throws(
      () => new SimpleCnn({ imageSize: 6, channels: [4, 4] }),
      /\[SimpleCnn\] imageSize 6 is too small/,
    );
  });
});

describe('config round trip and checkpoints', () => {
  const cases: [string, () => ts.nn.Module, () => ts.Tensor][] = [
    [
      'TransformerTextClassifier',
      () =>
        new TransformerTextClassifier(30, {
          dModel: 8,
          nhead: 2,
          dimFeedforward: 8,
          numLayers: 2,
          positional: 'learned',
          maxLen: 12,
        }),
      () => ids(ROWS, 8),
    ],
    [
      'LstmTextClassifier',
      () => new LstmTextClassifier(30, { embeddingDim: 4, hiddenSize: 3, numLayers: 2 }),
      () => ids(ROWS, 8),
    ],
    [
      'SimpleCnn',
      () => new SimpleCnn({ imageSize: 10, channels: [3], hidden: 6, numClasses: 4 }),
      () => ts.rand([2, 1, 10, 10]),
    ],
  ];
  for (const [name, make, input] of cases) {
    it(`${name}: JSON config rebuilds the model; with the weights it gives the same outputs`, () => {
      ts.manualSeed(3);
      const m = make().eval();
      const cfg = JSON.parse(JSON.stringify(nn.moduleToConfig(m)));
      assert.equal(cfg.className, name);
      assert.ok(nn.registeredLayers().includes(name));
      ts.manualSeed(4);
      const r = nn.moduleFromConfig(cfg) as unknown as ts.nn.Module;
      assert.deepEqual(nn.moduleToConfig(r), cfg);
      const x = input();
      const before = values(r.eval().call(x));
      assert.ok(
        before.some((v, i) => v !== values(m.call(x))[i]),
        'fresh weights should differ',
      );
      r.loadStateDict(m.stateDict());
      assert.deepEqual(values(r.call(x)), values(m.call(x)));
    });
  }

  it('a checkpoint rebuilds a TransformerTextClassifier by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-models-'));
    try {
      ts.manualSeed(5);
      const m = new TransformerTextClassifier(30, { dModel: 8, nhead: 2, dimFeedforward: 8 }).eval();
      ts.train.writeCheckpoint(join(dir, 'ck'), { model: m });
      const r = ts.train.loadModelFromCheckpoint<TransformerTextClassifier>(join(dir, 'ck')).eval();
      assert.ok(r instanceof TransformerTextClassifier);
      assert.deepEqual(values(r.call(ids(ROWS, 8))), values(m.call(ids(ROWS, 8))));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('config errors name the model and key', () => {
    assert.throws(
      () => nn.moduleFromConfig({ className: 'LstmTextClassifier', config: { vocabSize: '10' } }),
      /\[LstmTextClassifier\] config.vocabSize must be a number, got "10"/,
    );
    assert.throws(
      () =>
        nn.moduleFromConfig({
          className: 'TransformerTextClassifier',
          config: { vocabSize: 10, positional: 'sin' },
        }),
      /\[TransformerTextClassifier\] config.positional must be one of none, learned/,
    );
  });
});
