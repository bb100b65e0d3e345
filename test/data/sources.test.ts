// The CLI's data sources (src/cli/sources.ts) on small generated files: the rules of data loading that a
// YAML config alone relies on.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { validateConfig } from '../../src/cli/config.ts';
import { encodeLabels, loadSource } from '../../src/cli/sources.ts';
import { encodeIdx } from '../../src/data/idx.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-sources-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function config(data: Record<string, unknown>, loss = 'crossEntropy') {
  return validateConfig({
    name: 'sources-test',
    data,
    model: {
      className: 'Sequential',
      config: { layers: [{ className: 'Linear', config: { inFeatures: 2, outFeatures: 3 } }] },
    },
    loss,
    optimizer: { name: 'adam', lr: 0.01 },
  });
}

// 60 rows, integer label 0/1/2.
function intLabelCsv(name: string, cell?: { row: number; text: string }): string {
  const lines = ['a,b,label'];
  for (let i = 0; i < 60; i++)
    lines.push(`${i === cell?.row ? cell.text : i * 0.5},${(i * 7) % 11},${i % 3}`);
  return file(name, `${lines.join('\n')}\n`);
}

test('an integer label column is a class label under a classification loss, a target under a regression loss', async () => {
  const p = intLabelCsv('int.csv');
  const cls = await loadSource(config({ source: 'csv', path: p, label: 'label' }));
  assert.equal(cls.task, 'classification');
  assert.deepEqual(cls.classes, ['0', '1', '2']);
  assert.deepEqual(Array.from(cls.y.subarray(0, 4)), [0, 1, 2, 0]);
  const reg = await loadSource(config({ source: 'csv', path: p, label: 'label' }, 'mse'));
  assert.equal(reg.task, 'regression');
});

test('a non-integer number label under a classification loss is an error, not truncated', async () => {
  const p = file('float.csv', 'a,label\n1,0.5\n2,1.5\n3,0.5\n4,1.5\n');
  await assert.rejects(
    loadSource(config({ source: 'csv', path: p, label: 'label' })),
    /row 1: 0\.5 is not a class label/,
  );
});

test('encodeLabels goes through LabelEncoder: sorted classes, positiveClass as id 1, known classes kept in order', () => {
  assert.deepEqual(encodeLabels(['b', 'a', 'c', 'a'], 'y', undefined), {
    y: Int32Array.of(1, 0, 2, 0),
    classes: ['a', 'b', 'c'],
  });
  assert.deepEqual(encodeLabels(Float64Array.of(10, 2, 2), 'y', undefined).classes, ['2', '10']);
  assert.deepEqual(encodeLabels(['yes', 'no', 'yes'], 'y', 'no'), {
    y: Int32Array.of(0, 1, 0),
    classes: ['yes', 'no'],
  });
  assert.deepEqual(encodeLabels(Float64Array.of(1, 0), 'y', undefined, ['1', '0']).y, Int32Array.of(0, 1));
  assert.throws(
    () => encodeLabels(['a', 'z'], 'y', undefined, ['a', 'b']),
    /row 2: class "z" was not seen in training/,
  );
});

test('header-only CSV: "no data rows", not a label error', async () => {
  const p = file('header.csv', 'a,b,label\n');
  await assert.rejects(
    loadSource(config({ source: 'csv', path: p, label: 'label', positiveClass: 'x' })),
    /\[data\] .*header\.csv: no data rows \(only a header: a, b, label\)/,
  );
});

test('an inf cell is reported with its column and data row before scaling', async () => {
  const p = intLabelCsv('inf.csv', { row: 41, text: 'inf' });
  await assert.rejects(
    loadSource(config({ source: 'csv', path: p, label: 'label' })),
    /inf\.csv: column "a" data row 42 is Infinity/,
  );
});

test('badNumbers: a typo is an error by default; with badNumbers: missing it is imputed and counted', async () => {
  const p = intLabelCsv('typo.csv', { row: 9, text: 'abc' });
  await assert.rejects(
    loadSource(config({ source: 'csv', path: p, label: 'label' })),
    /typo\.csv line 11, column 1 \("a"\): expected a number, got "abc"/,
  );
  const src = await loadSource(config({ source: 'csv', path: p, label: 'label', badNumbers: 'missing' }));
  assert.match(src.describe, /1 bad numeric cell made missing and imputed \(a: 1\)/);
  const pre = src.fit(src.split.train);
  const x = src.x(pre, src.split.train);
  assert.ok(x.toTypedArray().every((v) => Number.isFinite(v)));
});

test('imageFolder source reads through the bounded pool', async () => {
  const root = join(dir, 'imgs');
  for (const c of ['a', 'b']) {
    mkdirSync(join(root, c), { recursive: true });
    for (let i = 0; i < 20; i++) {
      const png = new PNG({ width: 3, height: 2 });
      png.data.fill(c === 'a' ? 10 : 200);
      writeFileSync(join(root, c, `${i}.png`), PNG.sync.write(png));
    }
  }
  const src = await loadSource(config({ source: 'imageFolder', path: root, channels: 1, concurrency: 3 }));
  assert.equal(src.n, 40);
  assert.deepEqual(src.classes, ['a', 'b']);
  assert.equal(src.split.test.length, 8);
  const x = src.x(src.fit(src.split.train), src.split.test);
  assert.deepEqual(x.shape, [8, 1, 2, 3]);
});

test('mnist source reads any IDX files; labels become class ids fitted on the training labels', async () => {
  const write = (name: string, shape: number[], data: Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, encodeIdx({ shape, data }));
    return p;
  };
  const files = {
    trainImages: write('tr-img', [6, 4, 5], new Uint8Array(120).fill(51)),
    trainLabels: write('tr-lab', [6], Uint8Array.of(1, 2, 26, 1, 2, 26)),
    testImages: write('te-img', [3, 4, 5], new Uint8Array(60).fill(102)),
    testLabels: write('te-lab', [3], Uint8Array.of(26, 1, 2)),
  };
  const src = await loadSource(config({ source: 'mnist', files }));
  assert.deepEqual(src.classes, ['1', '2', '26']);
  assert.deepEqual(Array.from(src.y), [0, 1, 2, 0, 1, 2, 2, 0, 1]);
  assert.deepEqual(Array.from(src.split.test), [6, 7, 8]);
  const x = src.x(src.fit(src.split.train), src.split.test);
  assert.deepEqual(x.shape, [3, 1, 4, 5]);
  assert.ok(Math.abs(x.toTypedArray()[0]! - 0.4) < 1e-6);
  const unseen = { ...files, testLabels: write('te-lab2', [3], Uint8Array.of(26, 1, 9)) };
  await assert.rejects(
    loadSource(config({ source: 'mnist', files: unseen })),
    /te-lab2: label 9 does not occur in the training labels/,
  );
});

test('spamassassin: testGroups hold out exactly the named groups', async () => {
  const tok = { preprocessing: { tokenizer: { vocabSize: 50, maxLength: 8 } } };
  const src = await loadSource(
    config({ source: 'spamassassin', limitPerGroup: 4, testGroups: ['hard-ham-1', 'spam-2'], ...tok }),
  );
  assert.equal(src.n, 20);
  assert.equal(src.split.test.length, 8);
  assert.equal(src.split.train.length, 12);
  assert.match(src.describe, /train easy-ham-1, easy-ham-2, spam-1; test hard-ham-1, spam-2/);
  assert.deepEqual(new Set(Array.from(src.split.test, (i) => src.y[i])), new Set([0, 1]));
  await assert.rejects(
    loadSource(
      config({ source: 'spamassassin', groups: ['spam-1', 'spam-2'], testGroups: ['spam-2'], ...tok }),
    ),
    /group spam-2 is in both groups and testGroups/,
  );
  await assert.rejects(
    loadSource(
      config({ source: 'spamassassin', limitPerGroup: 2, testGroups: ['spam-1', 'spam-2'], ...tok }),
    ),
    /the train groups \(easy-ham-1, easy-ham-2, hard-ham-1\) hold only ham/,
  );
});

test('mnist files resolve against the config file folder', async () => {
  const { loadConfig } = await import('../../src/cli/config.ts');
  const sub = join(dir, 'cfg');
  mkdirSync(sub, { recursive: true });
  const p = join(sub, 'm.yaml');
  writeFileSync(
    p,
    `name: m
data: { source: mnist, files: { trainImages: a, trainLabels: /abs/b, testImages: c, testLabels: d } }
model: { className: Linear, config: { inFeatures: 4, outFeatures: 2 } }
loss: crossEntropy
optimizer: { name: sgd, lr: 0.1 }
`,
  );
  const files = (loadConfig(p).data as { files: Record<string, string> }).files;
  assert.deepEqual(files, {
    trainImages: join(sub, 'a'),
    trainLabels: '/abs/b',
    testImages: join(sub, 'c'),
    testLabels: join(sub, 'd'),
  });
});
