// Build check (run by .ci/run after it installs clang, lld and llvm; not part of `npm test`, which needs only
// Node and npm): the committed kernels-*.wasm must be exactly what scripts/build-wasm.sh makes from the C sources
// in src/backends/wasm/csrc. Rebuilds into a temp dir and compares sha256; a missing tool is an error naming it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const sha = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');

const missing = ['clang', 'wasm-ld'].filter((c) => !have(c));
if (missing.length > 0) {
  console.error(`[check-wasm-build] missing ${missing.join(', ')}: apt-get install clang lld llvm`);
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'ts-wasm-build-'));
let bad = 0;
try {
  const r = spawnSync('bash', [join(root, 'scripts/build-wasm.sh'), dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`[check-wasm-build] build-wasm.sh failed:\n${r.stdout}\n${r.stderr}`);
    process.exit(1);
  }
  for (const f of ['kernels-simd.wasm', 'kernels-relaxed.wasm']) {
    if (sha(join(dir, f)) !== sha(join(root, 'src/backends/wasm', f))) {
      console.error(
        `[check-wasm-build] ${f} differs from a fresh build: run scripts/build-wasm.sh and commit it`,
      );
      bad++;
    } else console.log(`[check-wasm-build] ${f}: identical to a fresh build from csrc/`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(bad === 0 ? 0 : 1);
