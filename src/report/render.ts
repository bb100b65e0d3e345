import type { TopLevelSpec } from 'vega-lite';

// vega, vega-lite and resvg load on first use: they take most of a second to import, and programs that
// never write a report (the server, predict) should not pay for them at start-up.

/**
 * Renders a Vega-Lite spec to a standalone SVG string in Node: Vega's headless View ('none' renderer) needs no
 * browser, no DOM and no network. Data must be inline (`data.values`), so nothing is ever fetched.
 */
export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const vgSpec = compile(spec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * SVG -> PNG with resvg (Rust, shipped as a prebuilt binary inside the npm package). Text uses the system's DejaVu
 * or Liberation fonts (Debian fonts-dejavu-core), drawn at 2x for sharp figures in documents.
 */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}

/**
 * Makes the ids inside one SVG unique before several are inlined into the same HTML page; Vega numbers its clip
 * paths clip1, clip2, ... in every SVG, and duplicate ids would make one chart clip with another's rectangle.
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}-${id}"`);
}

/**
 * Rounds the coordinates in an SVG's attribute values to 0.1 px (Vega writes up to 15 digits): a tenth of a pixel
 * is finer than the PNG's 2x raster, and it halves the files. Text between tags (labels such as "AUC 0.9877")
 * is not touched.
 */
export function compactSvg(svg: string): string {
  return svg.replace(/="([^"]*)"/g, (_, v: string) => `="${v.replace(/(-?\d+\.\d)\d+/g, '$1')}"`);
}

/**
 * For SVG inlined into report.html only (the .svg files keep everything): drops what the page's CSS or SVG
 * defaults already give: the font family repeated on every label, `opacity="1"`, and labels Vega hid for
 * overlapping (`opacity="0"`); and what a static page (no script, no hover) never uses: `pointer-events`,
 * the hidden empty foreground paths and the zero-size background paths of axis groups. Accessibility
 * attributes (aria-hidden, role, aria-label) stay.
 */
export function slimInlineSvg(svg: string): string {
  return svg
    .replace(/<text[^>]*opacity="0"[^>]*>[^<]*<\/text>/g, '')
    .replace(/ font-family="[^"]*"/g, '')
    .replace(/ opacity="1"/g, '')
    .replace(/ pointer-events="none"/g, '')
    .replace(/<path class="foreground"[^>]* d=""[^>]*display="none"\/>/g, '')
    .replace(/<path class="background"[^>]* d="M0,0h0v0h0Z"[^>]*\/>/g, '');
}
