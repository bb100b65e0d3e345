import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { csvChunks, readCsv } from '../../src/data/csv.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-csv-bad-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

// 1500 rows of a numeric column `x` with one bad cell on the given data row (1-based).
function withBadCell(name: string, badRow: number, cell: string): string {
  const lines = ['id,x,label'];
  for (let i = 1; i <= 1500; i++)
    lines.push(`${i},${i === badRow ? cell : (i * 0.5).toFixed(1)},${i % 2 ? 'a' : 'b'}`);
  return file(name, `${lines.join('\n')}\n`);
}

test('a bad cell in a numeric column is an error naming file, line, column and value, inside or after the inferred rows', async () => {
  for (const row of [10, 1200]) {
    const p = withBadCell(`abc-${row}.csv`, row, 'abc');
    await assert.rejects(readCsv(p), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(`^\\[readCsv\\] ${p} line ${row + 1}, column 2 \\("x"\\): expected a number, got "abc"`),
      );
      return true;
    });
  }
  const comma = withBadCell('comma.csv', 5, '"17,99"');
  await assert.rejects(
    readCsv(comma),
    /comma\.csv line 6, column 2 \("x"\): expected a number, got "17,99" \(a decimal comma\?/,
  );
});

test("onBadNumber: 'missing' makes bad cells NaN and counts them per column", async () => {
  const lines = ['x,y'];
  for (let i = 0; i < 1200; i++)
    lines.push(`${i === 3 || i === 1100 ? 'oops' : i},${i === 7 ? '"1,5"' : i * 2}`);
  const p = file('missing.csv', `${lines.join('\n')}\n`);
  const t = await readCsv(p, { onBadNumber: 'missing' });
  assert.deepEqual(t.types, { x: 'number', y: 'number' });
  assert.ok(Number.isNaN((t.data.x as Float64Array)[3]!));
  assert.ok(Number.isNaN((t.data.x as Float64Array)[1100]!));
  assert.ok(Number.isNaN((t.data.y as Float64Array)[7]!));
  assert.equal((t.data.x as Float64Array)[4], 4);
  assert.deepEqual(t.badNumbers, { x: 2, y: 1 });
  // Counted per chunk when streamed, summing to the same figure.
  let total = 0;
  for await (const c of csvChunks(p, { onBadNumber: 'missing', chunkSize: 500 }))
    total += c.badNumbers?.x ?? 0;
  assert.equal(total, 2);
  await assert.rejects(
    readCsv(p, { onBadNumber: 'drop' as 'missing' }),
    /onBadNumber must be 'throw' or 'missing'/,
  );
});

test('a text column stays text: fewer than 90% numbers in the inferred rows', async () => {
  const lines = ['code'];
  for (let i = 0; i < 100; i++) lines.push(i % 4 === 0 ? `A${i}` : String(i));
  const t = await readCsv(file('codes.csv', `${lines.join('\n')}\n`));
  assert.equal(t.types.code, 'string');
});

test('an unclosed quote is reported at the line where it opens, not at the end of the file', async () => {
  const lines = ['a,b'];
  for (let i = 0; i < 600; i++) lines.push(`${i},${i * 2}`);
  lines[7] = '6,"12';
  const p = file('quote.csv', `${lines.join('\n')}\n`);
  await assert.rejects(readCsv(p), (e: Error) => {
    assert.match(
      e.message,
      /quote\.csv line 8: a quoted field opened here is never closed \(the file ends at line 601\)/,
    );
    return true;
  });
  // A later stray quote ends the runaway field: the message names both lines.
  lines[570] = 'x,"y"z';
  const q = file('quote2.csv', `${lines.join('\n')}\n`);
  await assert.rejects(
    readCsv(q),
    /line 571, column 2: Invalid Closing Quote.*; the quoted field began on line 8: an unclosed quote there\?/,
  );
});
