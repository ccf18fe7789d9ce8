import path from 'node:path';
import {
  ExactSum,
  energyOf,
  formatDecimal,
  formatMicros,
  LptError,
  lowerBound,
  MAX_EXACT,
  microsOfWritten,
  mulDivRound,
  parseBucket,
  parseRange,
  Resampler,
  ratioMicros,
  SiteClock,
} from '@lptool/core';
import {
  AtomicFile,
  csvLine,
  loadSettings,
  type SettingFlags,
  type SkippedInput,
  siteLayout,
  skipDerived,
  skippedNote,
} from '@lptool/io';
import { type PowerColumn, type Profile, readProfile } from '@lptool/profiles';

export interface StatsOptions extends SettingFlags {
  root: string;
  files: string[];
  from?: string | undefined;
  to?: string | undefined;
  /** One row per local calendar month, or one for the whole range. */
  by?: 'month' | 'all';
  /** Write a CSV of the table here. */
  csv?: string | undefined;
  /** Draw the load duration curve and the typical days (PNG files beside the first input, in stats/). */
  png?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface PeriodStats {
  profile: string;
  period: string;
  from: string;
  to: string;
  /** Complete intervals: rows of the profile in the period, less all.csv's partial totals. */
  intervals_present: number;
  intervals_expected: number;
  /** all.csv: intervals whose total lacks feeders (feeders_reporting < feeders_expected); not counted as present. */
  intervals_partial: number;
  completeness_pct: number;
  mwh_delivered: number | null;
  mwh_received: number | null;
  mwh_net: number;
  peak_mw: number;
  peak_at: string;
  min_mw: number;
  min_at: string;
  average_mw: number;
  /** average / peak (null when the peak is not positive). */
  load_factor: number | null;
  /** Intervals with both MW_del and MW_rec non-zero (flow reversed inside the interval); null without directions. */
  flow_reversals: number | null;
  /** Mean MW_net by local hour of day. */
  typical_day: { weekday: (number | null)[]; weekend: (number | null)[] };
}

export interface CoincidentPeak {
  system: string;
  at: string;
  system_peak_mw: number;
  feeders: { profile: string; mw_at_system_peak: number | null; own_peak_mw: number }[];
  /**
   * Σ individual peaks / coincident system peak, over the feeders that make up the total (≥ 1 by
   * definition); null when the feeders given are not those (a subset, or they do not add up to it).
   */
  diversity_factor: number | null;
  /** Why the factor is left out, or null. */
  diversity_note: string | null;
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
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The power column stats reads: all.csv's total, else the feeder's net. */
const netOf = (p: Profile) => p.columns.get('MW_total') ?? p.columns.get('MW_net')!;

/** Millionths (exact) → the number a summary carries (the nearest double; exact text comes from formatMicros). */
const mwOf = (m: number | bigint) => Number(m) / 1e6;
/** a × b exactly: a Number while in the exact range, else a BigInt. */
const times = (a: number, b: number): number | bigint => (Math.abs(a * b) <= MAX_EXACT ? a * b : BigInt(a) * BigInt(b));
/**
 * A power column in millionths: as read with readProfile's `exact`, or recovered from MW read as the nearest
 * double of the text lptool wrote (6 decimals: exact below 2^33 MW, see microsOfWritten; else the nearest).
 */
const microsColumn = (p: Profile, c: PowerColumn): Float64Array | undefined => {
  const v = p.columns.get(c);
  if (!v || p.exact) return v;
  return v.map((x) => {
    const m = microsOfWritten(x);
    return Number.isNaN(m) ? Math.round(x * 1e6) : m;
  });
};

/**
 * The figures of one profile over [from, to) (its starts ascending). Energies, means and the load factor come
 * from exact sums of the values as written, in millionths, each rounded half-up once; the peak and the minimum
 * are the profile's own values.
 */
export function periodStats(p: Profile, clock: SiteClock, from: number, to: number, label: string): PeriodStats | null {
  const a = lowerBound(p.start, from);
  const b = lowerBound(p.start, to);
  if (b <= a) return null;
  const given = netOf(p);
  const mw = microsColumn(p, 'MW_total') ?? microsColumn(p, 'MW_net')!;
  const del = microsColumn(p, 'MW_del');
  const rec = microsColumn(p, 'MW_rec');
  const sum = new ExactSum();
  let peak = -1; // (row indices)
  let min = -1;
  const eDel = new ExactSum();
  const eRec = new ExactSum();
  let reversals = 0;
  let partial = 0;
  const byHour = [0, 1].map(() => Array.from({ length: 24 }, () => new ExactSum()));
  const countHour = [new Uint32Array(24), new Uint32Array(24)];
  for (let i = a; i < b; i++) {
    const x = mw[i]!;
    sum.add(x);
    partial += p.partial[i]!;
    if (peak < 0 || given[i]! > given[peak]!) peak = i;
    if (min < 0 || given[i]! < given[min]!) min = i;
    if (del && rec) {
      eDel.add(del[i]!);
      eRec.add(rec[i]!);
      if (del[i]! > 0 && rec[i]! > 0) reversals++;
    }
    const wall = clock.wallOf(p.start[i]!);
    const h = Math.floor((((wall % DAY) + DAY) % DAY) / HOUR);
    const wd = new Date(wall).getUTCDay();
    const k = wd === 0 || wd === 6 ? 1 : 0;
    byHour[k]![h]!.add(x);
    countHour[k]![h]!++;
  }
  const n = b - a;
  const expected = Math.round((to - from) / p.intervalMs);
  const average = mulDivRound(sum.value, 1, n);
  const curve = (k: number) =>
    byHour[k]!.map((s, h) => (countHour[k]![h] ? mwOf(mulDivRound(s.value, 1, countHour[k]![h]!)) : null));
  const loadFactor = mw[peak]! > 0 ? ratioMicros(sum.value, times(n, mw[peak]!)) : null;
  const asMw = (i: number) => (p.exact ? mwOf(given[i]!) : given[i]!);
  return {
    profile: p.name,
    period: label,
    from: clock.format(from),
    to: clock.format(to),
    intervals_present: n - partial,
    intervals_expected: expected,
    intervals_partial: partial,
    completeness_pct: expected ? (100 * (n - partial)) / expected : 0,
    mwh_delivered: del ? mwOf(energyOf(eDel.value, p.intervalMs)) : null,
    mwh_received: rec ? mwOf(energyOf(eRec.value, p.intervalMs)) : null,
    mwh_net: mwOf(energyOf(sum.value, p.intervalMs)),
    peak_mw: asMw(peak),
    peak_at: clock.format(p.start[peak]!),
    min_mw: asMw(min),
    min_at: clock.format(p.start[min]!),
    average_mw: mwOf(average),
    load_factor: loadFactor === null ? null : mwOf(loadFactor),
    flow_reversals: del && rec ? reversals : null,
    typical_day: { weekday: curve(0), weekend: curve(1) },
  };
}

/** The period [lo, hi) of a profile: the range asked, else the profile's own first to last interval. */
function spanOf(p: Profile, from: number | undefined, to: number | undefined): [number, number] {
  return [from ?? p.start[0]!, to ?? p.start[p.start.length - 1]! + p.intervalMs];
}

/** The periods of one profile: one for the range, or one per local month of it. */
function profilePeriods(p: Profile, clock: SiteClock, lo: number, hi: number, by: 'month' | 'all'): PeriodStats[] {
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
  const layout = siteLayout(o.root);
  const settings = loadSettings(layout.settings, o, o.env);
  const clock = new SiteClock(settings.timezone, settings.clock);
  const { from, to } = parseRange(o.from, o.to, clock);
  if (!o.files.length)
    throw new LptError('LPT_USAGE', 'profiles — expected one or more profile CSVs (e.g. lp/*.csv), got none', {
      key: 'profiles',
    });
  const show = (f: string) => path.relative(process.cwd(), path.resolve(f)) || f;
  const { files, skipped } = skipDerived(o.files);
  const note = skippedNote(skipped, show);
  if (!files.length)
    throw new LptError(
      'LPT_INPUT_MISSING',
      `profiles — expected load profiles (e.g. lp/*.csv), got only ${note!.replace(/^skipped /, '')}`,
    );
  const profiles = files.map((f) => readProfile(path.resolve(f), show(f), clock));
  const periods: PeriodStats[] = [];
  for (const p of profiles) {
    if (!p.start.length) continue;
    const [lo, hi] = spanOf(p, from, to);
    periods.push(...profilePeriods(p, clock, lo, hi, o.by ?? 'all'));
  }
  // the system is a total (all.csv, by its MW_total column); a total is never one of the feeders
  const totals = profiles.filter((p) => p.columns.has('MW_total'));
  const system = totals.find((p) => p.name === 'all') ?? totals[0];
  const feeders = profiles.filter((p) => !p.columns.has('MW_total'));
  const notes = note ? [note] : [];
  if (system && totals.length > 1)
    notes.push(
      `coincident peak: the system is ${system.file}; ${totals
        .filter((t) => t !== system)
        .map((t) => t.file)
        .join(', ')} ${totals.length > 2 ? 'are totals' : 'is a total'} too, not a feeder: left out of it`,
    );
  const coincident = system?.start.length && feeders.length ? coincidentPeak(system, feeders, clock, from, to) : null;
  if (o.csv) writeTable(path.resolve(o.csv), periods);
  const pictures = o.png
    ? await drawPictures(profiles, periods, path.join(path.dirname(path.resolve(files[0]!)), 'stats'), clock, from, to)
    : [];
  return {
    periods,
    coincident,
    pictures,
    skipped: skipped.map((s) => ({ file: show(s.file), kind: s.kind })),
    notes,
    exitCode: 0,
  };
}

/**
 * The coincident peak: each feeder's MW_net at the system's peak (the system is
 * lp/all.csv), and the diversity factor Σ individual peaks / coincident peak.
 * The factor is a property of the feeders that make up the total, so it is
 * given only when the feeders given are exactly those (`composition`); it is
 * then worked out from the feeders themselves over the intervals where all of
 * them report, so that it is ≥ 1 by construction, not only up to rounding.
 */
function coincidentPeak(
  system: Profile,
  feeders: Profile[],
  clock: SiteClock,
  from: number | undefined,
  to: number | undefined,
): CoincidentPeak | null {
  const [lo, hi] = spanOf(system, from, to);
  const whole = periodStats(system, clock, lo, hi, 'all');
  if (!whole) return null;
  const at = Date.parse(whole.peak_at);
  const ownPeaks = feeders.map((f) => periodPeak(f, lo, hi));
  const rows = feeders.map((f, k) => {
    const i = lowerBound(f.start, at);
    return {
      profile: f.name,
      mw_at_system_peak: f.start[i] === at ? f.columns.get('MW_net')![i]! : null,
      own_peak_mw: ownPeaks[k]!,
    };
  });
  const c = composition(system, feeders, lo, hi, clock);
  let factor: number | null = null;
  let note = c.problem;
  if (!note) {
    if (!(c.coincidentPeak > 0))
      note = 'no interval in the period where every feeder reports and the total is positive: diversity factor omitted';
    else factor = ownPeaks.reduce((s, x) => s + x, 0) / c.coincidentPeak;
  }
  return {
    system: system.name,
    at: whole.peak_at,
    system_peak_mw: whole.peak_mw,
    feeders: rows,
    diversity_factor: factor,
    diversity_note: note,
  };
}

/** The highest MW_net of a profile in [lo, hi) (−∞ when it has no interval there). */
function periodPeak(p: Profile, lo: number, hi: number): number {
  const mw = netOf(p);
  let peak = Number.NEGATIVE_INFINITY;
  for (let i = lowerBound(p.start, lo), b = lowerBound(p.start, hi); i < b; i++) if (mw[i]! > peak) peak = mw[i]!;
  return peak;
}

/**
 * Do these feeders make up the total in [lo, hi)? As many as all.csv's feeders_expected, and at every
 * interval of either, Σ of the feeders reporting = MW_total (to the 6 decimals both are written with).
 * Also the peak of Σ feeders over the intervals where every one of them reports (summed in the same
 * order as their peaks, so Σ peaks ≥ it exactly in floating point too).
 */
function composition(
  system: Profile,
  feeders: Profile[],
  lo: number,
  hi: number,
  clock: SiteClock,
): { problem: string | null; coincidentPeak: number } {
  const n = feeders.length;
  const expected = system.feedersExpected;
  const sys = `${system.name}.csv`;
  if (expected !== null && n !== expected)
    return {
      problem:
        n < expected
          ? `the ${n === 1 ? '1 feeder given is' : `${n} feeders given are`} a subset of the ${expected} that make up ${sys} (feeders_expected): diversity factor omitted — give every feeder of the total`
          : `${n} feeders given, but ${sys} is the total of ${expected} (feeders_expected): diversity factor omitted`,
      coincidentPeak: Number.NaN,
    };
  const total = netOf(system);
  const cursors = feeders.map((f) => lowerBound(f.start, lo));
  const ends = feeders.map((f) => lowerBound(f.start, hi));
  const values = feeders.map((f) => f.columns.get('MW_net')!);
  let peak = Number.NEGATIVE_INFINITY;
  const first = lowerBound(system.start, lo);
  const last = lowerBound(system.start, hi);
  for (let i = first; i <= last; i++) {
    if (i < last && i > first && system.start[i] === system.start[i - 1]) continue; // (a duplicated row counts once)
    // the system's next interval (after its last: +∞, so that feeder intervals past it show)
    const t = i < last ? system.start[i]! : Number.POSITIVE_INFINITY;
    let sum = 0;
    let reporting = 0;
    for (let k = 0; k < n; k++) {
      const f = feeders[k]!;
      let c = cursors[k]!;
      if (c < ends[k]! && f.start[c]! < t)
        return {
          problem: `the feeders given do not add up to ${sys}: ${f.name} has an interval at ${clock.format(f.start[c]!)} that ${sys} lacks — diversity factor omitted`,
          coincidentPeak: Number.NaN,
        };
      if (c < ends[k]! && f.start[c] === t) {
        sum += values[k]![c]!;
        reporting++;
        while (c < ends[k]! && f.start[c] === t) c++;
        cursors[k] = c;
      }
    }
    if (i === last) break;
    const tolerance = 5e-7 * (n + 1) + 1e-12 * Math.abs(total[i]!);
    if (Math.abs(sum - total[i]!) > tolerance)
      return {
        problem: `the feeders given do not add up to ${sys}: Σ MW_net ${formatDecimal(sum)} MW against MW_total ${formatDecimal(total[i]!)} MW at ${clock.format(t)} — diversity factor omitted`,
        coincidentPeak: Number.NaN,
      };
    if (reporting === n && sum > peak) peak = sum;
  }
  return { problem: null, coincidentPeak: peak };
}

/** The table as CSV (the columns of the text table, numbers with up to 6 decimals). */
function writeTable(file: string, periods: PeriodStats[]): void {
  const out = new AtomicFile(file);
  const keys = [
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
  try {
    out.write(csvLine([...keys]));
    for (const s of periods)
      out.write(
        csvLine(
          keys.map((k) =>
            typeof s[k] === 'number' ? formatFigure(s[k] as number) : s[k] === null ? '' : String(s[k]),
          ),
        ),
      );
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
}

/** Load duration curves and typical days, one PNG each, all profiles as coloured lines. */
async function drawPictures(
  profiles: Profile[],
  periods: PeriodStats[],
  dir: string,
  clock: SiteClock,
  from: number | undefined,
  to: number | undefined,
): Promise<string[]> {
  const { renderSpec, FONT_FAMILY } = await import('@lptool/plot');
  const duration: { profile: string; pct: number; mw: number }[] = [];
  for (const p of profiles) {
    const mw = p.columns.get('MW_total') ?? p.columns.get('MW_net')!;
    const a = from === undefined ? 0 : lowerBound(p.start, from);
    const b = to === undefined ? p.start.length : lowerBound(p.start, to);
    const sorted = Float64Array.from(mw.subarray(a, b)).sort().reverse();
    const step = Math.max(1, Math.floor(sorted.length / 500));
    for (let i = 0; i < sorted.length; i += step)
      duration.push({ profile: p.name, pct: Math.round((10000 * i) / sorted.length) / 100, mw: sorted[i]! });
  }
  const typical = periods
    .filter((s) => s.period === 'all' || periods.filter((x) => x.profile === s.profile).length === 1)
    .flatMap((s) =>
      (['weekday', 'weekend'] as const).flatMap((kind) =>
        s.typical_day[kind].flatMap((v, h) => (v === null ? [] : [{ profile: s.profile, kind, hour: h, mw: v }])),
      ),
    );
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 12,
    width: 900,
    height: 340,
    config: { font: FONT_FAMILY },
  } as const;
  const specs = [
    {
      name: 'stats_duration',
      spec: {
        ...base,
        title: {
          text: 'Load duration curve',
          subtitle: `MW_net sorted from highest to lowest; times in ${clock.zone}`,
          anchor: 'start',
        },
        data: { values: duration },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'pct', type: 'quantitative', title: '% of intervals' },
          y: { field: 'mw', type: 'quantitative', title: 'MW_net (MW)' },
          color: { field: 'profile', type: 'nominal' },
        },
      },
    },
    {
      name: 'stats_typical_day',
      spec: {
        ...base,
        title: {
          text: 'Typical day',
          subtitle: `Mean MW_net by local hour (${clock.zone}); solid weekday, dashed weekend`,
          anchor: 'start',
        },
        data: { values: typical },
        mark: { type: 'line', strokeWidth: 1.5, point: true },
        encoding: {
          x: { field: 'hour', type: 'quantitative', title: 'local hour', scale: { domain: [0, 23] } },
          y: { field: 'mw', type: 'quantitative', title: 'MW_net (MW)' },
          color: { field: 'profile', type: 'nominal' },
          strokeDash: { field: 'kind', type: 'nominal', title: 'day' },
        },
      },
    },
  ];
  const out: string[] = [];
  for (const { name, spec } of specs) {
    const file = path.join(dir, `${name}.png`);
    const f = new AtomicFile(file);
    f.writeBytes(await renderSpec(spec as never));
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
