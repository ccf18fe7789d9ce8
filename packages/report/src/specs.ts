/**
 * The report's Vega-Lite specs: tables of declarations (long by nature), each
 * with its data named so the page can fill in what it decodes or loads. Times
 * are drawn as the site's wall clock: values are wall-clock milliseconds on a
 * UTC scale, so the axes read in the site zone whatever the viewer's zone is.
 * Every chart says its zone and units in its title or axis. Pure: no fs.
 */
import type { TopLevelSpec } from 'vega-lite';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Plot width that, with axes and padding, fits a 1280 px window beside nothing else. */
export const CHART_WIDTH = 1080;
const FONT = 'system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif';

export const COLORS = {
  line: '#1f4e79',
  gap: '#d62728',
  partial: '#e69f00',
  peak: '#6a3d9a',
  export: '#2ca02c',
} as const;

const config = {
  font: FONT,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  title: { anchor: 'start', fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555' },
} as const;

function title(text: string, subtitle: string) {
  return { text, subtitle };
}

const wallX = (field: string, axisTitle: string | null) => ({
  field,
  type: 'temporal',
  scale: { type: 'utc' },
  axis: axisTitle === null ? { title: null, labelOverlap: true } : { title: axisTitle, labelOverlap: true },
});

/** The heatmap's colour classes, full first. */
export const COMPLETENESS_CLASSES = ['full', '90–99.9 %', '50–90 %', 'under 50 %', 'none'];
const COMPLETENESS_COLORS = ['#c7e9c0', '#fee08b', '#fc8d59', '#d62728', '#67000d'];

export interface HeatmapSpecInput {
  zone: string;
  /** Meter names, top to bottom. */
  rows: string[];
  daysPerColumn: number;
}

/** Completeness of every meter by local day: data `cells` {meter, d0, d1 (wall ms), share, present, expected, date}. */
export function completenessSpec(input: HeatmapSpecInput): TopLevelSpec {
  const per = input.daysPerColumn === 1 ? 'day' : `${input.daysPerColumn}-day period`;
  const rowHeight = input.rows.length > 60 ? 7 : input.rows.length > 30 ? 10 : 14;
  return {
    $schema: SCHEMA,
    config: { ...config, view: { stroke: null } },
    title: title(
      `Completeness by meter and local ${per}`,
      `Share of the expected intervals present (a DST day expects 92 or 100 fifteen-minute intervals: those are full). Days in ${input.zone}. Least complete meters on top; click a cell to open that meter there.`,
    ),
    width: CHART_WIDTH - 80,
    height: rowHeight * input.rows.length,
    data: { name: 'cells' },
    transform: [
      {
        calculate:
          "datum.share >= 1 ? 'full' : datum.share >= 0.9 ? '90–99.9 %' : datum.share >= 0.5 ? '50–90 %' : datum.share > 0 ? 'under 50 %' : 'none'",
        as: 'class',
      },
    ],
    mark: { type: 'rect', tooltip: true, strokeWidth: 0.6 },
    encoding: {
      x: {
        ...wallX('d0', `Local date (${input.zone})`),
        axis: { title: `Local date (${input.zone})`, format: '%b %d' },
      },
      x2: { field: 'd1' },
      y: { field: 'meter', type: 'ordinal', sort: input.rows, axis: { title: null, labelFontSize: 10 } },
      color: {
        field: 'class',
        type: 'ordinal',
        title: 'intervals present',
        scale: { domain: COMPLETENESS_CLASSES, range: COMPLETENESS_COLORS },
      },
      // the same colour as a thin outline: no light seams between cells a fraction of a pixel wide
      stroke: { field: 'class', type: 'ordinal', scale: { domain: COMPLETENESS_CLASSES, range: COMPLETENESS_COLORS } },
      tooltip: [
        { field: 'meter', title: 'meter' },
        { field: 'date', title: `local ${per} from` },
        { field: 'present', title: 'intervals present' },
        { field: 'expected', title: 'intervals expected' },
        { field: 'share', title: 'share', format: '.1%' },
      ],
    },
  } as TopLevelSpec;
}

export interface ProfileSpecInput {
  name: string;
  /** e.g. MW_net or MW_total. */
  field: string;
  zone: string;
  /** Initial detail window, wall ms. */
  window: [number, number];
  /** LTTB points of the whole range (wall ms; null breaks the line). */
  overview: { t: number; v: number | null }[];
  /** Holes, wall ms: exact for the detail, widened to be visible for the overview. */
  gaps: { s: number; e: number }[];
  gapsWide: { s: number; e: number }[];
  /** Partial totals (the system total only). */
  partial: { s: number; e: number }[];
  partialWide: { s: number; e: number }[];
  /** The coincident peak (the system total only). */
  peak: { t: number; v: number; label: string } | null;
  /** Points in the full series (for the subtitle). */
  points: number;
}

/** x on the site's wall clock; in the detail every layer takes its domain from the brush. */
function timeX(field: string, detail: boolean, axisTitle?: string | null) {
  return {
    field,
    type: 'temporal',
    scale: detail ? { type: 'utc', domain: { param: 'brush' } } : { type: 'utc' },
    ...(axisTitle === undefined
      ? {}
      : { axis: { title: axisTitle, labelOverlap: 'greedy', labelSeparation: 6, tickCount: 8 } }),
  };
}

/** Shaded spans (gaps, partial totals) and the peak's rule: only the layers that have something to draw. */
function markLayers(input: ProfileSpecInput, detail: boolean): Record<string, unknown>[] {
  const band = (dataset: string, color: string) => ({
    data: { name: dataset },
    mark: { type: 'rect', color, opacity: 0.28, ...(detail ? { clip: true } : {}) },
    encoding: { x: timeX('s', detail), x2: { field: 'e' } },
  });
  const layers: Record<string, unknown>[] = [];
  if (input.gaps.length) layers.push(band(detail ? 'gaps' : 'gapsWide', COLORS.gap));
  if (input.partial.length) layers.push(band(detail ? 'partial' : 'partialWide', COLORS.partial));
  if (input.peak)
    layers.push({
      data: { name: 'peak' },
      mark: { type: 'rule', color: COLORS.peak, strokeDash: [4, 3], ...(detail ? { clip: true } : {}) },
      encoding: { x: timeX('t', detail) },
    });
  return layers;
}

/**
 * Overview + detail of one profile: the overview (LTTB points of the whole
 * range, gap bands) carries an x brush; the detail draws every interval of the
 * brushed window at full resolution (data `points` {t, v}, filled by the page).
 */
export function profileSpec(input: ProfileSpecInput): TopLevelSpec {
  const unit = `${input.field} (MW)`;
  const peakPoint = input.peak
    ? [
        {
          data: { name: 'peak' },
          mark: { type: 'point', color: COLORS.peak, filled: true, size: 70, clip: true, tooltip: true },
          encoding: {
            x: timeX('t', true),
            y: { field: 'v', type: 'quantitative' },
            tooltip: [{ field: 'label', title: 'coincident peak' }],
          },
        },
      ]
    : [];
  return {
    $schema: SCHEMA,
    config,
    title: title(
      `${input.name}: ${unit}`,
      `Drag across the overview to choose the window; the detail below shows every interval in it (${input.points.toLocaleString('en-US')} in all). Red bands: missing intervals${input.partial.length ? '; amber: partial totals (a feeder missing)' : ''}${input.peak ? '; purple: the coincident peak' : ''}. Times in ${input.zone} (site wall clock).`,
    ),
    datasets: {
      overview: input.overview,
      gaps: input.gaps,
      gapsWide: input.gapsWide,
      partial: input.partial,
      partialWide: input.partialWide,
      peak: input.peak ? [input.peak] : [],
      points: [],
    },
    spacing: 18,
    vconcat: [
      {
        name: 'overview',
        width: CHART_WIDTH,
        height: 80,
        layer: [
          ...markLayers(input, false),
          {
            data: { name: 'overview' },
            mark: { type: 'line', color: COLORS.line, strokeWidth: 0.8, invalid: 'break-paths-show-domains' },
            params: [{ name: 'brush', select: { type: 'interval', encodings: ['x'] }, value: { x: input.window } }],
            encoding: {
              x: timeX('t', false, null),
              y: { field: 'v', type: 'quantitative', axis: { title: 'MW', tickCount: 3 } },
            },
          },
        ],
      },
      {
        name: 'detail',
        width: CHART_WIDTH,
        height: 280,
        layer: [
          ...markLayers(input, true),
          {
            data: { name: 'points' },
            transform: [{ filter: { param: 'brush' } }],
            mark: { type: 'line', color: COLORS.line, strokeWidth: 1, clip: true, invalid: 'break-paths-show-domains' },
            encoding: {
              x: timeX('t', true, `Local time (${input.zone})`),
              y: { field: 'v', type: 'quantitative', axis: { title: unit } },
            },
          },
          ...peakPoint,
        ],
      },
    ],
  } as TopLevelSpec;
}

/** Each feeder's MW_net at the system's peak interval: data `feeders` {name, mw, share}. */
export function peakSharesSpec(input: { zone: string; at: string; systemMw: number; feeders: number }): TopLevelSpec {
  return {
    $schema: SCHEMA,
    config,
    title: title(
      `Each feeder at the coincident peak: MW_net (MW) at ${input.at}`,
      `The system total peaked at ${input.systemMw.toFixed(3)} MW; bars show each feeder's MW_net in that interval and its share of the total. Time in ${input.zone}.`,
    ),
    width: CHART_WIDTH - 200,
    height: { step: input.feeders > 40 ? 11 : 16 },
    data: { name: 'feeders' },
    transform: [
      { filter: 'datum.mw !== null' },
      { calculate: "format(datum.mw, '.2f') + ' MW · ' + format(datum.share, '.1%')", as: 'label' },
    ],
    encoding: {
      y: { field: 'name', type: 'nominal', sort: null, axis: { title: null, labelFontSize: 10 } },
      x: { field: 'mw', type: 'quantitative', axis: { title: 'MW_net at the system peak (MW)' } },
      tooltip: [
        { field: 'name', title: 'feeder' },
        { field: 'mw', title: 'MW_net (MW)', format: '.3f' },
        { field: 'share', title: 'share of the total', format: '.1%' },
      ],
    },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: { color: { condition: { test: 'datum.mw < 0', value: COLORS.export }, value: COLORS.line } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#333' },
        encoding: { text: { field: 'label' } },
      },
    ],
  } as TopLevelSpec;
}

/** Enclosures × days, colour = discharged kWh: data `cells` {enclosure, date, kwh}; a day without coverage is blank. */
export function bessHeatmapSpec(input: { zone: string; enclosures: string[]; days: number }): TopLevelSpec {
  return {
    $schema: SCHEMA,
    config: { ...config, view: { stroke: null } },
    title: title(
      'BESS: discharged energy per enclosure and day (kWh)',
      `DC input energy split evenly over the enclosures on each input; blank = no data. Local days in ${input.zone}.`,
    ),
    width: Math.min(CHART_WIDTH - 100, Math.max(200, input.days * 18)),
    height: { step: input.enclosures.length > 80 ? 6 : 12 },
    data: { name: 'cells' },
    mark: { type: 'rect', tooltip: true },
    encoding: {
      x: { field: 'date', type: 'ordinal', axis: { title: `Local date (${input.zone})`, labelAngle: -60 } },
      y: {
        field: 'enclosure',
        type: 'ordinal',
        sort: input.enclosures,
        axis: { title: null, labelFontSize: 9, labelOverlap: true },
      },
      color: { field: 'kwh', type: 'quantitative', title: 'discharged kWh', scale: { scheme: 'viridis' } },
      tooltip: [
        { field: 'enclosure' },
        { field: 'date', title: 'local date' },
        { field: 'kwh', title: 'discharged (kWh)', format: '.1f' },
      ],
    },
  } as TopLevelSpec;
}

/** DC round-trip ratio per enclosure (discharged / charged): data `enclosures` {enclosure, ratio, low}. */
export function roundTripSpec(input: { zone: string; from: string; to: string; enclosures: number }): TopLevelSpec {
  return {
    $schema: SCHEMA,
    config,
    title: title(
      'BESS: DC round-trip ratio per enclosure (discharged kWh / charged kWh)',
      `Over ${input.from} → ${input.to} (${input.zone}); orange: coverage below 90 % of the period.`,
    ),
    width: CHART_WIDTH - 100,
    height: 160,
    data: { name: 'enclosures' },
    mark: { type: 'point', filled: true, size: 60, tooltip: true },
    encoding: {
      x: {
        field: 'enclosure',
        type: 'nominal',
        sort: 'y',
        axis: { title: null, labels: input.enclosures <= 60, labelAngle: -60 },
      },
      y: {
        field: 'ratio',
        type: 'quantitative',
        scale: { zero: false, padding: 8 },
        axis: { title: 'ratio (kWh / kWh)', format: '.3f' },
      },
      color: { condition: { test: 'datum.low', value: COLORS.partial }, value: COLORS.line },
      tooltip: [
        { field: 'enclosure' },
        { field: 'ratio', title: 'discharged / charged', format: '.3f' },
        { field: 'charged', title: 'charged (kWh)', format: '.1f' },
        { field: 'discharged', title: 'discharged (kWh)', format: '.1f' },
        { field: 'coverage', title: 'coverage', format: '.1%' },
      ],
    },
  } as TopLevelSpec;
}
