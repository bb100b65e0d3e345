/**
 * What a new user gets: `npm pack` the repository, install the tarball into an empty project from a temporary
 * folder, then use it there with plain Node (ESM and require), a strict TypeScript program (nodenext and bundler
 * resolution, zero errors against the shipped declarations) and the CLI on the consumer's own CSV and config.
 *
 * The install is offline: the consumer's lockfile is the runtime part of the repository's own lockfile (the
 * tarballs npm ci already put in the npm cache), so the test needs no network and installs the same versions
 * CI tested. Every child process runs on this test's Node (process.execPath first in PATH), so running the
 * test under Node 22 or 24 tests the package there.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { APP_CJS, APP_MJS, MAIN_TS, pointsCsv, TINY_YAML, tsconfig } from './consumer-files.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
// Children use this test's runtime: `node` and the bin's `#!/usr/bin/env node` resolve through PATH.
const ENV = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function sh(cmd: string, args: readonly string[], cwd: string, timeoutMs = 60_000): Promise<Run> {
  return new Promise((done, fail) => {
    const p = spawn(cmd, args, { cwd, env: ENV, timeout: timeoutMs });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('error', (e) => fail(new Error(`[pack-install] could not run ${cmd}: ${e.message}`)));
    p.on('close', (code) => done({ code, out, err }));
  });
}

function ok(r: Run, what: string): Run {
  assert.equal(
    r.code,
    0,
    `${what} exited ${r.code}\nstdout: ${r.out.slice(-2000)}\nstderr: ${r.err.slice(-3000)}`,
  );
  return r;
}

/** dist/ must be the build of the current sources (npm ci's prepare builds it); a stale one is an error. */
function staleDist(): string | undefined {
  const walk = (dir: string): string | undefined => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        const s = walk(p);
        if (s) return s;
      } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
        const js = join(ROOT, 'dist', relative(join(ROOT, 'src'), p)).replace(/\.ts$/, '.js');
        if (!existsSync(js) || statSync(js).mtimeMs < statSync(p).mtimeMs) return relative(ROOT, p);
      }
    }
    return undefined;
  };
  return walk(join(ROOT, 'src'));
}

/** The consumer's lockfile: the tarball plus every non-dev package of the repository's lockfile. */
function consumerLock(tarball: string): { pkg: object; lock: object } {
  const repoPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const repoLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const spec = `file:../${tarball}`;
  const root = { name: 'consumer', version: '1.0.0', dependencies: { tensorscript: spec } };
  const packages: Record<string, unknown> = {
    '': root,
    'node_modules/tensorscript': {
      version: repoPkg.version,
      resolved: spec,
      dependencies: repoPkg.dependencies,
      bin: repoPkg.bin,
      engines: repoPkg.engines,
    },
  };
  for (const [k, v] of Object.entries(repoLock.packages as Record<string, { dev?: boolean }>))
    if (k !== '' && !v.dev) packages[k] = v;
  return {
    pkg: { ...root, type: 'module', private: true },
    lock: { name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages },
  };
}

const work = mkdtempSync(join(tmpdir(), 'ts-pack-'));
const app = join(work, 'consumer');
let packed: string[] = [];

describe('npm pack -> install into an empty project -> use', () => {
  before(async () => {
    const stale = staleDist();
    assert.equal(stale, undefined, `dist/ is older than ${stale}: run \`npm run build\` (npm ci runs it)`);
    // --ignore-scripts: prepare would rebuild dist/ in the checkout under other tests' feet; it was just checked.
    const pack = ok(
      await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT),
      'npm pack',
    );
    const info = JSON.parse(pack.out.slice(pack.out.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    packed = info[0]!.files.map((f) => f.path);
    mkdirSync(app);
    const { pkg, lock } = consumerLock(info[0]!.filename);
    writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lock, null, 2));
    ok(
      await sh('npm', ['ci', '--offline', '--no-audit', '--no-fund'], app, 120_000),
      'npm ci --offline (consumer)',
    );
  });

  it('the tarball holds the build, the bin and the licence, not tests, bench, CI or Python', () => {
    for (const f of [
      'package.json',
      'LICENSE',
      'README.md',
      'bin/tensorscript.mjs',
      'dist/index.js',
      'dist/index.d.ts',
    ])
      assert.ok(packed.includes(f), `${f} missing from the tarball`);
    assert.ok(
      packed.some((f) => f.startsWith('dist/') && f.endsWith('.wasm')),
      'no .wasm kernels in dist/',
    );
    const banned = packed.filter(
      (f) => /^(test|bench|\.ci|src|scripts|examples|configs|datasets)\//.test(f) || f.endsWith('.py'),
    );
    assert.deepEqual(banned, []);
    assert.ok(existsSync(join(app, 'node_modules', 'tensorscript', 'dist', 'index.js')));
    // No part of the toolchain comes with it.
    for (const dev of ['tsx', 'typescript', 'esbuild', '@biomejs/biome'])
      assert.ok(!existsSync(join(app, 'node_modules', dev)), `${dev} was installed as a runtime dependency`);
  });

  it('plain node imports it as ESM, builds tensors and trains a small MLP', async () => {
    writeFileSync(join(app, 'app.mjs'), APP_MJS);
    const r = ok(await sh(process.execPath, ['app.mjs'], app), 'node app.mjs');
    const res = JSON.parse(r.out.trim().split('\n').at(-1)!);
    assert.deepEqual(res.sum, [11, 22, 33]);
    assert.equal(res.backend, 'wasm');
    assert.ok(res.last < res.first / 100, `loss ${res.first} -> ${res.last}`);
  });

  it('require() loads it from CommonJS', async () => {
    writeFileSync(join(app, 'app.cjs'), APP_CJS);
    const r = ok(await sh(process.execPath, ['app.cjs'], app), 'node app.cjs');
    assert.deepEqual(JSON.parse(r.out.trim()), { product: [2, 4, 6], hasCli: 'function' });
  });

  it('a strict TypeScript program type-checks with nodenext and bundler resolution', async () => {
    writeFileSync(join(app, 'main.ts'), MAIN_TS);
    const runs = (['nodenext', 'bundler'] as const).map(async (mr) => {
      writeFileSync(join(app, `tsconfig.${mr}.json`), tsconfig(mr));
      const r = await sh(process.execPath, [TSC, '-p', `tsconfig.${mr}.json`], app, 120_000);
      assert.equal(r.code, 0, `tsc (${mr}) reported errors:\n${r.out}${r.err}`);
    });
    await Promise.all(runs);
  });

  it("a browser bundler resolves 'tensorscript' to the browser bundle", async () => {
    // esbuild from the repository's devDependencies, as a consumer's bundler would run it.
    const esbuild = await import('esbuild');
    writeFileSync(
      join(app, 'web.mjs'),
      "import * as ts from 'tensorscript';\nawait ts.init();\nts.tensor([1]);\n",
    );
    const r = await esbuild.build({
      entryPoints: [join(app, 'web.mjs')],
      absWorkingDir: app,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs);
    assert.ok(inputs.includes('node_modules/tensorscript/dist/bundle/tensorscript.js'), inputs.join(', '));
    assert.deepEqual(
      inputs.filter((f) => f.startsWith('node_modules/') && !f.includes('/dist/bundle/')),
      [],
      'the browser condition must lead to the self-contained bundle only',
    );
  });

  it('npx tensorscript trains, predicts and serves on the consumer own files', async () => {
    mkdirSync(join(app, 'cfg'), { recursive: true });
    mkdirSync(join(app, 'data'), { recursive: true });
    writeFileSync(join(app, 'cfg', 'tiny.yaml'), TINY_YAML);
    writeFileSync(join(app, 'data', 'points.csv'), pointsCsv(true));
    writeFileSync(join(app, 'new.csv'), 'a,b\n0.9,0.8\n-0.9,-0.7\n0.5,0.1\n-0.2,-0.6\n');

    const train = ok(
      await sh('npx', ['--no-install', 'tensorscript', 'train', 'cfg/tiny.yaml', '--quiet'], app),
      'train',
    );
    const result = JSON.parse(train.out.trim().split('\n').at(-1)!);
    assert.equal(result.workflow, 'tiny');
    assert.ok(result.metrics.accuracy >= 0.9, `test accuracy ${result.metrics.accuracy}`);
    assert.ok(
      existsSync(join(app, 'runs', 'tiny', 'checkpoint')),
      'no checkpoint under the consumer runs/tiny',
    );
    assert.ok(existsSync(join(app, 'runs', 'tiny', 'report', 'report.html')), 'no report');

    const pred = ok(
      await sh('npx', ['--no-install', 'tensorscript', 'predict', 'runs/tiny', 'new.csv'], app),
      'predict',
    );
    const labels = pred.out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { label: string }).label);
    assert.deepEqual(labels, ['inside', 'outside', 'inside', 'outside']);

    await serveOnce(labels);
  });
});

/** `tensorscript serve` on a free port answers the v1 predict route as predict did, then stops on SIGTERM. */
async function serveOnce(expected: readonly string[]): Promise<void> {
  const p = spawn(
    process.execPath,
    [join(app, 'node_modules', '.bin', 'tensorscript'), 'serve', 'runs/tiny', '--port', '0'],
    {
      cwd: app,
      env: ENV,
    },
  );
  try {
    const url = await new Promise<string>((done, fail) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => fail(new Error(`serve did not start in 30 s: ${out}${err}`)), 30_000);
      p.stderr.on('data', (d: Buffer) => (err += d));
      p.stdout.on('data', (d: Buffer) => {
        out += d;
        const m = /serving .* at (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          done(m[1]!);
        }
      });
      p.on('exit', (code) => fail(new Error(`serve exited ${code}: ${out}${err}`)));
    });
    const res = await fetch(`${url}/v1/models/tiny/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        instances: [
          { a: 0.9, b: 0.8 },
          { a: -0.9, b: -0.7 },
        ],
      }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { predictions: { label: string }[] };
    assert.deepEqual(
      body.predictions.map((x) => x.label),
      expected.slice(0, 2),
    );
  } finally {
    p.kill('SIGTERM');
  }
}
