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
  /** The start of the row before it in the file (NaN for the file's first row). */
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

/** A run of flagged intervals (all.csv's partial totals): [start, end) and how many intervals it holds. */
export interface IntervalRun {
  start: number;
  end: number;
  intervals: number;
}

export interface ScanOptions {
  /** The interval length; inferred from the rows (the most common step) when not given. */
  intervalMs?: number | undefined;
  /** Used when the interval is neither given nor inferable (too few rows, or a tie); else NaN. */
  fallbackIntervalMs?: number;
  from?: number | undefined;
  to?: number | undefined;
  /** all.csv: an interval with fewer feeders reporting than expected is not present (a gap), not a partial run. */
  partialAsGap?: boolean;
}

/** A series issue, with the file line of its row. */
export interface RowIssue extends SeriesIssue {
  line: number;
}

export interface ScanReport extends Omit<SeriesReport, 'duplicates' | 'outOfOrder'> {
  /** The interval used: given, inferred, or the fallback (NaN when none could be had). */
  intervalMs: number;
  /** The interval was not given and could not be inferred (the fallback was used). */
  intervalAssumed: boolean;
  /** Rows pushed. */
  rows: number;
  duplicates: RowIssue[];
  outOfOrder: RowIssue[];
  /** Runs of partial totals in the range (none with `partialAsGap`). */
  partialRuns: IntervalRun[];
}

/** A growing column of numbers. */
class Column {
  values = new Float64Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.values.length) this.room(1);
    this.values[this.length++] = x;
  }
  /** Many at once (one copy). */
  append(xs: ArrayLike<number>): void {
    this.room(xs.length);
    this.values.set(xs, this.length);
    this.length += xs.length;
  }
  view(): Float64Array {
    return this.values.subarray(0, this.length);
  }
  private room(n: number): void {
    if (this.length + n <= this.values.length) return;
    const grown = new Float64Array(Math.max(this.values.length * 2, this.length + n));
    grown.set(this.values.subarray(0, this.length));
    this.values = grown;
  }
}

/**
 * The gap engine of `lptool gaps` and the report (SPEC §6): push a profile's rows in record order — start, end
 * (NaN when the file has none), file line, and whether the row is a partial total — then `finish()`. Duplicated
 * and out-of-order rows are reported where the file has them; gaps are found over the distinct starts in time
 * order (a row out of order that fills a hole is not a gap), DST nights never being gaps since all of it is on
 * instants; all.csv's partial totals come out as runs, or count as missing with `partialAsGap`. Pure.
 */
export class GapScanner {
  private readonly start = new Column();
  private readonly end = new Column();
  private readonly line = new Column();
  private readonly partial = new Column();
  private anyPartial = false;

  constructor(private readonly options: ScanOptions = {}) {}

  push(start: number, end = Number.NaN, line = this.start.length + 2, partial = false): void {
    this.start.push(start);
    this.end.push(end);
    this.line.push(line);
    this.partial.push(partial ? 1 : 0);
    if (partial) this.anyPartial = true;
  }

  /** Many rows at once, as columns of equal length (a file's rows as a reader gives them). */
  pushRows(rows: {
    start: ArrayLike<number>;
    end: ArrayLike<number>;
    line: ArrayLike<number>;
    partial: ArrayLike<number>;
  }): void {
    this.start.append(rows.start);
    this.end.append(rows.end);
    this.line.append(rows.line);
    this.partial.append(rows.partial);
    for (let i = 0; i < rows.partial.length && !this.anyPartial; i++) if (rows.partial[i]) this.anyPartial = true;
  }

  finish(): ScanReport {
    const { options } = this;
    const start = this.start.view();
    const inferred = options.intervalMs === undefined ? inferIntervalMs(start) : Number.NaN;
    const assumed = options.intervalMs === undefined && !Number.isFinite(inferred);
    const intervalMs = options.intervalMs ?? (assumed ? (options.fallbackIntervalMs ?? Number.NaN) : inferred);
    // rows that count as present, in record order: all of them, or with partialAsGap the complete totals only
    const keep = options.partialAsGap && this.anyPartial ? this.presentRows() : null;
    const present = keep ? Float64Array.from(keep, (i) => start[i]!) : start;
    const lineOf = (k: number) => this.line.values[keep ? keep[k]! : k]!;
    const range = {
      ...(options.from !== undefined ? { from: options.from } : {}),
      ...(options.to !== undefined ? { to: options.to } : {}),
    };
    const report = analyzeSeries(present, { intervalMs, ...range });
    const withLine = (d: SeriesIssue) => ({ ...d, line: lineOf(d.index) });
    return {
      ...report,
      intervalMs,
      intervalAssumed: assumed,
      rows: start.length,
      duplicates: report.duplicates.map(withLine),
      outOfOrder: report.outOfOrder.map(withLine),
      partialRuns: options.partialAsGap || !this.anyPartial ? [] : this.partialRuns(intervalMs),
    };
  }

  private presentRows(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.partial.length; i++) if (!this.partial.values[i]) out.push(i);
    return out;
  }

  /** Partial totals inside the range, in time order, as runs of adjacent intervals (a duplicated row counts once). */
  private partialRuns(intervalMs: number): IntervalRun[] {
    const { from, to } = this.options;
    const start = this.start.view();
    const rows: number[] = [];
    for (let i = 0; i < start.length; i++) if (this.partial.values[i]) rows.push(i);
    rows.sort((a, b) => start[a]! - start[b]! || a - b);
    const runs: IntervalRun[] = [];
    let previous = Number.NaN;
    for (const i of rows) {
      const s = start[i]!;
      if (s === previous || (from !== undefined && s < from) || (to !== undefined && s >= to)) continue;
      previous = s;
      const e = Number.isNaN(this.end.values[i]!) ? s + intervalMs : this.end.values[i]!;
      const last = runs[runs.length - 1];
      if (last && last.end === s) {
        last.end = e;
        last.intervals++;
      } else runs.push({ start: s, end: e, intervals: 1 });
    }
    return runs;
  }
}

/**
 * Analyse a series of interval starts in record order: duplicates (a start seen before) and rows out of
 * place, then gaps over the sorted distinct starts (an out-of-order row that fills a hole is not a gap).
 * Rows out of place are the fewest whose removal leaves the rest in time order — the complement of a longest
 * increasing run of the distinct starts — so one row moved to the top is one row, not every row up to its time.
 * Of equally long runs, the one that keeps earlier rows is taken: of two swapped rows, the later is reported.
 */
export function analyzeSeries(starts: ArrayLike<number>, options: GapOptions): SeriesReport {
  // strictly ascending (nearly always): no duplicate, nothing out of order, already sorted
  if (strictlyAscending(starts)) {
    const finder = new GapFinder(options);
    for (let i = 0; i < starts.length; i++) finder.push(starts[i]!);
    return { ...finder.finish(), duplicates: [], outOfOrder: [] };
  }
  const duplicates: SeriesIssue[] = [];
  const outOfOrder: SeriesIssue[] = [];
  const seen = new Set<number>();
  const distinct: number[] = [];
  for (let i = 0; i < starts.length; i++) {
    const t = starts[i]!;
    const previous = i > 0 ? starts[i - 1]! : Number.NaN;
    if (seen.has(t)) duplicates.push({ kind: 'duplicate', index: i, instant: t, previous });
    else distinct.push(i);
    seen.add(t);
  }
  const inPlace = inTimeOrder(starts, distinct);
  for (const i of distinct)
    if (!inPlace[i])
      outOfOrder.push({
        kind: 'out-of-order',
        index: i,
        instant: starts[i]!,
        previous: i > 0 ? starts[i - 1]! : Number.NaN,
      });
  const ordered = Float64Array.from(starts);
  if (outOfOrder.length) ordered.sort();
  const finder = new GapFinder(options);
  for (let i = 0; i < ordered.length; i++) finder.push(ordered[i]!);
  return { ...finder.finish(), duplicates, outOfOrder };
}

/**
 * 1 for the rows (of `rows`, ascending indices with distinct starts) on a longest run in time order: patience
 * sorting from the last row back (a longest decreasing run of the reversed rows), so ties keep earlier rows.
 */
function inTimeOrder(starts: ArrayLike<number>, rows: readonly number[]): Uint8Array {
  const out = new Uint8Array(starts.length);
  const tails: number[] = []; // tails[k]: the row ending (backwards) a run of k + 1 with the latest start
  const link = new Map<number, number>();
  for (let k = rows.length - 1; k >= 0; k--) {
    const i = rows[k]!;
    const t = starts[i]!;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[tails[mid]!]! > t) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) link.set(i, tails[lo - 1]!);
    tails[lo] = i;
  }
  for (let i: number | undefined = tails[tails.length - 1]; i !== undefined; i = link.get(i)) out[i] = 1;
  return out;
}

/**
 * The most common step between consecutive distinct sorted starts, or NaN when
 * the series is too short or two steps are equally common (ambiguous).
 */
export function inferIntervalMs(starts: ArrayLike<number>): number {
  const ordered = strictlyAscending(starts) ? starts : Float64Array.from(starts).sort();
  // the step seen first is counted apart (in a regular series it is nearly every step); the others in a Map
  let first = Number.NaN;
  let firstCount = 0;
  const counts = new Map<number, number>();
  for (let i = 1; i < ordered.length; i++) {
    const d = ordered[i]! - ordered[i - 1]!;
    if (!(d > 0)) continue;
    if (d === first) firstCount++;
    else if (firstCount === 0) {
      first = d;
      firstCount = 1;
    } else counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  if (firstCount > 0) counts.set(first, firstCount);
  // the most common step; ambiguous (NaN) when two steps share the highest count
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

/** Each start later than the one before (NaN anywhere: false). */
function strictlyAscending(starts: ArrayLike<number>): boolean {
  for (let i = 1; i < starts.length; i++) if (!(starts[i]! > starts[i - 1]!)) return false;
  return starts.length === 0 || !Number.isNaN(starts[0]!);
}
