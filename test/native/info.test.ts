// `tensorscript info` names the native engine: onnxruntime-node's version, threads and execution providers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';

test('info --json and info report the native engine', async () => {
  let out = '';
  const io = { out: (s: string) => (out += s), err: () => {} };
  assert.equal(await main(['info', '--json'], io), 0);
  const n = JSON.parse(out).native;
  assert.equal(n.available, true);
  assert.match(n.version, /^1\.\d+\.\d+/);
  assert.ok(n.providers.includes('cpu'));
  assert.ok(n.providers.includes('cuda (libraries not bundled)'));
  out = '';
  assert.equal(await main(['info'], io), 0);
  assert.match(out, /^native {7}onnxruntime-node 1\.\d+\.\d+, \d+ threads, providers cpu/m);
});
