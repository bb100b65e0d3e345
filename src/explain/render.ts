/**
 * Pictures and pages of a saved model's explanation: an attribution heatmap (image models), a bar chart of
 * feature or token attributions (tabular, text) as PNG, and a self-contained HTML page holding the PNG.
 */
import { PNG } from 'pngjs';
import type { SavedExplanation } from './saved.ts';

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** |attribution| summed over channels, scaled to the largest, as a red heat map, 8x upscaled up to 256 px. */
function heatmap(e: Extract<SavedExplanation, { kind: 'image' }>): Uint8Array {
  const [c, h, w] = e.shape.length === 3 ? e.shape : [1, e.shape[0]!, e.shape[1] ?? 1];
  const heat = new Float64Array(h! * w!);
  for (let k = 0; k < c!; k++)
    for (let i = 0; i < heat.length; i++) heat[i]! += Math.abs(e.attributions[k * heat.length + i]!);
  const max = Math.max(...heat, 1e-12);
  const s = Math.max(1, Math.floor(256 / Math.max(h!, w!)));
  const png = new PNG({ width: w! * s, height: h! * s });
  for (let y = 0; y < h! * s; y++)
    for (let x = 0; x < w! * s; x++) {
      const v = heat[Math.floor(y / s) * w! + Math.floor(x / s)]! / max;
      const o = (y * w! * s + x) * 4;
      png.data[o] = 255;
      png.data[o + 1] = Math.round(255 * (1 - v));
      png.data[o + 2] = Math.round(255 * (1 - v));
      png.data[o + 3] = 255;
    }
  return PNG.sync.write(png);
}

/** Horizontal bars, positive green to the right of the axis, negative red to the left, one row per item. */
function bars(values: readonly number[]): Uint8Array {
  const rowH = 16;
  const width = 400;
  const png = new PNG({ width, height: Math.max(1, values.length) * rowH });
  png.data.fill(255);
  const max = Math.max(...values.map(Math.abs), 1e-12);
  const mid = width / 2;
  values.forEach((v, r) => {
    const len = Math.round((Math.abs(v) / max) * (mid - 4));
    const [x0, x1] = v >= 0 ? [mid, mid + len] : [mid - len, mid];
    for (let y = r * rowH + 3; y < (r + 1) * rowH - 3; y++)
      for (let x = x0; x < x1; x++) {
        const o = (y * width + x) * 4;
        png.data[o] = v >= 0 ? 40 : 210;
        png.data[o + 1] = v >= 0 ? 160 : 50;
        png.data[o + 2] = 60;
      }
  });
  for (let y = 0; y < png.height; y++) png.data.fill(0, (y * width + mid) * 4, (y * width + mid) * 4 + 3);
  return PNG.sync.write(png);
}

/** The explanation's picture (PNG bytes). Bars are in the order `explanationRows` lists. */
export function explanationPng(e: SavedExplanation): Uint8Array {
  if (e.kind === 'image') return heatmap(e);
  return bars(explanationRows(e).map((r) => r.value));
}

/** Tabular features by |value| (largest first) or text tokens in order. */
export function explanationRows(e: SavedExplanation): { name: string; value: number }[] {
  if (e.kind === 'tabular')
    return Object.entries(e.values)
      .map(([name, value]) => ({ name, value }))
      .sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  if (e.kind === 'text') return e.tokens.map((t) => ({ name: t.token, value: t.attribution }));
  return [];
}

/** A self-contained HTML page: what was explained, the picture, and the attributions as a table or tokens. */
export function explanationHtml(e: SavedExplanation, title = 'Explanation'): string {
  const png = Buffer.from(explanationPng(e)).toString('base64');
  const head = `<p>Method: ${e.method}. Target: ${esc(String(e.target ?? 'value'))}; output ${e.output.toFixed(4)}, ${
    e.kind === 'tabular'
      ? `base ${e.base.toFixed(4)}`
      : `baseline output ${e.baselineOutput.toFixed(4)}, completeness residual ${e.delta.toExponential(2)}`
  }.</p>`;
  let body = '';
  if (e.kind === 'text') {
    const max = Math.max(...e.tokens.map((t) => Math.abs(t.attribution)), 1e-12);
    body = `<p class="tokens">${e.tokens
      .map((t) => {
        const a = t.attribution / max;
        const bg =
          a >= 0 ? `rgba(40,160,60,${Math.abs(a).toFixed(3)})` : `rgba(210,50,60,${Math.abs(a).toFixed(3)})`;
        return `<span style="background:${bg}" title="${t.attribution.toExponential(3)}">${esc(t.token)}</span>`;
      })
      .join(' ')}</p>`;
  }
  if (e.kind !== 'image')
    body += `<table><tr><th>${e.kind === 'text' ? 'token' : 'feature'}</th><th>attribution</th></tr>${explanationRows(
      e,
    )
      .map((r) => `<tr><td>${esc(r.name)}</td><td>${r.value.toExponential(4)}</td></tr>`)
      .join('')}</table>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:2px 8px;text-align:left}.tokens span{padding:1px 2px;border-radius:3px}</style></head><body><h1>${esc(title)}</h1>${head}<img alt="attributions" src="data:image/png;base64,${png}">${body}</body></html>\n`;
}
