/**
 * `lptool bess` outputs (as bess-format reads them) → the report's BESS section: the enclosure × day heatmap,
 * the bottom-5 table and the DC round-trip ratios. Pure: no fs.
 */
import type { DailyCells, OutlierCells, SummaryCells } from '@lptool/bess-format';
import type { BessSection } from './model.js';

const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

export interface BessTables {
  config: string;
  zone: string;
  dir: string;
  daily: DailyCells[];
  outliers: OutlierCells[] | null;
  summary: SummaryCells[] | null;
}

/** Daily energy → heatmap cells; a row with no covered hours is no data (blank), not 0 kWh. */
function heatmap(daily: DailyCells[]): Pick<BessSection, 'enclosures' | 'dates' | 'cells'> {
  const enclosures = [...new Set(daily.map((r) => r.enclosure_id))].sort(natural);
  const dates = [...new Set(daily.map((r) => r.date))].sort();
  const ei = new Map(enclosures.map((e, i) => [e, i]));
  const di = new Map(dates.map((d, i) => [d, i]));
  const cells: [number, number, number][] = [];
  for (const r of daily) {
    const kwh = r.discharged_kwh;
    if (kwh === null || !((r.covered_hours ?? 0) > 0)) continue;
    cells.push([ei.get(r.enclosure_id)!, di.get(r.date)!, Math.round(kwh * 100) / 100]);
  }
  return { enclosures, dates, cells };
}

function bottom(outliers: OutlierCells[] | null): BessSection['bottom'] {
  return (outliers ?? []).map((r) => ({
    metric: r.metric,
    rank: r.rank,
    enclosure: r.enclosure_id,
    kwh: r.total_kwh ?? Number.NaN,
  }));
}

function ratios(summary: SummaryCells[] | null): BessSection['ratios'] {
  return (summary ?? [])
    .map((r) => ({
      enclosure: r.enclosure_id,
      inverter: r.inverter,
      charged: r.charged_kwh ?? Number.NaN,
      discharged: r.discharged_kwh ?? Number.NaN,
      ratio: r.round_trip_ratio,
      coverage: r.covered_hours !== null && r.period_hours ? r.covered_hours / r.period_hours : null,
      low: r.low_coverage,
    }))
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
