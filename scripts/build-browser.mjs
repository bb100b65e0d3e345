// The browser build (run by scripts/build.mjs after tsc): src/browser.ts bundled by esbuild into one ESM file,
// dist/bundle/tensorscript.js, with the two wasm kernel binaries beside it (init() fetches them from there).
// `--out <dir>` writes elsewhere (the browser test bundles the current sources into a temp dir).
// node:fs and node:os, the two Node modules the wasm backend imports, and node-workers.ts (the Node pool host, the
// only importer of node:worker_threads) resolve to src/backends/wasm/browser-shims.ts, which the browser backend
// never calls (init() compiles its module, passes its thread count and starts Web Workers instead). Every other
// Node module is an error, node:worker_threads included: platform 'browser' cannot resolve it, so a browser-entry
// import of a Node-only module fails the build instead of the page.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 && process.argv[outArg + 1] ? process.argv[outArg + 1] : join(root, 'dist', 'bundle');
let esbuild;
try {
  esbuild = await import('esbuild');
} catch (e) {
  console.error(`[build-browser] the devDependency esbuild is missing (${e.message}): run \`npm ci\``);
  process.exit(1);
}
const shim = join(root, 'src', 'backends', 'wasm', 'browser-shims.ts');
mkdirSync(out, { recursive: true });
const r = await esbuild.build({
  entryPoints: [join(root, 'src', 'browser.ts')],
  outfile: join(out, 'tensorscript.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: false,
  legalComments: 'none',
  alias: { 'node:fs': shim, 'node:os': shim },
  plugins: [
    {
      name: 'node-pool-host',
      setup(b) {
        b.onResolve({ filter: /\/node-workers\.ts$/ }, () => ({ path: shim }));
      },
    },
  ],
  metafile: true,
  logLevel: 'warning',
});
for (const f of ['kernels-simd.wasm', 'kernels-relaxed.wasm'])
  copyFileSync(join(root, 'src', 'backends', 'wasm', f), join(out, f));
const bytes = Object.values(r.metafile.outputs).reduce((a, o) => a + o.bytes, 0);
console.log(`[build-browser] ${join(out, 'tensorscript.js')} written (${(bytes / 1024).toFixed(0)} KiB)`);
