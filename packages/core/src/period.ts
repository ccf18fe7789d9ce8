/**
 * The figures planners ask of a profile over a period (energy by direction, peak and minimum, average, load
 * factor, completeness, flow reversals, the typical day), as a push engine: rows in, one PeriodStats out. Every
 * sum is exact, of the values as written in integer millionths, and each figure is rounded half-up once.
 */
import { ExactSum, MAX_EXACT, mulDivRound, ratioMicros } from './decimal.js';
import { lowerBound, type TimeOrdered } from './ordered.js';
import { energyOf } from './resample.js';
import type { SiteClock } from './zone.js';

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

/** A profile as the figures need it: starts in time order, MW (MW_total of a total, else MW_net) in millionths. */
export interface PeriodSeries {
  name: string;
  start: TimeOrdered;
  mw: Float64Array;
  /** MW_del and MW_rec in millionths, when the profile has them. */
  del?: Float64Array | undefined;
  rec?: Float64Array | undefined;
  /** 1 where a total had fewer feeders reporting than expected. */
  partial: Uint8Array;
  intervalMs: number;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Millionths (exact) → the number a summary carries (the nearest double; exact text comes from formatMicros). */
export const mwOf = (m: number | bigint): number => Number(m) / 1e6;
/** a × b exactly: a Number while in the exact range, else a BigInt. */
const times = (a: number, b: number): number | bigint => (Math.abs(a * b) <= MAX_EXACT ? a * b : BigInt(a) * BigInt(b));

/** Push the rows of one period (in time order), then `result` names and dates them. */
export class PeriodAccumulator {
  private readonly sum = new ExactSum();
  private readonly eDel = new ExactSum();
  private readonly eRec = new ExactSum();
  private readonly byHour = [0, 1].map(() => Array.from({ length: 24 }, () => new ExactSum()));
  private readonly countHour = [new Uint32Array(24), new Uint32Array(24)];
  private n = 0;
  private partial = 0;
  private reversals = 0;
  private peak = { mw: 0, at: Number.NaN };
  private min = { mw: 0, at: Number.NaN };

  constructor(
    private readonly clock: SiteClock,
    /** Whether rows carry MW_del and MW_rec (energy by direction, reversals). */
    private readonly directions: boolean,
  ) {}

  /** One interval: its start, MW in millionths, whether it is a partial total, and MW_del/MW_rec in millionths. */
  push(start: number, mw: number, partial: boolean, del = 0, rec = 0): void {
    this.sum.add(mw);
    if (partial) this.partial++;
    if (this.n === 0 || mw > this.peak.mw) this.peak = { mw, at: start };
    if (this.n === 0 || mw < this.min.mw) this.min = { mw, at: start };
    this.n++;
    if (this.directions) {
      this.eDel.add(del);
      this.eRec.add(rec);
      if (del > 0 && rec > 0) this.reversals++;
    }
    const wall = this.clock.wallOf(start);
    const h = Math.floor((((wall % DAY) + DAY) % DAY) / HOUR);
    const wd = new Date(wall).getUTCDay();
    const k = wd === 0 || wd === 6 ? 1 : 0;
    this.byHour[k]![h]!.add(mw);
    this.countHour[k]![h]!++;
  }

  /**
   * The figures of [from, to) (null when no row was pushed). Expected intervals are the starts of the profile's
   * grid (every `intervalMs` from `anchor`, one of its starts) inside [from, to): a range that cuts an interval
   * still expects the interval whose start it holds, so completeness is never over 100 %.
   */
  result(
    profile: string,
    label: string,
    from: number,
    to: number,
    intervalMs: number,
    anchor = from,
  ): PeriodStats | null {
    const { n, clock } = this;
    if (!n) return null;
    const slot = (t: number) => Math.ceil((t - anchor) / intervalMs);
    const expected = Math.max(0, slot(to) - slot(from));
    const present = n - this.partial;
    const sum = this.sum.value;
    const curve = (k: number) =>
      this.byHour[k]!.map((s, h) =>
        this.countHour[k]![h] ? mwOf(mulDivRound(s.value, 1, this.countHour[k]![h]!)) : null,
      );
    const loadFactor = this.peak.mw > 0 ? ratioMicros(sum, times(n, this.peak.mw)) : null;
    return {
      profile,
      period: label,
      from: clock.format(from),
      to: clock.format(to),
      intervals_present: present,
      intervals_expected: expected,
      intervals_partial: this.partial,
      completeness_pct: expected ? (100 * present) / expected : 0,
      mwh_delivered: this.directions ? mwOf(energyOf(this.eDel.value, intervalMs)) : null,
      mwh_received: this.directions ? mwOf(energyOf(this.eRec.value, intervalMs)) : null,
      mwh_net: mwOf(energyOf(sum, intervalMs)),
      peak_mw: mwOf(this.peak.mw),
      peak_at: clock.format(this.peak.at),
      min_mw: mwOf(this.min.mw),
      min_at: clock.format(this.min.at),
      average_mw: mwOf(mulDivRound(sum, 1, n)),
      load_factor: loadFactor === null ? null : mwOf(loadFactor),
      flow_reversals: this.directions ? this.reversals : null,
      typical_day: { weekday: curve(0), weekend: curve(1) },
    };
  }
}

/** The figures of a profile over [from, to), or null when it has no interval there. */
export function periodStats(
  p: PeriodSeries,
  clock: SiteClock,
  from: number,
  to: number,
  label: string,
): PeriodStats | null {
  const directions = Boolean(p.del && p.rec);
  const acc = new PeriodAccumulator(clock, directions);
  for (let i = lowerBound(p.start, from), b = lowerBound(p.start, to); i < b; i++)
    acc.push(p.start[i]!, p.mw[i]!, p.partial[i] === 1, directions ? p.del![i]! : 0, directions ? p.rec![i]! : 0);
  return acc.result(p.name, label, from, to, p.intervalMs, p.start.length ? p.start[0]! : from);
}
