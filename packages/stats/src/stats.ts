import path from 'node:path';
import {
  formatDecimal,
  formatMicros,
  LptError,
  lowerBound,
  microsOfWritten,
  mwOf,
  type PeriodSeries,
  type PeriodStats,
  parseBucket,
  parseRange,
  periodStats,
  Resampler,
  type SiteClock,
} from '@lptool/core';
import {
  AtomicFile,
  checkOutputPath,
  csvLine,
  openSite,
  outputWriteError,
  type SiteOptions,
  type SkippedInput,
  skipDerived,
  skippedNote,
} from '@lptool/io';
import type { DurationPoint, TypicalDayPoint } from '@lptool/plot';
import { duplicateNote, type Profile, readProfile } from '@lptool/profiles';
import { type CoincidentPeak, coincidentPeak, spanOf, type TotalSeries } from './coincident.js';
export interface StatsOptions extends SiteOptions {
  files: string[];
  from?: string | undefined;
  to?: string | undefined;
  /** One row per local calendar month, or one for the whole range. */
  by: 'month' | 'all';
  /** Write a CSV of the table here; `-`: give it in the summary's `table` (for stdout). */
  csv?: string | undefined;
  /** Draw the load duration curve and the typical days (PNG files in `pictureDir`, else in stats/ beside the first input). */
  png: boolean;
  pictureDir?: string | undefined;
}

export interface StatsSummary {
  periods: PeriodStats[];
  coincident: CoincidentPeak | null;
  pictures: string[];
  /** lptool's own outputs among the files given (gap lists, resampled profiles …): skipped. */
  skipped: SkippedInput[];
  /** What the operator should know (stderr). */
  notes: string[];
  exitCode: 0;
  /** With `csv: '-'`: the table as CSV, for stdout. */
  table?: string;
}

/**
 * A profile as stats takes it: the power column it is about (MW_total of a total, else MW_net), MW_del and MW_rec,
 * all in integer millionths as written (the profile reader's `exact`).
 */
function seriesOf(p: Profile): TotalSeries {
  return {
    name: p.name,
    start: p.start,
    mw: p.columns.get('MW_total') ?? p.columns.get('MW_net')!,
    del: p.columns.get('MW_del'),
    rec: p.columns.get('MW_rec'),
    partial: p.partial,
    intervalMs: p.intervalMs,
    feedersExpected: p.feedersExpected,
  };
}

/** The periods of one profile: one for the range, or one per local month of it. */
function profilePeriods(p: PeriodSeries, clock: SiteClock, lo: number, hi: number, by: 'month' | 'all'): PeriodStats[] {
  if (by !== 'month') {
    const s = periodStats(p, clock, lo, hi, 'all');
    return s ? [s] : [];
  }
  const out: PeriodStats[] = [];
  const months = new Resampler({ clock, intervalMs: p.intervalMs, bucket: parseBucket('1mo'), columns: 0 });
  for (let t = lo; t < hi; ) {
    const m = months.bucketOf(t);
    const s = periodStats(p, clock, Math.max(lo, m.start), Math.min(hi, m.end), clock.format(m.start).slice(0, 7));
    if (s) out.push(s);
    t = m.end;
  }
  return out;
}

/** `lptool stats`: the numbers planners ask for, per profile and period. */
export async function stats(o: StatsOptions): Promise<StatsSummary> {
  const { clock, layout } = openSite(o, []);
  const { from, to } = parseRange(o.from, o.to, clock);
  if (!o.files.length)
    throw new LptError('LPT_USAGE', 'profiles — expected one or more profile CSVs (e.g. lp/*.csv), got none', {
      key: 'profiles',
    });
  // stats reads files, several and by name (the coincident peak needs which is the total): stdin is not one of them
  if (o.files.includes('-'))
    throw new LptError(
      'LPT_USAGE',
      'profiles — expected profile files (stats does not read stdin; a file named - is ./-), got -',
      { key: 'profiles' },
    );
  const show = (f: string) => path.relative(process.cwd(), path.resolve(f)) || f;
  const { files, skipped } = skipDerived(o.files);
  // (lptool's own outputs among the files are not inputs: an earlier --out table is written again)
  if (o.csv !== undefined && o.csv !== '-') checkOutputPath(o.csv, { flag: '--out', inputs: files, root: layout.root });
  const note = skippedNote(skipped, show);
  if (!files.length)
    throw new LptError(
      'LPT_INPUT_MISSING',
      `profiles — expected load profiles (e.g. lp/*.csv), got only ${note!.replace(/^skipped /, '')}`,
    );
  const profiles = files.map((f) => readProfile(path.resolve(f), show(f), clock, { exact: true }));
  const series = profiles.map(seriesOf);
  const byProfile = series.map((p) => (p.start.length ? profilePeriods(p, clock, ...spanOf(p, from, to), o.by) : []));
  const periods = byProfile.flat();
  const { coincident, notes } = coincidentOf(profiles, series, clock, from, to);
  notes.unshift(
    ...profiles.flatMap((p) => duplicateNote(p) ?? []),
    ...profiles.flatMap((p, k) => (byProfile[k]!.length ? [] : [noDataNote(p, clock, from, to)])),
  );
  if (o.csv && o.csv !== '-') {
    try {
      writeTable(path.resolve(o.csv), periods);
    } catch (e) {
      throw outputWriteError(e, '--out', o.csv) ?? e;
    }
  }
  if (o.png && !periods.length) notes.push('--png: no picture drawn, as no profile has an interval in the range');
  const pictureDir = o.pictureDir
    ? path.resolve(o.pictureDir)
    : path.join(path.dirname(path.resolve(files[0]!)), 'stats');
  const pictures = o.png && periods.length ? await drawPictures(series, periods, pictureDir, clock, from, to) : [];
  return {
    periods,
    coincident,
    pictures,
    skipped: skipped.map((s) => ({ file: show(s.file), kind: s.kind })),
    notes: note ? [note, ...notes] : notes,
    exitCode: 0,
    ...(o.csv === '-' ? { table: tableLines(periods).join('') } : {}),
  };
}

/** What stats says of a profile with no interval in the range (its row is left out of the table). */
function noDataNote(p: Profile, clock: SiteClock, from: number | undefined, to: number | undefined): string {
  const range = `${from === undefined ? 'its start' : clock.format(from)} → ${to === undefined ? 'its end' : clock.format(to)}`;
  return p.start.length
    ? `${p.file}: no interval in ${range} (it has ${clock.format(p.start[0]!)} → ${clock.format(p.start[p.start.length - 1]! + p.intervalMs)})`
    : `${p.file}: no rows`;
}

/** The system is a total (all.csv, by its MW_total column); a total is never one of the feeders. */
function coincidentOf(
  profiles: Profile[],
  series: TotalSeries[],
  clock: SiteClock,
  from: number | undefined,
  to: number | undefined,
): { coincident: CoincidentPeak | null; notes: string[] } {
  const isTotal = profiles.map((p) => p.columns.has('MW_total'));
  const totals = series.filter((_, k) => isTotal[k]);
  const system = totals.find((p) => p.name === 'all') ?? totals[0];
  const feeders = series.filter((_, k) => !isTotal[k]);
  const file = (p: TotalSeries) => profiles[series.indexOf(p)]!.file;
  const notes: string[] = [];
  if (system && totals.length > 1)
    notes.push(
      `coincident peak: the system is ${file(system)}; ${totals
        .filter((t) => t !== system)
        .map(file)
        .join(', ')} ${totals.length > 2 ? 'are totals' : 'is a total'} too, not a feeder: left out of it`,
    );
  const coincident = system?.start.length && feeders.length ? coincidentPeak(system, feeders, clock, from, to) : null;
  return { coincident, notes };
}

const TABLE_COLUMNS = [
  'profile',
  'period',
  'from',
  'to',
  'intervals_present',
  'intervals_expected',
  'intervals_partial',
  'completeness_pct',
  'mwh_delivered',
  'mwh_received',
  'mwh_net',
  'peak_mw',
  'peak_at',
  'min_mw',
  'min_at',
  'average_mw',
  'load_factor',
  'flow_reversals',
] as const;

/** The table as CSV lines (the columns of the text table, numbers with up to 6 decimals). */
function tableLines(periods: PeriodStats[]): string[] {
  const cell = (v: unknown) => (typeof v === 'number' ? formatFigure(v) : v === null ? '' : String(v));
  return [csvLine([...TABLE_COLUMNS]), ...periods.map((s) => csvLine(TABLE_COLUMNS.map((k) => cell(s[k]))))];
}

/** The table as a CSV file, written whole or not at all. */
function writeTable(file: string, periods: PeriodStats[]): void {
  const out = new AtomicFile(file);
  try {
    for (const line of tableLines(periods)) out.write(line);
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
}

/** Each profile's MW sorted from highest to lowest, at most ~500 points a profile (in the range). */
function durationPoints(series: PeriodSeries[], from: number | undefined, to: number | undefined): DurationPoint[] {
  const out: DurationPoint[] = [];
  for (const p of series) {
    const a = from === undefined ? 0 : lowerBound(p.start, from);
    const b = to === undefined ? p.start.length : lowerBound(p.start, to);
    const sorted = Float64Array.from(p.mw.subarray(a, b)).sort().reverse();
    const step = Math.max(1, Math.floor(sorted.length / 500));
    for (let i = 0; i < sorted.length; i += step)
      out.push({ profile: p.name, pct: Math.round((10000 * i) / sorted.length) / 100, mw: mwOf(sorted[i]!) });
  }
  return out;
}

/** The typical days of the whole-range periods (or of a profile's only period). */
function typicalDayPoints(periods: PeriodStats[]): TypicalDayPoint[] {
  return periods
    .filter((s) => s.period === 'all' || periods.filter((x) => x.profile === s.profile).length === 1)
    .flatMap((s) =>
      (['weekday', 'weekend'] as const).flatMap((kind) =>
        s.typical_day[kind].flatMap((v, h) => (v === null ? [] : [{ profile: s.profile, kind, hour: h, mw: v }])),
      ),
    );
}

/** Load duration curves and typical days, one PNG each, all profiles as coloured lines. */
async function drawPictures(
  series: PeriodSeries[],
  periods: PeriodStats[],
  dir: string,
  clock: SiteClock,
  from: number | undefined,
  to: number | undefined,
): Promise<string[]> {
  const { renderSpec, durationCurveSpec, typicalDaySpec } = await import('@lptool/plot');
  const specs = [
    { name: 'stats_duration', spec: durationCurveSpec({ points: durationPoints(series, from, to), zone: clock.zone }) },
    { name: 'stats_typical_day', spec: typicalDaySpec({ points: typicalDayPoints(periods), zone: clock.zone }) },
  ];
  const out: string[] = [];
  for (const { name, spec } of specs) {
    const file = path.join(dir, `${name}.png`);
    const f = new AtomicFile(file);
    f.writeBytes(await renderSpec(spec));
    f.commit();
    out.push(path.relative(process.cwd(), file) || file);
  }
  return out;
}

/** Text cells in columns as wide as their widest cell (header included), two spaces apart; numbers right-aligned. */
export function formatTable(header: string[], rows: string[][], rightAligned: boolean[]): string[] {
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, k) => (rightAligned[k] ? c.padStart(widths[k]!) : c.padEnd(widths[k]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The human table: one line per profile and period, then the coincident peak. */
/**
 * A summary figure as text, `digits` decimals: figures are exact values of 6 decimals (millionths, carried as
 * the nearest double), so they are rounded half-up from those exact digits — below ±2^33 (8,589,934,592),
 * where the double gives its millionths back exactly; beyond it, and for figures that are no 6-decimal value
 * (a percentage, a ratio of peaks), from the double.
 */
function formatFigure(x: number, digits = 6): string {
  const m = microsOfWritten(x);
  return Number.isNaN(m) ? formatDecimal(x, digits) : formatMicros(m, digits);
}

export function formatStats(s: StatsSummary): string {
  const f = (x: number | null, d = 3) => (x === null || !Number.isFinite(x) ? '—' : formatFigure(x, d));
  const columns: [string, boolean, (p: PeriodStats) => string][] = [
    ['profile', false, (p) => p.profile],
    ['period', false, (p) => p.period],
    ['MWh del', true, (p) => f(p.mwh_delivered)],
    ['MWh rec', true, (p) => f(p.mwh_received)],
    ['MWh net', true, (p) => f(p.mwh_net)],
    ['peak MW', true, (p) => f(p.peak_mw)],
    ['peak at', false, (p) => p.peak_at],
    ['min MW', true, (p) => f(p.min_mw)],
    ['avg MW', true, (p) => f(p.average_mw)],
    ['LF', true, (p) => f(p.load_factor, 3)],
    ['complete', true, (p) => `${f(p.completeness_pct, 1)} %`],
    ['partial', true, (p) => String(p.intervals_partial)],
    ['reversals', true, (p) => (p.flow_reversals === null ? '—' : String(p.flow_reversals))],
  ];
  // the partial-totals column only when a total has some
  const shown = columns.filter(([h]) => h !== 'partial' || s.periods.some((p) => p.intervals_partial > 0));
  const lines = formatTable(
    shown.map(([h]) => h),
    s.periods.map((p) => shown.map(([, , cell]) => cell(p))),
    shown.map(([, right]) => right),
  );
  if (s.coincident) {
    const c = s.coincident;
    lines.push(
      '',
      `coincident peak: ${c.system} ${f(c.system_peak_mw)} MW at ${c.at}; ${
        c.diversity_factor === null
          ? (c.diversity_note ?? 'diversity factor omitted')
          : `diversity factor ${f(c.diversity_factor, 3)} (Σ feeder peaks / system peak)`
      }`,
    );
    const width = Math.max(...c.feeders.map((r) => r.profile.length));
    for (const r of c.feeders)
      lines.push(
        `  ${r.profile.padEnd(width)}  at the system peak ${f(r.mw_at_system_peak)} MW, own peak ${f(r.own_peak_mw)} MW`,
      );
  }
  for (const p of s.pictures) lines.push(`wrote ${p}`);
  return lines.join('\n');
}
