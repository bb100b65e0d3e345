// The federated transport over TLS: client processes trusting the (test-only) certificate through
// NODE_EXTRA_CA_CERTS complete a secure-aggregation round over https; one that does not trust it cannot join.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-fltls-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const certFile = resolve('test/fixtures/tls/cert.pem');
const keyFile = resolve('test/fixtures/tls/key.pem');

function client(
  url: string,
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; err: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve('src/federated/client-main.ts'), url, file],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
    },
  );
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((res) => child.on('exit', (code) => res({ code, err })));
}

describe('federated over TLS', { timeout: 120_000 }, () => {
  it('clients that trust the certificate finish a round over https; others cannot register', async () => {
    const g = new ts.Generator(3);
    const file = join(dir, 'data.json');
    const n = 40;
    const x = Array.from({ length: n * 4 }, () => g.normal());
    const y = Array.from({ length: n }, (_, i) => i % 2);
    writeFileSync(file, JSON.stringify({ x, featureShape: [4], y }));
    const model = new ts.nn.Linear(4, 2);
    const before = ts.federated.flatWeights(model);
    const coord = new ts.federated.Coordinator(model, {
      rounds: 1,
      clientsPerRound: 2,
      minClients: 2,
      roundTimeoutMs: 30_000,
      secureAggregation: true,
      tls: { certFile, keyFile },
    });
    const url = await coord.start();
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
    // Without the CA the client's fetch refuses the self-signed certificate before sending anything.
    const untrusted = await client(url, file, { ...process.env, NODE_EXTRA_CA_CERTS: '' });
    assert.notEqual(untrusted.code, 0);
    assert.match(untrusted.err, /fetch failed|self[- ]signed|certificate/i);
    assert.equal(coord.clients.size, 0);
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: certFile };
    const runs = [client(url, file, env), client(url, file, env)];
    const log = await coord.run();
    await coord.close();
    for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.err);
    assert.deepEqual(log[0]!.dropped, []);
    assert.ok(log[0]!.aggregated);
    assert.notDeepEqual(ts.federated.flatWeights(model), before);
  });
});
