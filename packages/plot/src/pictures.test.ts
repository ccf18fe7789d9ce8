/**
 * Every kind of picture lptool draws, as vega tests its scenes: the Vega-Lite spec against a golden file, and the
 * PNG against a golden PNG pixel by pixel (a few anti-aliased pixels may differ). `LPTOOL_UPDATE_GOLDEN=1 pnpm test`
 * rewrites both; review them before committing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SiteClock } from '@lptool/core';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { FIXTURES, goldenJson, UPDATE_GOLDEN } from '../../io/src/fixtures.test-helper.js';
import { gapPlotSpec } from './gap-plot.js';
import { heatmapSpec } from './heatmap.js';
import { renderSpec } from './render.js';
import { durationCurveSpec, typicalDaySpec } from './stats-plots.js';

const LA = new SiteClock('America/Los_Angeles');
const Q = 900_000;
const T0 = Date.parse('2024-11-02T00:00:00-07:00'); // three days over the fall-back night

/** A day's load shape: low at night, a peak in the evening (MW). */
const load = (t: number) => 5 + 3 * Math.sin(((t - T0) / 86_400_000) * 2 * Math.PI - 1.5);
const starts = Array.from({ length: 3 * 96 + 4 }, (_, i) => T0 + i * Q).filter(
  (t) => t < T0 + 100 * Q || t >= T0 + 124 * Q,
);

const KINDS = {
  gaps: () =>
    gapPlotSpec({
      name: 'north',
      times: starts,
      values: starts.map(load),
      gaps: [{ start: T0 + 100 * Q, end: T0 + 124 * Q }],
      clock: LA,
      width: 600,
      height: 240,
    }),
  'gaps-partial': () =>
    gapPlotSpec({
      name: 'all',
      times: starts,
      values: starts.map(load),
      gaps: [{ start: T0 + 100 * Q, end: T0 + 124 * Q }],
      partial: [{ start: T0 + 200 * Q, end: T0 + 248 * Q }],
      clock: LA,
      width: 600,
      height: 240,
      yTitle: 'MW_total',
    }),
  heatmap: () =>
    heatmapSpec({
      title: 'Discharged energy per enclosure and day — 2024-04-06 → 2024-04-08',
      subtitle: 'blank = no data',
      rows: ['1A1BAT1', '1A1BAT2', '1A1BAT3', '1A2BAT1'],
      columns: ['2024-04-06', '2024-04-07', '2024-04-08'],
      cells: ['1A1BAT1', '1A1BAT2', '1A1BAT3', '1A2BAT1'].flatMap((row, r) =>
        ['2024-04-06', '2024-04-07', '2024-04-08'].flatMap((column, c) =>
          r === 3 && c === 1 ? [] : [{ row, column, value: 20 + 10 * r + 5 * c }],
        ),
      ),
      valueTitle: 'discharged kWh',
    }),
  duration: () =>
    durationCurveSpec({
      points: ['north', 'south'].flatMap((profile, k) =>
        Array.from({ length: 51 }, (_, i) => ({ profile, pct: i * 2, mw: (k + 1) * (10 - i / 6) })),
      ),
      zone: LA.zone,
    }),
  'typical-day': () =>
    typicalDaySpec({
      points: ['north', 'south'].flatMap((profile, k) =>
        (['weekday', 'weekend'] as const).flatMap((kind) =>
          Array.from({ length: 24 }, (_, hour) => ({
            profile,
            kind,
            hour,
            mw: (k + 1) * (kind === 'weekday' ? 1 : 0.8) * (5 + 3 * Math.sin((hour / 24) * 2 * Math.PI - 1.5)),
          })),
        ),
      ),
      zone: LA.zone,
    }),
} as const;

/** Pixels whose colour differs by more than a little in any channel, as a share of all. */
function differing(a: PNG, b: PNG): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4)
    if (Math.max(...[0, 1, 2].map((c) => Math.abs(a.data[i + c]! - b.data[i + c]!))) > 48) n++;
  return n / (a.width * a.height);
}

type Pixel = [r: number, g: number, b: number];
/** How many pixels are like this. */
function count(png: PNG, like: (p: Pixel) => boolean): number {
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4) if (like([png.data[i]!, png.data[i + 1]!, png.data[i + 2]!])) n++;
  return n;
}
const near =
  (c: Pixel, within = 40) =>
  ([r, g, b]: Pixel) =>
    Math.abs(r - c[0]) + Math.abs(g - c[1]) + Math.abs(b - c[2]) < within;
const lineBlue = ([r, , b]: Pixel) => b > r + 40 && r < 120;
const redBand = near([0xf2, 0xbe, 0xbe]);
const amberBand = near([0xff, 0xe2, 0xbb]);

/** What each picture must show, and at least how many pixels of it. */
const SHOWS: Record<keyof typeof KINDS, [string, (p: Pixel) => boolean, number][]> = {
  gaps: [
    ['the line', lineBlue, 200],
    ['the red band of the gap (30 % opaque)', redBand, 2000],
    ['no amber band', amberBand, -1],
  ],
  'gaps-partial': [
    ['the amber band of the partial run (30 % opaque)', amberBand, 4000],
    ['the red band of the gap', redBand, 2000],
  ],
  heatmap: [
    ['the yellow end of viridis (the largest value)', ([r, g, b]) => r > 200 && g > 200 && b < 100, 200],
    ['the dark purple end of the legend', ([r, g, b]) => r < 90 && g < 40 && b > 60, 20],
  ],
  duration: [['the first profile’s line (Tableau blue)', near([0x4c, 0x78, 0xa8], 60), 300]],
  'typical-day': [['the second profile’s line (Tableau orange)', near([0xf5, 0x85, 0x18], 60), 300]],
};

describe.each(Object.keys(KINDS) as (keyof typeof KINDS)[])('the %s picture', (kind) => {
  it('its Vega-Lite spec is the golden one', () => {
    const spec = JSON.parse(JSON.stringify(KINDS[kind]()));
    expect(spec).toEqual(goldenJson(`plot/${kind}.vl.json`, spec));
  });

  it('its PNG matches the golden PNG pixel by pixel and shows what it must', async () => {
    const file = path.join(FIXTURES, `plot/${kind}.png`);
    const bytes = await renderSpec(KINDS[kind]());
    if (UPDATE_GOLDEN) fs.writeFileSync(file, bytes);
    const got = PNG.sync.read(bytes);
    const want = PNG.sync.read(fs.readFileSync(file));
    expect([got.width, got.height]).toEqual([want.width, want.height]);
    expect(differing(got, want)).toBeLessThan(0.002);
    for (const [what, like, least] of SHOWS[kind])
      if (least < 0) expect(count(got, like), what).toBe(0);
      else expect(count(got, like), what).toBeGreaterThan(least);
  });
});
