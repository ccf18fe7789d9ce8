/** The report engine's pure parts, unit by unit: no fs, no browser. */
import { analyzeSeries, asTimeOrdered, SiteClock } from '@lptool/core';
import type { PowerColumn, Profile } from '@lptool/profiles';
import fc from 'fast-check';
import { compile, type TopLevelSpec } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { countPerColumn, dayGrid, expectedPerColumn } from './completeness.js';
import { decodeSeries, encodeSeries, offsetTransitions, scaleFor } from './encode.js';
import { esc, indexHtml } from './html.js';
import { ConflictCollector, rejectFromSidecar, SortLogCollector } from './outcomes.js';
import { buildReport, type ReportInput } from './page.js';
import { orderSeries } from './series.js';

const LA = new SiteClock('America/Los_Angeles');
const Q = 900_000;
const HOUR = 3_600_000;

describe('series encoding', () => {
  it('property: starts and 6-decimal values come back exactly, a gapless stretch is one run', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: -2_000_000_000, max: 2_000_000_000 })), {
          minLength: 1,
          maxLength: 400,
        }),
        (steps) => {
          let t = Date.parse('2024-03-09T00:00:00Z');
          const starts = Float64Array.from(steps, ([k]) => (t += k * Q));
          const values = Float64Array.from(steps, ([, v]) => v / 1e6);
          const e = encodeSeries(starts, values, Q);
          const d = decodeSeries(e);
          expect([...d.starts]).toEqual([...starts]);
          expect([...d.values]).toEqual([...values]);
          expect(e.runs.length).toBe(1 + steps.slice(1).filter(([k]) => k > 1).length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('steps the scale down by tens only when a value does not fit an Int32 at 10⁶', () => {
    expect(scaleFor([2147.483647, -1])).toBe(1e6);
    expect(scaleFor([2147.483648])).toBe(1e5);
    expect(scaleFor([-35_000.25])).toBe(1e4);
    const big = encodeSeries(Float64Array.of(0, Q), Float64Array.of(35_000.25, -0.5), Q);
    expect([...decodeSeries(big).values]).toEqual([35_000.25, -0.5]);
  });

  it("the zone's offsets: both 2024 transitions to the millisecond, and right for any instant in between", () => {
    const from = Date.parse('2024-01-01T08:00:00Z');
    const to = Date.parse('2025-01-01T08:00:00Z');
    const table = offsetTransitions(LA, from, to);
    expect(table).toEqual([
      [from, -8 * HOUR],
      [Date.parse('2024-03-10T10:00:00Z'), -7 * HOUR],
      [Date.parse('2024-11-03T09:00:00Z'), -8 * HOUR],
    ]);
    const lordHowe = new SiteClock('Australia/Lord_Howe'); // a 30-minute shift at 02:00 local
    const lh = offsetTransitions(lordHowe, Date.parse('2024-01-01T00:00:00Z'), Date.parse('2024-12-31T00:00:00Z'));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 365 * 86_400 - 1 }), (s) => {
        const t = Date.parse('2024-01-01T00:00:00Z') + s * 1000;
        const offset = lh.filter(([at]) => at <= t).pop()![1];
        expect(offset).toBe(lordHowe.offsetAt(t));
      }),
      { numRuns: 500 },
    );
  });
});

describe('completeness by local day', () => {
  const every = (from: number, to: number) => Float64Array.from({ length: (to - from) / Q }, (_, i) => from + i * Q);

  it('a DST day expects 92 or 100 intervals, and a day that has them all is full', () => {
    const from = Date.parse('2024-03-09T00:00:00-08:00');
    const to = Date.parse('2024-03-12T00:00:00-07:00');
    const grid = dayGrid(LA, from, to);
    expect(grid.dates).toEqual(['2024-03-09', '2024-03-10', '2024-03-11']);
    expect(expectedPerColumn(grid, Q)).toEqual([96, 92, 96]);
    expect(countPerColumn(every(from, to), grid)).toEqual([96, 92, 96]);
    const fall = dayGrid(LA, Date.parse('2024-11-03T00:00:00-07:00'), Date.parse('2024-11-04T00:00:00-08:00'));
    expect(expectedPerColumn(fall, Q)).toEqual([100]);
    expect(countPerColumn(every(fall.bounds[0]!, fall.bounds[1]!), fall)).toEqual([100]);
  });

  it('long ranges are grouped so the heatmap keeps at most 400 columns; every start counts once', () => {
    const from = Date.parse('2020-01-01T00:00:00-08:00');
    const to = Date.parse('2024-01-01T00:00:00-08:00');
    const grid = dayGrid(LA, from, to);
    expect(grid.daysPerColumn).toBe(4);
    expect(grid.dates.length).toBeLessThanOrEqual(400);
    const starts = every(from, to);
    const withDuplicate = Float64Array.from([...starts.slice(0, 10), starts[9]!, ...starts.slice(10)]);
    const counts = countPerColumn(withDuplicate, grid);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(starts.length);
    expect(counts).toEqual(expectedPerColumn(grid, Q));
  });
});

describe('sort and build outcomes', () => {
  it('takes duplicates and the last finished run from dropbox.log, skipping torn lines', () => {
    const c = new SortLogCollector();
    const lines = [
      '{"time":"2024-07-01T10:00:00Z","event":"archived","file":"a.csv"}',
      '{"time":"2024-07-01T10:00:01Z","event":"duplicate","file":"a-again.csv","dest":"data/KW/DUPLICATE/a-again.csv","original":"data/KW/2024-07/a.csv"}',
      '{"time":"2024-07-01T10:00:02Z","event":"end","counts":{"archived":1,"duplicate":1},"errorsByReason":{}}',
      '{"time":"2024-07-02T10:00:00Z","event":"duplicate","file":"b.csv","dest":"data/KW/DUPLICATE/b.csv","original":"x"}',
      '{"time":"2024-07-02T10:00:02Z","event":"end","counts":{"archived":0,"duplicate":1},"errorsByReason":{}}',
      '{"time":"2024-07-03T10:00:00Z","event":"duplicate","file":"torn',
    ];
    for (const l of lines) c.push(l);
    const r = c.result();
    expect(r.duplicates.map((d) => d.file)).toEqual(['b.csv', 'a-again.csv']);
    expect(r.lastRun).toEqual({
      at: '2024-07-02T10:00:02Z',
      counts: { archived: 0, duplicate: 1 },
      errorsByReason: {},
    });
  });

  it('keeps each conflict once with its latest time, and only while both exports are in the archive', () => {
    const line = (time: string, start: string, kept: string, dropped: string) =>
      JSON.stringify({
        time,
        event: 'conflict',
        meter: '144800052',
        start,
        kept: { file: kept, line: 5, values: 'kw_del=2' },
        dropped: { file: dropped, line: 9, values: 'kw_del=1' },
      });
    const c = new ConflictCollector((f) => f !== 'data/KW/2024-07/gone.csv');
    c.push(line('2024-07-01T00:00:00Z', '2024-07-01T12:00:00-07:00', 'data/KW/2024-07/b.csv', 'data/KW/2024-07/a.csv'));
    c.push(line('2024-07-02T00:00:00Z', '2024-07-01T12:00:00-07:00', 'data/KW/2024-07/b.csv', 'data/KW/2024-07/a.csv'));
    c.push(
      line('2024-07-02T00:00:00Z', '2024-07-01T13:00:00-07:00', 'data/KW/2024-07/b.csv', 'data/KW/2024-07/gone.csv'),
    );
    c.push('{"event":"conflict",');
    const r = c.result();
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ at: '2024-07-02T00:00:00Z', kept: { values: 'kw_del=2' }, dropped: { line: 9 } });
  });

  it('a sidecar that is not lptool JSON still makes a row', () => {
    expect(rejectFromSidecar('data/KW/ERROR/x_PARSE-ERROR.csv', null)).toMatchObject({
      source: 'x_PARSE-ERROR.csv',
      reason: 'UNKNOWN',
      message: 'the sidecar is not lptool JSON',
    });
  });
});

/**
 * A profile as readProfile gives it (`exact`) for a file with these rows (in this order): in time order, the
 * file's order kept in `record`; MW_net (MW_total for the total) in integer millionths, partial flags.
 */
function profile(name: string, starts: number[], mw: (t: number, i: number) => number, partial?: number[]): Profile {
  const order = starts.map((_, i) => i).sort((a, b) => starts[a]! - starts[b]! || a - b);
  const net = Float64Array.from(order, (i) => Math.round(mw(starts[i]!, i) * 1e6));
  const columns = new Map<PowerColumn, Float64Array>([['MW_net', net]]);
  if (name === 'all') columns.set('MW_total', net);
  const flags = Uint8Array.from(starts, (_, i) => partial?.[i] ?? 0);
  return {
    file: `lp/${name}.csv`,
    name,
    start: asTimeOrdered(Float64Array.from(order, (i) => starts[i]!)),
    end: Float64Array.from(order, (i) => starts[i]! + Q),
    intervalMs: Q,
    columns,
    partial: Uint8Array.from(order, (i) => flags[i]!),
    feedersExpected: name === 'all' ? 2 : null,
    lines: order.map((i) => i + 2),
    record: { start: Float64Array.from(starts), lines: starts.map((_, i) => i + 2), partial: flags },
    duplicates: { collapsed: 0, example: null, conflicts: [] },
  };
}

describe('buildReport', () => {
  const T0 = Date.parse('2024-07-15T00:00:00-07:00');
  const day = Array.from({ length: 96 * 3 }, (_, i) => T0 + i * Q);
  const hole = new Set(day.slice(100, 110)); // 10 intervals missing on day 2
  const north = day.filter((t) => !hole.has(t));
  const south = day;
  const mwNorth = (t: number) => Math.round((10 + Math.sin((t - T0) / 3_600_000)) * 1e6) / 1e6; // as written: 6 decimals
  const mwSouth = (t: number) => (t === day[200] ? 50 : 5);
  const totalStarts = day;
  const total = profile(
    'all',
    totalStarts,
    (t) => (hole.has(t) ? 0 : mwNorth(t)) + mwSouth(t),
    totalStarts.map((t) => (hole.has(t) ? 1 : 0)),
  );
  const input = (): ReportInput => ({
    generator: 'test',
    gen: 'g1',
    now: Date.parse('2024-07-20T12:00:00Z'),
    clock: LA,
    siteName: 'test',
    intervalMs: Q,
    meters: [
      { name: 'north', meter: '1', file: 'lp/north.csv', profile: profile('north', north, mwNorth) },
      { name: 'south', meter: '2', file: 'lp/south.csv', profile: profile('south', south, mwSouth) },
    ],
    total: { name: 'all', meter: null, file: 'lp/all.csv', profile: total },
    missingProfiles: ['east'],
    otherProfiles: [],
    unreadable: [],
    rejects: [],
    duplicates: [],
    lastSortRun: null,
    conflicts: [],
    meterNames: new Map([
      ['1', 'north'],
      ['2', 'south'],
    ]),
    bess: null,
  });

  it('gaps as the gaps engine finds them, the least complete meter first, partial totals with the feeder missing', () => {
    const { site } = buildReport(input());
    const n = site.profiles.find((p) => p.name === 'north')!;
    const report = analyzeSeries(Float64Array.from(north), { intervalMs: Q });
    expect(n.gapCount).toBe(report.gaps.length);
    expect(n.gaps[0]).toMatchObject({
      gap_start: LA.format(day[100]!),
      gap_end: LA.format(day[110]!),
      missing_intervals: 10,
    });
    expect([n.present, n.expected]).toEqual([288 - 10, 288]);
    expect(site.heatmap.rows).toEqual(['north', 'south']);
    expect(n.perColumn).toEqual([96, 86, 96]);
    expect(site.total!.partialRuns).toEqual([
      expect.objectContaining({ intervals: 10, missingFeeders: ['north'], start: LA.format(day[100]!) }),
    ]);
    expect(site.profiles.find((p) => p.kind === 'total')!.partial).toBe(10);
  });

  it("the coincident peak: each feeder's MW_net in the total's peak interval and its share", () => {
    const { site } = buildReport(input());
    const peak = site.total!.peak!;
    expect(Date.parse(peak.at)).toBe(day[200]);
    expect(peak.mw).toBeCloseTo(mwNorth(day[200]!) + 50, 9);
    expect(peak.feeders[0]).toEqual({ name: 'south', mw: 50, share: 50 / peak.mw });
    expect(peak.feeders[1]!.mw).toBeCloseTo(mwNorth(day[200]!), 9);
  });

  it('series files hold every interval, and the detail opens on the latest gap (the total on its peak)', () => {
    const { series } = buildReport(input());
    const s = series.find((f) => f.name === 'north')!;
    const d = decodeSeries(s.series);
    const ordered = orderSeries(profile('north', north, mwNorth));
    expect([...d.starts]).toEqual([...ordered.starts]);
    expect([...d.values]).toEqual([...ordered.values].map((v) => Math.round(v * 1e6) / 1e6));
    const brush = (spec: unknown) =>
      JSON.stringify(spec)
        .match(/"value":\{"x":\[(-?\d+),(-?\d+)\]\}/)!
        .slice(1)
        .map(Number);
    const [a, b] = brush(s.chart.spec);
    expect(a).toBe(LA.wallOf(day[100]!) - 86_400_000);
    expect(b).toBe(LA.wallOf(day[110]!) + 86_400_000);
    const [ta, tb] = brush(series.find((f) => f.name === 'all')!.chart.spec);
    expect((ta! + tb!) / 2).toBe(LA.wallOf(day[200]!));
  });

  it('every chart compiles, and says its time zone and its units', () => {
    const { site, series } = buildReport({
      ...input(),
      bess: {
        config: 'bess/bess.yaml',
        zone: 'Australia/Sydney',
        dir: 'bess/out',
        from: '2024-04-01',
        to: '2024-04-02',
        enclosures: ['1A1BAT1'],
        dates: ['2024-04-01', '2024-04-02'],
        cells: [[0, 0, 10]],
        bottom: [],
        ratios: [
          {
            enclosure: '1A1BAT1',
            inverter: '1APCS1',
            charged: 10,
            discharged: 9,
            ratio: 0.9,
            coverage: 1,
            low: false,
          },
        ],
      },
    });
    const charts = [...site.charts, ...series.map((s) => s.chart)];
    expect(charts.map((c) => c.id).sort()).toEqual([
      'bess-heatmap',
      'bess-ratios',
      'completeness',
      'peak-shares',
      'profile-all',
      'profile-north',
      'profile-south',
    ]);
    for (const c of charts) {
      const text = JSON.stringify(c.spec);
      expect(text, c.id).toMatch(c.id.startsWith('bess') ? /Australia\/Sydney/ : /America\/Los_Angeles/);
      expect(text, c.id).toMatch(/\((MW|kWh|kWh \/ kWh)\)|intervals present/);
      expect(() => compile(c.spec as TopLevelSpec), c.id).not.toThrow();
    }
  });

  it('the page escapes what comes from files', () => {
    expect(esc(`<script>"&'`)).toBe('&lt;script&gt;&quot;&amp;&#39;');
    const { site } = buildReport({
      ...input(),
      rejects: [rejectFromSidecar('data/KW/ERROR/a.csv', { message: '<img src=x onerror=alert(1)>', reason: 'X' })],
    });
    const html = indexHtml(site, { scripts: [], styles: [] });
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('In meter-data.csv without a profile in lp/: east.');
  });
});
