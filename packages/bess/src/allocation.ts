/**
 * The enclosure allocation of SPEC §7 as a push engine: each inverter input's daily energy in (as core's
 * EnergyIntegrator gives it), each enclosure's share out — per day, over the period, the bottom five, the heatmap's
 * cells. Pure: no fs, no clock, no log.
 */

import type { DailyRow, OutlierRow, SummaryRow } from '@lptool/bess-format';
import { type DailyEnergy, formatDecimal, LptError } from '@lptool/core';
import type { InputAssignment } from './groups.js';

const HOUR = 3_600_000;
const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

interface Share {
  charged: number;
  discharged: number;
  coveredMs: number;
}

/** What the allocation gives: every table of the outputs, and the heatmap's cells. */
export interface Allocation {
  dates: string[];
  /** Enclosure ids, in natural order. */
  enclosures: string[];
  /** Every enclosure on every date (0 kWh where its input had no data that day). */
  daily: DailyRow[];
  totals: SummaryRow[];
  /** The five lowest totals, charged then discharged. */
  bottom: OutlierRow[];
  /** Discharged kWh (2 decimals) of each enclosure on each day with covered time; a day without any is no data. */
  cells: { row: string; column: string; value: number }[];
  /** Enclosures that covered less than the minimum share of the period. */
  low: SummaryRow[];
}

export class EnclosureAllocation {
  private readonly daily = new Map<string, Map<string, Share>>(); // date → enclosure → its share
  private readonly inputOf = new Map<string, InputAssignment>();

  /** `file`: the config, named when an enclosure turns up on two inputs. */
  constructor(private readonly file: string) {}

  /** One input's daily energy: each enclosure on it gets an even share. */
  push(a: InputAssignment, days: DailyEnergy[]): void {
    const n = a.enclosures.length;
    for (const d of days) {
      let byEnc = this.daily.get(d.date);
      if (!byEnc) {
        byEnc = new Map();
        this.daily.set(d.date, byEnc);
      }
      for (const e of a.enclosures)
        byEnc.set(e, { charged: d.chargedKwh / n, discharged: d.dischargedKwh / n, coveredMs: d.coveredMs });
    }
    for (const e of a.enclosures) {
      const other = this.inputOf.get(e);
      if (other)
        throw new LptError(
          'LPT_CONFIG',
          `grouping — expected each enclosure on one input, got ${e} on ${other.column} and ${a.column}`,
          { file: this.file },
        );
      this.inputOf.set(e, a);
    }
  }

  /** The tables over a period of `periodHours`; coverage below `minCoverage` of it is low. */
  finish(periodHours: number, minCoverage: number): Allocation {
    const dates = [...this.daily.keys()].sort();
    const enclosures = [...this.inputOf.keys()].sort(natural);
    const daily: DailyRow[] = [];
    const sums = new Map<string, Share>(enclosures.map((e) => [e, { charged: 0, discharged: 0, coveredMs: 0 }]));
    for (const date of dates) {
      const byEnc = this.daily.get(date)!;
      for (const e of enclosures) {
        const d = byEnc.get(e) ?? { charged: 0, discharged: 0, coveredMs: 0 };
        const a = this.inputOf.get(e)!;
        daily.push({
          date,
          enclosure_id: e,
          inverter: a.inverter,
          input: a.input,
          charged_kwh: d.charged,
          discharged_kwh: d.discharged,
          covered_hours: d.coveredMs / HOUR,
        });
        const t = sums.get(e)!;
        t.charged += d.charged;
        t.discharged += d.discharged;
        t.coveredMs += d.coveredMs;
      }
    }
    const totals = enclosures.map((e) => this.total(e, sums.get(e)!, periodHours, minCoverage));
    return {
      dates,
      enclosures,
      daily,
      totals,
      bottom: bottomFive(totals),
      cells: this.cells(dates, enclosures),
      low: totals.filter((r) => r.low_coverage),
    };
  }

  private total(e: string, t: Share, periodHours: number, minCoverage: number): SummaryRow {
    const a = this.inputOf.get(e)!;
    const covered = t.coveredMs / HOUR;
    return {
      enclosure_id: e,
      inverter: a.inverter,
      input: a.input,
      charged_kwh: t.charged,
      discharged_kwh: t.discharged,
      round_trip_ratio: t.charged > 0 ? t.discharged / t.charged : Number.NaN,
      covered_hours: covered,
      period_hours: periodHours,
      low_coverage: periodHours > 0 && covered < minCoverage * periodHours,
    };
  }

  /** A day without any covered time is left out (blank in the heatmap: no data), not drawn as 0 kWh. */
  private cells(dates: string[], enclosures: string[]): Allocation['cells'] {
    return dates.flatMap((date) =>
      enclosures.flatMap((e) => {
        const d = this.daily.get(date)!.get(e);
        return d && d.coveredMs > 0 ? [{ row: e, column: date, value: Math.round(d.discharged * 100) / 100 }] : [];
      }),
    );
  }
}

/** The bottom five by total charged and by total discharged energy (ties in natural order of the id). */
function bottomFive(rows: SummaryRow[]): OutlierRow[] {
  return (
    [
      ['charged', 'charged_kwh'],
      ['discharged', 'discharged_kwh'],
    ] as const
  ).flatMap(([metric, key]) =>
    [...rows]
      .sort((x, y) => x[key] - y[key] || natural(x.enclosure_id, y.enclosure_id))
      .slice(0, 5)
      .map((r, i) => ({ metric, rank: i + 1, enclosure_id: r.enclosure_id, total_kwh: r[key] })),
  );
}

/** The warning for enclosures whose coverage is low, with their share of the period (the first eight). */
export function lowCoverageWarning(low: SummaryRow[], minCoverage: number): string | null {
  if (!low.length) return null;
  return `${low.length} enclosure(s) covered less than ${Math.round(minCoverage * 100)} % of the period: ${low
    .slice(0, 8)
    .map((r) => `${r.enclosure_id} (${formatDecimal(r.covered_hours / Math.max(r.period_hours, 1e-9), 2)})`)
    .join(', ')}${low.length > 8 ? ' …' : ''}`;
}
