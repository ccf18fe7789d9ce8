import path from 'node:path';
import { formatDecimal, LptError, parseBucket, parseRangeBound, Resampler, SiteClock } from '@lptool/core';
import {
  AtomicFile,
  csvLine,
  loadSettings,
  type Profile,
  readProfile,
  type SettingFlags,
  siteLayout,
} from '@lptool/io';

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
  intervals_present: number;
  intervals_expected: number;
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
  /** Σ individual peaks / system peak. */
  diversity_factor: number;
}

export interface StatsSummary {
  periods: PeriodStats[];
  coincident: CoincidentPeak | null;
  pictures: string[];
  exitCode: 0;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Index of the first start ≥ t (binary search). */
function lowerBound(a: Float64Array, t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The figures of one profile over [from, to) (its starts ascending). */
export function periodStats(p: Profile, clock: SiteClock, from: number, to: number, label: string): PeriodStats | null {
  const a = lowerBound(p.start, from);
  const b = lowerBound(p.start, to);
  if (b <= a) return null;
  const mw = p.columns.get('MW_total') ?? p.columns.get('MW_net')!;
  const del = p.columns.get('MW_del');
  const rec = p.columns.get('MW_rec');
  const hours = p.intervalMs / HOUR;
  let sum = 0;
  let peak = Number.NEGATIVE_INFINITY;
  let peakAt = 0;
  let min = Number.POSITIVE_INFINITY;
  let minAt = 0;
  let eDel = 0;
  let eRec = 0;
  let reversals = 0;
  const byHour = [new Float64Array(24), new Float64Array(24)];
  const countHour = [new Uint32Array(24), new Uint32Array(24)];
  for (let i = a; i < b; i++) {
    const x = mw[i]!;
    sum += x;
    if (x > peak) {
      peak = x;
      peakAt = p.start[i]!;
    }
    if (x < min) {
      min = x;
      minAt = p.start[i]!;
    }
    if (del && rec) {
      eDel += del[i]! * hours;
      eRec += rec[i]! * hours;
      if (del[i]! > 0 && rec[i]! > 0) reversals++;
    }
    const wall = clock.wallOf(p.start[i]!);
    const h = Math.floor((((wall % DAY) + DAY) % DAY) / HOUR);
    const wd = new Date(wall).getUTCDay();
    const k = wd === 0 || wd === 6 ? 1 : 0;
    byHour[k]![h]! += x;
    countHour[k]![h]!++;
  }
  const n = b - a;
  const expected = Math.round((to - from) / p.intervalMs);
  const average = sum / n;
  const curve = (k: number) => Array.from(byHour[k]!, (s, h) => (countHour[k]![h] ? s / countHour[k]![h]! : null));
  return {
    profile: p.name,
    period: label,
    from: clock.format(from),
    to: clock.format(to),
    intervals_present: n,
    intervals_expected: expected,
    completeness_pct: expected ? (100 * n) / expected : 0,
    mwh_delivered: del ? eDel : null,
    mwh_received: rec ? eRec : null,
    mwh_net: sum * hours,
    peak_mw: peak,
    peak_at: clock.format(peakAt),
    min_mw: min,
    min_at: clock.format(minAt),
    average_mw: average,
    load_factor: peak > 0 ? average / peak : null,
    flow_reversals: del && rec ? reversals : null,
    typical_day: { weekday: curve(0), weekend: curve(1) },
  };
}

/** `lptool stats`: the numbers planners ask for, per profile and period. */
export async function stats(o: StatsOptions): Promise<StatsSummary> {
  const layout = siteLayout(o.root);
  const settings = loadSettings(layout.settings, o, o.env);
  const clock = new SiteClock(settings.timezone, settings.clock);
  if (!o.files.length)
    throw new LptError('LPT_USAGE', 'profiles — expected one or more profile CSVs (e.g. lp/*.csv), got none', {
      key: 'profiles',
    });
  const profiles = o.files.map((f) =>
    readProfile(path.resolve(f), path.relative(process.cwd(), path.resolve(f)) || f, clock),
  );
  const from = parseRangeBound(o.from, clock, '--from');
  const to = parseRangeBound(o.to, clock, '--to');
  const periods: PeriodStats[] = [];
  for (const p of profiles) {
    if (!p.start.length) continue;
    const lo = from ?? p.start[0]!;
    const hi = to ?? p.start[p.start.length - 1]! + p.intervalMs;
    if (o.by === 'month') {
      const months = new Resampler({ clock, intervalMs: p.intervalMs, bucket: parseBucket('1mo'), columns: 0 });
      for (let t = lo; t < hi; ) {
        const m = months.bucketOf(t);
        const s = periodStats(p, clock, Math.max(lo, m.start), Math.min(hi, m.end), clock.format(m.start).slice(0, 7));
        if (s) periods.push(s);
        t = m.end;
      }
    } else {
      const s = periodStats(p, clock, lo, hi, 'all');
      if (s) periods.push(s);
    }
  }
  // coincident peak: each feeder's MW_net at the system's peak instant (the system is lp/all.csv)
  let coincident: CoincidentPeak | null = null;
  const system = profiles.find((p) => p.name === 'all' && p.columns.has('MW_total'));
  const feeders = profiles.filter((p) => p !== system);
  if (system && feeders.length) {
    const whole = periodStats(
      system,
      clock,
      from ?? system.start[0]!,
      to ?? system.start[system.start.length - 1]! + system.intervalMs,
      'all',
    );
    if (whole) {
      const at = Date.parse(whole.peak_at);
      const rows = feeders.map((f) => {
        const i = lowerBound(f.start, at);
        const mw = f.columns.get('MW_net')!;
        const own = periodStats(
          f,
          clock,
          from ?? f.start[0]!,
          to ?? f.start[f.start.length - 1]! + f.intervalMs,
          'all',
        );
        return {
          profile: f.name,
          mw_at_system_peak: f.start[i] === at ? mw[i]! : null,
          own_peak_mw: own ? own.peak_mw : Number.NaN,
        };
      });
      coincident = {
        system: system.name,
        at: whole.peak_at,
        system_peak_mw: whole.peak_mw,
        feeders: rows,
        diversity_factor: rows.reduce((s, r) => s + r.own_peak_mw, 0) / whole.peak_mw,
      };
    }
  }
  if (o.csv) {
    const out = new AtomicFile(path.resolve(o.csv));
    const keys = [
      'profile',
      'period',
      'from',
      'to',
      'intervals_present',
      'intervals_expected',
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
    out.write(csvLine([...keys]));
    for (const s of periods)
      out.write(
        csvLine(
          keys.map((k) =>
            typeof s[k] === 'number' ? formatDecimal(s[k] as number) : s[k] === null ? '' : String(s[k]),
          ),
        ),
      );
    out.commit();
  }
  const pictures = o.png
    ? await drawPictures(
        profiles,
        periods,
        path.join(path.dirname(path.resolve(o.files[0]!)), 'stats'),
        clock,
        from,
        to,
      )
    : [];
  return { periods, coincident, pictures, exitCode: 0 };
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

/** The human table: one line per profile and period, then the coincident peak. */
export function formatStats(s: StatsSummary): string {
  const f = (x: number | null, d = 3) => (x === null || !Number.isFinite(x) ? '—' : formatDecimal(x, d));
  const lines = [
    `${'profile'.padEnd(12)}${'period'.padEnd(9)}${'MWh del'.padStart(11)}${'MWh rec'.padStart(11)}${'MWh net'.padStart(11)}${'peak MW'.padStart(10)}  ${'peak at'.padEnd(26)}${'min MW'.padStart(9)}${'avg MW'.padStart(9)}${'LF'.padStart(7)}${'complete'.padStart(10)}${'reversals'.padStart(11)}`,
  ];
  for (const p of s.periods) {
    lines.push(
      `${p.profile.padEnd(12)}${p.period.padEnd(9)}${f(p.mwh_delivered).padStart(11)}${f(p.mwh_received).padStart(11)}${f(p.mwh_net).padStart(11)}${f(p.peak_mw).padStart(10)}  ${p.peak_at.padEnd(26)}${f(p.min_mw).padStart(9)}${f(p.average_mw).padStart(9)}${f(p.load_factor, 3).padStart(7)}${`${f(p.completeness_pct, 1)} %`.padStart(10)}${(p.flow_reversals === null ? '—' : String(p.flow_reversals)).padStart(11)}`,
    );
  }
  if (s.coincident) {
    const c = s.coincident;
    lines.push(
      '',
      `coincident peak: ${c.system} ${f(c.system_peak_mw)} MW at ${c.at}; diversity factor ${f(c.diversity_factor, 3)} (Σ feeder peaks / system peak)`,
    );
    for (const r of c.feeders)
      lines.push(
        `  ${r.profile.padEnd(12)} at the system peak ${f(r.mw_at_system_peak)} MW, own peak ${f(r.own_peak_mw)} MW`,
      );
  }
  for (const p of s.pictures) lines.push(`wrote ${p}`);
  return lines.join('\n');
}
