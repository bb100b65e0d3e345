// One artefact from code to deployment: a model trained and saved in code on breast_cancer.csv is served over
// HTTP by the library's server in a fresh process that imports only the public API (no CLI code: the
// import-graph test keeps src/ outside src/cli from reaching it), predicted by `tensorscript predict`, and
// served by `tensorscript serve` in its own process — every answer equal to the in-memory model's.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/index.ts';
import type * as ts from '../../src/index.ts';
import { trainBreastCancer } from './helpers/train-bc.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-deploy-'));
let cliServer: ChildProcess | undefined;
after(() => {
  if (cliServer?.exitCode === null) cliServer.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

type Pred = { label: string; probabilities: Record<string, number> };
const strip = (p: Pred): Pred => ({ label: p.label, probabilities: p.probabilities });

/** v1 predict in requests of 32 records (a request may not exceed the model's batch limit). */
async function postPredict(url: string, name: string, records: ts.data.Row[]): Promise<Pred[]> {
  const out: Pred[] = [];
  for (let i = 0; i < records.length; i += 32) {
    const r = await fetch(`${url}/v1/models/${name}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: records.slice(i, i + 32) }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    out.push(...((await r.json()) as { predictions: Pred[] }).predictions.map(strip));
  }
  return out;
}

/** Waits for `tensorscript serve`'s "serving ... at <url>" line. */
function servedUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving .* at (https?:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => reject(new Error(`tensorscript serve exited ${code}: ${err}`)));
  });
}

describe('saving: a model saved in code, served and predicted', { timeout: 120_000 }, () => {
  it('the library server in a fresh process, the CLI predict and the CLI serve give the model’s predictions', async () => {
    const { saved, rows } = await trainBreastCancer(3);
    const model = join(dir, 'bc');
    saved.save(model);
    const records = rows.map(({ diagnosis: _, ...rest }) => rest);
    const expected = (saved.predict(records) as Pred[]).map(strip);
    assert.ok(new Set(expected.map((p) => p.label)).size === 2, 'both classes predicted');
    const input = join(dir, 'records.json');
    writeFileSync(input, JSON.stringify(records));

    // 1. The library's HTTP server in a fresh process importing only src/index.ts.
    const script = join(dir, 'serve-lib.mts');
    writeFileSync(
      script,
      `import * as ts from ${JSON.stringify(join(process.cwd(), 'src/index.ts'))};
import { readFileSync } from 'node:fs';
const server = await ts.serving.serve({
  models: [ts.serving.servedModelFromSaved(ts.saving.load(${JSON.stringify(model)}), { name: 'bc' })],
  port: 0,
});
const records = JSON.parse(readFileSync(${JSON.stringify(input)}, 'utf8'));
const predictions = [];
for (let i = 0; i < records.length; i += 32) {
  const r = await fetch(server.url + '/v1/models/bc/predict', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances: records.slice(i, i + 32) }),
  });
  if (r.status !== 200) throw new Error(r.status + ' ' + (await r.text()));
  predictions.push(...(await r.json()).predictions);
}
process.stdout.write(JSON.stringify(predictions));
await server.close();`,
    );
    const lib = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 }),
    ) as Pred[];
    assert.deepEqual(lib.map(strip), expected);

    // 2. `tensorscript predict` on the same directory.
    let out = '';
    let err = '';
    const code = await main(['predict', model, input], { out: (s) => (out += s), err: (s) => (err += s) });
    assert.equal(code, 0, err);
    const cliPreds = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Pred & { id: number });
    assert.deepEqual(
      cliPreds.map((p) => p.id),
      records.map((_, i) => i),
    );
    assert.deepEqual(cliPreds.map(strip), expected);

    // 3. `tensorscript serve` on the same directory, in its own process.
    const run =
      "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));";
    cliServer = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', run, 'serve', `bc=${model}`, '--port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const url = await servedUrl(cliServer);
    assert.deepEqual(await postPredict(url, 'bc', records), expected);
    const exited = new Promise((resolve) => cliServer!.once('exit', resolve));
    cliServer.kill('SIGTERM');
    await exited;
  });
});
