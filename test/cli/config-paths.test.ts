import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/cli/index.ts';

const MODEL = `model:
  className: Sequential
  config: { layers: [{ className: Linear, config: { inFeatures: 2, outFeatures: 1 } }] }
loss: mse
optimizer: { name: sgd, lr: 0.1 }
`;

describe('run config paths', () => {
  it('data paths resolve against the config file folder, not the current directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-cfg-paths-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'rows.csv'), 'a,b,y\n1,2,3\n');
    writeFileSync(
      join(dir, 'sub', 'c.yaml'),
      `name: p\ndata: { source: csv, path: rows.csv, label: y }\n${MODEL}`,
    );
    const c = loadConfig(join(dir, 'sub', 'c.yaml'));
    assert.equal((c.data as { path: string }).path, join(dir, 'sub', 'rows.csv'));
    assert.notEqual(resolve(process.cwd()), join(dir, 'sub'));
  });

  it('absolute data paths and the output folder are left as written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-cfg-paths-'));
    const abs = join(dir, 'elsewhere.csv');
    writeFileSync(
      join(dir, 'c.yaml'),
      `name: p\ndata: { source: csv, path: ${abs}, label: y }\noutput: runs/p\n${MODEL}`,
    );
    const c = loadConfig(join(dir, 'c.yaml'));
    assert.equal((c.data as { path: string }).path, abs);
    assert.equal(c.output, 'runs/p');
  });

  it('the shipped configs name data files that exist from any working directory', () => {
    for (const f of ['breast-cancer-a', 'breast-cancer-b', 'diabetes-regression']) {
      const c = loadConfig(resolve('configs', `${f}.yaml`));
      const p = (c.data as { path: string }).path;
      assert.ok(existsSync(p), `${f}.yaml: ${p} does not exist`);
    }
  });
});
