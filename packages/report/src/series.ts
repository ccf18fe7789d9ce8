/**
 * A profile as the report draws and checks it: distinct starts in time order,
 * its gap report (the same engine and interval inference as `lptool gaps`),
 * LTTB points for the overview, and the runs of partial totals. Pure: no fs.
 */
import {
  asTimeOrdered,
  GapScanner,
  lowerBound,
  lttb,
  mwOf,
  type PeriodSeries,
  type ScanReport,
  type TimeOrdered,
} from '@lptool/core';
import type { Profile } from '@lptool/profiles';

export interface OrderedSeries {
  /** Distinct starts, ascending (a duplicated start keeps its first row). */
  starts: TimeOrdered;
  /** MW, drawn. */
  values: Float64Array;
  /** 1 where the total had fewer feeders reporting than expected. */
  partial: Uint8Array;
}

/** The column a profile is about (MW_total for the system total, else MW_net), in millionths as read. */
export function drawnColumn(p: Profile): Float64Array {
  return p.columns.get('MW_total') ?? p.columns.get('MW_net')!;
}

/** Row indices of distinct starts, a duplicated start keeping its first row; null when each start is there once. */
function timeOrder(start: TimeOrdered): number[] | null {
  let ordered = true;
  for (let i = 1; i < start.length && ordered; i++) if (!(start[i]! > start[i - 1]!)) ordered = false;
  if (ordered) return null;
  const order = Array.from(start, (_, i) => i).sort((a, b) => start[a]! - start[b]! || a - b);
  return order.filter((i, k) => k === 0 || start[i]! !== start[order[k - 1]!]!);
}

/** Distinct starts in time order with their values, whatever the file's row order. */
export function orderSeries(p: Profile): OrderedSeries {
  const values = drawnColumn(p).map(mwOf);
  const keep = timeOrder(p.start);
  if (!keep) return { starts: p.start, values, partial: p.partial };
  return {
    starts: asTimeOrdered(Float64Array.from(keep, (i) => p.start[i]!)),
    values: Float64Array.from(keep, (i) => values[i]!),
    partial: Uint8Array.from(keep, (i) => p.partial[i]!),
  };
}

/** The profile as the period figures take it: each start once (its first row), values in millionths. */
export function periodSeries(p: Profile): PeriodSeries {
  const keep = timeOrder(p.start);
  const pick = (a: Float64Array | undefined) => (a && keep ? Float64Array.from(keep, (i) => a[i]!) : a);
  return {
    name: p.name,
    start: keep ? asTimeOrdered(pick(p.start)!) : p.start,
    mw: pick(drawnColumn(p))!,
    del: pick(p.columns.get('MW_del')),
    rec: pick(p.columns.get('MW_rec')),
    partial: keep ? Uint8Array.from(keep, (i) => p.partial[i]!) : p.partial,
    intervalMs: p.intervalMs,
  };
}

export interface ProfileCheck {
  intervalMs: number;
  /** The interval could not be inferred (too few rows or a tie); the site interval was used. */
  intervalAssumed: boolean;
  report: ScanReport;
}

/**
 * Gaps, duplicates and out-of-order rows of a profile in record order, exactly
 * as `lptool gaps` finds them: the interval is the most common step (the site's
 * when that is ambiguous, where `gaps` would stop and ask for --interval).
 */
export function checkProfile(p: Profile, siteIntervalMs: number): ProfileCheck {
  const scanner = new GapScanner({ fallbackIntervalMs: siteIntervalMs });
  // the profile's rows as the file has them (a profile, once read, is in time order: its file order is in `record`)
  const n = p.record.start.length;
  scanner.pushRows({
    start: p.record.start,
    end: new Float64Array(n).fill(Number.NaN),
    line: p.record.lines,
    partial: new Uint8Array(n),
  });
  const report = scanner.finish();
  return { intervalMs: report.intervalMs, intervalAssumed: report.intervalAssumed, report };
}

/**
 * Overview points: LTTB over the series with a NaN at every hole, so the drawn
 * line breaks at gaps and LTTB never bridges them (core's lttb keeps the breaks).
 */
export function overviewPoints(
  s: OrderedSeries,
  intervalMs: number,
  maxPoints: number,
): { x: Float64Array; y: Float64Array } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < s.starts.length; i++) {
    if (i > 0 && s.starts[i]! > s.starts[i - 1]! + intervalMs) {
      xs.push(s.starts[i - 1]! + intervalMs);
      ys.push(Number.NaN);
    }
    xs.push(s.starts[i]!);
    ys.push(s.values[i]!);
  }
  return lttb(xs, ys, maxPoints);
}

export interface Run {
  /** First start and the end of the last interval of the run (ms). */
  start: number;
  end: number;
  intervals: number;
}

/** Consecutive flagged intervals (partial totals) as runs; a hole in the series ends a run. */
export function flaggedRuns(s: OrderedSeries, intervalMs: number): Run[] {
  const runs: Run[] = [];
  for (let i = 0; i < s.starts.length; i++) {
    if (!s.partial[i]) continue;
    const t = s.starts[i]!;
    const last = runs[runs.length - 1];
    if (last && last.end === t) {
      last.end = t + intervalMs;
      last.intervals++;
    } else runs.push({ start: t, end: t + intervalMs, intervals: 1 });
  }
  return runs;
}

export { lowerBound }; // (core's: it takes only time-ordered starts)

/** Feeders that lack at least one interval of [start, end) (each feeder's starts ascending and distinct). */
export function feedersMissingIn(
  feeders: { name: string; starts: TimeOrdered }[],
  run: Run,
  intervalMs: number,
): string[] {
  const want = Math.round((run.end - run.start) / intervalMs);
  return feeders
    .filter((f) => lowerBound(f.starts, run.end) - lowerBound(f.starts, run.start) < want)
    .map((f) => f.name);
}
