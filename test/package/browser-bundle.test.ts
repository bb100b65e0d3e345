/**
 * The browser build in real headless Chromium (@sparticuz/chromium, driven by playwright-core): the current
 * sources are bundled (scripts/build-browser.mjs) into a temp dir and served from loopback, once with the
 * cross-origin isolation headers (COOP/COEP) and once without. The page loads the bundle, `init()`s the wasm
 * backend and trains an MLP for 300 Adam steps; the test checks the loss falls and that the losses and final
 * weights match the same program on Node's wasm backend (one thread, same kernel build) within 1e-5. Isolated,
 * the page runs on the Web Worker pool (more than one thread, and workers really ran blocks: the MLP's 256x64x64
 * products are above the size that splits); not isolated, on one thread even when init asks for two, and
 * `wasmInfo().threading` says which.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Runs in the page and in Node alike: plain JavaScript over the public API, `ts` passed in. */
const PROGRAM = `async (ts) => {
  ts.manualSeed(7);
  const n = 256;
  const xs = new Float32Array(n * 2);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = (i % 16) / 8 - 1;
    const b = Math.floor(i / 16) / 8 - 1;
    xs[2 * i] = a;
    xs[2 * i + 1] = b;
    ys[i] = Math.sin(2 * a) + b * b - 0.5;
  }
  const x = ts.tensor(xs, { shape: [n, 2] });
  const y = ts.tensor(ys, { shape: [n, 1] });
  const model = new ts.nn.Sequential(
    new ts.nn.Linear(2, 64),
    new ts.nn.Tanh(),
    new ts.nn.Linear(64, 64),
    new ts.nn.Tanh(),
    new ts.nn.Linear(64, 1),
  );
  const opt = new ts.optim.Adam(model.parameters(), { lr: 0.01 });
  const losses = [];
  for (let step = 0; step < 300; step++) {
    opt.zeroGrad();
    const loss = ts.functional.mseLoss(model.forward(x), y);
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  const be = ts.getBackend();
  return {
    backend: be.name,
    flavor: be.flavor,
    threads: be.threads,
    losses,
    weights: model.parameters().map((p) => Array.from(p.toTypedArray())),
  };
}`;

const PAGE = `<!doctype html><meta charset="utf-8"><title>tensorscript</title>
<script type="module">
import * as ts from './tensorscript.js';
try {
  const q = new URLSearchParams(location.search);
  const opts = { quiet: true };
  if (q.has('threads')) opts.threads = Number(q.get('threads'));
  if (q.has('adaptive')) opts.adaptive = q.get('adaptive') === '1';
  const info = await ts.init(opts);
  const run = await (${PROGRAM})(ts);
  window.result = { info, after: ts.wasmInfo(), isolated: self.crossOriginIsolated, run };
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
</script>`;

interface Result {
  backend: string;
  flavor: string;
  threads: number;
  losses: number[];
  weights: number[][];
}
interface Info {
  flavor: string;
  threads: number;
  crossOriginIsolated: boolean;
  threading: string;
  dispatchedTasks: number;
  workerBlocks: number;
}
interface PageResult {
  error?: string;
  isolated: boolean;
  /** What init returned, and wasmInfo() after training (the pool's counters by then). */
  info: Info;
  after: Info;
  run: Result;
}

let server: Server;
let base = '';
let browser: Browser;
let node: Result;
const requests: string[] = [];

function serve(dir: string): Promise<string> {
  const files: Record<string, [string, Buffer]> = {
    '/index.html': ['text/html', Buffer.from(PAGE)],
    '/tensorscript.js': ['text/javascript', readFileSync(join(dir, 'tensorscript.js'))],
    '/kernels-simd.wasm': ['application/wasm', readFileSync(join(dir, 'kernels-simd.wasm'))],
    '/kernels-relaxed.wasm': ['application/wasm', readFileSync(join(dir, 'kernels-relaxed.wasm'))],
  };
  server = createServer((req, res) => {
    // /iso/... answers with the cross-origin isolation headers, /plain/... without.
    const m = /^\/(iso|plain)(\/[^?]*)/.exec(req.url ?? '');
    const f = m ? files[m[2]!] : undefined;
    requests.push(req.url ?? '');
    if (!m || !f) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { 'content-type': f[0] };
    if (m[1] === 'iso') {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    res.writeHead(200, headers).end(f[1]);
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      done(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
    }),
  );
}

/**
 * Loads the page. Isolated: the pool with its default thread count (navigator.hardwareConcurrency), or 2 where
 * Chromium reports one core, and adaptive off so every task big enough to split goes to the workers. Plain:
 * init asks for 2 threads, which a page without isolation cannot have.
 */
async function inPage(kind: 'iso' | 'plain'): Promise<PageResult> {
  const page = await browser.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(String(e)));
  try {
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const query = kind === 'plain' ? '?threads=2' : cores >= 2 ? '?adaptive=0' : '?adaptive=0&threads=2';
    await page.goto(`${base}/${kind}/index.html${query}`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, {
      timeout: 60_000,
    });
    const r = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as PageResult;
    assert.equal(r.error, undefined, `${kind} page: ${r.error}\n${logs.join('\n')}`);
    return r;
  } finally {
    await page.close();
  }
}

function close(a: readonly number[], b: readonly number[], what: string): void {
  assert.equal(a.length, b.length, what);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  assert.ok(worst <= 1e-5, `${what}: browser and Node differ by ${worst}`);
}

describe('browser bundle in headless Chromium', () => {
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-browser-'));
    const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-browser.mjs'), '--out', dir], {
      encoding: 'utf8',
    });
    assert.equal(b.status, 0, `build-browser failed: ${b.stdout}${b.stderr}`);
    base = await serve(dir);
    browser = await launchChromium();
    // The same program on Node's wasm backend, one thread, the kernel build the browser picked (relaxed SIMD:
    // Node 20 needs the flag for it).
    const flag = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
    const child = `import * as ts from ${JSON.stringify(join(ROOT, 'src', 'index.ts'))};
console.log(JSON.stringify(await (${PROGRAM})(ts)));`;
    const r = spawnSync(process.execPath, [...flag, '--import', 'tsx', '--input-type=module', '-e', child], {
      encoding: 'utf8',
      cwd: ROOT,
      env: { ...process.env, TENSORSCRIPT_THREADS: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    node = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Result;
    assert.equal(node.backend, 'wasm');
    assert.equal(node.threads, 1);
  });

  after(async () => {
    await browser?.close();
    server?.close();
  });

  for (const kind of ['iso', 'plain'] as const) {
    it(`${kind === 'iso' ? 'cross-origin isolated' : 'plain'} page: trains on wasm, loss falls, matches Node`, async (t) => {
      const r = await inPage(kind);
      t.diagnostic(
        `${r.info.threading}; ${r.after.dispatchedTasks} tasks dispatched, ${r.after.workerBlocks} blocks on workers`,
      );
      assert.equal(r.isolated, kind === 'iso');
      assert.equal(r.info.crossOriginIsolated, kind === 'iso');
      assert.equal(r.run.backend, 'wasm');
      if (kind === 'iso') {
        assert.ok(r.info.threads > 1, `isolated page on ${r.info.threads} thread(s): ${r.info.threading}`);
        assert.match(
          r.info.threading,
          /^\d+ threads \(the page and (one Web Worker|\d+ Web Workers) on shared memory\): the page is cross-origin isolated$/,
        );
        assert.equal(r.run.threads, r.info.threads);
        // The pool really ran: tasks went to the workers and workers, not only the page, ran blocks.
        assert.ok(r.after.dispatchedTasks > 0, 'no task was dispatched to the workers');
        assert.ok(r.after.workerBlocks > 0, `workers ran no block of ${r.after.dispatchedTasks} tasks`);
      } else {
        assert.equal(r.info.threads, 1);
        assert.equal(r.run.threads, 1);
        assert.match(
          r.info.threading,
          /^one thread: the page is not cross-origin isolated .*\(init asked for 2\)$/,
        );
        assert.equal(r.after.dispatchedTasks, 0);
        assert.equal(r.after.workerBlocks, 0);
      }
      assert.equal(r.run.flavor, node.flavor, 'the page and Node ran different kernel builds');
      const l = r.run.losses;
      assert.ok(l.at(-1)! < l[0]! / 10, `loss ${l[0]} -> ${l.at(-1)}`);
      close(l, node.losses, 'losses');
      for (const [i, w] of r.run.weights.entries()) close(w, node.weights[i]!, `parameter ${i}`);
      // The kernels came over HTTP from next to the bundle (no file system, no inlined bytes).
      assert.ok(
        requests.some((u) => u.startsWith(`/${kind}/kernels-${r.info.flavor}.wasm`)),
        `requests: ${requests.join(', ')}`,
      );
    });
  }
});
