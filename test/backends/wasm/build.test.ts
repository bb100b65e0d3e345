import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

/*
 * The committed kernels-*.wasm must be exactly what scripts/build-wasm.sh makes from the C sources in
 * the repository: rebuild into a temp dir and compare sha256. Without the toolchain this fails (CI
 * installs it from .ci/apt-packages.txt) rather than passing silently.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

it('shipped wasm binaries are rebuilt byte for byte from src/backends/wasm/csrc', () => {
  const missing = ['clang', 'wasm-ld'].filter((c) => !have(c));
  assert.deepEqual(
    missing,
    [],
    `missing ${missing.join(', ')}: install the toolchain with apt-get install clang lld llvm`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'ts-wasm-build-'));
  try {
    const r = spawnSync('bash', [join(root, 'scripts/build-wasm.sh'), dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, `build-wasm.sh failed:\n${r.stdout}\n${r.stderr}`);
    for (const f of ['kernels-simd.wasm', 'kernels-relaxed.wasm']) {
      assert.equal(
        sha(join(dir, f)),
        sha(join(root, 'src/backends/wasm', f)),
        `${f} differs from a fresh build: run scripts/build-wasm.sh and commit the result`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
