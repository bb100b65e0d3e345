/**
 * `tensorscript explain <run> <input>`: explanations of a saved model's predictions (ts.explain.explainSaved)
 * for the records of an input file, written as explanation.json, one PNG per record and explanation.html.
 */
import { basename, extname, join } from 'node:path';
import * as ts from '../index.ts';
import { readPredictInput } from './predict-run.ts';

/** Explanations are costly (many forward passes each): a file's first records only. */
export const MAX_EXPLAINED = 16;

export async function runExplain(
  run: string,
  input: string,
  opts: {
    out?: string | undefined;
    steps?: number | undefined;
    samples?: number | undefined;
    log?: (s: string) => void;
  } = {},
): Promise<{ outDir: string; explanations: ts.explain.SavedExplanation[] }> {
  const saved = ts.saving.load(run);
  const { ids, records } = await readPredictInput(input);
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  if (records.length > MAX_EXPLAINED)
    log(`[explain] ${input}: explaining the first ${MAX_EXPLAINED} of ${records.length} records`);
  const outDir = opts.out ?? join(run, 'explain', basename(input, extname(input)));
  const eo: ts.explain.ExplainOptions = {};
  if (opts.steps !== undefined) eo.steps = opts.steps;
  if (opts.samples !== undefined) eo.samples = opts.samples;
  const explanations = records.slice(0, MAX_EXPLAINED).map((r) => ts.explain.explainSaved(saved, r, eo));
  ts.saving.fsStep('explain', 'create the output directory', outDir, () => ts.saving.nodeFs.mkdir(outDir));
  const pages: string[] = [];
  explanations.forEach((e, i) => {
    const id = String(ids[i] ?? i);
    ts.io.writeFileAtomic(join(outDir, `explanation-${i}.png`), ts.explain.explanationPng(e));
    const page = ts.explain.explanationHtml(e, `${basename(input)}: record ${id}`);
    pages.push(page.slice(page.indexOf('<body>') + 6, page.lastIndexOf('</body>')));
  });
  ts.io.writeFileAtomic(
    join(outDir, 'explanation.json'),
    `${JSON.stringify(
      explanations.map((e, i) => ({ id: ids[i] ?? i, ...e })),
      null,
      1,
    )}\n`,
  );
  const style =
    '<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:2px 8px;text-align:left}.tokens span{padding:1px 2px;border-radius:3px}</style>';
  ts.io.writeFileAtomic(
    join(outDir, 'explanation.html'),
    `<!doctype html><html><head><meta charset="utf-8"><title>Explanations: ${basename(input).replace(/[&<>"]/g, '_')}</title>${style}</head><body>${pages.join('<hr>')}</body></html>\n`,
  );
  log(`[explain] ${explanations.length} explanation${explanations.length === 1 ? '' : 's'} -> ${outDir}`);
  return { outDir, explanations };
}
