import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');

it("the README's ten-line API example runs as written", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /## The API in ten lines\s+```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a ts block under "The API in ten lines"');
  // Inside the repository (tmp/ is git-ignored) so the snippet resolves tsx and runs as an ES module.
  mkdirSync(join(ROOT, 'tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'tmp', 'readme-'));
  // Only the import path changes: the snippet imports the package from the repository root.
  const code = `${block[1]!.replace("'./src/index.ts'", JSON.stringify(join(ROOT, 'src', 'index.ts')))}\nconsole.log(JSON.stringify(probs.shape));\n`;
  const file = join(dir, 'readme-example.ts');
  writeFileSync(file, code);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 240_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').pop(), '[5,10]');
  // The safetensors file it saved has PyTorch's Sequential keys.
  const buf = readFileSync(join(dir, 'mlp.safetensors'));
  const header = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString('utf8'));
  assert.deepEqual(
    Object.keys(header)
      .filter((k) => k !== '__metadata__')
      .sort(),
    ['0.bias', '0.weight', '2.bias', '2.weight'],
  );
  rmSync(dir, { recursive: true, force: true });
});
