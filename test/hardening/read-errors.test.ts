import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/index.ts';
import * as ts from '../../src/index.ts';

// Hardening item 7: a data path that is a directory (or unreadable) came out as a raw
// "EISDIR: illegal operation on a directory, read" with no path, through the CLI as an uncaught exception.
const dir = mkdtempSync(join(tmpdir(), 'ts-read-err-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const folder = join(dir, 'a-folder');
mkdirSync(folder);

describe('reading a data file that is a directory or unreadable names the op and the path', () => {
  const readers: [string, (p: string) => Promise<unknown>][] = [
    ['readCsv', (p) => ts.data.readCsv(p)],
    ['readJson', (p) => ts.data.readJson(p)],
    ['readJsonl', (p) => ts.data.readJsonl(p)],
    ['readIdx', (p) => ts.data.readIdx(p)],
  ];
  for (const [op, read] of readers)
    it(`${op}: a directory`, async () => {
      await assert.rejects(read(folder), (e: unknown) => {
        assert.ok(e instanceof ts.TensorScriptError, String(e));
        assert.equal(e.message, `[${op}] ${folder} is a directory; expected a file`);
        return true;
      });
    });

  it('readCsv: a file without read permission', { skip: process.getuid?.() === 0 }, async () => {
    const p = join(dir, 'locked.csv');
    writeFileSync(p, 'a,b\n1,2\n');
    chmodSync(p, 0o000);
    await assert.rejects(
      ts.data.readCsv(p),
      new RegExp(`^TensorScriptError: \\[readCsv\\] ${p}: permission denied \\(EACCES\\)`),
    );
  });

  it('tensorscript train with data.path set to a directory: a one-line error, exit code 1', async () => {
    const cfg = join(dir, 'dir.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        name: 'dir-path',
        data: { source: 'csv', path: folder, label: 'y' },
        model: { className: 'Linear', config: { inFeatures: 2, outFeatures: 1 } },
        loss: 'mse',
        optimizer: { name: 'sgd', lr: 0.1 },
      }),
    );
    let err = '';
    const code = await main(['train', cfg, '--out', join(dir, 'out'), '--quiet'], {
      out: () => {},
      err: (s) => (err += s),
    });
    assert.equal(code, 1);
    assert.match(err, new RegExp(`\\[readCsv\\] ${folder} is a directory; expected a file`));
    assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
  });
});
