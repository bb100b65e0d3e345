import type { ReportMetrics } from './compute.ts';
import { flattenForTable, fmtNumber } from './format.ts';

/** A chart ready for the page: its SVG markup (ids already made unique) and the file names written beside it. */
export interface RenderedChart {
  id: string;
  title: string;
  svg: string;
  svgFile: string;
  pngFile: string;
}

export { table as htmlTable };

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const fmt = fmtNumber;

function table(head: readonly string[], rows: readonly (readonly string[])[], cls = ''): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const tr = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join('')}</tr>`,
    )
    .join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

const STYLE = `
body{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
h1{margin-bottom:4px}.meta{color:#666;margin-top:0}
table{border-collapse:collapse;margin:8px 0 24px}th,td{border:1px solid #ddd;padding:4px 10px;text-align:right}
thead th{background:#f3f5f8}thead th:first-child{text-align:left}tbody th{text-align:left;font-weight:normal}
.charts{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}figure.chart{margin:0;border:1px solid #e5e5e5;padding:8px;background:#fff}
svg text{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif}figcaption{font-size:13px;color:#555;margin-top:4px}.examples{display:flex;flex-wrap:wrap;gap:10px}
figure.example{margin:0;width:150px;font-size:12px}figure.example img{image-rendering:pixelated;display:block;border:1px solid #ddd}
.examples-text li{margin-bottom:8px}.examples-text q{color:#444}.notes li{color:#8a5300}
`;

/**
 * The whole report as one HTML file: CSS inline, charts as inline SVG, no script and no external URL, so it opens
 * offline and cannot leak a request. Links point at the SVG/PNG files written next to it.
 */
export function reportHtml(
  title: string,
  r: ReportMetrics,
  charts: readonly RenderedChart[],
  extra: Record<string, unknown> | undefined,
  generatedAt: string,
  sections?: readonly string[],
): string {
  const parts: string[] = [];
  parts.push(`<h1>${escapeHtml(title)}</h1>`);
  parts.push(
    `<p class="meta">Task: ${escapeHtml(r.task)} · ${r.samples} samples · generated ${escapeHtml(generatedAt)}</p>`,
  );
  parts.push('<h2>Metrics</h2>');
  parts.push(
    table(
      ['metric', 'value'],
      Object.entries(r.metrics).map(([k, v]) => [k, fmt(v)]),
      'metrics',
    ),
  );
  if (r.perClass !== undefined) {
    const withAuc = r.perClass.some((c) => c.rocAuc !== undefined);
    const withAp = r.perClass.some((c) => c.averagePrecision !== undefined);
    const head = [
      'class',
      'precision',
      'recall',
      'f1',
      'support',
      ...(withAuc ? ['ROC AUC'] : []),
      ...(withAp ? ['AP'] : []),
    ];
    const rows = r.perClass.map((c) => [
      c.name,
      fmt(c.precision),
      fmt(c.recall),
      fmt(c.f1),
      fmt(c.support),
      ...(withAuc ? [fmt(c.rocAuc)] : []),
      ...(withAp ? [fmt(c.averagePrecision)] : []),
    ]);
    parts.push('<h2>Per class</h2>', table(head, rows, 'per-class'));
  }
  if (r.notes.length > 0)
    parts.push(`<ul class="notes">${r.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
  parts.push('<h2>Charts</h2><div class="charts">');
  for (const c of charts) {
    parts.push(
      `<figure class="chart" id="${escapeHtml(c.id)}" data-chart="${escapeHtml(c.id)}">${c.svg}<figcaption>${escapeHtml(c.title)} · <a href="${escapeHtml(c.svgFile)}">SVG</a> · <a href="${escapeHtml(c.pngFile)}">PNG</a></figcaption></figure>`,
    );
  }
  parts.push('</div>');
  if (sections !== undefined) parts.push(...sections);
  if (extra !== undefined && Object.keys(extra).length > 0) {
    // One readable table per top-level entry that is an object (the run config), dotted keys, rounded numbers.
    const scalars: [string, string][] = [];
    const groups: [string, [string, string][]][] = [];
    for (const [k, v] of Object.entries(extra)) {
      if (v !== null && typeof v === 'object' && !(Array.isArray(v) && v.every((x) => typeof x !== 'object')))
        groups.push([k, flattenForTable(v)]);
      else scalars.push(...flattenForTable(v, k));
    }
    parts.push('<h2>Details</h2>');
    if (scalars.length > 0) parts.push(table(['key', 'value'], scalars, 'details'));
    for (const [k, rows] of groups)
      parts.push(
        `<h3>${escapeHtml(k)}</h3>`,
        table(['key', 'value'], rows, `details details-${escapeHtml(k)}`),
      );
  }
  return htmlPage(title, parts);
}

/**
 * A self-contained page: inline style, images only as data: URLs, and a CSP that forbids anything else, so
 * a report opened from disk or mailed on loads nothing from anywhere.
 */
export function htmlPage(title: string, parts: readonly string[], style: string = STYLE): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title><style>${style}</style></head>
<body>
${parts.join('\n')}
</body></html>
`;
}
