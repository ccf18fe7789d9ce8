import { lttb, type SiteClock } from '@lptool/core';
import type { TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY } from './render.js';

export interface GapPlotInput {
  /** Profile name for the title. */
  name: string;
  /** Interval start instants (ms), ascending. */
  times: ArrayLike<number>;
  /** MW_net per interval. */
  values: ArrayLike<number>;
  /** Holes to shade: [gap start, gap end) instants. */
  gaps: { start: number; end: number }[];
  /** all.csv: runs of incomplete totals (feeders_reporting < feeders_expected), shaded in their own colour. */
  partial?: { start: number; end: number }[];
  clock: SiteClock;
  width?: number;
  height?: number;
  /** Points drawn at most (LTTB); the gap list is never downsampled. */
  maxPoints?: number;
  yTitle?: string;
}

/** The band kinds of the gap picture, with their colours (the legend shows those present). */
const BANDS = [
  { kind: 'missing intervals', color: '#d62728' },
  { kind: 'partial total (feeders missing)', color: '#ff9f1c' },
] as const;

/**
 * The gap picture as a Vega-Lite spec: MW_net over time (downsampled for
 * drawing only), each gap a red band, each run of partial totals (all.csv) an
 * amber band, with a legend; a title with name, range, gap and partial counts.
 * Times are drawn as the site's wall clock (a UTC scale over local wall
 * times), so the axis reads in the site zone whatever the machine's zone is.
 */
export function gapPlotSpec(input: GapPlotInput): TopLevelSpec {
  const { clock, gaps } = input;
  const n = input.times.length;
  // a NaN point at every gap start breaks the drawn line there
  const xs: number[] = [];
  const ys: number[] = [];
  let gi = 0;
  const sortedGaps = [...gaps].sort((a, b) => a.start - b.start);
  for (let i = 0; i < n; i++) {
    const t = input.times[i]!;
    while (gi < sortedGaps.length && sortedGaps[gi]!.end <= t) {
      const g = sortedGaps[gi]!;
      if (xs.length && xs[xs.length - 1]! < g.start) {
        xs.push(g.start);
        ys.push(Number.NaN);
      }
      gi++;
    }
    xs.push(t);
    ys.push(input.values[i]!);
  }
  const d = lttb(xs, ys, input.maxPoints ?? 2000);
  const points: { t: number; mw: number | null }[] = [];
  for (let i = 0; i < d.x.length; i++)
    points.push({ t: clock.wallOf(d.x[i]!), mw: Number.isNaN(d.y[i]!) ? null : round(d.y[i]!) });
  // a one-interval hole on a year-long axis is far below a pixel: draw every band at least ~1.5 px wide
  const width = input.width ?? 1000;
  const spanMs = n ? input.times[n - 1]! - input.times[0]! : 0;
  const minBand = (spanMs / width) * 1.5;
  const partial = input.partial ?? [];
  const band = (kind: string) => (g: { start: number; end: number }) => {
    const start = clock.wallOf(g.start);
    const end = clock.wallOf(g.end);
    const pad = Math.max(0, (minBand - (end - start)) / 2);
    return { start: start - pad, end: end + pad, kind };
  };
  const bands = [...gaps.map(band(BANDS[0].kind)), ...partial.map(band(BANDS[1].kind))];
  const shown = BANDS.filter((b) => bands.some((x) => x.kind === b.kind));
  const partialCount = partial.length ? `, ${partial.length} partial-total run${partial.length === 1 ? '' : 's'}` : '';
  const first = n ? clock.format(input.times[0]!).slice(0, 10) : '';
  const last = n ? clock.format(input.times[n - 1]!).slice(0, 10) : '';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    // the whole picture (title and axes included) is width × height
    width,
    height: input.height ?? 360,
    autosize: { type: 'fit', contains: 'padding' },
    background: 'white',
    padding: 12,
    config: {
      font: FONT_FAMILY,
      view: { stroke: '#ddd' },
      axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
    },
    title: {
      text: `${input.name} — ${first} → ${last} — ${gaps.length} gap${gaps.length === 1 ? '' : 's'}${partialCount}`,
      // (a subtitle wider than the plot would narrow it: with partial totals the legend names the bands)
      subtitle: `${input.yTitle ?? 'MW_net'} per interval; ${partial.length ? 'shaded bands as in the legend' : 'red bands: missing intervals'}. Times in ${clock.zone}.`,
      anchor: 'start',
      fontSize: 15,
      subtitleFontSize: 11,
      subtitleColor: '#555',
    },
    layer: [
      {
        data: { values: bands },
        mark: { type: 'rect', color: BANDS[0].color, opacity: 0.3 },
        encoding: {
          x: { field: 'start', type: 'temporal', scale: { type: 'utc' } },
          x2: { field: 'end' },
          ...(shown.length
            ? {
                color: {
                  field: 'kind',
                  type: 'nominal',
                  scale: { domain: shown.map((b) => b.kind), range: shown.map((b) => b.color) },
                  legend: { title: null, orient: 'top', symbolOpacity: 0.5, labelLimit: 0 },
                },
              }
            : {}),
        },
      },
      {
        data: { values: points },
        mark: { type: 'line', color: '#1f4e79', strokeWidth: 1, invalid: 'break-paths-show-domains' },
        encoding: {
          x: {
            field: 't',
            type: 'temporal',
            scale: { type: 'utc' },
            axis: { title: `Local time (${clock.zone})`, labelOverlap: true },
          },
          y: { field: 'mw', type: 'quantitative', axis: { title: `${input.yTitle ?? 'MW_net'} (MW)` } },
        },
      },
    ],
  } as TopLevelSpec;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
