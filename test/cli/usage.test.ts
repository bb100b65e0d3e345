// Usage errors exit 2 with a did-you-mean, and a closed stdout (`| head`) does not crash the CLI.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { closestWord } from '../../src/cli/usage.ts';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

// The CLI from source through tsx, as the bin script runs it, with its real stdout and stderr.
const RUN_SOURCE =
  "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));";
const nodeArgs = (argv: string[]) => ['--import', 'tsx', '--input-type=module', '-e', RUN_SOURCE, ...argv];

describe('tensorscript usage errors', { timeout: 60_000 }, () => {
  it('suggests the command meant by a typo and exits 2', async () => {
    const r = await cli('trian', 'x.yaml');
    assert.equal(r.code, 2);
    assert.match(r.err, /^tensorscript: unknown command "trian" \(did you mean "train"\?\)/);
    assert.match((await cli('eval')).err, /did you mean "evaluate"/);
    assert.doesNotMatch((await cli('zzzzzz')).err, /did you mean/);
  });

  it('suggests the flag meant by a typo and exits 2 with the command help', async () => {
    const r = await cli('train', 'x.yaml', '--epoch', '3');
    assert.equal(r.code, 2);
    assert.match(r.err, /^tensorscript train: unknown option --epoch \(did you mean "--epochs"\?\)/);
    assert.match(r.err, /Usage: tensorscript train/);
    assert.match((await cli('serve', 'ck', '--max-dealy-ms', '1')).err, /did you mean "--max-delay-ms"/);
    assert.match((await cli('predict', 'a', 'b', '--batchsize', '4')).err, /did you mean "--batch-size"/);
  });

  it('exits 2 for a malformed flag value, before reading any file', async () => {
    const r = await cli('train', 'does-not-exist.yaml', '--epochs', 'abc');
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /^tensorscript train: --epochs expects a positive integer, got "abc"/);
    assert.equal((await cli('predict', 'a', 'b', '--batch-size', '0')).code, 2);
    assert.equal((await cli('serve', 'ck', '--port', 'eighty')).code, 2);
    assert.equal((await cli('info', 'extra')).code, 2);
  });

  it('finds transpositions, single typos and unique prefixes only', () => {
    assert.equal(closestWord('trian', ['train', 'evaluate']), 'train');
    assert.equal(closestWord('--epoch', ['--epochs', '--out']), '--epochs');
    assert.equal(closestWord('pre', ['predict', 'train']), 'predict');
    assert.equal(closestWord('x', ['train']), undefined);
  });

  it('exits 2 from the real process for a usage error', () => {
    const r = spawnSync(process.execPath, nodeArgs(['train', 'x.yaml', '--epochs', 'abc']), {
      encoding: 'utf8',
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--epochs expects a positive integer/);
  });

  it('does not crash with EPIPE when its reader goes away (tensorscript ... | head)', async () => {
    const child = spawn(process.execPath, nodeArgs(['info']), { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader closes before the CLI writes anything, as `head` does after its lines.
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.doesNotMatch(err, /EPIPE|Unhandled/);
    assert.equal(code, 0, err);
  });

  it('warns that --api-key is visible in ps and names the environment variable', async () => {
    // No checkpoint: the warning comes before loading, then the command fails on the missing directory.
    const r = await cli('serve', '/nonexistent-checkpoint', '--api-key', 'secret');
    assert.match(r.err, /warning: --api-key shows the key to every user of this machine \(ps/);
    assert.match(r.err, /TENSORSCRIPT_API_KEYS/);
  });
});
