// A model trained in code on breast_cancer.csv, saved, and loaded in a fresh process gives identical predictions.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import { trainBreastCancer } from './helpers/train-bc.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-saving-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('saving: round trip', () => {
  it('save -> load in a child process -> identical predictions', async () => {
    const { saved, rows } = await trainBreastCancer();
    const before = saved.predict(rows);
    const acc = saved.evaluate(
      rows,
      rows.map((r) => r.diagnosis as string),
    ).accuracy!;
    assert.ok(acc > 0.9, `accuracy ${acc}`);
    const out = join(dir, 'bc');
    const version = saved.save(out);
    for (const f of ['config.json', 'model.safetensors', 'preprocess.json', 'labels.json', 'card.json'])
      assert.ok(existsSync(join(version, f)), f);
    const card = JSON.parse(readFileSync(join(version, 'card.json'), 'utf8'));
    assert.match(card.data.fingerprint, /^sha256:[0-9a-f]{64}$/);
    assert.equal(typeof card.data.features.mean_radius.mean, 'number');
    const input = join(dir, 'rows.json');
    writeFileSync(input, JSON.stringify(rows));
    const script = join(dir, 'child.mts');
    writeFileSync(
      script,
      `import * as ts from ${JSON.stringify(join(process.cwd(), 'src/index.ts'))};
import { readFileSync } from 'node:fs';
const m = ts.saving.load(${JSON.stringify(out)});
process.stdout.write(JSON.stringify(m.predict(JSON.parse(readFileSync(${JSON.stringify(input)}, 'utf8')))));`,
    );
    const child = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' }),
    );
    assert.deepEqual(child, JSON.parse(JSON.stringify(before)));
  });

  it('refuses a newer major version and a tensor named __proto__', async () => {
    const { saved, rows } = await trainBreastCancer(1);
    const out = join(dir, 'newer');
    saved.save(out);
    const pf = join(out, ts.saving.POINTER_FILE);
    const p = JSON.parse(readFileSync(pf, 'utf8'));
    writeFileSync(pf, JSON.stringify({ ...p, version: '2.0' }));
    assert.throws(
      () => ts.saving.load(out),
      /\[load\] .*written by a newer TensorScript \(format version 2\.0/,
    );
    writeFileSync(pf, JSON.stringify({ ...p, version: '1.7' }));
    assert.equal(ts.saving.load(out).predict(rows.slice(0, 1)).length, 1);
  });
});
