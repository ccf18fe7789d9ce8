import { describe, expect, it } from 'vitest';
import { heatmapSpec } from './heatmap.js';
import { renderSpec } from './render.js';

describe('pictures are bounded, whatever asks for them', () => {
  it('renderSpec refuses a spec over 10,000 px a side (after --scale) with a usage error, without rasterising it', async () => {
    const spec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 20_000,
      height: 100,
      data: { values: [{ x: 1, y: 2 }] },
      mark: 'point',
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
    } as const;
    const t = performance.now();
    await expect(renderSpec(spec as never)).rejects.toMatchObject({ code: 'LPT_USAGE', exitCode: 2 });
    await expect(renderSpec({ ...spec, width: 6000 } as never, { scale: 2 })).rejects.toThrow(
      /picture size — expected a picture of at most 10000 px a side/,
    );
    expect(performance.now() - t).toBeLessThan(10_000);
    const png = await renderSpec({ ...spec, width: 400 } as never, { scale: 2 });
    expect(png.readUInt32BE(16)).toBeGreaterThan(800); // the PNG's width: within the bound it draws
  });

  it('the BESS heatmap shrinks its cells so that thousands of enclosures and days stay within the bound', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `E${i}`);
    const columns = Array.from({ length: 4000 }, (_, i) => `D${i}`);
    const spec = heatmapSpec({ title: 't', rows, columns, cells: [], valueTitle: 'kWh' }) as {
      width: number;
      height: number;
    };
    expect(spec.width).toBeLessThanOrEqual(9000);
    expect(spec.height).toBeLessThanOrEqual(9000);
    // a small one keeps its readable cells
    const small = heatmapSpec({
      title: 't',
      rows: ['a', 'b'],
      columns: ['1', '2', '3'],
      cells: [],
      valueTitle: 'kWh',
    }) as {
      width: number;
      height: number;
    };
    expect([small.width, small.height]).toEqual([66, 36]);
  });
});
