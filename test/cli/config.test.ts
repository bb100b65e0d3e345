import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, validateConfig } from '../../src/cli/index.ts';

/** A valid config to break one key at a time. */
function base(): Record<string, unknown> {
  return {
    name: 'unit',
    data: { source: 'csv', path: 'datasets/breast_cancer.csv', label: 'diagnosis' },
    model: {
      className: 'Sequential',
      config: {
        layers: [
          { className: 'Linear', config: { inFeatures: 30, outFeatures: 4 } },
          { className: 'ReLU' },
          { className: 'Linear', config: { inFeatures: 4, outFeatures: 1 } },
        ],
      },
    },
    loss: 'bceWithLogits',
    optimizer: { name: 'adam', lr: 0.001 },
  };
}

function problems(raw: unknown): string[] {
  try {
    validateConfig(raw, 'test.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    assert.match(e.message, /^\[config\] test\.yaml: invalid run config/);
    return e.problems;
  }
  assert.fail('the config was accepted');
}

describe('run config validation', () => {
  it('accepts a minimal config and fills in defaults', () => {
    const c = validateConfig(base());
    assert.equal(c.seed, 0);
    assert.equal(c.training.epochs, 1);
    assert.equal(c.training.batchSize, 32);
    assert.equal(c.training.validationSplit, 0);
    assert.equal(c.evaluation.batchSize, 256);
    assert.equal(c.data.source, 'csv');
    if (c.data.source !== 'csv') return;
    assert.deepEqual(c.data.split, { testFraction: 0.2, stratify: true });
    assert.equal(c.data.preprocessing.scaling, 'standard');
  });

  it('names the path and the types of a wrong value', () => {
    const raw = base();
    (raw.optimizer as Record<string, unknown>).lr = '0.1';
    assert.deepEqual(problems(raw), ['config.optimizer.lr: expected number, received string']);
  });

  it('rejects unknown keys with their path, nested ones included', () => {
    const raw = base();
    raw.training = { epochs: 2, batchsize: 16 };
    (raw.data as Record<string, unknown>).split = { testFraction: 0.3, stratisfy: true };
    const p = problems(raw);
    assert.ok(
      p.some((s) => s.startsWith('config.training.batchsize: unknown key')),
      p.join('\n'),
    );
    assert.ok(
      p.some((s) => s.startsWith('config.data.split.stratisfy: unknown key')),
      p.join('\n'),
    );
  });

  it('reports a missing required key and an unknown data source', () => {
    const raw = base();
    delete (raw.data as Record<string, unknown>).label;
    assert.deepEqual(problems(raw), ['config.data.label: expected string, missing']);
    raw.data = { source: 'parquet', path: 'x' };
    const p = problems(raw);
    assert.equal(p.length, 1);
    assert.match(p[0]!, /^config\.data\.source: Expected 'mnist' \| 'csv'/);
  });

  it('a value of the wrong type for a key with several forms says which forms (loss: 42 was "Invalid input")', () => {
    for (const [loss, got] of [
      [42, 'number 42'],
      [[1], 'an array'],
      [null, 'null'],
    ] as const) {
      const raw = base();
      raw.loss = loss;
      assert.deepEqual(problems(raw), [`config.loss: expected string or object, got ${got}`]);
    }
    // the object form with a problem inside names that problem, not the union
    const raw = base();
    raw.loss = { name: 'bceWithLogits', posWeightt: 2 };
    const p = problems(raw);
    assert.ok(
      p.some((s) => s.startsWith('config.loss.posWeightt: unknown key')),
      p.join('\n'),
    );
  });

  it('checks names against the registries: loss, optimizer options, metrics', () => {
    const raw = base();
    raw.loss = 'crossEntropyy';
    (raw.optimizer as Record<string, unknown>).momentum = 0.9;
    raw.evaluation = { metrics: ['accuracy', 'accuracyy'] };
    const p = problems(raw);
    assert.ok(
      p.some((s) =>
        /^config\.loss: unknown loss "crossEntropyy" \(did you mean "cross_entropy"\?\); known names: .*cross_entropy/.test(
          s,
        ),
      ),
      p.join('\n'),
    );
    assert.ok(
      p.includes(
        'config.optimizer.momentum: not an option of adam (its options: lr, betas, eps, weightDecay, amsgrad, maximize)',
      ),
      p.join('\n'),
    );
    assert.ok(
      p.some((s) =>
        s.startsWith('config.evaluation.metrics[1]: unknown metric "accuracyy" (did you mean "accuracy"?)'),
      ),
      p.join('\n'),
    );
  });

  it('points at the innermost layer that cannot be built', () => {
    const raw = base();
    const layers = ((raw.model as Record<string, unknown>).config as { layers: Record<string, unknown>[] })
      .layers;
    layers[1] = { className: 'ReLUU' };
    layers[2] = { className: 'Linear', config: { inFeatures: 4 } };
    const p = problems(raw);
    assert.ok(
      p.some((s) =>
        s.startsWith(
          'config.model.config.layers[1].className: unknown layer class "ReLUU" (did you mean "ReLU"?)',
        ),
      ),
      p.join('\n'),
    );
    assert.ok(
      p.some((s) => s.startsWith('config.model.config.layers[2]: [Linear]') && s.includes('outFeatures')),
      p.join('\n'),
    );
  });

  it('range checks: fractions, positive integers, tuple lengths', () => {
    const raw = base();
    raw.training = { epochs: 0, validationSplit: 1 };
    (raw.optimizer as Record<string, unknown>).betas = [0.9];
    const p = problems(raw);
    assert.ok(
      p.some((s) => s.startsWith('config.training.epochs: Too small')),
      p.join('\n'),
    );
    assert.ok(
      p.some((s) => s.startsWith('config.training.validationSplit: Too big')),
      p.join('\n'),
    );
    assert.ok(
      p.some((s) => s.startsWith('config.optimizer.betas')),
      p.join('\n'),
    );
  });

  it('reads YAML and JSON files; YAML 1.2 "yes" is a string, not a boolean', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-cli-config-'));
    const json = join(dir, 'c.json');
    writeFileSync(json, JSON.stringify(base()));
    assert.equal(loadConfig(json).name, 'unit');
    const yaml = join(dir, 'c.yaml');
    writeFileSync(
      yaml,
      'name: y\ndata: { source: mnist, flatten: yes }\nmodel: { className: ReLU }\nloss: crossEntropy\noptimizer: { name: sgd }\n',
    );
    assert.throws(() => loadConfig(yaml), /config\.data\.flatten: expected boolean, received string/);
    writeFileSync(yaml, 'name: [unclosed\n');
    assert.throws(() => loadConfig(yaml), /\[config\] .*c\.yaml: invalid run config\n {2}cannot parse/);
    assert.throws(() => loadConfig(join(dir, 'missing.yaml')), /cannot read/);
  });

  it('unknown YAML keys name the file and line and suggest the right key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-cfg-line-'));
    const file = join(dir, 'run.yaml');
    writeFileSync(
      file,
      [
        'name: unit',
        'data:',
        '  source: csv',
        '  path: breast_cancer.csv',
        '  label: diagnosis',
        '  split:',
        '    testFraction: 0.3',
        '    stratisfy: true',
        'model:',
        '  className: Sequential',
        '  config:',
        '    layers:',
        '      - className: Linear',
        '        config: { inFeatures: 30, outFeatures: 1 }',
        '      - className: ReLUU',
        'loss: bceWithLogits',
        'optimizer: { name: adam, lr: 0.001, weight_decay: 0.1 }',
        'training:',
        '  epochs: 2',
        '  batchsize: 16',
        '',
      ].join('\n'),
    );
    let problems: string[] = [];
    try {
      loadConfig(file);
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      problems = e.problems;
    }
    const has = (text: string) => assert.ok(problems.includes(text), `${text}\nin\n${problems.join('\n')}`);
    has(
      `${file}:20: config.training.batchsize: unknown key (did you mean "batchSize"?) (not part of the schema; see docs/cli.md)`,
    );
    has(
      `${file}:8: config.data.split.stratisfy: unknown key (did you mean "stratify"?) (not part of the schema; see docs/cli.md)`,
    );
    assert.ok(
      problems.some((p) =>
        p.startsWith(`${file}:17: config.optimizer.weight_decay: unknown key (did you mean "weightDecay"?)`),
      ),
      problems.join('\n'),
    );
    // Semantic problems (after the schema) are located as well, once the schema errors are fixed.
    writeFileSync(
      file,
      [
        'name: unit',
        'data: { source: csv, path: breast_cancer.csv, label: diagnosis }',
        'model:',
        '  className: Sequential',
        '  config:',
        '    layers:',
        '      - className: ReLUU',
        'loss: bceWithLogits',
        'optimizer: { name: adam }',
        '',
      ].join('\n'),
    );
    assert.throws(
      () => loadConfig(file),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.problems.some((p) =>
          p.startsWith(
            `${file}:7: config.model.config.layers[0].className: unknown layer class "ReLUU" (did you mean "ReLU"?)`,
          ),
        ),
    );
  });

  it('validates every config shipped in configs/', () => {
    for (const f of ['mnist-mlp', 'breast-cancer-a', 'breast-cancer-b', 'diabetes-regression']) {
      const c = loadConfig(join('configs', `${f}.yaml`));
      assert.equal(c.name, f);
    }
  });
});
