import { fileURLToPath } from 'node:url';
import { checkPictureSize } from '@lptool/core';
import { Resvg } from '@resvg/resvg-js';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type PlotFormat = 'png' | 'svg' | 'vl.json';

/** The font every picture uses, shipped with the package so labels render the same on any machine. */
export const FONT_FAMILY = 'DejaVu Sans';
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) =>
  fileURLToPath(new URL(`../fonts/${f}`, import.meta.url)),
);

export interface RenderOptions {
  format?: PlotFormat;
  /** Pixel density for PNG (2 = twice the spec's width and height). */
  scale?: number;
}

/**
 * A Vega-Lite spec → PNG (vega headless to SVG, then resvg with the shipped
 * fonts: no node-canvas), SVG text, or the spec itself as JSON (to open in the
 * Vega editor).
 */
export async function renderSpec(spec: TopLevelSpec, options: RenderOptions = {}): Promise<Buffer> {
  const format = options.format ?? 'png';
  if (format === 'vl.json') return Buffer.from(`${JSON.stringify(spec, null, 2)}\n`);
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // whatever made the spec this big (flags, data), a picture over the bound is refused, not rasterised for minutes
    const size = /<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"/.exec(svg);
    if (size) checkPictureSize(Number(size[1]), Number(size[2]), options.scale ?? 1, 'picture size', 1);
    if (format === 'svg') return Buffer.from(svg);
    const png = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: options.scale ?? 1 },
      background: 'white',
      font: {
        fontFiles: FONT_FILES,
        loadSystemFonts: false,
        defaultFontFamily: FONT_FAMILY,
        sansSerifFamily: FONT_FAMILY,
      },
    })
      .render()
      .asPng();
    return Buffer.from(png);
  } finally {
    view.finalize();
  }
}
