// TLS for the inference server: a loopback HTTPS round trip with the committed test-only certificate
// (test/fixtures/tls), verified against that certificate; plain HTTP and unverified clients are refused.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { createServer } from '../../src/serve/index.ts';
import { inferBody, SUITE, track } from '../serve/helpers.ts';
import { smallDense } from '../serve/models.ts';

const dir = resolve('test/fixtures/tls');
const certFile = join(dir, 'cert.pem');
const keyFile = join(dir, 'key.pem');
const ca = readFileSync(certFile);

function call(
  url: string,
  method: string,
  body?: string,
  opts: { ca?: Buffer } = {},
): Promise<{ status: number; text: string; protocol: string | undefined }> {
  return new Promise((res, rej) => {
    const req = request(
      url,
      { method, ca: opts.ca, headers: { 'content-type': 'application/json' } },
      (r) => {
        let text = '';
        const protocol = (r.socket as { getProtocol?: () => string | null }).getProtocol?.() ?? undefined;
        r.on('data', (d) => (text += d));
        r.on('end', () => res({ status: r.statusCode ?? 0, text, protocol }));
      },
    );
    req.on('error', rej);
    req.end(body);
  });
}

describe('inference server over TLS', SUITE, () => {
  it('answers health and infer over https on loopback, verified against the certificate', async () => {
    const server = track(await createServer({ models: [smallDense()], tls: { certFile, keyFile } }));
    const url = await server.listen({ host: '127.0.0.1', port: 0 });
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ready = await call(`${url}/v2/health/ready`, 'GET', undefined, { ca });
    assert.equal(ready.status, 200);
    assert.match(ready.protocol ?? '', /^TLSv1\.[23]$/);
    const infer = await call(`${url}/v2/models/dense/infer`, 'POST', JSON.stringify(inferBody([[1, 0, 0]])), {
      ca,
    });
    assert.equal(infer.status, 200, infer.text);
    const out = JSON.parse(infer.text) as { outputs: { data: number[] }[] };
    // y = x W + b with W = [[1, 2], [3, 4], [5, 6]], b = [0.5, -1].
    assert.deepEqual(out.outputs[0]!.data, [1.5, 1]);
    // A client that does not trust the certificate is refused by TLS itself.
    await assert.rejects(call(`${url}/v2/health/ready`, 'GET'), /self[- ]signed/i);
    // Plain HTTP to the TLS port gets no HTTP answer.
    const plain = url.replace('https:', 'http:');
    await assert.rejects(
      new Promise((res, rej) => {
        const r = httpRequest(`${plain}/v2/health/ready`, (resp) => {
          resp.resume();
          resp.on('end', () =>
            resp.statusCode === 200 ? res(resp.statusCode) : rej(new Error(`status ${resp.statusCode}`)),
          );
        });
        r.on('error', rej);
        r.end();
      }),
    );
    await server.close();
  });

  it('a missing or wrong certificate file is a clear error before listening', async () => {
    await assert.rejects(
      createServer({ tls: { certFile: join(dir, 'nope.pem'), keyFile } }),
      /tls\.certFile: cannot read .*nope\.pem: ENOENT/,
    );
    await assert.rejects(
      createServer({ tls: { certFile: keyFile, keyFile } }),
      /tls\.certFile: .* holds no PEM certificate/,
    );
    await assert.rejects(
      createServer({ tls: { certFile, keyFile: certFile } }),
      /tls\.keyFile: .* holds no PEM private key/,
    );
  });
});
