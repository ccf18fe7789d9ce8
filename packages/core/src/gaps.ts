/**
 * Gap finding over interval start instants (SPEC §6). Everything is on
 * instants, so DST nights (a 23- or 25-hour local day) are never gaps, and a
 * real gap across a DST night is measured in real minutes.
 */

export interface Gap {
  /** End of the last interval before the hole (epoch ms). */
  gapStart: number;
  /** Start of the next present interval (epoch ms). */
  gapEnd: number;
  /** Whole intervals missing in the hole. */
  missingIntervals: number;
  /** The hole is not a whole number of intervals (a clock shift or a different interval). */
  misaligned: boolean;
}

export interface SeriesIssue {
  kind: 'duplicate' | 'out-of-order';
  /** Index of the row in record order. */
  index: number;
  instant: number;
  /** The latest instant seen before this row. */
  previous: number;
}

export interface SeriesReport {
  gaps: Gap[];
  duplicates: SeriesIssue[];
  outOfOrder: SeriesIssue[];
  /** Distinct interval starts inside the range. */
  present: number;
  /** Σ missing intervals. */
  missing: number;
  /** First and last distinct start inside the range (NaN when none). */
  first: number;
  last: number;
}

export interface GapOptions {
  intervalMs: number;
  /** Range start (inclusive): a hole before the first row counts from here. */
  from?: number;
  /** Range end (exclusive): a hole after the last interval counts up to here. */
  to?: number;
}

/**
 * Push-based gap finder for starts in ascending order (duplicates allowed).
 * `push` returns false for a start that is not after the previous one.
 */
export class GapFinder {
  private last = Number.NaN;
  private first = Number.NaN;
  private present = 0;
  private missing = 0;
  readonly gaps: Gap[] = [];

  constructor(private readonly options: GapOptions) {}

  push(start: number): boolean {
    const { from, to, intervalMs } = this.options;
    if ((from !== undefined && start < from) || (to !== undefined && start >= to)) return true;
    if (Number.isNaN(this.last)) {
      this.first = start;
      if (from !== undefined && start > from) this.addGap(from, start);
    } else if (start <= this.last) {
      return false;
    } else if (start > this.last + intervalMs) {
      this.addGap(this.last + intervalMs, start);
    }
    this.last = start;
    this.present++;
    return true;
  }

  finish(): Pick<SeriesReport, 'gaps' | 'present' | 'missing' | 'first' | 'last'> {
    const { from, to, intervalMs } = this.options;
    if (to !== undefined) {
      if (Number.isNaN(this.last)) {
        if (from !== undefined && to > from) this.addGap(from, to);
      } else if (this.last + intervalMs < to) {
        this.addGap(this.last + intervalMs, to);
      }
    }
    return { gaps: this.gaps, present: this.present, missing: this.missing, first: this.first, last: this.last };
  }

  private addGap(gapStart: number, gapEnd: number): void {
    const span = gapEnd - gapStart;
    const missingIntervals = Math.floor(span / this.options.intervalMs);
    this.gaps.push({ gapStart, gapEnd, missingIntervals, misaligned: span % this.options.intervalMs !== 0 });
    this.missing += missingIntervals;
  }
}

/**
 * Analyse a series of interval starts in record order: duplicates and
 * out-of-order rows as found, then gaps over the sorted distinct starts
 * (an out-of-order row that fills a hole is not a gap).
 */
export function analyzeSeries(starts: ArrayLike<number>, options: GapOptions): SeriesReport {
  const duplicates: SeriesIssue[] = [];
  const outOfOrder: SeriesIssue[] = [];
  const seen = new Set<number>();
  let max = Number.NEGATIVE_INFINITY;
  let sorted = true;
  for (let i = 0; i < starts.length; i++) {
    const t = starts[i]!;
    if (seen.has(t)) duplicates.push({ kind: 'duplicate', index: i, instant: t, previous: max });
    else if (t < max) outOfOrder.push({ kind: 'out-of-order', index: i, instant: t, previous: max });
    if (t < max) sorted = false;
    seen.add(t);
    if (t > max) max = t;
  }
  const ordered = Float64Array.from(starts);
  if (!sorted) ordered.sort();
  const finder = new GapFinder(options);
  for (let i = 0; i < ordered.length; i++) finder.push(ordered[i]!);
  return { ...finder.finish(), duplicates, outOfOrder };
}

/**
 * The most common step between consecutive distinct sorted starts, or NaN when
 * the series is too short or two steps are equally common (ambiguous).
 */
export function inferIntervalMs(starts: ArrayLike<number>): number {
  const ordered = Float64Array.from(starts).sort();
  const counts = new Map<number, number>();
  for (let i = 1; i < ordered.length; i++) {
    const d = ordered[i]! - ordered[i - 1]!;
    if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best = Number.NaN;
  let bestCount = 0;
  let tie = false;
  for (const [d, c] of counts) {
    if (c > bestCount) {
      best = d;
      bestCount = c;
      tie = false;
    } else if (c === bestCount) tie = true;
  }
  return tie ? Number.NaN : best;
}
