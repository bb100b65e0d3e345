import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

const binding = ts.tracking.sqliteBinding();
// Node 20 without better-sqlite3 has no SQLite binding; CI runs this file on Node 22 and 24 (node:sqlite).
const skip = binding.name === null ? binding.reason : false;
const dir = mkdtempSync(join(tmpdir(), 'ts-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function child(store: string, name: string, seed: number): Promise<{ runId: string; loss: number[] }> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'store-child.ts'), store, name, String(seed)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim())) : reject(new Error(`child ${name}: ${code}\n${err}`)),
    );
  });
}

describe('run store', { skip }, () => {
  it('two fits in parallel processes on one store both read back complete', async () => {
    const store = join(dir, 'runs.sqlite');
    // Created first so both children find the schema (a race on creation is covered by BEGIN IMMEDIATE too).
    new ts.tracking.RunStore(store).close();
    const [a, b] = await Promise.all([child(store, 'a', 1), child(store, 'b', 2)]);
    const s = new ts.tracking.RunStore(store);
    try {
      const runs = s.runs();
      assert.deepEqual(runs.map((r) => r.name).sort(), ['a', 'b']);
      for (const [r, res] of [
        [a, 'a'],
        [b, 'b'],
      ] as const) {
        const run = s.run(r.runId);
        assert.equal(run.name, res);
        assert.equal(run.status, 'finished');
        assert.equal(run.params.lr, 0.05);
        // 72 training rows in batches of 4: 18 steps an epoch, 4 epochs.
        const steps = s.metrics(r.runId, 'loss').filter((m) => m.scope === 'step');
        assert.deepEqual(
          steps.map((m) => m.step),
          Array.from({ length: 72 }, (_, i) => i),
        );
        const epochLoss = s.metrics(r.runId, 'loss').filter((m) => m.scope === 'epoch');
        assert.equal(epochLoss.length, 4);
        for (const [i, m] of epochLoss.entries()) assert.ok(Math.abs(m.value - r.loss[i]!) < 1e-12);
        for (const key of ['val_loss', 'accuracy', 'val_accuracy', 'samples_per_sec', 'heap_mb'])
          assert.equal(s.metrics(r.runId, key).length, 4, key);
      }
    } finally {
      s.close();
    }
  });

  it('records its schema version and refuses a newer store', () => {
    const store = join(dir, 'v.sqlite');
    const s = new ts.tracking.RunStore(store);
    s.logArtifact(s.createRun('x'), 'report/report.html', 'report');
    s.close();
    const db = ts.tracking.openSqlite(store);
    assert.equal(
      Number(db.prepare('SELECT MAX(version) AS v FROM schema_version').get()!.v),
      ts.tracking.RUN_STORE_SCHEMA_VERSION,
    );
    db.prepare('INSERT INTO schema_version (version) VALUES (99)').run();
    db.close();
    assert.throws(() => new ts.tracking.RunStore(store), /schema version 99/);
  });
});
