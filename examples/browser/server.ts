/**
 * Serves the browser example (examples/browser/index.html) from loopback: the page, the browser bundle and its
 * wasm kernels (dist/bundle, built by `npm run build`), and a slice of MNIST as one binary file
 * (/mnist.bin: uint32 count, then count x 784 float32 pixels in [0, 1], then count uint8 labels; train slice
 * first, then test slice). Every answer carries COOP/COEP unless `isolated` is false, so the page is
 * cross-origin isolated and the wasm backend runs on its Web Worker pool. Run it with
 * `npx tsx examples/browser/serve.ts [--plain] [--port 8090]`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import * as ts from '../../src/index.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

export interface ExampleServerOptions {
  /** Send COOP/COEP (default true): the page gets shared memory, so the backend's worker pool. */
  readonly isolated?: boolean;
  readonly port?: number;
  /** Folder with tensorscript.js and the kernels (default dist/bundle). */
  readonly bundleDir?: string;
  readonly trainCount?: number;
  readonly testCount?: number;
}

async function mnistSlice(trainCount: number, testCount: number): Promise<Buffer> {
  const train = await ts.data.loadMnist({ split: 'train', flatten: true, limit: trainCount });
  const test = await ts.data.loadMnist({ split: 'test', flatten: true, limit: testCount });
  const n = train.length + test.length;
  const buf = Buffer.alloc(4 + n * 784 * 4 + n);
  buf.writeUInt32LE(n, 0);
  Buffer.from(train.images.buffer, train.images.byteOffset, train.images.byteLength).copy(buf, 4);
  Buffer.from(test.images.buffer, test.images.byteOffset, test.images.byteLength).copy(
    buf,
    4 + train.length * 3136,
  );
  const labels = 4 + n * 3136;
  for (let i = 0; i < train.length; i++) buf[labels + i] = train.labels[i]!;
  for (let i = 0; i < test.length; i++) buf[labels + train.length + i] = test.labels[i]!;
  return buf;
}

export async function startExampleServer(
  o: ExampleServerOptions = {},
): Promise<{ server: Server; url: string }> {
  const bundle = o.bundleDir ?? join(ROOT, 'dist', 'bundle');
  if (!existsSync(join(bundle, 'tensorscript.js')))
    throw new Error(`[example] ${bundle}/tensorscript.js is missing: run \`npm run build\``);
  const files: Record<string, [string, Buffer]> = {
    '/': ['text/html', readFileSync(join(import.meta.dirname, 'index.html'))],
    '/app.js': ['text/javascript', readFileSync(join(import.meta.dirname, 'app.js'))],
    '/tensorscript.js': ['text/javascript', readFileSync(join(bundle, 'tensorscript.js'))],
    '/kernels-simd.wasm': ['application/wasm', readFileSync(join(bundle, 'kernels-simd.wasm'))],
    '/kernels-relaxed.wasm': ['application/wasm', readFileSync(join(bundle, 'kernels-relaxed.wasm'))],
    '/mnist.bin': ['application/octet-stream', await mnistSlice(o.trainCount ?? 2000, o.testCount ?? 500)],
  };
  const server = createServer((req, res) => {
    const f = files[(req.url ?? '/').split('?')[0]!];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { 'content-type': f[0], 'cache-control': 'no-store' };
    if (o.isolated !== false) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    res.writeHead(200, headers).end(f[1]);
  });
  const url = await new Promise<string>((done) =>
    server.listen(o.port ?? 0, '127.0.0.1', () => {
      const a = server.address();
      done(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`);
    }),
  );
  return { server, url };
}
