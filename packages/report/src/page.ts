/**
 * The report engine: profiles, their checks, stats, sort outcomes, conflicts
 * and BESS outputs in → the page's data and Vega-Lite specs out. Pure: no fs,
 * no clock of its own (the caller says when), no logging.
 */
import { formatIsoDuration, type PeriodStats, periodStats, type SiteClock } from '@lptool/core';
import type { Profile } from '@lptool/profiles';
import { countPerColumn, type DayGrid, dayGrid, expectedPerColumn } from './completeness.js';
import { encodeSeries, offsetTransitions } from './encode.js';
import type {
  BessSection,
  ChartDecl,
  CoincidentRow,
  GapRow,
  ProfileEntry,
  SeriesFile,
  SiteData,
  TotalSection,
} from './model.js';
import type { ConflictRow, Duplicate, Reject, SortRun } from './outcomes.js';
import {
  checkProfile,
  feedersMissingIn,
  flaggedRuns,
  lowerBound,
  type OrderedSeries,
  orderSeries,
  overviewPoints,
  type ProfileCheck,
  periodSeries,
} from './series.js';
import { bessHeatmapSpec, CHART_WIDTH, completenessSpec, peakSharesSpec, profileSpec, roundTripSpec } from './specs.js';

export interface ProfileInput {
  name: string;
  /** Meter id (meter-data.csv), null for the total. */
  meter: string | null;
  /** Site-relative path. */
  file: string;
  /** As read (in time order), its power columns in integer millionths, with MW_del/MW_rec where the profile has them. */
  profile: Profile;
}

export interface ReportInput {
  generator: string;
  gen: string;
  /** When the report is made (instant). */
  now: number;
  clock: SiteClock;
  siteName: string;
  intervalMs: number;
  meters: ProfileInput[];
  total: ProfileInput | null;
  missingProfiles: string[];
  otherProfiles: string[];
  unreadable: { file: string; error: string }[];
  rejects: Reject[];
  duplicates: Duplicate[];
  lastSortRun: SortRun | null;
  conflicts: ConflictRow[];
  /** Meter id → name, to name the meters of conflicts. */
  meterNames: Map<string, string>;
  bess: BessSection | null;
  notes?: string[];
}

/** Caps on long lists in the page (the counts are always whole). */
export const LIMITS = { gaps: 1000, rejects: 500, duplicates: 500, conflicts: 1000, partialRuns: 1000 } as const;
/** Overview points per profile (LTTB) and the initial detail window. */
export const OVERVIEW_POINTS = 2000;
const DAY_MS = 86_400_000;
const WINDOW_MS = 7 * DAY_MS;

interface Analysis {
  input: ProfileInput;
  check: ProfileCheck;
  ordered: OrderedSeries;
  stats: PeriodStats | null;
}

function analyse(input: ProfileInput, clock: SiteClock, siteIntervalMs: number): Analysis {
  const check = checkProfile(input.profile, siteIntervalMs);
  const ordered = orderSeries(input.profile);
  const n = ordered.starts.length;
  const stats = n
    ? periodStats(
        periodSeries(input.profile),
        clock,
        ordered.starts[0]!,
        ordered.starts[n - 1]! + check.intervalMs,
        'all',
      )
    : null;
  return { input, check, ordered, stats };
}

/** Everything the page shows, and one series file per profile. */
export function buildReport(r: ReportInput): { site: SiteData; series: SeriesFile[] } {
  const { clock } = r;
  const meters = r.meters.map((m) => analyse(m, clock, r.intervalMs));
  const total = r.total ? analyse(r.total, clock, r.intervalMs) : null;
  const all = total ? [...meters, total] : meters;
  const range = siteRange(all);
  const grid = dayGrid(clock, range.from, range.to);
  const siteExpected = expectedPerColumn(grid, r.intervalMs);
  const entries = all.map((a) =>
    profileEntry(a, a === total ? 'total' : 'meter', clock, grid, { expected: siteExpected, intervalMs: r.intervalMs }),
  );
  const completeness = (e: ProfileEntry) => (e.expected ? e.present / e.expected : 1);
  const rows = entries
    .filter((e) => e.kind === 'meter')
    .sort((a, b) => completeness(a) - completeness(b) || (a.name < b.name ? -1 : 1))
    .map((e) => e.name);
  const totalSection = total ? totalOf(total, meters, clock) : null;
  const site: SiteData = {
    generator: r.generator,
    gen: r.gen,
    generatedAt: clock.format(Math.floor(r.now / 1000) * 1000),
    site: { name: r.siteName, zone: clock.zone, clock: clock.clock, intervalMs: r.intervalMs },
    offsets: offsetTransitions(clock, range.from - 86_400_000, range.to + 86_400_000),
    range: all.length ? { first: clock.format(range.from), last: clock.format(range.to) } : { first: null, last: null },
    profiles: entries,
    missingProfiles: r.missingProfiles,
    otherProfiles: r.otherProfiles,
    unreadable: r.unreadable,
    heatmap: {
      dates: grid.dates,
      wall: grid.bounds.map((t) => clock.wallOf(t)),
      expected: siteExpected,
      daysPerColumn: grid.daysPerColumn,
      rows,
    },
    sort: {
      lastRun: r.lastSortRun,
      rejects: r.rejects.slice(0, LIMITS.rejects),
      rejectsTotal: r.rejects.length,
      duplicates: r.duplicates.slice(0, LIMITS.duplicates),
      duplicatesTotal: r.duplicates.length,
    },
    conflicts: {
      rows: r.conflicts.slice(0, LIMITS.conflicts).map((c) => {
        const t = Date.parse(c.start);
        const s = Number.isNaN(t) ? 0 : clock.wallOf(t);
        return { ...c, name: r.meterNames.get(c.meter) ?? `meter ${c.meter}`, s, e: s + r.intervalMs };
      }),
      total: r.conflicts.length,
    },
    total: totalSection,
    bess: r.bess,
    notes: r.notes ?? [],
    charts: siteCharts(clock, rows, grid, totalSection, meters.length, r.bess),
  };
  const series = all.map((a) => seriesFile(a, r.gen, clock, totalSection));
  return { site, series };
}

/** From the first start to the last end of any profile (now-ish when there is none). */
function siteRange(all: Analysis[]): { from: number; to: number } {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const a of all) {
    const s = a.ordered.starts;
    if (!s.length) continue;
    from = Math.min(from, s[0]!);
    to = Math.max(to, s[s.length - 1]! + a.check.intervalMs);
  }
  return Number.isFinite(from) ? { from, to } : { from: 0, to: 0 };
}

function gapRows(a: Analysis, clock: SiteClock): GapRow[] {
  return a.check.report.gaps.slice(0, LIMITS.gaps).map((g) => ({
    gap_start: clock.format(g.gapStart),
    gap_end: clock.format(g.gapEnd),
    gap_duration: formatIsoDuration(g.gapEnd - g.gapStart),
    missing_intervals: g.missingIntervals,
    misaligned: g.misaligned,
    s: clock.wallOf(g.gapStart),
    e: clock.wallOf(g.gapEnd),
  }));
}

function profileEntry(
  a: Analysis,
  kind: 'meter' | 'total',
  clock: SiteClock,
  grid: DayGrid,
  site: { expected: number[]; intervalMs: number },
): ProfileEntry {
  const { report, intervalMs } = a.check;
  const s = a.ordered.starts;
  const own = intervalMs === site.intervalMs ? null : expectedPerColumn(grid, intervalMs);
  const expected = own ?? site.expected;
  const perColumn = countPerColumn(s, grid);
  return {
    name: a.input.name,
    kind,
    meter: a.input.meter,
    file: a.input.file,
    rows: a.input.profile.start.length,
    first: s.length ? clock.format(s[0]!) : null,
    last: s.length ? clock.format(s[s.length - 1]! + intervalMs) : null,
    intervalMs,
    intervalAssumed: a.check.intervalAssumed,
    present: perColumn.reduce((x, y) => x + y, 0),
    expected: expected.reduce((x, y) => x + y, 0),
    gapCount: report.gaps.length,
    missingIntervals: report.missing,
    gaps: gapRows(a, clock),
    duplicates: report.duplicates.length,
    outOfOrder: report.outOfOrder.length,
    partial: a.ordered.partial.reduce((x, y) => x + y, 0),
    stats: a.stats,
    perColumn: kind === 'meter' ? perColumn : null,
    expectedPerColumn: kind === 'meter' ? own : null,
    series: `data/series/${a.input.name}.js`,
  };
}

/** Partial totals with the feeders behind them, and each feeder at the system's peak. */
function totalOf(total: Analysis, meters: Analysis[], clock: SiteClock): TotalSection {
  const intervalMs = total.check.intervalMs;
  const feeders = meters.map((m) => ({ name: m.input.name, starts: m.ordered.starts, values: m.ordered.values }));
  const runs = flaggedRuns(total.ordered, intervalMs);
  const partialRuns = runs.slice(0, LIMITS.partialRuns).map((run) => ({
    start: clock.format(run.start),
    end: clock.format(run.end),
    intervals: run.intervals,
    missingFeeders: feedersMissingIn(feeders, run, intervalMs),
    s: clock.wallOf(run.start),
    e: clock.wallOf(run.end),
  }));
  let peak: TotalSection['peak'] = null;
  if (total.stats) {
    const at = Date.parse(total.stats.peak_at);
    const mw = total.stats.peak_mw;
    const rows: CoincidentRow[] = feeders.map((f) => {
      const i = lowerBound(f.starts, at);
      const v = f.starts[i] === at ? f.values[i]! : null;
      return { name: f.name, mw: v, share: v === null || mw === 0 ? null : v / mw };
    });
    rows.sort((x, y) => (y.mw ?? Number.NEGATIVE_INFINITY) - (x.mw ?? Number.NEGATIVE_INFINITY));
    peak = { at: total.stats.peak_at, mw, feeders: rows };
  }
  return { name: total.input.name, partialRuns, partialRunsTotal: runs.length, peak };
}

function siteCharts(
  clock: SiteClock,
  rows: string[],
  grid: DayGrid,
  total: TotalSection | null,
  feeders: number,
  bess: BessSection | null,
): ChartDecl[] {
  const charts: ChartDecl[] = [];
  if (rows.length)
    charts.push({
      id: 'completeness',
      renderer: 'canvas',
      spec: completenessSpec({ zone: clock.zone, rows, daysPerColumn: grid.daysPerColumn }),
    });
  if (total?.peak)
    charts.push({
      id: 'peak-shares',
      renderer: 'svg',
      spec: peakSharesSpec({ zone: clock.zone, at: total.peak.at, systemMw: total.peak.mw, feeders }),
    });
  if (bess) {
    charts.push({
      id: 'bess-heatmap',
      renderer: 'canvas',
      spec: bessHeatmapSpec({ zone: bess.zone, enclosures: bess.enclosures, days: bess.dates.length }),
    });
    charts.push({
      id: 'bess-ratios',
      renderer: 'svg',
      spec: roundTripSpec({ zone: bess.zone, from: bess.from, to: bess.to, enclosures: bess.ratios.length }),
    });
  }
  return charts;
}

/** A band for every span, at least ~1.5 px wide on the overview so a one-interval hole shows. */
function bands(spans: { s: number; e: number }[], spanMs: number) {
  const min = (spanMs / CHART_WIDTH) * 1.5;
  return spans.map(({ s, e }) => {
    const pad = Math.max(0, (min - (e - s)) / 2);
    return { s: s - pad, e: e + pad };
  });
}

/**
 * The detail's first window: what needs a look first. The latest gap with a day either side; for the total, the
 * week around the coincident peak; else the last week of data.
 */
function initialWindow(
  a: Analysis,
  first: number,
  last: number,
  peak: { t: number } | null,
  clock: SiteClock,
): [number, number] {
  const gap = a.check.report.gaps[a.check.report.gaps.length - 1];
  if (peak) return [peak.t - WINDOW_MS / 2, peak.t + WINDOW_MS / 2];
  if (gap) return [clock.wallOf(gap.gapStart) - DAY_MS, clock.wallOf(gap.gapEnd) + DAY_MS];
  return [clock.wallOf(Math.max(first, last - WINDOW_MS)), clock.wallOf(last)];
}

function seriesFile(a: Analysis, gen: string, clock: SiteClock, total: TotalSection | null): SeriesFile {
  const { starts, values } = a.ordered;
  const { intervalMs } = a.check;
  const n = starts.length;
  const isTotal = total !== null && a.input.name === total.name && a.input.meter === null;
  const first = n ? starts[0]! : 0;
  const last = n ? starts[n - 1]! + intervalMs : 0;
  const o = overviewPoints(a.ordered, intervalMs, OVERVIEW_POINTS);
  const overview = Array.from(o.x, (x, i) => ({
    t: clock.wallOf(x),
    v: Number.isNaN(o.y[i]!) ? null : Math.round(o.y[i]! * 1e4) / 1e4,
  }));
  const gaps = a.check.report.gaps.map((g) => ({ s: clock.wallOf(g.gapStart), e: clock.wallOf(g.gapEnd) }));
  const partial = isTotal ? total.partialRuns.map((p) => ({ s: p.s, e: p.e })) : [];
  const span = clock.wallOf(last) - clock.wallOf(first);
  const peak =
    isTotal && total.peak
      ? {
          t: clock.wallOf(Date.parse(total.peak.at)),
          v: total.peak.mw,
          label: `${total.peak.mw.toFixed(3)} MW at ${total.peak.at}`,
        }
      : null;
  const spec = profileSpec({
    name: a.input.name,
    field: isTotal ? 'MW_total' : 'MW_net',
    zone: clock.zone,
    window: initialWindow(a, first, last, peak, clock),
    overview,
    gaps,
    gapsWide: bands(gaps, span),
    partial,
    partialWide: bands(partial, span),
    peak,
    points: n,
  });
  return {
    name: a.input.name,
    gen,
    series: encodeSeries(starts, values, intervalMs),
    chart: { id: `profile-${a.input.name}`, renderer: 'svg', spec },
  };
}
