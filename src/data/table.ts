import { check, fail } from '../core/errors.ts';

/** How a column is stored: numbers as Float64Array (missing = NaN), text as strings (missing = null). */
export type ColumnType = 'number' | 'string';
export type NumberColumn = Float64Array;
export type StringColumn = (string | null)[];
export type Column = NumberColumn | StringColumn;

/**
 * A column-oriented table, the shape every tabular reader returns. Column order is `columns`;
 * `types[name]` says how `data[name]` is stored; `length` is the row count.
 */
export interface Table {
  columns: string[];
  types: Record<string, ColumnType>;
  data: Record<string, Column>;
  length: number;
  /** Rows dropped by `onError: 'skip'` (0 otherwise). */
  skipped: number;
  /** Per column, cells that were not numbers and became missing under `onBadNumber: 'missing'`. */
  badNumbers?: Record<string, number>;
  /** Where the rows came from (file path), for error messages further down the pipeline. */
  source?: string;
}

/** A single row as a plain record: numbers, strings, or null for missing. */
export type Row = Record<string, number | string | null>;

export function isNumberColumn(c: Column): c is NumberColumn {
  return c instanceof Float64Array;
}

/** The named numeric column; throws naming the table's columns when absent or not numeric. */
export function numberColumn(table: Table, name: string, op = 'numberColumn'): NumberColumn {
  const c = table.data[name];
  if (c === undefined) fail(op, `no column "${name}"; columns are ${JSON.stringify(table.columns)}`);
  if (!isNumberColumn(c)) fail(op, `column "${name}": expected a number column, got a string column`);
  return c;
}

export function stringColumn(table: Table, name: string, op = 'stringColumn'): StringColumn {
  const c = table.data[name];
  if (c === undefined) fail(op, `no column "${name}"; columns are ${JSON.stringify(table.columns)}`);
  if (isNumberColumn(c)) fail(op, `column "${name}": expected a string column, got a number column`);
  return c;
}

/** Any column as strings (numbers printed, NaN as null): what categorical encoders consume. */
export function columnAsStrings(table: Table, name: string, op = 'columnAsStrings'): StringColumn {
  const c = table.data[name];
  if (c === undefined) fail(op, `no column "${name}"; columns are ${JSON.stringify(table.columns)}`);
  if (!isNumberColumn(c)) return c;
  return Array.from(c, (v) => (Number.isNaN(v) ? null : String(v)));
}

/** Builds a table from columns, checking every column has the same length. */
export function makeTable(
  data: Record<string, Column>,
  opts: { columns?: string[]; source?: string } = {},
): Table {
  const columns = opts.columns ?? Object.keys(data);
  const types: Record<string, ColumnType> = {};
  let length = -1;
  for (const name of columns) {
    const c = data[name];
    if (c === undefined) fail('makeTable', `column "${name}" listed but has no data`);
    if (length < 0) length = c.length;
    check(
      c.length === length,
      'makeTable',
      () => `column "${name}" has ${c.length} rows, expected ${length}`,
    );
    types[name] = isNumberColumn(c) ? 'number' : 'string';
  }
  const t: Table = { columns, types, data, length: Math.max(length, 0), skipped: 0 };
  if (opts.source !== undefined) t.source = opts.source;
  return t;
}

/** The rows at `indices`, in that order (used by splits). */
export function selectRows(table: Table, indices: ArrayLike<number>): Table {
  const data: Record<string, Column> = {};
  for (const name of table.columns) {
    const c = table.data[name]!;
    if (isNumberColumn(c)) {
      const out = new Float64Array(indices.length);
      for (let i = 0; i < indices.length; i++) out[i] = c[indices[i]!]!;
      data[name] = out;
    } else {
      const out: StringColumn = new Array(indices.length);
      for (let i = 0; i < indices.length; i++) out[i] = c[indices[i]!]!;
      data[name] = out;
    }
  }
  const t = makeTable(data, { columns: [...table.columns] });
  if (table.source !== undefined) t.source = table.source;
  return t;
}

/** Row `i` as a record. */
export function getRow(table: Table, i: number): Row {
  check(i >= 0 && i < table.length, 'getRow', () => `row ${i} out of range [0, ${table.length})`);
  const row: Row = {};
  for (const name of table.columns) {
    const v = table.data[name]![i]!;
    row[name] = typeof v === 'number' && Number.isNaN(v) ? null : v;
  }
  return row;
}

/** Concatenates tables with identical columns and types (readers use it to join streamed chunks). */
export function concatTables(tables: readonly Table[]): Table {
  check(tables.length > 0, 'concatTables', () => 'expected at least one table, got 0');
  const first = tables[0]!;
  const total = tables.reduce((s, t) => s + t.length, 0);
  const data: Record<string, Column> = {};
  for (const name of first.columns) {
    if (first.types[name] === 'number') {
      const out = new Float64Array(total);
      let o = 0;
      for (const t of tables) {
        out.set(numberColumn(t, name, 'concatTables'), o);
        o += t.length;
      }
      data[name] = out;
    } else {
      const out: StringColumn = [];
      for (const t of tables) for (const v of stringColumn(t, name, 'concatTables')) out.push(v);
      data[name] = out;
    }
  }
  const t = makeTable(data, { columns: [...first.columns] });
  t.skipped = tables.reduce((s, x) => s + x.skipped, 0);
  const bad: Record<string, number> = {};
  for (const x of tables) for (const [k, v] of Object.entries(x.badNumbers ?? {})) bad[k] = (bad[k] ?? 0) + v;
  if (Object.keys(bad).length > 0) t.badNumbers = bad;
  if (first.source !== undefined) t.source = first.source;
  return t;
}

/** Growable Float64 storage: doubles capacity so appending n values costs O(n). */
export class NumberBuilder {
  private buf = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  finish(): Float64Array {
    return this.buf.slice(0, this.length);
  }
}
