/**
 * Completeness by local calendar day: the share of a day's expected intervals
 * that a profile has. A day's expected count comes from its real length in the
 * site zone, so the spring-forward day expects 92 fifteen-minute intervals and
 * the fall-back day 100: both are full when they have them. Pure: no fs.
 */

/** The part of SiteClock this needs. */
export interface DayClock {
  startOfLocalDay(instant: number): number;
  startOfNextLocalDay(instant: number): number;
  localDate(instant: number): string;
}

/** The heatmap's columns: local days (or groups of days for long ranges), left to right. */
export interface DayGrid {
  /** Local date of each column's first day. */
  dates: string[];
  /** Each column's first instant; `bounds[k + 1]` is where column k ends (length = columns + 1). */
  bounds: number[];
  /** Local days per column (1, or more when the range is longer than `maxColumns` days). */
  daysPerColumn: number;
}

/**
 * Columns over the local days that [from, to) touches. A range longer than
 * `maxColumns` days is grouped into columns of several days, so a site with
 * ten years of data still gets a heatmap a browser can draw.
 */
export function dayGrid(clock: DayClock, from: number, to: number, maxColumns = 400): DayGrid {
  const days: number[] = [];
  for (let t = clock.startOfLocalDay(from); t < to; t = clock.startOfNextLocalDay(t)) days.push(t);
  const end = days.length ? clock.startOfNextLocalDay(days[days.length - 1]!) : from;
  const per = Math.max(1, Math.ceil(days.length / maxColumns));
  const dates: string[] = [];
  const bounds: number[] = [];
  for (let k = 0; k < days.length; k += per) {
    dates.push(clock.localDate(days[k]!));
    bounds.push(days[k]!);
  }
  bounds.push(end);
  return { dates, bounds, daysPerColumn: per };
}

/** Intervals each column should hold: its real length (23, 24 or 25 hours a day) over the interval. */
export function expectedPerColumn(grid: DayGrid, intervalMs: number): number[] {
  return grid.dates.map((_, k) => Math.round((grid.bounds[k + 1]! - grid.bounds[k]!) / intervalMs));
}

/** Distinct interval starts per column (starts ascending; duplicates count once, starts outside the grid not at all). */
export function countPerColumn(starts: ArrayLike<number>, grid: DayGrid): number[] {
  const counts = new Array<number>(grid.dates.length).fill(0);
  let k = 0;
  let previous = Number.NaN;
  for (let i = 0; i < starts.length; i++) {
    const t = starts[i]!;
    if (t === previous) continue;
    previous = t;
    while (k < counts.length && t >= grid.bounds[k + 1]!) k++;
    if (k >= counts.length) break;
    if (t >= grid.bounds[k]!) counts[k]!++;
  }
  return counts;
}
