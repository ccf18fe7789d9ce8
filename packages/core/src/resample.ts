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
  /** Σ of each column over present intervals. */
  sums: Float64Array;
  /** Σ over present intervals of value × interval hours (MWh for MW). */
  energy: Float64Array;
  /** Mean of each column over the rows (NaN if none). */
  means: Float64Array;
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
 * out come buckets in time order. Buckets with no rows are not emitted.
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

  /** One row; `complete` false for an interval whose values are not whole (a total lacking feeders). */
  push(t: number, values: ArrayLike<number>, complete = true): void {
    let b = this.current;
    if (!b || t >= b.end || t < b.start) {
      if (b) this.out.push(b);
      const { start, end } = this.bucketOf(t);
      const n = this.options.columns;
      b = {
        start,
        end,
        rows: 0,
        present: 0,
        expected: Math.round((end - start) / this.options.intervalMs),
        sums: new Float64Array(n),
        energy: new Float64Array(n),
        means: new Float64Array(n),
      };
      this.current = b;
    }
    const hours = this.options.intervalMs / HOUR;
    b.rows++;
    if (complete) b.present++;
    for (let i = 0; i < this.options.columns; i++) {
      const v = values[i]!;
      b.sums[i]! += v;
      b.energy[i]! += v * hours;
    }
  }

  finish(): ResampledBucket[] {
    if (this.current) this.out.push(this.current);
    this.current = null;
    for (const b of this.out)
      for (let i = 0; i < b.sums.length; i++) b.means[i] = b.rows ? b.sums[i]! / b.rows : Number.NaN;
    return this.out;
  }
}
