// Crash-safe save (a fault at every write/rename keeps the previous model loadable) and load-time validation.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import { trainBreastCancer } from './helpers/train-bc.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-faults-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let a: ts.saving.SavedModel;
let b: ts.saving.SavedModel;
let rows: ts.data.Row[];
const probs = (m: ts.saving.SavedModel) => m.predictProba(rows).map((p) => p.malignant);

before(async () => {
  ({ saved: a, rows } = await trainBreastCancer(1));
  ({ saved: b } = await trainBreastCancer(4));
  rows = rows.slice(0, 20);
  assert.notDeepEqual(probs(a), probs(b));
});

/** The node fs layer, throwing (as a kill would stop the save) at the k-th step that changes the disk. */
function faulty(k: number): { fs: ts.saving.SaveFs; steps: () => number } {
  let n = 0;
  const step = () => {
    if (n++ === k) throw new Error(`injected fault at step ${k}`);
  };
  const f = ts.saving.nodeFs;
  return {
    steps: () => n,
    fs: {
      ...f,
      mkdir(p) {
        step();
        f.mkdir(p);
      },
      writeFile(p, d) {
        step();
        f.writeFile(p, d);
      },
      rename(x, y) {
        step();
        f.rename(x, y);
      },
      rm(p) {
        step();
        f.rm(p);
      },
    },
  };
}

describe('saving: crash-safe save', () => {
  it('a fault at every step leaves the previous saved model loadable', () => {
    const pa = probs(a);
    const pb = probs(b);
    let k = 0;
    for (;;) {
      const out = join(dir, `fault-${k}`);
      a.save(out);
      a.save(out); // a second version, so the save under test also removes an old one
      const f = faulty(k);
      let threw = false;
      try {
        b.save(out, { fs: f.fs });
      } catch (e) {
        threw = true;
        assert.match((e as Error).message, /injected fault/);
      }
      const loaded = ts.saving.load(out);
      assert.deepEqual(probs(loaded), threw ? pa : pb, `fault at step ${k}`);
      // The next save (or load) cleans what the interrupted one left.
      b.save(out);
      assert.deepEqual(probs(ts.saving.load(out)), pb);
      const left = readdirSync(out).filter((n) => n !== ts.saving.POINTER_FILE);
      assert.equal(left.length, 1, `leftovers after fault ${k}: ${left.join(', ')}`);
      if (f.steps() <= k) break; // the save finished before reaching step k: every step has been tried
      k++;
    }
    assert.ok(k >= 8, `only ${k} steps exercised`);
  });

  it('a save over a v0 checkpoint replaces it, and a failed one keeps it', () => {
    const out = join(dir, 'v0');
    cpSync('test/fixtures/checkpoint-v0/checkpoint', out, { recursive: true });
    const v0 = probs(ts.saving.load(out));
    assert.throws(() => b.save(out, { fs: faulty(7).fs }), /injected fault/);
    assert.deepEqual(probs(ts.saving.load(out)), v0);
    b.save(out);
    assert.deepEqual(probs(ts.saving.load(out)), probs(b));
    assert.ok(!existsSync(join(out, 'run.json')));
  });

  it('never saves non-finite weights over a finite model', () => {
    const out = join(dir, 'nan');
    a.save(out);
    const { saved: bad } = { saved: b };
    const w = bad.model.stateDict()['0.weight']!;
    const keep = w.clone();
    ts.noGrad(() => w.copy_(ts.fullLike(w, Number.NaN)));
    try {
      assert.throws(() => bad.save(out), /\[save\] refusing to save .*0\.weight hold NaN or infinite values/);
      assert.deepEqual(probs(ts.saving.load(out)), probs(a));
      const v = bad.save(join(dir, 'nan-allowed'), { allowNonFinite: true });
      assert.ok(existsSync(v));
      assert.throws(
        () => ts.saving.load(join(dir, 'nan-allowed')),
        /tensor "0\.weight" holds NaN .*allowNonFinite/,
      );
      assert.ok(ts.saving.load(join(dir, 'nan-allowed'), { allowNonFinite: true }));
    } finally {
      ts.noGrad(() => w.copy_(keep));
    }
  });
});

describe('saving: validation at load', () => {
  const fresh = (name: string): string => {
    const out = join(dir, name);
    a.save(out);
    return ts.saving.resolveSavedModel(out).dir;
  };

  it('labels.json without classes names the file and the key', () => {
    const v = fresh('labels');
    const f = join(v, 'labels.json');
    const { classes: _, ...rest } = JSON.parse(readFileSync(f, 'utf8'));
    writeFileSync(f, JSON.stringify(rest));
    assert.throws(
      () => ts.saving.load(join(dir, 'labels')),
      (e: Error) => e.message.includes(f) && /key "classes" must be an array of strings/.test(e.message),
    );
  });

  it('I32 weights for float parameters are refused', () => {
    const v = fresh('i32');
    const sd = a.model.stateDict();
    const ints = Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, t.to('int32')]));
    writeFileSync(join(v, 'model.safetensors'), ts.io.serializeSafetensors(ints));
    assert.throws(
      () => ts.saving.load(join(dir, 'i32')),
      /key "0\.(weight|bias)\.dtype" is I32, but the model's parameter is float32/,
    );
  });

  it('a tensor named __proto__ is refused', () => {
    const v = fresh('proto');
    const sd = { ...a.model.stateDict(), a________: ts.zeros([1]) };
    const bytes = ts.io.serializeSafetensors(sd);
    const text = Buffer.from(bytes).toString('latin1').replace('"a________"', '"__proto__"');
    writeFileSync(join(v, 'model.safetensors'), Buffer.from(text, 'latin1'));
    assert.throws(() => ts.saving.load(join(dir, 'proto')), /key "__proto__" is not a valid tensor name/);
  });

  it('a missing feature column is an error naming it; extra columns are reported', () => {
    const { radius_error: _, ...row } = rows[0]!;
    assert.throws(() => a.predict([row]), /record 0 lacks the feature column radius_error/);
    const pre = a.preprocessor as ts.data.TabularPreprocessor;
    assert.deepEqual(pre.checkColumns([{ ...rows[0]!, foo: 1 }]).ignored, ['diagnosis', 'foo']);
    assert.throws(() => a.predict([{ foo: 1, bar: 2 }]), /lacks the feature columns mean_radius, /);
  });
});
