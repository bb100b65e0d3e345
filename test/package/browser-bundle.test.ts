/**
 * The browser build in real headless Chromium (@sparticuz/chromium, driven by playwright-core): the current
 * sources are bundled (scripts/build-browser.mjs) into a temp dir and served from loopback, once with the
 * cross-origin isolation headers (COOP/COEP) and once without. The page loads the bundle, `init()`s the wasm
 * backend and trains a small MLP for 300 Adam steps; the test checks the loss falls and that the losses and
 * final weights match the same program on Node's wasm backend (one thread, same kernel build) within 1e-5.
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
  const n = 64;
  const xs = new Float32Array(n * 2);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = (i % 8) / 4 - 1;
    const b = Math.floor(i / 8) / 4 - 1;
    xs[2 * i] = a;
    xs[2 * i + 1] = b;
    ys[i] = Math.sin(2 * a) + b * b - 0.5;
  }
  const x = ts.tensor(xs, { shape: [n, 2] });
  const y = ts.tensor(ys, { shape: [n, 1] });
  const model = new ts.nn.Sequential(new ts.nn.Linear(2, 16), new ts.nn.Tanh(), new ts.nn.Linear(16, 1));
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
  const info = await ts.init({ quiet: true });
  const run = await (${PROGRAM})(ts);
  window.result = { info, isolated: self.crossOriginIsolated, run };
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
interface PageResult {
  error?: string;
  isolated: boolean;
  info: { flavor: string; threads: number; crossOriginIsolated: boolean; threading: string };
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

async function inPage(kind: 'iso' | 'plain'): Promise<PageResult> {
  const page = await browser.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(String(e)));
  try {
    await page.goto(`${base}/${kind}/index.html`, { waitUntil: 'load' });
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
    it(`${kind === 'iso' ? 'cross-origin isolated' : 'plain'} page: trains on wasm, loss falls, matches Node`, async () => {
      const r = await inPage(kind);
      assert.equal(r.isolated, kind === 'iso');
      assert.equal(r.info.crossOriginIsolated, kind === 'iso');
      assert.equal(r.info.threads, 1);
      assert.match(
        r.info.threading,
        kind === 'iso' ? /isolated, but .* no Web Worker pool/ : /not cross-origin isolated/,
      );
      assert.equal(r.run.backend, 'wasm');
      assert.equal(r.run.threads, 1);
      assert.equal(r.run.flavor, node.flavor, 'the page and Node ran different kernel builds');
      const l = r.run.losses;
      assert.ok(l.at(-1)! < l[0]! / 10, `loss ${l[0]} -> ${l.at(-1)}`);
      close(l, node.losses, 'losses');
      for (const [i, w] of r.run.weights.entries()) close(w, node.weights[i]!, `parameter ${i}`);
      // The kernels came over HTTP from next to the bundle (no file system, no inlined bytes).
      assert.ok(
        requests.includes(`/${kind}/kernels-${r.info.flavor}.wasm`),
        `requests: ${requests.join(', ')}`,
      );
    });
  }
});
