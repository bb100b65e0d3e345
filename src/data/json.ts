import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fail, TensorScriptError } from '../core/errors.ts';
import { readFailure } from './read-errors.ts';
import { type Column, type ColumnType, makeTable, type Row, type Table } from './table.ts';
import { DEFAULT_MISSING, parseNumber } from './values.ts';

export interface JsonOptions {
  /** String values meaning "missing" (default '', 'NA', 'NaN', '?'); JSON null is always missing. */
  missing?: readonly string[];
  /** Per-column type overrides; others are inferred (numbers and booleans -> number, strings -> string). */
  types?: Record<string, ColumnType>;
  /** JSON Lines only: 'skip' drops lines that are not valid JSON objects and counts them. */
  onError?: 'throw' | 'skip';
}

type JsonValue = unknown;

/**
 * Reads a JSON file holding either an array of records `[{ "a": 1, "b": "x" }, ...]` or an object of
 * equal-length column arrays `{ "a": [1, 2], "b": ["x", "y"] }` into a column-oriented table.
 */
export async function readJson(path: string, opts: JsonOptions = {}): Promise<Table> {
  const op = 'readJson';
  const text = await readText(path, op);
  let doc: JsonValue;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    fail(op, `${path} ${locate(text, (e as Error).message)}: invalid JSON (${(e as Error).message})`);
  }
  if (Array.isArray(doc)) {
    const records = doc.map((r, i) => {
      if (!isPlainObject(r)) fail(op, `${path} record ${i}: expected an object, got ${describe(r)}`);
      return r;
    });
    return recordsToTable(
      records,
      records.map((_, i) => `record ${i}`),
      path,
      opts,
      op,
    );
  }
  if (isPlainObject(doc)) {
    const keys = Object.keys(doc);
    const cols = keys.map((k) => {
      const v = doc[k];
      if (!Array.isArray(v)) fail(op, `${path}: column "${k}": expected an array, got ${describe(v)}`);
      return v;
    });
    const n = cols.length > 0 ? cols[0]!.length : 0;
    cols.forEach((c, j) => {
      if (c.length !== n) fail(op, `${path}: column "${keys[j]}" has ${c.length} values, expected ${n}`);
    });
    const records: Record<string, JsonValue>[] = [];
    for (let i = 0; i < n; i++) {
      const r: Record<string, JsonValue> = {};
      keys.forEach((k, j) => {
        r[k] = cols[j]![i];
      });
      records.push(r);
    }
    return recordsToTable(
      records,
      records.map((_, i) => `row ${i}`),
      path,
      opts,
      op,
    );
  }
  fail(op, `${path}: expected an array of records or an object of columns, got ${describe(doc)}`);
}

/** Streams a JSON Lines file (one object per line; blank lines ignored) as parsed records. */
export async function* jsonlRows(
  path: string,
  opts: JsonOptions & { onSkip?: (line: number) => void } = {},
): AsyncGenerator<Row> {
  for await (const { record } of jsonlRecords(path, opts, 'jsonlRows')) yield record as Row;
}

/** Reads a whole JSON Lines file into a column-oriented table. */
export async function readJsonl(path: string, opts: JsonOptions = {}): Promise<Table> {
  const records: Record<string, JsonValue>[] = [];
  const where: string[] = [];
  let skipped = 0;
  for await (const { record, line } of jsonlRecords(
    path,
    { ...opts, onSkip: () => skipped++ },
    'readJsonl',
  )) {
    records.push(record);
    where.push(`line ${line}`);
  }
  const t = recordsToTable(records, where, path, opts, 'readJsonl');
  t.skipped = skipped;
  return t;
}

async function* jsonlRecords(
  path: string,
  opts: JsonOptions & { onSkip?: (line: number) => void },
  op: string,
): AsyncGenerator<{ record: Record<string, JsonValue>; line: number }> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  try {
    for await (const raw of lines) {
      n++;
      const text = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      let value: JsonValue;
      let problem: string | undefined;
      try {
        value = JSON.parse(text);
        if (!isPlainObject(value)) problem = `expected a JSON object, got ${describe(value)}`;
      } catch (e) {
        problem = `invalid JSON (${(e as Error).message})`;
      }
      if (problem !== undefined) {
        if (opts.onError === 'skip') {
          opts.onSkip?.(n);
          continue;
        }
        fail(op, `${path} line ${n}: ${problem}`);
      }
      yield { record: value as Record<string, JsonValue>, line: n };
    }
  } catch (e) {
    if (e instanceof TensorScriptError) throw e;
    readFailure(op, path, e);
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Builds a table from records; keys in order of first appearance, absent keys are missing. */
function recordsToTable(
  records: readonly Record<string, JsonValue>[],
  where: readonly string[],
  path: string,
  opts: JsonOptions,
  op: string,
): Table {
  const missing = new Set(opts.missing ?? DEFAULT_MISSING);
  const overrides = opts.types ?? {};
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of records)
    for (const k of Object.keys(r))
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
  const data: Record<string, Column> = {};
  for (const name of columns) {
    // Validate scalars, then infer: any string that is not a missing marker makes a string column.
    let type: ColumnType = 'number';
    records.forEach((r, i) => {
      const v = r[name];
      if (v !== null && v !== undefined && typeof v === 'object')
        fail(
          op,
          `${path} ${where[i]}, key "${name}": expected a number, string, boolean or null, got ${describe(v)}`,
        );
      if (typeof v === 'string' && !missing.has(v)) type = 'string';
    });
    type = overrides[name] ?? type;
    if (type === 'number') {
      const out = new Float64Array(records.length);
      records.forEach((r, i) => {
        const v = r[name];
        if (v === null || v === undefined || (typeof v === 'string' && missing.has(v))) out[i] = Number.NaN;
        else if (typeof v === 'number') out[i] = v;
        else if (typeof v === 'boolean') out[i] = v ? 1 : 0;
        else {
          const p = parseNumber(String(v));
          if (p === undefined)
            fail(op, `${path} ${where[i]}, key "${name}": expected a number, got ${JSON.stringify(v)}`);
          out[i] = p;
        }
      });
      data[name] = out;
    } else {
      data[name] = records.map((r) => {
        const v = r[name];
        if (v === null || v === undefined) return null;
        const s = String(v);
        return missing.has(s) ? null : s;
      });
    }
  }
  for (const k of Object.keys(overrides))
    if (!seen.has(k))
      fail(op, `${path}: type override for unknown column "${k}"; columns are ${JSON.stringify(columns)}`);
  return makeTable(data, { columns, source: path });
}

async function readText(path: string, op: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
  } catch (e) {
    return readFailure(op, path, e);
  }
}

/** Turns V8's "at position N" into "line L, column C" so a JSON error points into the file. */
function locate(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (m === null) return 'at end of input';
  const pos = Number(m[1]);
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < text.length; i++)
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  return `line ${line}, column ${pos - lineStart + 1}`;
}

function isPlainObject(v: JsonValue): v is Record<string, JsonValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}
