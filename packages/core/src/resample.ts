import { ExactSum, mulDivRound } from './decimal.js';
import { parseDuration } from './duration.js';
import { LptError } from './errors.js';
import type { SiteClock } from './zone.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Target bucket: a fixed length aligned to the local clock (e.g. 1h), a local day, or a local month. */
export type Bucket = { kind: 'fixed'; ms: number } | { kind: 'day' } | { kind: 'month' };

/** `15m`, `1h`, `1d`, `1mo` → a bucket. Days and months are local calendar days/months (23/25-hour days are real). */
export function parseBucket(text: string, key = '--to'): Bucket {
  const s = text.trim().toLowerCase();
  if (s === '1mo' || s === 'month' || s === 'monthly') return { kind: 'month' };
  if (s === '1d' || s === 'day' || s === 'daily') return { kind: 'day' };
  const ms = parseDuration(s, key);
  if (ms >= DAY || DAY % ms !== 0) {
    throw new LptError(
      'LPT_BAD_DURATION',
      `${key} — expected a length that divides a day (15m, 30m, 1h …), 1d or 1mo, got ${JSON.stringify(text)}`,
      { key },
    );
  }
  return { kind: 'fixed', ms };
}

/** One output bucket. Column values are per the input columns, in order. */
export interface ResampledBucket {
  start: number;
  end: number;
  /** Input rows in the bucket. */
  rows: number;
  /** Complete input intervals in the bucket: rows less those pushed as incomplete (all.csv's partial totals). */
  present: number;
  /** Intervals the bucket would hold if complete (23/25-hour days count their real length). */
  expected: number;
  /** Σ of each column over the rows, exactly (integers in, so millionths in → millionths out). */
  sums: ExactSum[];
}

export interface ResampleOptions {
  clock: SiteClock;
  /** Interval of the input series. */
  intervalMs: number;
  bucket: Bucket;
  /** Number of value columns pushed per row. */
  columns: number;
}

/**
 * Push-based resampler: rows in time order (interval start instant + values),
 * out come buckets in time order. Buckets with no rows are not emitted. Values
 * are integers — power in millionths as written — so sums, means and energies
 * are exact (bucketMean, bucketEnergy).
 */
export class Resampler {
  private current: ResampledBucket | null = null;
  private readonly out: ResampledBucket[] = [];

  constructor(private readonly options: ResampleOptions) {}

  /** The bucket [start, end) containing an instant. */
  bucketOf(t: number): { start: number; end: number } {
    const { clock, bucket } = this.options;
    if (bucket.kind === 'fixed') {
      // floor in local wall time, using this instant's own offset (the two passes of the repeated hour stay apart)
      const wall = clock.wallOf(t);
      const start = t - (((wall % bucket.ms) + bucket.ms) % bucket.ms);
      return { start, end: start + bucket.ms };
    }
    if (bucket.kind === 'day') return { start: clock.startOfLocalDay(t), end: clock.startOfNextLocalDay(t) };
    const d = new Date(clock.wallOf(t));
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth();
    return { start: clock.instantAtOrAfter(Date.UTC(y, m, 1)), end: clock.instantAtOrAfter(Date.UTC(y, m + 1, 1)) };
  }

  /**
   * One row: its start instant and its values (integers, e.g. millionths of MW); `complete` false for an
   * interval whose values are not whole (a total lacking feeders).
   */
  push(t: number, values: ArrayLike<number>, complete = true): void {
    let b = this.current;
    if (!b || t >= b.end || t < b.start) {
      if (b) this.out.push(b);
      const { start, end } = this.bucketOf(t);
      b = {
        start,
        end,
        rows: 0,
        present: 0,
        expected: Math.round((end - start) / this.options.intervalMs),
        sums: Array.from({ length: this.options.columns }, () => new ExactSum()),
      };
      this.current = b;
    }
    b.rows++;
    if (complete) b.present++;
    for (let i = 0; i < this.options.columns; i++) b.sums[i]!.add(values[i]!);
  }

  finish(): ResampledBucket[] {
    if (this.current) this.out.push(this.current);
    this.current = null;
    return this.out;
  }
}

/** A column's mean over the bucket's rows, rounded half-up (in the input's units). */
export function bucketMean(b: ResampledBucket, column: number): number | bigint {
  return mulDivRound(b.sums[column]!.value, 1, b.rows);
}

/** A column's energy over the bucket: Σ value × interval hours, rounded half-up (millionths of MW → of MWh). */
export function bucketEnergy(b: ResampledBucket, column: number, intervalMs: number): number | bigint {
  return energyOf(b.sums[column]!.value, intervalMs);
}

/** Σ power × interval hours, exactly rounded half-up: a sum of millionths of MW → millionths of MWh. */
export function energyOf(sum: number | bigint, intervalMs: number): number | bigint {
  let [a, b] = [intervalMs, HOUR];
  while (b) [a, b] = [b, a % b];
  return mulDivRound(sum, intervalMs / a, HOUR / a); // the fraction reduced: 15 min → × 1 / 4
}
