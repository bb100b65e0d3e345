// Encryption at rest: a saved model sealed with AES-256-GCM loads with its key; a wrong key, a flipped
// byte, a truncated or swapped file is a clear error and nothing is loaded.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import { trainBreastCancer } from '../saving/helpers/train-bc.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-enc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let model: ts.saving.SavedModel;
let rows: ts.data.Row[];
const probs = (m: ts.saving.SavedModel) => m.predictProba(rows).map((p) => p.malignant);
const key = ts.privacy.generateKey();
const keyFile = join(dir, 'model.key');
let out: string;

before(async () => {
  ({ saved: model, rows } = await trainBreastCancer(1));
  rows = rows.slice(0, 10);
  writeFileSync(keyFile, key.toString('hex'));
  out = join(dir, 'sealed');
  model.save(out, { encryption: { keyFile } });
});

/** A copy of the sealed bundle whose file `name` is changed by `edit`. */
function tampered(tag: string, name: string, edit: (b: Buffer) => Buffer): string {
  const copy = join(dir, tag);
  cpSync(out, copy, { recursive: true });
  const v = ts.saving.resolveSavedModel(copy).dir;
  const f = join(v, name);
  writeFileSync(f, edit(readFileSync(f)));
  return copy;
}

describe('encrypted saved models', () => {
  it('every file of the version is sealed (no plaintext weights or JSON on disk) and loads with the key', () => {
    const v = ts.saving.resolveSavedModel(out).dir;
    const names = readdirSync(v);
    assert.ok(names.includes('model.safetensors') && names.includes('card.json'));
    for (const n of names) {
      const b = readFileSync(join(v, n));
      assert.ok(ts.privacy.isSealed(b), `${n} is not sealed`);
      assert.ok(
        !b.includes(Buffer.from('"format"')) && !b.includes(Buffer.from('dtype')),
        `${n} leaks plaintext`,
      );
    }
    assert.deepEqual(probs(ts.saving.load(out, { encryption: { keyFile } })), probs(model));
    // The key from an environment variable (base64 here) or as bytes.
    process.env.TS_TEST_MODEL_KEY = key.toString('base64');
    assert.deepEqual(
      probs(ts.saving.load(out, { encryption: { keyEnv: 'TS_TEST_MODEL_KEY' } })),
      probs(model),
    );
    assert.deepEqual(probs(ts.saving.load(out, { encryption: { key } })), probs(model));
  });

  it('without a key, with a wrong key: a clear error', () => {
    assert.throws(
      () => ts.saving.load(out),
      /config\.json is encrypted; load it with \{ encryption: \{ keyFile \} \}/,
    );
    assert.throws(
      () => ts.saving.load(out, { encryption: { key: ts.privacy.generateKey() } }),
      /was encrypted with a different key \(key id [0-9a-f]{16}, the given key's is [0-9a-f]{16}\)/,
    );
    assert.throws(
      () => ts.saving.load(out, { encryption: { keyEnv: 'TS_TEST_NO_SUCH_VAR' } }),
      /environment variable TS_TEST_NO_SUCH_VAR is not set/,
    );
    assert.throws(
      () => ts.saving.load(out, { encryption: { key: Buffer.alloc(16) } }),
      /32-byte key, got 16/,
    );
    assert.throws(
      () => ts.saving.load(out, { encryption: { keyfile: keyFile } as never }),
      /did you mean "keyFile"/,
    );
  });

  it('a flipped byte in any file, a truncated file or a file swapped from another version: nothing loads', () => {
    const v = ts.saving.resolveSavedModel(out).dir;
    for (const name of readdirSync(v)) {
      for (const at of [10, 40, -1]) {
        // 10: inside the header (key id), 40: the tag, -1: the last ciphertext byte.
        const p = tampered(`flip-${name}-${at}`, name, (b) => {
          const c = Buffer.from(b);
          const i = at < 0 ? c.length + at : at;
          c[i] = c[i]! ^ 0x01;
          return c;
        });
        assert.throws(
          () => ts.saving.load(p, { encryption: { keyFile } }),
          (e: Error) =>
            e instanceof ts.TensorScriptError &&
            e.message.includes(name) &&
            /failed authentication|different key/.test(e.message),
          `flip ${name}@${at}`,
        );
      }
      const t = tampered(`trunc-${name}`, name, (b) => b.subarray(0, b.length - 7));
      assert.throws(
        () => ts.saving.load(t, { encryption: { keyFile } }),
        new RegExp(`${name.replace('.', '\\.')} is truncated: \\d+ of \\d+ encrypted bytes present`),
      );
    }
    const short = tampered('short', 'model.safetensors', (b) => b.subarray(0, 20));
    assert.throws(
      () => ts.saving.load(short, { encryption: { keyFile } }),
      /shorter than the 50-byte header/,
    );
    // A sealed file moved under another name fails: the file name is authenticated.
    const swapped = join(dir, 'swapped');
    cpSync(out, swapped, { recursive: true });
    const sv = ts.saving.resolveSavedModel(swapped).dir;
    writeFileSync(join(sv, 'labels.json'), readFileSync(join(sv, 'card.json')));
    assert.throws(
      () => ts.saving.load(swapped, { encryption: { keyFile } }),
      /labels\.json failed authentication/,
    );
  });

  it('a bad key refuses the save before anything is written', () => {
    const target = join(dir, 'never');
    assert.throws(
      () => model.save(target, { encryption: { keyFile: join(dir, 'missing.key') } }),
      /cannot read key file/,
    );
    assert.throws(() => readdirSync(target), /ENOENT/);
  });

  it('seal/open round trip, and the context is bound', () => {
    const k = ts.privacy.resolveKey({ key });
    const s = ts.privacy.seal('hello', 'a/b', k);
    assert.equal(ts.privacy.open(s, 'a/b', k, 'x').toString(), 'hello');
    assert.throws(() => ts.privacy.open(s, 'a/c', k, 'x'), /x failed authentication/);
    assert.throws(
      () => ts.privacy.open(Buffer.from('plain'), 'a/b', k, 'x'),
      /not an encrypted TensorScript file/,
    );
  });
});
