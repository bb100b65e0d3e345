import { createReadStream } from 'node:fs';
import { fail, TensorScriptError } from '../core/errors.ts';
import { readFailure } from './read-errors.ts';
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
   * Rows used to infer column types (default 1000). A column is numeric when at least 90% of the non-missing
   * cells of those rows parse as numbers. One rule then holds for the whole file, inside those rows and
   * after them: a cell of a numeric column (inferred or declared in `types`) that is neither a number nor a
   * missing marker is handled by `onBadNumber`.
   */
  inferRows?: number;
  /**
   * A cell of a numeric column that is not a number (`abc`, the decimal comma of `17,99`): 'throw' (default)
   * raises naming file, line, column and value (or skips the row under `onError: 'skip'`); 'missing' makes
   * it NaN, to be imputed like any missing value, and counts it per column in `table.badNumbers`.
   */
  onBadNumber?: 'throw' | 'missing';
  /** 'throw' (default) raises on the first malformed row; 'skip' drops it and counts it in `skipped`. */
  onError?: 'throw' | 'skip';
  /** Rows per chunk yielded by csvChunks (default 65536). */
  chunkSize?: number;
  /** Trim spaces around unquoted fields (default false). */
  trim?: boolean;
}

// A decimal comma or thousands separator is the usual reason a numeric cell does not parse.
function hint(cell: string): string {
  if (/^[+-]?\d+,\d+$/.test(cell.trim())) return ' (a decimal comma? numbers use a point: 17.99)';
  return "; fix the cell, list it in `missing`, or pass onBadNumber: 'missing' to impute it";
}

/**
 * The line on which the last quoted field opened before `untilLine` ends (RFC 4180: a quote opens a field
 * only at its start; a doubled quote inside is an escape). Read on the error path only.
 */
async function quoteOpenedAt(
  path: string,
  quote: string,
  delimiter: string,
  untilLine: number,
): Promise<number | undefined> {
  let line = 1;
  let inQuote = false;
  let atFieldStart = true;
  let pendingClose = false;
  let opened: number | undefined;
  for await (const chunk of createReadStream(path, { encoding: 'utf8' })) {
    for (const ch of chunk as string) {
      if (pendingClose) {
        pendingClose = false;
        if (ch === quote) continue; // "" escape
        inQuote = false;
      }
      if (inQuote) {
        if (ch === quote) pendingClose = true;
        else if (ch === '\n') line++;
        continue;
      }
      if (ch === '\n') {
        if (line >= untilLine) return opened;
        line++;
        atFieldStart = true;
      } else if (ch === quote && atFieldStart) {
        inQuote = true;
        opened = line;
        atFieldStart = false;
      } else atFieldStart = ch === delimiter || ch === '\r';
    }
  }
  return opened;
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
  // csv-parse loads on first read, not at import, so the library's entry stays fast to load.
  const { CsvError, parse } = await import('csv-parse');
  const header = opts.header ?? true;
  const missing = new Set(opts.missing ?? DEFAULT_MISSING);
  const inferRows = Math.max(1, opts.inferRows ?? 1000);
  const chunkSize = Math.max(1, opts.chunkSize ?? 65536);
  const skip = opts.onError === 'skip';
  const badToMissing = opts.onBadNumber === 'missing';
  if (opts.onBadNumber !== undefined && opts.onBadNumber !== 'throw' && !badToMissing)
    fail(op, `onBadNumber must be 'throw' or 'missing', got ${JSON.stringify(opts.onBadNumber)}`);
  const badNumbers: Record<string, number> = {};
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
      // A few typos must not turn a numeric column into text (it would silently leave the default
      // features); they are reported by addRow with their line instead. 90% numbers is "meant numeric".
      let numbers = 0;
      let others = 0;
      for (const p of pending) {
        const cell = p.record[j]!;
        if (missing.has(cell)) continue;
        if (parseNumber(cell) === undefined) others++;
        else numbers++;
      }
      return others === 0 || numbers >= 0.9 * (numbers + others) ? 'number' : 'string';
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
          if (v !== undefined) values[j] = v;
          else if (badToMissing) {
            values[j] = Number.NaN;
            badNumbers[names![j]!] = (badNumbers[names![j]!] ?? 0) + 1;
          } else if (skip) {
            skipped++;
            return false;
          } else fail(op, `${where(line, j)}: expected a number, got ${JSON.stringify(cell)}${hint(cell)}`);
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
    const bad = Object.entries(badNumbers).filter(([, v]) => v > 0);
    if (bad.length > 0) {
      t.badNumbers = Object.fromEntries(bad);
      for (const [k] of bad) badNumbers[k] = 0;
    }
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
      const err = e as InstanceType<typeof CsvError> & { lines?: number; column?: number | string | null };
      const line = err.lines ?? 0;
      const col = typeof err.column === 'number' ? `, column ${err.column + 1}` : '';
      // csv-parse reports where it gave up (for an unclosed quote: the end of the file), so the line
      // where the runaway quoted field opened is found by rescanning the file up to that point.
      if (e.code === 'CSV_QUOTE_NOT_CLOSED' || e.code === 'CSV_INVALID_CLOSING_QUOTE') {
        const opened = await quoteOpenedAt(path, opts.quote ?? '"', opts.delimiter ?? ',', line);
        if (e.code === 'CSV_QUOTE_NOT_CLOSED' && opened !== undefined)
          fail(
            op,
            `${path} line ${opened}: a quoted field opened here is never closed (the file ends at line ${line})`,
          );
        if (opened !== undefined && opened < line)
          fail(
            op,
            `${path} line ${line}${col}: ${e.message} (${e.code}); the quoted field began on line ${opened}: an unclosed quote there?`,
          );
      }
      fail(op, `${path} line ${line}${col}: ${e.message} (${e.code})`);
    }
    readFailure(op, path, e);
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
