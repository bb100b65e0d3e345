import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, main, validateConfig } from '../../src/cli/index.ts';
import * as ts from '../../src/index.ts';

function base(privacy: unknown, training: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'dp',
    data: { source: 'csv', path: 'datasets/breast_cancer.csv', label: 'diagnosis' },
    model: { className: 'Linear', config: { inFeatures: 30, outFeatures: 1 } },
    loss: 'bceWithLogits',
    optimizer: { name: 'sgd', lr: 0.1 },
    training,
    privacy,
  };
}

function problems(raw: unknown): string[] {
  try {
    validateConfig(raw, 'test.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail('the config was accepted');
}

describe('the privacy: section of the run config', () => {
  it('fills defaults from ts.privacy.privacyOptions and refuses unknown or clashing keys', () => {
    const c = validateConfig(base({ noiseMultiplier: 1, maxGradNorm: 1 }));
    assert.equal(c.privacy?.delta, 1e-5);
    assert.equal(c.privacy?.secureMode, false);
    assert.deepEqual(problems(base({ noiseMultiplier: 1, maxGradNorm: 1, noiseMultipler: 2 })), [
      'config.privacy.noiseMultipler: unknown key (did you mean "noiseMultiplier"?) (not part of the schema; see docs/cli.md)',
    ]);
    assert.match(problems(base({ noiseMultiplier: 1 })).join('\n'), /config\.privacy\.maxGradNorm/);
    assert.deepEqual(problems(base({ maxGradNorm: 1 })), [
      'config.privacy: give noiseMultiplier, or targetEpsilon (the noise is then chosen for it)',
    ]);
    assert.deepEqual(
      problems(base({ maxGradNorm: 1, targetEpsilon: 3 }, { clipNorm: 1, validationSplit: 0.1 })),
      [
        'config.training.clipNorm: cannot be combined with privacy (DP-SGD clips per sample to privacy.maxGradNorm)',
        'config.training.validationSplit: cannot be combined with privacy (Poisson batches come from the whole training split)',
      ],
    );
  });

  it('tensorscript train runs DP-SGD and the model card records epsilon and delta', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-dp-'));
    const cfg = join(dir, 'dp.yaml');
    writeFileSync(
      cfg,
      `name: bc-dp
seed: 2
data: { source: csv, path: ${resolve('datasets/breast_cancer.csv')}, label: diagnosis, positiveClass: malignant }
model: { className: Linear, config: { inFeatures: 30, outFeatures: 1 } }
loss: bceWithLogits
optimizer: { name: sgd, lr: 0.5 }
training: { epochs: 10, batchSize: 64 }
evaluation: { metrics: [accuracy] }
privacy: { targetEpsilon: 4, maxGradNorm: 1, delta: 1e-4 }
`,
    );
    let out = '';
    let err = '';
    const code = await main(['train', cfg, '--out', join(dir, 'run'), '--quiet'], {
      out: (s) => (out += s),
      err: (s) => (err += s),
    });
    assert.equal(code, 0, err);
    const lines = out.trim().split('\n');
    const result = JSON.parse(lines[lines.length - 1]!) as { metrics: Record<string, number> };
    assert.ok(result.metrics.accuracy! > 0.85, `accuracy ${result.metrics.accuracy}`);
    const version = ts.saving.resolveSavedModel(join(dir, 'run', 'checkpoint')).dir;
    const card = JSON.parse(readFileSync(join(version, 'card.json'), 'utf8'));
    assert.equal(card.privacy.delta, 1e-4);
    assert.ok(card.privacy.epsilon <= 4 && card.privacy.epsilon > 3.5, `epsilon ${card.privacy.epsilon}`);
    assert.equal(card.privacy.accountant, 'rdp');
    // The recorded epsilon is what the accountant gives for the recorded sigma, q and steps.
    const { noiseMultiplier, sampleRate, steps } = card.privacy;
    const eps = ts.privacy.rdpToEpsilon(
      ts.privacy.DEFAULT_ORDERS,
      ts.privacy.computeRdp(sampleRate, noiseMultiplier, steps),
      1e-4,
    ).epsilon;
    assert.equal(card.privacy.epsilon, eps);
  });
});
