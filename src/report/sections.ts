import type { Module } from '../nn/module.ts';
import { fmtNumber } from './format.ts';
import { escapeHtml, htmlTable } from './html.ts';

/** The inputs behind the evaluated rows, so the report can show the examples the model got wrong. */
export type ReportExamples =
  /**
   * Flat pixels, values in [0, 1] (or [0, 255] with `scale: 255`): [N, height, width, channels] (layout 'hwc',
   * the default) or planar [N, channels, height, width] (layout 'chw', as image tensors and ImageFolder hold
   * them). A fourth channel is alpha.
   */
  | {
      kind: 'image';
      width: number;
      height: number;
      channels?: 1 | 3 | 4;
      layout?: 'hwc' | 'chw';
      pixels: ArrayLike<number>;
      scale?: number;
    }
  | { kind: 'text'; texts: readonly string[] }
  | { kind: 'table'; columns: readonly string[]; rows: readonly (readonly (number | string | null)[])[] };

/** One row of a model summary: a layer, its type and its parameter count. */
export interface ModelSummaryRow {
  name: string;
  type: string;
  params: number;
  trainable: number;
}

/** Parameter counts per layer (leaf modules and any module with parameters of its own), like Keras' summary(). */
export function modelSummary(model: Module): ModelSummaryRow[] {
  const rows: ModelSummaryRow[] = [];
  for (const [name, m] of model.namedModules()) {
    const own = m.namedParameters({ recurse: false });
    const isLeaf = m.namedChildren().length === 0;
    if (own.length === 0 && !(isLeaf && name !== '')) continue;
    let params = 0;
    let trainable = 0;
    for (const [, p] of own) {
      params += p.size;
      if (p.requiresGrad) trainable += p.size;
    }
    rows.push({ name: name === '' ? '(root)' : name, type: m.constructor.name, params, trainable });
  }
  return rows;
}

export function modelSummaryHtml(rows: readonly ModelSummaryRow[]): string {
  const total = rows.reduce((a, r) => a + r.params, 0);
  const trainable = rows.reduce((a, r) => a + r.trainable, 0);
  const body = rows.map((r) => [
    r.name,
    r.type,
    r.params.toLocaleString('en-US'),
    r.trainable.toLocaleString('en-US'),
  ]);
  body.push(['total', '', total.toLocaleString('en-US'), trainable.toLocaleString('en-US')]);
  return `<h2>Model</h2>${htmlTable(['layer', 'type', 'parameters', 'trainable'], body, 'model-summary')}`;
}

/** Seconds per epoch, with the total; from the History's `epoch_seconds` key or the option. */
export function epochTimeHtml(epochs: readonly number[], seconds: readonly number[]): string {
  const rows = seconds.map((s, i) => [String(epochs[i] ?? i), fmtNumber(s)]);
  rows.push(['total', fmtNumber(seconds.reduce((a, b) => a + b, 0))]);
  return `<h2>Time per epoch</h2>${htmlTable(['epoch', 'seconds'], rows, 'epoch-time')}`;
}

export interface Misclassified {
  row: number;
  truth: string;
  predicted: string;
  confidence: number | undefined;
}

/** The wrong predictions, most confident first (those say most about the model), at most `limit`. */
export function pickMisclassified(
  yTrue: readonly number[],
  yPred: readonly number[],
  names: readonly string[],
  confidence: ((row: number) => number) | undefined,
  limit: number,
): Misclassified[] {
  const wrong: Misclassified[] = [];
  for (let i = 0; i < yTrue.length; i++)
    if (yTrue[i] !== yPred[i])
      wrong.push({
        row: i,
        truth: names[yTrue[i]!] ?? String(yTrue[i]),
        predicted: names[yPred[i]!] ?? String(yPred[i]),
        confidence: confidence?.(i),
      });
  wrong.sort((a, b) => (b.confidence ?? 0) - (a.confidence ?? 0) || a.row - b.row);
  return wrong.slice(0, limit);
}

function caption(m: Misclassified): string {
  const conf = m.confidence === undefined ? '' : ` (${fmtNumber(m.confidence)})`;
  return `row ${m.row}: true <b>${escapeHtml(m.truth)}</b>, predicted <b>${escapeHtml(m.predicted)}</b>${conf}`;
}

/** Encodes one example's pixels as a PNG data URI (grey or RGB, 8 bit). */
async function pngDataUri(ex: Extract<ReportExamples, { kind: 'image' }>, row: number): Promise<string> {
  const { PNG } = await import('pngjs');
  const c = ex.channels ?? 1;
  const n = ex.width * ex.height;
  const png = new PNG({ width: ex.width, height: ex.height });
  const k = (ex.scale ?? 1) === 255 ? 1 : 255;
  const planar = ex.layout === 'chw';
  // index of channel ch of pixel p of this row
  const at = (p: number, ch: number) => (planar ? (row * c + ch) * n + p : (row * n + p) * c + ch);
  const byte = (v: number) => Math.max(0, Math.min(255, Math.round(v * k)));
  for (let p = 0; p < n; p++) {
    for (let ch = 0; ch < 3; ch++) png.data[p * 4 + ch] = byte(Number(ex.pixels[at(p, c >= 3 ? ch : 0)]));
    png.data[p * 4 + 3] = c === 4 ? byte(Number(ex.pixels[at(p, 3)])) : 255;
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}

export async function misclassifiedHtml(
  ex: ReportExamples,
  picked: readonly Misclassified[],
): Promise<string> {
  if (picked.length === 0)
    return '<h2>Misclassified examples</h2><p>None: every test example was classified correctly.</p>';
  let body: string;
  if (ex.kind === 'image') {
    const items: string[] = [];
    for (const m of picked)
      items.push(
        `<figure class="example"><img alt="row ${m.row}" src="${await pngDataUri(ex, m.row)}" width="${ex.width * 2}" height="${ex.height * 2}"><figcaption>${caption(m)}</figcaption></figure>`,
      );
    body = `<div class="examples">${items.join('')}</div>`;
  } else if (ex.kind === 'text') {
    body = `<ul class="examples-text">${picked
      .map((m) => {
        const t = ex.texts[m.row] ?? '';
        const snippet = t.length > 300 ? `${t.slice(0, 300)}…` : t;
        return `<li>${caption(m)}<br><q>${escapeHtml(snippet)}</q></li>`;
      })
      .join('')}</ul>`;
  } else {
    const head = ['row', 'true', 'predicted', 'confidence', ...ex.columns];
    const rows = picked.map((m) => [
      String(m.row),
      m.truth,
      m.predicted,
      m.confidence === undefined ? '–' : fmtNumber(m.confidence),
      ...(ex.rows[m.row] ?? []).map((v) => (typeof v === 'number' ? fmtNumber(v) : String(v ?? ''))),
    ]);
    body = htmlTable(head, rows, 'examples-table');
  }
  return `<h2>Misclassified examples</h2><p class="meta">The ${picked.length} most confident wrong predictions.</p>${body}`;
}
