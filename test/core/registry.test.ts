import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkOptionKeys, checkOptions } from '../../src/core/options.ts';
import { closestName, normaliseName, Registry } from '../../src/core/registry.ts';
import { metricRegistry } from '../../src/metrics/index.ts';
import { optimizers } from '../../src/optim/index.ts';
import { losses } from '../../src/train/index.ts';

describe('one name rule', () => {
  it('case, separators and camelCase do not matter', () => {
    for (const n of ['weightDecay', 'weight_decay', 'Weight-Decay', 'WEIGHT_DECAY', 'weight decay'])
      assert.equal(normaliseName(n), 'weightdecay', n);
    assert.equal(normaliseName('AdamW'), normaliseName('adamw'));
    assert.equal(normaliseName('RMSprop'), normaliseName('rmsprop'));
    assert.equal(
      normaliseName('sparseCategoricalCrossentropy'),
      normaliseName('sparse_categorical_cross_entropy'),
    );
  });

  it('suggests the same name in another spelling, or a close typo, and nothing far', () => {
    assert.equal(closestName('weight_decay', ['lr', 'weightDecay', 'momentum']), 'weightDecay');
    assert.equal(closestName('ceil_mode', ['kernelSize', 'stride', 'ceilMode']), 'ceilMode');
    assert.equal(closestName('momentun', ['lr', 'momentum']), 'momentum');
    assert.equal(closestName('zzzzzz', ['lr', 'momentum']), undefined);
  });
});

describe('Registry', () => {
  it('finds an entry by any spelling of its name or aliases and lists canonical names', () => {
    const r = new Registry<number>('widget', 'getWidget')
      .register('big_box', 1, { aliases: ['large_box'] })
      .register('small', 2);
    assert.equal(r.get('bigBox'), 1);
    assert.equal(r.get('LargeBox'), 1);
    assert.equal(r.canonical('large-box'), 'big_box');
    assert.deepEqual(r.names(), ['big_box', 'small']);
    assert.throws(
      () => r.get('bigbax'),
      /^TensorScriptError: \[getWidget\] unknown widget "bigbax" \(did you mean "big_box"\?\); known names: big_box, small$/,
    );
    assert.throws(() => r.get(3 as unknown as string), /\[getWidget\] expected a widget name \(a string\)/);
  });

  it('refuses an alias that another entry already owns', () => {
    const r = new Registry<number>('widget', 'w').register('a', 1);
    assert.throws(
      () => r.register('b', 2, { aliases: ['A'] }),
      /\[w\] widget name "A" is already taken by "a"/,
    );
  });

  it('every kind has one registry built on the same class', () => {
    for (const r of [optimizers, losses, metricRegistry]) assert.ok(r instanceof Registry);
    assert.equal(losses.canonical('meanSquaredError'), 'mse');
    assert.equal(losses.canonical('bce_with_logits'), 'binary_crossentropy');
    assert.equal(metricRegistry.canonical('meanAbsoluteError'), 'mae');
    assert.equal(optimizers.canonical('AdamW'), 'adamw');
  });
});

describe('option checks', () => {
  it('an unknown key throws with a suggestion; values are checked against the declaration', () => {
    assert.throws(
      () => checkOptionKeys('SGD', { lr: 1, weight_decay: 0.1 }, ['lr', 'weightDecay']),
      /^TensorScriptError: \[SGD\] unknown option "weight_decay" \(did you mean "weightDecay"\?\); options: lr, weightDecay$/,
    );
    const specs = {
      gamma: { type: 'number', gt: 0 },
      mode: { type: 'string', enum: ['min', 'max'] },
    } as const;
    assert.throws(
      () => checkOptions('StepLR', { gamma: -1 }, specs),
      /\[StepLR\] gamma: must be > 0, got -1/,
    );
    assert.throws(() => checkOptions('x', { mode: 'avg' }, specs), /\[x\] mode: must be one of 'min', 'max'/);
    checkOptions('x', { gamma: 2, mode: 'min', other: undefined }, specs);
  });
});
