/**
 * The coincident peak and the diversity factor: feeders and their total (lp/all.csv) in, each feeder's MW at the
 * system's peak and Σ feeder peaks / coincident peak out — on the values as written, in integer millionths, so
 * the factor is ≥ 1 exactly. Pure: no fs.
 */
import {
  formatMicros,
  lowerBound,
  MAX_EXACT,
  mwOf,
  type PeriodSeries,
  periodStats,
  type SiteClock,
} from '@lptool/core';

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

/** A total: its series, and how many feeders make it up (all.csv's largest feeders_expected; null for a feeder). */
export interface TotalSeries extends PeriodSeries {
  feedersExpected: number | null;
}

/** x + y exactly (a BigInt once a sum leaves ±2^53). */
const plus = (x: number | bigint, y: number): number | bigint => {
  if (typeof x === 'number') {
    const s = x + y;
    if (s <= MAX_EXACT && s >= -MAX_EXACT) return s;
  }
  return BigInt(x) + BigInt(y);
};
const abs = (x: number | bigint) => (x < 0 ? -x : x);

/** The period [lo, hi) of a profile: the range asked, else the profile's own first to last interval. */
export function spanOf(p: PeriodSeries, from: number | undefined, to: number | undefined): [number, number] {
  return [from ?? p.start[0]!, to ?? p.start[p.start.length - 1]! + p.intervalMs];
}

/**
 * The coincident peak: each feeder's MW_net at the system's peak (the system is lp/all.csv), and the diversity
 * factor Σ individual peaks / coincident peak. The factor is a property of the feeders that make up the total,
 * so it is given only when the feeders given are exactly those (`composition`); it is then worked out from the
 * feeders themselves over the intervals where all of them report, so that it is ≥ 1 by construction.
 */
export function coincidentPeak(
  system: TotalSeries,
  feeders: PeriodSeries[],
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
      mw_at_system_peak: f.start[i] === at ? mwOf(f.mw[i]!) : null,
      own_peak_mw: mwOf(ownPeaks[k]!),
    };
  });
  const c = composition(system, feeders, lo, hi, clock);
  let factor: number | null = null;
  let note = c.problem;
  if (!note) {
    if (!(c.coincidentPeak > 0))
      note = 'no interval in the period where every feeder reports and the total is positive: diversity factor omitted';
    else factor = Number(ownPeaks.reduce<number | bigint>((s, x) => plus(s, x), 0)) / Number(c.coincidentPeak);
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

/** The highest MW of a profile in [lo, hi), in millionths (−∞ when it has no interval there). */
function periodPeak(p: PeriodSeries, lo: number, hi: number): number {
  let peak = Number.NEGATIVE_INFINITY;
  for (let i = lowerBound(p.start, lo), b = lowerBound(p.start, hi); i < b; i++) if (p.mw[i]! > peak) peak = p.mw[i]!;
  return peak;
}

interface Composition {
  problem: string | null;
  /** The peak of Σ feeders over the intervals where every one of them reports, in millionths. */
  coincidentPeak: number | bigint;
}

/** The feeders' cursors into [lo, hi) while walking the total's intervals. */
class FeederWalk {
  readonly cursor: number[];
  readonly end: number[];
  constructor(
    readonly feeders: PeriodSeries[],
    lo: number,
    hi: number,
  ) {
    this.cursor = feeders.map((f) => lowerBound(f.start, lo));
    this.end = feeders.map((f) => lowerBound(f.start, hi));
  }

  /** A feeder with an interval before t (one the total lacks), or −1. */
  ahead(t: number): number {
    return this.feeders.findIndex((f, k) => this.cursor[k]! < this.end[k]! && f.start[this.cursor[k]!]! < t);
  }

  /** Σ of the feeders with an interval at t (each passed), and how many those are. */
  sumAt(t: number): { sum: number | bigint; reporting: number } {
    let sum: number | bigint = 0;
    let reporting = 0;
    for (const [k, f] of this.feeders.entries()) {
      let c = this.cursor[k]!;
      if (c < this.end[k]! && f.start[c] === t) {
        sum = plus(sum, f.mw[c]!);
        reporting++;
        while (c < this.end[k]! && f.start[c] === t) c++;
        this.cursor[k] = c;
      }
    }
    return { sum, reporting };
  }
}

/**
 * Do these feeders make up the total in [lo, hi)? As many as all.csv's feeders_expected, and at every interval
 * of either, Σ of the feeders reporting = MW_total (to the 6 decimals both are written with, ±0.5 µMW a value).
 */
function composition(
  system: TotalSeries,
  feeders: PeriodSeries[],
  lo: number,
  hi: number,
  clock: SiteClock,
): Composition {
  const n = feeders.length;
  const expected = system.feedersExpected;
  const sys = `${system.name}.csv`;
  const omitted = (problem: string): Composition => ({ problem, coincidentPeak: Number.NaN });
  if (expected !== null && n !== expected)
    return omitted(
      n < expected
        ? `the ${n === 1 ? '1 feeder given is' : `${n} feeders given are`} a subset of the ${expected} that make up ${sys} (feeders_expected): diversity factor omitted — give every feeder of the total`
        : `${n} feeders given, but ${sys} is the total of ${expected} (feeders_expected): diversity factor omitted`,
    );
  const walk = new FeederWalk(feeders, lo, hi);
  let peak: number | bigint = Number.NEGATIVE_INFINITY;
  const first = lowerBound(system.start, lo);
  const last = lowerBound(system.start, hi);
  for (let i = first; i <= last; i++) {
    if (i < last && i > first && system.start[i] === system.start[i - 1]) continue; // (a duplicated row counts once)
    // the system's next interval (after its last: +∞, so that feeder intervals past it show)
    const t = i < last ? system.start[i]! : Number.POSITIVE_INFINITY;
    const k = walk.ahead(t);
    if (k >= 0) {
      const f = feeders[k]!;
      return omitted(
        `the feeders given do not add up to ${sys}: ${f.name} has an interval at ${clock.format(f.start[walk.cursor[k]!]!)} that ${sys} lacks — diversity factor omitted`,
      );
    }
    const { sum, reporting } = walk.sumAt(t);
    if (i === last) break;
    const total = system.mw[i]!;
    const tolerance = 0.5 * (n + 1) + 1e-12 * Math.abs(total);
    if (abs(typeof sum === 'bigint' ? sum - BigInt(total) : sum - total) > tolerance)
      return omitted(
        `the feeders given do not add up to ${sys}: Σ MW_net ${formatMicros(sum)} MW against MW_total ${formatMicros(total)} MW at ${clock.format(t)} — diversity factor omitted`,
      );
    if (reporting === n && sum > peak) peak = sum;
  }
  return { problem: null, coincidentPeak: peak };
}
