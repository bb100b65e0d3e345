import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { renderPhases } from '../../bench/phases-report.ts';
import { checkTargets, ratios, renderRatios, renderTable } from '../../bench/report.ts';
import { plan } from '../../bench/run.ts';
import { type Figure, median, quantile } from '../../bench/stats.ts';

test('npm run bench -- --quick --json --only tensorscript:gemm prints only JSON figure lines', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/run.ts', '--quick', '--json', '--only', 'tensorscript:gemm'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const all = lines.map((l) => JSON.parse(l) as Figure);
  assert.deepEqual(
    all.filter((f) => f.framework === 'machine').map((f) => f.name),
    ['machine.load_start', 'machine.load_end'],
  );
  const figs = all.filter((f) => f.framework !== 'machine');
  const names = figs.map((f) => f.name);
  for (const size of ['256^3', '1024^3', '128x784x500'])
    assert.ok(names.includes(`gemm ${size}`), names.join());
  for (const f of figs) {
    assert.equal(typeof f.name, 'string');
    assert.equal(typeof f.value, 'number');
    assert.ok(Number.isFinite(f.value) && (f.value as number) > 0, `${f.name}: ${f.value}`);
    assert.equal(f.unit, 'GFLOPS');
    assert.equal(f.framework, 'tensorscript');
    assert.equal(typeof f.threads, 'number');
    assert.equal(typeof f.backend, 'string');
  }
  // Progress goes to stderr, never stdout.
  assert.match(r.stderr, /\[bench\] tensorscript:gemm/);
});

test('bench/run.ts with an --only that matches nothing fails with a message', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/run.ts', '--json', '--only', 'no-such-job'],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /no job matches --only no-such-job/);
});

test('the plan covers every workload on 1 and all threads, filters by --only, and keeps --quick short', () => {
  const full = plan({ quick: false, tfjs: true, torch: true, threads: 2, python: '/usr/bin/python3' }).map(
    (j) => j.id,
  );
  for (const id of [
    'tensorscript:gemm',
    'tensorscript:mlp.train:t1',
    'tensorscript:mlp.train:t2',
    'tensorscript:cnn.train:t2',
    'tensorscript:mlp.infer:t1',
    'tensorscript:mlp.phases:t1',
    'tensorscript:mlp.phases:t2',
    'tensorscript:memory.epoch:t2',
    'tensorscript:data',
    'tfjs:mlp.train:wasm',
    'tfjs:mlp.train:cpu',
    'tfjs:cnn.train:cpu',
    'tfjs:cnn.train:wasm',
    'pytorch:mlp.train:t1',
    'pytorch:mlp.train:t2:omp1blas2',
    'pytorch:gemm:t2',
  ])
    assert.ok(full.includes(id), `missing ${id}`);
  const notes: string[] = [];
  const quick = plan({ quick: true, tfjs: true, torch: false, threads: 2, notes }).map((j) => j.id);
  assert.ok(!quick.includes('tfjs:cnn.train:cpu'));
  assert.ok(!quick.some((id) => id.startsWith('pytorch')));
  assert.equal(notes.length, 1);
  const only = plan({ quick: false, only: 'gemm', tfjs: true, torch: false, threads: 1 }).map((j) => j.id);
  assert.deepEqual(only, ['tensorscript:gemm', 'tfjs:gemm:wasm', 'tfjs:gemm:cpu']);
});

test('median and nearest-rank quantile', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  const xs = Array.from({ length: 200 }, (_, i) => i + 1);
  assert.equal(quantile(xs, 0.99), 198);
  assert.equal(quantile([5], 0.99), 5);
});

const fig = (
  name: string,
  value: number | null,
  unit: string,
  ctx: Record<string, string | number>,
): Figure => ({
  name,
  value,
  unit,
  ...ctx,
});

test('ratios read as speed-ups, pair PyTorch by threads and take its best pool setting', () => {
  const figs = [
    fig('mlp.train', 10_000, 'samples/s', { framework: 'tensorscript', threads: 2 }),
    fig('mlp.train', 1_000, 'samples/s', { framework: 'tfjs', backend: 'wasm', threads: 1 }),
    fig('mlp.train', 20_000, 'samples/s', { framework: 'pytorch', threads: 2, omp: 2, blas: 2 }),
    fig('mlp.train', 40_000, 'samples/s', { framework: 'pytorch', threads: 2, omp: 1, blas: 2 }),
    fig('mlp.infer.b1.median', 0.2, 'ms', { framework: 'tensorscript', threads: 2 }),
    fig('mlp.infer.b1.median', 0.1, 'ms', { framework: 'pytorch', threads: 2 }),
    fig('cnn.train', null, 'samples/s', { framework: 'tfjs', backend: 'wasm', threads: 1, error: 'x' }),
    fig('cnn.train', 500, 'samples/s', { framework: 'tensorscript', threads: 2 }),
  ];
  const rs = ratios(figs, 2);
  const get = (n: string) => rs.find((r) => r.name === n)?.value;
  assert.equal(get('ratio mlp.train tensorscript/tfjs-wasm'), 10);
  assert.equal(get('ratio mlp.train tensorscript/pytorch'), 0.25);
  assert.equal(get('ratio mlp.infer.b1.median tensorscript/pytorch'), 0.5);
  assert.equal(get('ratio cnn.train tensorscript/tfjs-wasm'), undefined);
  assert.match(renderRatios(rs), /vs tfjs-wasm/);
  const table = renderTable(figs, 2);
  assert.match(table, /cannot/);
  assert.match(table, /40,000/);
});

test('targets: met, missed by how much, and memory flatness', () => {
  const ts = { framework: 'tensorscript', threads: 2 };
  const checks = checkTargets(
    [
      fig('gemm 1024^3', 60, 'GFLOPS', ts),
      fig('mlp.train', 12_000, 'samples/s', ts),
      fig('mlp.infer.b1.median', 0.2, 'ms', ts),
      fig('memory.epoch.live_growth', 0, 'buffers', ts),
      fig('memory.epoch.rss_growth', 2, 'MB', ts),
    ],
    2,
  );
  const by = (l: string) => checks.find((c) => c.label.startsWith(l))!;
  assert.equal(by('GEMM 1024^3').met, false);
  assert.match(by('GEMM 1024^3').note, /20% short/);
  assert.equal(by('MLP training').met, true);
  assert.equal(by('MLP inference batch 1').met, false);
  assert.match(by('MLP inference batch 1').note, /2\.00x the target/);
  assert.equal(by('Memory').met, true);
});

test('the MLP phase table: a row per phase, a column per thread count, kept out of the other-figures table', () => {
  const figs: Figure[] = [];
  for (const [t, g] of [
    [1, 6.2],
    [2, 3.4],
  ] as const) {
    const c = { framework: 'tensorscript', threads: t };
    figs.push(fig('mlp.step', g + 1.5, 'ms', c));
    figs.push({ ...fig('mlp.step.gemm', g, 'ms', c), share: 80 });
    figs.push({ ...fig('mlp.step.elementwise', 0.4, 'ms', c), share: 5 });
    figs.push({ ...fig('mlp.step.optimizer', 0.3, 'ms', c), share: 4 });
    figs.push({ ...fig('mlp.step.overhead', 0.8, 'ms', c), share: 11 });
  }
  const table = renderPhases(figs);
  assert.match(table, /1 thread, ms\s+2 threads, ms/);
  assert.match(table, /GEMM\s+6\.20 \(80%\)\s+3\.40 \(80%\)/);
  assert.match(table, /framework overhead/);
  assert.match(table, /step \(median\)\s+7\.70\s+4\.90/);
  assert.doesNotMatch(renderTable(figs, 2), /mlp\.step/);
  assert.equal(renderPhases([]), '');
});
