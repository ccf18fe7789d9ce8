/**
 * `lptool bess` outputs (as CSV tables read by io) → the report's BESS
 * section: the enclosure × day heatmap, the bottom-5 table and the DC
 * round-trip ratios. Pure: no fs.
 */
import { type CsvTable, findColumns } from '@lptool/io';
import type { BessSection } from './model.js';

const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
const num = (text: string | undefined) => {
  const x = text === undefined || text.trim() === '' ? Number.NaN : Number(text);
  return Number.isFinite(x) ? x : null;
};

export interface BessTables {
  config: string;
  zone: string;
  dir: string;
  daily: CsvTable;
  outliers: CsvTable | null;
  summary: CsvTable | null;
}

/** Daily energy → heatmap cells; a row with no covered hours is no data (blank), not 0 kWh. */
function heatmap(daily: CsvTable): Pick<BessSection, 'enclosures' | 'dates' | 'cells'> {
  const c = findColumns(daily, ['date', 'enclosure_id', 'discharged_kwh', 'covered_hours']);
  const enclosures = [...new Set(daily.rows.map((r) => r[c.enclosure_id]!))].sort(natural);
  const dates = [...new Set(daily.rows.map((r) => r[c.date]!))].sort();
  const ei = new Map(enclosures.map((e, i) => [e, i]));
  const di = new Map(dates.map((d, i) => [d, i]));
  const cells: [number, number, number][] = [];
  for (const r of daily.rows) {
    const kwh = num(r[c.discharged_kwh]);
    if (kwh === null || !((num(r[c.covered_hours]) ?? 0) > 0)) continue;
    cells.push([ei.get(r[c.enclosure_id]!)!, di.get(r[c.date]!)!, Math.round(kwh * 100) / 100]);
  }
  return { enclosures, dates, cells };
}

function bottom(outliers: CsvTable | null): BessSection['bottom'] {
  if (!outliers) return [];
  const c = findColumns(outliers, ['metric', 'rank', 'enclosure_id', 'total_kwh']);
  return outliers.rows.map((r) => ({
    metric: r[c.metric]!,
    rank: Number(r[c.rank]),
    enclosure: r[c.enclosure_id]!,
    kwh: num(r[c.total_kwh]) ?? Number.NaN,
  }));
}

function ratios(summary: CsvTable | null): BessSection['ratios'] {
  if (!summary) return [];
  const c = findColumns(summary, [
    'enclosure_id',
    'inverter',
    'charged_kwh',
    'discharged_kwh',
    'round_trip_ratio',
    'covered_hours',
    'period_hours',
    'low_coverage',
  ]);
  return summary.rows
    .map((r) => {
      const covered = num(r[c.covered_hours]);
      const period = num(r[c.period_hours]);
      return {
        enclosure: r[c.enclosure_id]!,
        inverter: r[c.inverter]!,
        charged: num(r[c.charged_kwh]) ?? Number.NaN,
        discharged: num(r[c.discharged_kwh]) ?? Number.NaN,
        ratio: num(r[c.round_trip_ratio]),
        coverage: covered !== null && period ? covered / period : null,
        low: r[c.low_coverage]!.trim() === 'true',
      };
    })
    .sort((a, b) => natural(a.enclosure, b.enclosure));
}

export function bessSection(t: BessTables): BessSection {
  const h = heatmap(t.daily);
  return {
    config: t.config,
    zone: t.zone,
    dir: t.dir,
    from: h.dates[0] ?? '',
    to: h.dates[h.dates.length - 1] ?? '',
    ...h,
    bottom: bottom(t.outliers),
    ratios: ratios(t.summary),
  };
}
