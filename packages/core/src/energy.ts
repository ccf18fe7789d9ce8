import type { SiteClock } from './zone.js';

const HOUR = 3_600_000;

/** Energy of one local calendar day (SPEC §7). */
export interface DailyEnergy {
  /** Local date `YYYY-MM-DD` in the clock's zone. */
  date: string;
  /** ∫|p| dt where p < 0, kWh (for power in kW). */
  chargedKwh: number;
  /** ∫p dt where p > 0, kWh. */
  dischargedKwh: number;
  /** Time covered by integrated segments, ms. */
  coveredMs: number;
  /** Time between samples that was not integrated (hole > max gap, or a missing value), ms. */
  uncoveredMs: number;
}

export interface EnergyOptions {
  clock: SiteClock;
  /** Segments longer than this are not integrated. */
  maxGapMs: number;
}

/**
 * Push-based trapezoid integrator of power samples (kW) at instants (ms), in
 * time order. A segment between two samples is:
 * - not integrated when longer than `maxGapMs` or when either end is missing
 *   (NaN): its time is counted as uncovered;
 * - split at local midnight (linear interpolation), so each day gets its share;
 * - split where the power crosses zero, so charged and discharged energy are
 *   exact for a straight line between samples.
 * Samples at the same instant as the previous one are ignored (counted).
 */
export class EnergyIntegrator {
  private readonly days = new Map<string, DailyEnergy>();
  private lastT = Number.NaN;
  private lastP = Number.NaN;
  private dayStart = Number.NaN;
  private dayEnd = Number.NaN;
  private day: DailyEnergy | null = null;
  /** Samples ignored because they were not after the previous one. */
  ignoredSamples = 0;

  constructor(private readonly options: EnergyOptions) {}

  push(t: number, powerKw: number): void {
    if (!Number.isNaN(this.lastT) && t <= this.lastT) {
      this.ignoredSamples++;
      return;
    }
    if (!Number.isNaN(this.lastT)) {
      const t0 = this.lastT;
      const p0 = this.lastP;
      const usable = t - t0 <= this.options.maxGapMs && !Number.isNaN(p0) && !Number.isNaN(powerKw);
      this.segment(t0, p0, t, powerKw, usable);
    }
    this.lastT = t;
    this.lastP = powerKw;
  }

  /** Per-day totals, ascending by date. */
  finish(): DailyEnergy[] {
    return [...this.days.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  }

  private enterDay(t: number): void {
    if (t >= this.dayStart && t < this.dayEnd) return;
    const { clock } = this.options;
    this.dayStart = clock.startOfLocalDay(t);
    this.dayEnd = clock.startOfNextLocalDay(t);
    const date = clock.localDate(t);
    let d = this.days.get(date);
    if (!d) {
      d = { date, chargedKwh: 0, dischargedKwh: 0, coveredMs: 0, uncoveredMs: 0 };
      this.days.set(date, d);
    }
    this.day = d;
  }

  private segment(t0: number, p0: number, t1: number, p1: number, usable: boolean): void {
    // Walk day by day: [a, b] is the part of the segment inside the current local day.
    let a = t0;
    let pa = p0;
    while (a < t1) {
      this.enterDay(a);
      const b = Math.min(t1, this.dayEnd);
      const pb = b === t1 ? p1 : p0 + ((p1 - p0) * (b - t0)) / (t1 - t0);
      const d = this.day!;
      if (usable) {
        d.coveredMs += b - a;
        addTrapezoid(d, a, pa, b, pb);
      } else {
        d.uncoveredMs += b - a;
      }
      a = b;
      pa = pb;
    }
  }
}

/** Adds the energy of a straight segment to a day, split at a zero crossing. */
function addTrapezoid(d: DailyEnergy, a: number, pa: number, b: number, pb: number): void {
  if ((pa >= 0 && pb >= 0) || (pa <= 0 && pb <= 0)) {
    const kwh = ((pa + pb) / 2) * ((b - a) / HOUR);
    if (kwh > 0) d.dischargedKwh += kwh;
    else d.chargedKwh -= kwh;
    return;
  }
  // crosses zero at c: two triangles
  const c = a + ((b - a) * pa) / (pa - pb);
  const first = (pa / 2) * ((c - a) / HOUR);
  const second = (pb / 2) * ((b - c) / HOUR);
  for (const kwh of [first, second]) {
    if (kwh > 0) d.dischargedKwh += kwh;
    else d.chargedKwh -= kwh;
  }
}

/** Integrate a whole series at once (see EnergyIntegrator). */
export function integrateEnergy(
  times: ArrayLike<number>,
  powerKw: ArrayLike<number>,
  options: EnergyOptions,
): DailyEnergy[] {
  const it = new EnergyIntegrator(options);
  for (let i = 0; i < times.length; i++) it.push(times[i]!, powerKw[i]!);
  return it.finish();
}

/** Median step between consecutive samples (ms); NaN for fewer than two samples. */
export function medianStepMs(times: ArrayLike<number>): number {
  const steps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const d = times[i]! - times[i - 1]!;
    if (d > 0) steps.push(d);
  }
  if (!steps.length) return Number.NaN;
  steps.sort((x, y) => x - y);
  const mid = steps.length >> 1;
  return steps.length % 2 ? steps[mid]! : (steps[mid - 1]! + steps[mid]!) / 2;
}
