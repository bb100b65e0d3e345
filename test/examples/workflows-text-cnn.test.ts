// Workflows 3, 4 and 5 of issue 7: each example's --quick smoke run (tiny subset, one epoch) must end with the
// one-line JSON result, and each CLI config must validate and train through the CLI on a tiny subset.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import '../../src/models/index.ts';
import { loadConfig, runTraining } from '../../src/cli/index.ts';
import * as ts from '../../src/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface ResultLine {
  workflow: string;
  metrics: Record<string, number>;
  samplesPerSec: number;
}

function runExample(file: string): { lines: string[]; result: ResultLine } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('examples', file), '--quick'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `${file} failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return { lines, result: JSON.parse(lines.at(-1)!) as ResultLine };
}

function checkResult(lines: string[], res: ResultLine, workflow: string, metricKeys: string[]): void {
  assert.deepEqual(Object.keys(res), ['workflow', 'metrics', 'samplesPerSec']);
  assert.equal(res.workflow, workflow);
  assert.deepEqual(Object.keys(res.metrics).sort(), [...metricKeys].sort());
  for (const k of metricKeys) assert.ok(Number.isFinite(res.metrics[k]), `${k} = ${res.metrics[k]}`);
  assert.ok(res.metrics.accuracy! >= 0 && res.metrics.accuracy! <= 1);
  assert.ok(res.samplesPerSec > 0 && Number.isFinite(res.samplesPerSec));
  // Test metrics after every epoch (one epoch in a quick run), then the summary over epochs.
  assert.ok(lines.some((l) => /^epoch 1\/1: .*test accuracy \d\.\d{4}/.test(l)));
  assert.ok(lines.some((l) => /^test accuracy after each epoch: \d\.\d{4}; wall time/.test(l)));
  assert.ok(lines.some((l) => /samples\/s/.test(l)));
}

describe('examples --quick end with the JSON result line', { concurrency: 1 }, () => {
  it('workflow 3: spam-transformer', () => {
    const { lines, result } = runExample('spam-transformer.ts');
    checkResult(lines, result, 'spam-transformer', [
      'accuracy',
      'precision',
      'recall',
      'f1',
      'roc_auc',
      'loss',
    ]);
  });

  it('workflow 4: cnn-mnist', () => {
    const { lines, result } = runExample('cnn-mnist.ts');
    checkResult(lines, result, 'cnn-mnist', ['accuracy', 'f1_macro', 'loss']);
    // 1,000 images for one epoch already beat chance by far (a broken model stays near 0.1).
    assert.ok(result.metrics.accuracy! > 0.4, `accuracy ${result.metrics.accuracy}`);
  });

  it('workflow 5: spam-lstm', () => {
    const { lines, result } = runExample('spam-lstm.ts');
    assert.ok(
      lines.some((l) => /length 32 \(truncation pre, gradient norm clipped at 1\)$/.test(l)),
      lines[0],
    );
    checkResult(lines, result, 'spam-lstm', ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'loss']);
  });
});

describe('CLI configs for workflows 3, 4, 5', { concurrency: 1 }, () => {
  const recipes = {
    'cnn-mnist': { className: 'SimpleCnn', epochs: 4, batchSize: 64 },
    'spam-transformer': { className: 'TransformerTextClassifier', epochs: 5, batchSize: 32 },
    'spam-lstm': { className: 'LstmTextClassifier', epochs: 5, batchSize: 32 },
  } as const;
  for (const [name, want] of Object.entries(recipes)) {
    it(`${name}.yaml validates with the recipe's model and settings`, () => {
      const c = loadConfig(join(ROOT, 'configs', `${name}.yaml`));
      assert.equal(c.name, name);
      assert.equal(c.model.className, want.className);
      assert.equal(c.training.epochs, want.epochs);
      assert.equal(c.training.batchSize, want.batchSize);
      assert.deepEqual(c.optimizer, { name: 'adam', lr: 0.001 });
      if (c.data.source === 'spamassassin') {
        assert.equal(c.data.preprocessing?.tokenizer?.vocabSize, 10000);
        assert.equal(c.data.preprocessing?.tokenizer?.maxLength, 128);
        // As the examples: post padding, long messages keep their last 128 tokens (docs/workflows.md).
        assert.equal(c.data.preprocessing?.tokenizer?.padding, 'post');
        assert.equal(c.data.preprocessing?.tokenizer?.truncation, 'pre');
        assert.equal((c.model.config as Record<string, unknown>).vocabSize, 10000);
      }
    });
  }

  it('spam-lstm.yaml trains through the CLI on a tiny subset (the model class found by name)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ts-wf-'));
    try {
      const lstm = loadConfig(join(ROOT, 'configs', 'spam-lstm.yaml'));
      assert.equal(lstm.training.clipNorm, 1, 'the config clips like the example');
      const small = {
        ...lstm,
        data: { ...lstm.data, limitPerGroup: 12 },
        training: { ...lstm.training, epochs: 1, verbose: 0 as const },
      };
      const r1 = await runTraining(small, { outDir: join(out, 'lstm'), log: () => {} });
      assert.ok(r1.metrics.accuracy! >= 0 && r1.metrics.accuracy! <= 1);
      // The checkpoint is a saved model: the weights live in the version directory its pointer names.
      assert.ok(existsSync(join(ts.saving.resolveSavedModel(r1.checkpointDir).dir, 'model.safetensors')));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
