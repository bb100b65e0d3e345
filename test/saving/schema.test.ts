// docs/saved-model.schema.json describes what save writes (so the documented schema cannot drift from the code),
// and the server adapter answers records exactly as the saved model does.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import * as ts from '../../src/index.ts';
import { trainBreastCancer } from './helpers/train-bc.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-schema-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('saving: documented schema and serving', () => {
  it('every JSON file of a save validates against docs/saved-model.schema.json', async () => {
    const { saved } = await trainBreastCancer(1);
    const out = join(dir, 'm');
    const v = saved.save(out);
    const schema = JSON.parse(readFileSync('docs/saved-model.schema.json', 'utf8'));
    const ajv = new Ajv2020.default({ strict: false });
    ajv.addSchema(schema);
    const files: [string, string][] = [
      [join(out, ts.saving.POINTER_FILE), 'pointer'],
      [join(v, 'config.json'), 'config'],
      [join(v, 'labels.json'), 'labels'],
      [join(v, 'preprocess.json'), 'preprocess'],
      [join(v, 'card.json'), 'card'],
    ];
    for (const [f, def] of files) {
      const validate = ajv.getSchema(`${schema.$id}#/$defs/${def}`)!;
      assert.ok(validate(JSON.parse(readFileSync(f, 'utf8'))), `${f}: ${ajv.errorsText(validate.errors)}`);
    }
    const bad = ajv.getSchema(`${schema.$id}#/$defs/labels`)!;
    assert.equal(
      bad({ task: 'classification', targetKind: 'float', outputTransform: 'none', threshold: 0.5 }),
      false,
    );
  });

  it('the server adapter predicts records as the saved model does (no CLI code involved)', async () => {
    const { saved, rows } = await trainBreastCancer(1);
    const out = join(dir, 'served');
    saved.save(out);
    const served = ts.serving.servedModelFromSaved(ts.saving.load(out), { name: 'bc' });
    const viaServer = await served.predictRecords!(rows.slice(0, 10));
    const direct = saved.predict(rows.slice(0, 10));
    viaServer.forEach((p, i) => {
      const d = direct[i] as { label: string; probabilities: Record<string, number> };
      assert.equal(p.label, d.label);
      assert.deepEqual(p.probabilities, d.probabilities);
    });
    assert.deepEqual(served.inputs[0]!.shape, [-1, 30]);
  });
});
