// Checks `tensorscript train` makes before training: a writable output directory and two classes.
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/index.ts';
import * as ts from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-cli-checks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function config(csv: string, positive = ', positiveClass: malignant'): string {
  const p = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    p,
    `name: checks
data: { source: csv, path: ${csv}, label: diagnosis${positive}, limit: 120 }
model:
  className: Sequential
  config:
    layers:
      - { className: Linear, config: { inFeatures: 30, outFeatures: 1 } }
loss: bceWithLogits
optimizer: { name: adam, lr: 0.01 }
training: { epochs: 1, batchSize: 32 }
`,
  );
  return p;
}

describe('train: checks before training', () => {
  it('an output directory that cannot be written fails before training, naming the path', async () => {
    const ro = join(dir, 'readonly');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    const asRoot = process.getuid?.() === 0;
    const target = asRoot ? join(dir, 'a-file') : join(ro, 'out');
    // root ignores permissions: a path under a regular file is unwritable for everyone.
    if (asRoot) writeFileSync(target, 'x');
    const r = await cli(
      'train',
      config(resolve('datasets/breast_cancer.csv')),
      '--out',
      asRoot ? join(target, 'out') : target,
      '--quiet',
    );
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /\[train\] cannot create the output directory .*(out|a-file).*: (EACCES|ENOTDIR|EEXIST)/,
    );
    assert.doesNotMatch(r.out, /data:/); // refused before the data was even read
  });

  it('a training split with one class is refused up front', async () => {
    const table = await ts.data.readCsv('datasets/breast_cancer.csv');
    const lines = [`diagnosis,${table.columns.filter((c) => c !== 'diagnosis').join(',')}`];
    for (let i = 0; i < 120; i++) {
      const row = ts.data.getRow(table, i);
      lines.push(['benign', ...table.columns.filter((c) => c !== 'diagnosis').map((c) => row[c])].join(','));
    }
    const csv = join(dir, 'one-class.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const r = await cli('train', config(csv, ''), '--out', join(dir, 'one'), '--quiet');
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /\[train\] the training split holds a single class \(benign\); a classifier needs at least two/,
    );
  });

  it('a v0 checkpoint left only as .checkpoint.tmp-*.old by a killed swap still loads', () => {
    const run = join(dir, 'killed');
    mkdirSync(run);
    cpSync('test/fixtures/checkpoint-v0/checkpoint', join(run, '.checkpoint.tmp-123-abc.old'), {
      recursive: true,
    });
    const m = ts.saving.load(run);
    assert.deepEqual(m.classes, ['benign', 'malignant']);
  });
});
