import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { csvChunks, csvRows, readCsv } from '../../src/data/csv.ts';
import { numberColumn, stringColumn } from '../../src/data/table.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-csv-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const ref = JSON.parse(readFileSync('test/fixtures/data/csv_reference.json', 'utf8')) as {
  breast_cancer: { rows: number; sums: Record<string, number>; diagnosis_counts: Record<string, number> };
  diabetes: { rows: number; sums: Record<string, number> };
};

test('readCsv: breast cancer matches Python csv module sums', async () => {
  const t = await readCsv('datasets/breast_cancer.csv');
  assert.equal(t.length, ref.breast_cancer.rows);
  assert.equal(t.columns.length, 31);
  assert.equal(t.types.diagnosis, 'string');
  for (const [name, sum] of Object.entries(ref.breast_cancer.sums)) {
    const s = numberColumn(t, name).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s - sum) <= 1e-9 * Math.max(1, Math.abs(sum)), `${name}: ${s} vs ${sum}`);
  }
  const counts: Record<string, number> = {};
  for (const d of stringColumn(t, 'diagnosis')) counts[d!] = (counts[d!] ?? 0) + 1;
  assert.deepEqual(counts, ref.breast_cancer.diagnosis_counts);
});

test('readCsv: diabetes is all numeric', async () => {
  const t = await readCsv('datasets/diabetes.csv');
  assert.equal(t.length, ref.diabetes.rows);
  for (const [name, sum] of Object.entries(ref.diabetes.sums)) {
    assert.equal(t.types[name], 'number');
    const s = numberColumn(t, name).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s - sum) <= 1e-9 * Math.abs(sum), `${name}: ${s} vs ${sum}`);
  }
});

test('readCsv: RFC 4180 quoting, missing markers, type inference', async () => {
  const p = file(
    'ok.csv',
    'a,b,c\r\n1,x,2\r\n3,"y, ""z""",4\r\n5,"multi\nline",-1e3\r\nNA,?,inf\r\n,NaN,\r\n',
  );
  const t = await readCsv(p);
  assert.deepEqual(t.columns, ['a', 'b', 'c']);
  assert.deepEqual(t.types, { a: 'number', b: 'string', c: 'number' });
  assert.deepEqual(Array.from(t.data.a as Float64Array), [1, 3, 5, Number.NaN, Number.NaN]);
  assert.deepEqual(t.data.b, ['x', 'y, "z"', 'multi\nline', null, null]);
  assert.deepEqual(Array.from(t.data.c as Float64Array), [2, 4, -1000, Number.POSITIVE_INFINITY, Number.NaN]);
});

test('readCsv: no header, custom delimiter, names, overrides and custom missing markers', async () => {
  const p = file('semi.csv', '1;007;a\n2;010;-\n');
  const t = await readCsv(p, { header: false, delimiter: ';', types: { c1: 'string' }, missing: ['-'] });
  assert.deepEqual(t.columns, ['c0', 'c1', 'c2']);
  assert.deepEqual(t.data.c1, ['007', '010']);
  assert.deepEqual(t.data.c2, ['a', null]);
  const named = await readCsv(p, { header: false, delimiter: ';', columns: ['id', 'code', 'tag'] });
  assert.deepEqual(Array.from(named.data.code as Float64Array), [7, 10]);
  await assert.rejects(
    readCsv(p, { header: false, delimiter: ';', types: { nope: 'number' } }),
    /unknown column "nope"/,
  );
});

test('readCsv: errors name file, line and column', async () => {
  const bad = file('num.csv', 'a,age\n1,2\n3,abc\n4,5\n');
  await assert.rejects(readCsv(bad, { types: { age: 'number' } }), (e: Error) =>
    e.message.startsWith(`[readCsv] ${bad} line 3, column 2 ("age"): expected a number, got "abc"`),
  );
  // Inferred from the first row only, so "abc" on line 3 is a bad number, not a string column.
  await assert.rejects(readCsv(bad, { inferRows: 1 }), /line 3, column 2 \("age"\): expected a number/);
  // Line numbers count newlines inside quoted fields and blank lines; comment lines too when enabled.
  const multi = file('multi.csv', 'a,b\n1,"two\nlines"\n\n2,x\n');
  await assert.rejects(
    readCsv(multi, { types: { b: 'number' } }),
    /multi\.csv line 2, column 2 \("b"\): expected a number, got "two\\nlines"/,
  );
  const after = file('after.csv', 'a,b\n"1\n",2\n\nq,3\n');
  await assert.rejects(
    readCsv(after, { types: { a: 'number' } }),
    /after\.csv line 5, column 1 \("a"\): expected a number, got "q"/,
  );
  const commented = file('comment.csv', '# note\na,b\n# another\n1,2\n3,x\n');
  await assert.rejects(
    readCsv(commented, { comment: '#', types: { b: 'number' } }),
    /comment\.csv line 5, column 2 \("b"\)/,
  );
  const ragged = file('ragged.csv', 'a,b\n1,2\n3\n4,5\n');
  await assert.rejects(readCsv(ragged), { message: `[readCsv] ${ragged} line 3: expected 2 fields, got 1` });
  const quote = file('quote.csv', 'a,b\n1,2\n3,"bad"x\n4,5\n');
  await assert.rejects(readCsv(quote), /quote\.csv line 3, column 2: Invalid Closing Quote/);
  const open = file('open.csv', 'a,b\n1,2\n3,"never closed\n');
  await assert.rejects(readCsv(open), /open\.csv line 3: a quoted field opened here is never closed/);
  await assert.rejects(readCsv(join(dir, 'missing.csv')), /\[readCsv\] .*missing\.csv: no such file/);
  const dup = file('dup.csv', 'a,a\n1,2\n');
  await assert.rejects(readCsv(dup), /duplicate column name "a"/);
});

test("readCsv: onError 'skip' drops and counts malformed rows", async () => {
  const p = file('mixed.csv', 'a,b\n1,2\n3\n4,x\n5,6,7\n8,9\n');
  const t = await readCsv(p, { onError: 'skip', types: { b: 'number' } });
  assert.equal(t.skipped, 3);
  assert.deepEqual(Array.from(t.data.a as Float64Array), [1, 8]);
  assert.deepEqual(Array.from(t.data.b as Float64Array), [2, 9]);
});

test('csvChunks / csvRows stream in bounded chunks with one schema', async () => {
  const lines = ['x,label'];
  for (let i = 0; i < 2500; i++) lines.push(`${i * 0.5},${i % 3 === 0 ? 'a' : 'b'}`);
  const p = file('big.csv', `${lines.join('\n')}\n`);
  const sizes: number[] = [];
  let sum = 0;
  for await (const chunk of csvChunks(p, { chunkSize: 1000, inferRows: 10 })) {
    sizes.push(chunk.length);
    assert.deepEqual(chunk.types, { x: 'number', label: 'string' });
    sum += numberColumn(chunk, 'x').reduce((a, b) => a + b, 0);
  }
  assert.deepEqual(sizes, [1000, 1000, 500]);
  assert.equal(sum, (0.5 * 2499 * 2500) / 2);
  let n = 0;
  for await (const row of csvRows(p)) {
    if (n === 7) assert.deepEqual(row, { x: 3.5, label: 'b' });
    n++;
  }
  assert.equal(n, 2500);
});

test('readCsv: header only gives an empty table', async () => {
  const t = await readCsv(file('empty.csv', 'a,b\n'), { types: { a: 'number' } });
  assert.equal(t.length, 0);
  assert.deepEqual(t.types, { a: 'number', b: 'string' });
});
