/** `tensorscript predict`: reads records (CSV/JSON/JSONL, images, texts), writes predictions. */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import * as ts from '../index.ts';
import type { Prediction } from './checkpoint-model.ts';
import type { PredictRecord } from './preprocess.ts';
import { listFiles, readTable } from './sources.ts';

const IMAGE_EXTS = ['.png', '.jpg', '.jpeg'];

export interface PredictInput {
  ids: (string | number)[];
  records: PredictRecord[];
}

/** Reads the records of an input file or folder (see `tensorscript predict --help`). */
export async function readPredictInput(path: string): Promise<PredictInput> {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new ts.TensorScriptError('predict', `${path}: no such file or folder`);
  }
  if (st.isDirectory()) {
    const files = listFiles(path, IMAGE_EXTS);
    if (files.length === 0) throw new ts.TensorScriptError('predict', `${path}: no .png/.jpg/.jpeg files`);
    return { ids: files, records: files.map((f) => new Uint8Array(readFileSync(f))) };
  }
  const ext = extname(path).toLowerCase();
  if (IMAGE_EXTS.includes(ext)) return { ids: [path], records: [new Uint8Array(readFileSync(path))] };
  if (ext === '.csv') {
    const table = await readTable(path);
    const records = Array.from({ length: table.length }, (_, i) => ts.data.getRow(table, i));
    return { ids: records.map((_, i) => i), records };
  }
  if (ext === '.jsonl' || ext === '.ndjson') {
    const records: PredictRecord[] = [];
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim() === '') return;
        try {
          records.push(JSON.parse(line) as PredictRecord);
        } catch (e) {
          throw new ts.TensorScriptError(
            'predict',
            `${path} line ${i + 1}: invalid JSON (${(e as Error).message})`,
          );
        }
      });
    return { ids: records.map((_, i) => i), records };
  }
  if (ext === '.json') {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new ts.TensorScriptError('predict', `${path}: invalid JSON (${(e as Error).message})`);
    }
    if (Array.isArray(doc)) return { ids: doc.map((_, i) => i), records: doc as PredictRecord[] };
    // An object of equal-length columns, as readJson accepts.
    const table = await readTable(path);
    const records = Array.from({ length: table.length }, (_, i) => ts.data.getRow(table, i));
    return { ids: records.map((_, i) => i), records };
  }
  return { ids: [path], records: [readFileSync(path, 'utf8')] };
}

function csvCell(v: unknown): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Predictions as .json (array), .csv or JSON Lines (default). */
export function formatPredictions(ids: (string | number)[], preds: Prediction[], format: string): string {
  const rows = preds.map((p, i) => ({ id: ids[i]!, ...p }));
  if (format === '.json') return `${JSON.stringify(rows, null, 1)}\n`;
  if (format === '.csv') {
    const first = preds[0];
    if (first !== undefined && 'label' in first) {
      const classes = Object.keys(first.probabilities);
      const head = ['id', 'label', ...classes.map((c) => `p_${c}`)].map(csvCell).join(',');
      const body = rows.map((r) => {
        const p = r as unknown as {
          id: string | number;
          label: string;
          probabilities: Record<string, number>;
        };
        return [p.id, p.label, ...classes.map((c) => p.probabilities[c])].map(csvCell).join(',');
      });
      return `${[head, ...body].join('\n')}\n`;
    }
    const body = rows.map((r) => {
      const v = (r as unknown as { value: number | number[] }).value;
      return [r.id, ...(Array.isArray(v) ? v : [v])].map(csvCell).join(',');
    });
    return `${['id,value', ...body].join('\n')}\n`;
  }
  return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : '');
}

export async function runPredict(
  checkpoint: string,
  input: string,
  opts: {
    out?: string | undefined;
    batchSize?: number | undefined;
    write?: (s: string) => void;
    log?: (s: string) => void;
  } = {},
): Promise<Prediction[]> {
  // Predicting needs the saved model alone, not the run config: a model saved in code predicts as one trained here.
  const cm = ts.saving.load(checkpoint);
  const { ids, records } = await readPredictInput(input);
  if (cm.preprocessor instanceof ts.data.TabularPreprocessor) {
    // Missing feature columns are an error (raised here, naming them); extra ones are ignored, and said so.
    const { ignored } = cm.preprocessor.checkColumns(records);
    if (ignored.length > 0)
      (opts.log ?? ((s: string) => process.stderr.write(`${s}\n`)))(
        `[predict] ${input}: ignoring column${ignored.length > 1 ? 's' : ''} the model does not use: ${ignored.join(', ')}`,
      );
  }
  const start = performance.now();
  const preds = cm.predict(records, { batchSize: opts.batchSize ?? 256 });
  const seconds = (performance.now() - start) / 1000;
  if (opts.out !== undefined) {
    ts.io.writeFileAtomic(opts.out, formatPredictions(ids, preds, extname(opts.out).toLowerCase()));
    opts.log?.(
      `[predict] ${preds.length} predictions -> ${opts.out} (${(preds.length / seconds).toFixed(0)} records/s)`,
    );
  } else (opts.write ?? ((s: string) => process.stdout.write(s)))(formatPredictions(ids, preds, '.jsonl'));
  return preds;
}
