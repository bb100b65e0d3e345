import { createReadStream } from 'node:fs';
import { CsvError, parse } from 'csv-parse';
import { fail, TensorScriptError } from '../core/errors.ts';
import {
  type Column,
  type ColumnType,
  concatTables,
  getRow,
  makeTable,
  NumberBuilder,
  type Row,
  type StringColumn,
  type Table,
} from './table.ts';
import { DEFAULT_MISSING, parseNumber } from './values.ts';

export interface CsvOptions {
  /** First record holds column names (default true). */
  header?: boolean;
  /** Column names: required names when `header` is false (default c0, c1, ...), or renames the header. */
  columns?: string[];
  /** Field delimiter (default ','). Quoting follows RFC 4180: `"a ""quoted"", field"`. */
  delimiter?: string;
  quote?: string;
  /** Lines starting with this are ignored (default: none). */
  comment?: string;
  /** Cells that mean "missing" (default '', 'NA', 'NaN', '?'): NaN in number columns, null in string columns. */
  missing?: readonly string[];
  /** Per-column type overrides by name; other columns are inferred. */
  types?: Record<string, ColumnType>;
  /**
   * Rows used to infer column types (default 1000). A column is numeric when every non-missing cell of
   * those rows parses as a number; after that a cell that does not parse is an error (or a skipped row).
   */
  inferRows?: number;
  /** 'throw' (default) raises on the first malformed row; 'skip' drops it and counts it in `skipped`. */
  onError?: 'throw' | 'skip';
  /** Rows per chunk yielded by csvChunks (default 65536). */
  chunkSize?: number;
  /** Trim spaces around unquoted fields (default false). */
  trim?: boolean;
}

interface Pending {
  record: string[];
  line: number;
}

/**
 * Streams a CSV file as column-oriented chunks of at most `chunkSize` rows, all with the same columns and
 * types. Memory stays bounded by the chunk size, so files larger than memory can be processed.
 */
export function csvChunks(path: string, opts: CsvOptions = {}): AsyncGenerator<Table> {
  return chunksImpl(path, opts, 'csvChunks');
}

/** Streams a CSV file row by row as records `{ column: number | string | null }`. */
export async function* csvRows(path: string, opts: CsvOptions = {}): AsyncGenerator<Row> {
  for await (const chunk of chunksImpl(path, { chunkSize: 4096, ...opts }, 'csvRows')) {
    for (let i = 0; i < chunk.length; i++) yield getRow(chunk, i);
  }
}

/** Reads a whole CSV file into a column-oriented table. */
export async function readCsv(path: string, opts: CsvOptions = {}): Promise<Table> {
  const chunks: Table[] = [];
  for await (const chunk of chunksImpl(path, opts, 'readCsv')) chunks.push(chunk);
  return concatTables(chunks);
}

async function* chunksImpl(path: string, opts: CsvOptions, op: string): AsyncGenerator<Table> {
  const header = opts.header ?? true;
  const missing = new Set(opts.missing ?? DEFAULT_MISSING);
  const inferRows = Math.max(1, opts.inferRows ?? 1000);
  const chunkSize = Math.max(1, opts.chunkSize ?? 65536);
  const skip = opts.onError === 'skip';
  const overrides = opts.types ?? {};
  let skipped = 0;

  const source = createReadStream(path);
  const parser = source.pipe(
    parse({
      delimiter: opts.delimiter ?? ',',
      quote: opts.quote ?? '"',
      bom: true,
      // csv-parse's per-record info object halves throughput; without a comment option the line
      // number is counted here instead (newlines inside quoted fields included), see below.
      info: opts.comment !== undefined,
      // Ragged rows are checked here so the message can name the file and expected column count.
      relax_column_count: true,
      skip_empty_lines: opts.comment !== undefined,
      trim: opts.trim ?? false,
      ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
      skip_records_with_error: skip,
      on_skip: () => {
        skipped++;
      },
    }),
  );

  // pipe() does not forward errors; without this a missing file would be an uncaught exception.
  source.on('error', (e) => parser.destroy(e));
  let names: string[] | undefined;
  let types: ColumnType[] | undefined;
  let pending: Pending[] = [];
  let builders: (NumberBuilder | StringColumn)[] = [];
  let yielded = 0;
  let skippedReported = 0;
  const where = (line: number, col?: number): string =>
    col === undefined ? `${path} line ${line}` : `${path} line ${line}, column ${col + 1} ("${names![col]}")`;

  const setNames = (found: string[]): void => {
    if (opts.columns !== undefined) {
      if (opts.columns.length !== found.length)
        fail(op, `${path}: ${opts.columns.length} column names given, file has ${found.length} columns`);
      names = [...opts.columns];
    } else {
      names = found;
    }
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) fail(op, `${path}: duplicate column name "${n}"`);
      seen.add(n);
    }
    for (const k of Object.keys(overrides))
      if (!seen.has(k))
        fail(op, `${path}: type override for unknown column "${k}"; columns are ${JSON.stringify(names)}`);
  };

  const freshBuilders = (): void => {
    builders = types!.map((t) => (t === 'number' ? new NumberBuilder() : []));
  };

  const infer = (): void => {
    types = names!.map((name, j) => {
      const o = overrides[name];
      if (o !== undefined) return o;
      if (pending.length === 0) return 'string';
      for (const p of pending) {
        const cell = p.record[j]!;
        if (!missing.has(cell) && parseNumber(cell) === undefined) return 'string';
      }
      return 'number';
    });
    freshBuilders();
  };

  // Converts a record; returns false when the row was skipped.
  const addRow = (record: string[], line: number): boolean => {
    if (record.length !== names!.length) {
      const msg = `${where(line)}: expected ${names!.length} fields, got ${record.length}`;
      if (skip) {
        skipped++;
        return false;
      }
      fail(op, msg);
    }
    const values: (number | string | null)[] = new Array(record.length);
    for (let j = 0; j < record.length; j++) {
      const cell = record[j]!;
      if (types![j] === 'number') {
        if (missing.has(cell)) values[j] = Number.NaN;
        else {
          const v = parseNumber(cell);
          if (v === undefined) {
            if (skip) {
              skipped++;
              return false;
            }
            fail(op, `${where(line, j)}: expected a number, got ${JSON.stringify(cell)}`);
          }
          values[j] = v;
        }
      } else values[j] = missing.has(cell) ? null : cell;
    }
    for (let j = 0; j < values.length; j++) {
      const b = builders[j]!;
      if (b instanceof NumberBuilder) b.push(values[j] as number);
      else b.push(values[j] as string | null);
    }
    return true;
  };

  const rowsInBuilders = (): number => {
    const b = builders[0];
    return b === undefined ? 0 : b.length;
  };

  const flush = (): Table => {
    const data: Record<string, Column> = {};
    names!.forEach((n, j) => {
      const b = builders[j]!;
      data[n] = b instanceof NumberBuilder ? b.finish() : b;
    });
    const t = makeTable(data, { columns: [...names!], source: path });
    t.skipped = skipped - skippedReported;
    skippedReported = skipped;
    freshBuilders();
    yielded++;
    return t;
  };

  try {
    let nextLine = 1;
    for await (const item of parser as AsyncIterable<
      string[] | { record: string[]; info: { lines: number } }
    >) {
      let record: string[];
      let line: number;
      if (Array.isArray(item)) {
        record = item;
        line = nextLine;
        nextLine++;
        for (const f of record) for (let k = f.indexOf('\n'); k >= 0; k = f.indexOf('\n', k + 1)) nextLine++;
        if (record.length === 1 && record[0] === '') continue; // blank line
      } else {
        record = item.record;
        line = item.info.lines;
      }
      const info = { lines: line };
      if (names === undefined) {
        if (header) {
          setNames(record);
          continue;
        }
        setNames(record.map((_, j) => `c${j}`));
      }
      if (types === undefined) {
        if (record.length !== names!.length) {
          if (skip) {
            skipped++;
            continue;
          }
          fail(op, `${where(info.lines)}: expected ${names!.length} fields, got ${record.length}`);
        }
        pending.push({ record, line: info.lines });
        if (pending.length < inferRows) continue;
        infer();
        for (const p of pending) addRow(p.record, p.line);
        pending = [];
      } else addRow(record, info.lines);
      if (rowsInBuilders() >= chunkSize) yield flush();
    }
  } catch (e) {
    if (e instanceof TensorScriptError) throw e;
    if (e instanceof CsvError) {
      const err = e as CsvError & { lines?: number; column?: number | string | null };
      const line = err.lines ?? 0;
      const col = typeof err.column === 'number' ? `, column ${err.column + 1}` : '';
      fail(op, `${path} line ${line}${col}: ${e.message} (${e.code})`);
    }
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') fail(op, `${path}: no such file`);
    throw e;
  } finally {
    source.destroy();
  }
  if (names === undefined) {
    if (opts.columns === undefined) fail(op, `${path}: empty file, no header and no column names`);
    setNames(opts.columns);
  }
  if (types === undefined) {
    infer();
    for (const p of pending) addRow(p.record, p.line);
  }
  if (rowsInBuilders() > 0 || yielded === 0 || skipped > skippedReported) yield flush();
}
