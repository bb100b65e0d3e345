// `npm run build`: compiles src/ to dist/ (ESM JavaScript, .d.ts and declaration maps) with tsc and copies the
// non-TypeScript assets the compiled code loads at run time (the wasm kernel binaries) next to it.
// dist/ is removed first so a deleted source file cannot leave a stale module behind.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const ASSETS = ['.wasm'];

rmSync(dist, { recursive: true, force: true });
// tsc is resolved from this package's own devDependencies, never a global one.
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.error) {
  console.error(`[build] could not run tsc (${tsc}): ${r.error.message}; run \`npm ci\` first`);
  process.exit(1);
}
if (r.status !== 0) process.exit(r.status ?? 1);

function copyAssets(dir) {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) n += copyAssets(p);
    else if (ASSETS.some((ext) => name.endsWith(ext))) {
      const out = join(dist, relative(src, p));
      mkdirSync(dirname(out), { recursive: true });
      copyFileSync(p, out);
      n++;
    }
  }
  return n;
}
const copied = copyAssets(src);
if (copied === 0) {
  console.error('[build] no .wasm binaries found under src/; the wasm backend would fail to load');
  process.exit(1);
}
console.log(`[build] dist/ written (${copied} asset files copied)`);
// The browser bundle (the `browser` export condition) from the same sources.
const b = spawnSync(process.execPath, [join(root, 'scripts', 'build-browser.mjs')], { stdio: 'inherit' });
if (b.status !== 0) process.exit(b.status ?? 1);
