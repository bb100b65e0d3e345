import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { jsonlRows, readJson, readJsonl } from '../../src/data/json.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-json-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('readJson: array of records and object of columns give the same table', async () => {
  const a = await readJson(
    file('r.json', '[{"x":1,"s":"a","b":true},{"x":null,"s":"NA"},{"x":2.5,"s":"c","b":false}]'),
  );
  assert.deepEqual(a.columns, ['x', 's', 'b']);
  assert.deepEqual(a.types, { x: 'number', s: 'string', b: 'number' });
  assert.deepEqual(Array.from(a.data.x as Float64Array), [1, Number.NaN, 2.5]);
  assert.deepEqual(a.data.s, ['a', null, 'c']);
  assert.deepEqual(Array.from(a.data.b as Float64Array), [1, Number.NaN, 0]);
  const c = await readJson(file('c.json', '{"x":[1,null,2.5],"s":["a",null,"c"],"b":[true,null,false]}'));
  assert.deepEqual(c.data, a.data);
});

test('readJson: malformed input names line and column', async () => {
  const p = file('bad.json', '[\n  {"x": 1},\n  {"x": 2,}\n]');
  await assert.rejects(readJson(p), /\[readJson\] .*bad\.json line 3, column \d+: invalid JSON/);
  await assert.rejects(
    readJson(file('nested.json', '[{"x":{"y":1}}]')),
    /record 0, key "x": expected a number/,
  );
  await assert.rejects(readJson(file('scalar.json', '3')), /expected an array of records/);
  await assert.rejects(readJson(file('typed.json', '[{"x":"1"},{"x":"one"}]'), { types: { x: 'number' } }), {
    message: /record 1, key "x": expected a number, got "one"/,
  });
});

test('readJsonl: records, blank lines, bad line number, skip mode', async () => {
  const p = file('d.jsonl', '{"a":1,"t":"x"}\n\n{"a":2}\n{"a":3,"t":"z"}\n');
  const t = await readJsonl(p);
  assert.equal(t.length, 3);
  assert.deepEqual(Array.from(t.data.a as Float64Array), [1, 2, 3]);
  assert.deepEqual(t.data.t, ['x', null, 'z']);
  const bad = file('bad.jsonl', '{"a":1}\n{"a":2\n[1]\n{"a":4}\n');
  await assert.rejects(readJsonl(bad), {
    message: new RegExp(`^\\[readJsonl\\] ${bad} line 2: invalid JSON`),
  });
  const s = await readJsonl(bad, { onError: 'skip' });
  assert.equal(s.skipped, 2);
  assert.deepEqual(Array.from(s.data.a as Float64Array), [1, 4]);
  await assert.rejects(readJsonl(join(dir, 'none.jsonl')), /\[readJsonl\] .*none\.jsonl: no such file/);
  await assert.rejects(readJson(join(dir, 'none.json')), /\[readJson\] .*none\.json: no such file/);
  const rows = [];
  for await (const r of jsonlRows(p)) rows.push(r);
  assert.deepEqual(rows[2], { a: 3, t: 'z' });
  await assert.rejects(async () => {
    for await (const _ of jsonlRows(file('arr.jsonl', '{"a":1}\n{"a":2}\n[1]\n'))) {
      /* drain */
    }
  }, /\[jsonlRows\] .* line 3: expected a JSON object, got an array/);
});
