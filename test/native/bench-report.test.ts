// The bench report gives the native engine its own columns and ratios against PyTorch and the wasm backend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ratios, renderRatios, renderTable } from '../../bench/report.ts';
import type { Figure } from '../../bench/stats.ts';

const fig = (
  framework: string,
  threads: number,
  value: number,
  name = 'mlp.train',
  unit = 'samples/s',
): Figure => ({
  name,
  value,
  unit,
  framework,
  threads,
});

test('native columns and native/pytorch, native/wasm ratios', () => {
  const figs = [
    fig('tensorscript', 2, 10_000),
    fig('tensorscript-native', 2, 30_000),
    fig('pytorch', 2, 20_000),
    fig('pytorch', 2, 24_000),
    fig('tensorscript-native', 1, 0.5, 'mlp.infer.b64.median', 'ms'),
    fig('pytorch', 1, 1, 'mlp.infer.b64.median', 'ms'),
  ];
  const rs = ratios(figs, 2);
  const get = (n: string, t: number) => rs.find((r) => r.name === n && r.threads === t)?.value;
  assert.equal(get('ratio mlp.train native/pytorch', 2), 30_000 / 24_000);
  assert.equal(get('ratio mlp.train native/wasm', 2), 3);
  assert.equal(get('ratio mlp.infer.b64.median native/pytorch', 1), 2);
  assert.equal(get('ratio mlp.train tensorscript/pytorch', 2), 10_000 / 24_000);
  const table = renderTable(figs, 2);
  assert.match(table, /TS native 1 thr.*TS native 2 thr/);
  assert.match(table, /mlp\.train\s+samples\/s\s+-\s+10,000\s+-\s+30,000/);
  assert.match(renderRatios(rs), /mlp\.train \(native\)\s+2\s+.*1\.25x/);
});
