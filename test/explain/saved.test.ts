import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/index.ts';
import * as ts from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-explain-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let saved: ts.saving.SavedModel;
const runDir = join(dir, 'run');

before(async () => {
  const g = new ts.Generator(21);
  const n = 300;
  const a = Float64Array.from({ length: n }, () => g.normal());
  const b = Float64Array.from({ length: n }, () => g.normal());
  const color = Array.from({ length: n }, () => (g.uniform() < 0.5 ? 'red' : 'blue'));
  const y = Array.from({ length: n }, (_, i) =>
    2 * a[i]! + (color[i] === 'red' ? 1 : -1) > 0 ? 'yes' : 'no',
  );
  saved = await ts.saving.fitTable(ts.data.makeTable({ a, b, color, y }), {
    label: 'y',
    model: {
      className: 'Sequential',
      config: {
        layers: [
          { className: 'Linear', config: { inFeatures: 4, outFeatures: 8 } },
          { className: 'Tanh' },
          { className: 'Linear', config: { inFeatures: 8, outFeatures: 1 } },
        ],
      },
    },
    loss: 'bceWithLogits',
    optimizer: { name: 'adam', lr: 0.05 },
    epochs: 15,
    seed: 1,
  });
  saved.save(runDir);
});

describe('explaining a saved tabular model', () => {
  it('KernelSHAP values sum to the explained probability minus the typical record’s', () => {
    const e = ts.explain.explainSaved(saved, { a: 1.5, b: 0.2, color: 'red' });
    assert.equal(e.kind, 'tabular');
    if (e.kind !== 'tabular') return;
    assert.equal(e.target, 'yes');
    const total = Object.values(e.values).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(total - (e.output - e.base)) < 1e-6);
    // b does not enter the label: its attribution is the smallest.
    assert.ok(Math.abs(e.values.b!) < Math.abs(e.values.a!), JSON.stringify(e.values));
  });

  it('tensorscript explain writes explanation.json, a PNG per record and an HTML page', async () => {
    const input = join(dir, 'rows.json');
    writeFileSync(
      input,
      JSON.stringify([
        { a: 1, b: 0, color: 'blue' },
        { a: -1, b: 2, color: 'red' },
      ]),
    );
    let out = '';
    let err = '';
    const code = await main(['explain', runDir, input, '--samples', '64'], {
      out: (s) => (out += s),
      err: (s) => (err += s),
    });
    assert.equal(code, 0, err);
    const outDir = JSON.parse(out.trim()).explain as string;
    assert.equal(outDir, join(runDir, 'explain', 'rows'));
    const ex = JSON.parse(readFileSync(join(outDir, 'explanation.json'), 'utf8')) as {
      values: Record<string, number>;
    }[];
    assert.equal(ex.length, 2);
    assert.deepEqual(Object.keys(ex[0]!.values).sort(), ['a', 'b', 'color']);
    for (const i of [0, 1]) {
      const png = readFileSync(join(outDir, `explanation-${i}.png`));
      assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    }
    const html = readFileSync(join(outDir, 'explanation.html'), 'utf8');
    assert.match(html, /kernel-shap/);
    assert.match(html, /<td>color<\/td>/);
    assert.ok(existsSync(join(outDir, 'explanation-1.png')));
  });

  it('the server answers POST /v1/models/{name}/explain', async () => {
    const server = await ts.serving.createServer({
      models: [ts.serving.servedModelFromSaved(saved, { name: 'tab' })],
    });
    try {
      const r = await server.app.inject({
        method: 'POST',
        url: '/v1/models/tab/explain',
        payload: { instances: [{ a: 0.5, b: 1, color: 'red' }] },
      });
      assert.equal(r.statusCode, 200, r.body);
      const body = r.json() as { explanations: { kind: string; values: Record<string, number> }[] };
      assert.equal(body.explanations[0]!.kind, 'tabular');
      assert.equal(Object.keys(body.explanations[0]!.values).length, 3);
      const tooMany = await server.app.inject({
        method: 'POST',
        url: '/v1/models/tab/explain',
        payload: { instances: Array.from({ length: 17 }, () => ({ a: 0, b: 0, color: 'red' })) },
      });
      assert.equal(tooMany.statusCode, 400);
      assert.match(tooMany.body, /at most 16 instances/);
      const bad = await server.app.inject({
        method: 'POST',
        url: '/v1/models/tab/explain',
        payload: { instances: [{ a: 'x', b: 0, color: 'red' }] },
      });
      assert.equal(bad.statusCode, 400);
    } finally {
      await server.close();
    }
  });
});
