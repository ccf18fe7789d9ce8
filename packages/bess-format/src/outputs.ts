/**
 * The three tables `lptool bess` writes (SPEC §7) — their columns, how a row is written, and how the report
 * reads them back. Numbers are written with core's formatDecimal and read with core's decimal grammar.
 */
import { formatDecimal, parseDecimal } from '@lptool/core';
import { type CsvTable, csvLine, findColumns, readCsvFile } from '@lptool/io';

export const DAILY_COLUMNS = [
  'date',
  'enclosure_id',
  'inverter',
  'input',
  'charged_kwh',
  'discharged_kwh',
  'covered_hours',
] as const;
export const OUTLIER_COLUMNS = ['metric', 'rank', 'enclosure_id', 'total_kwh'] as const;
export const SUMMARY_COLUMNS = [
  'enclosure_id',
  'inverter',
  'input',
  'charged_kwh',
  'discharged_kwh',
  'round_trip_ratio',
  'covered_hours',
  'period_hours',
  'low_coverage',
] as const;

/** One enclosure on one local day: `daily_energy_by_enclosure.csv`. */
export interface DailyRow {
  date: string;
  enclosure_id: string;
  inverter: string;
  input: string;
  charged_kwh: number;
  discharged_kwh: number;
  covered_hours: number;
}

/** One line of `outliers_bottom5.csv`: the rank-th lowest total of a metric. */
export interface OutlierRow {
  metric: string;
  rank: number;
  enclosure_id: string;
  total_kwh: number;
}

/** One enclosure over the period: `enclosure_summary.csv`. */
export interface SummaryRow {
  enclosure_id: string;
  inverter: string;
  input: string;
  charged_kwh: number;
  discharged_kwh: number;
  /** Discharged / charged over the period (DC round trip); NaN when nothing was charged. */
  round_trip_ratio: number;
  covered_hours: number;
  period_hours: number;
  low_coverage: boolean;
}

export const dailyHeader = () => csvLine([...DAILY_COLUMNS]);
export const dailyLine = (r: DailyRow) =>
  csvLine([
    r.date,
    r.enclosure_id,
    r.inverter,
    r.input,
    formatDecimal(r.charged_kwh),
    formatDecimal(r.discharged_kwh),
    formatDecimal(r.covered_hours),
  ]);
export const outlierHeader = () => csvLine([...OUTLIER_COLUMNS]);
export const outlierLine = (r: OutlierRow) =>
  csvLine([r.metric, String(r.rank), r.enclosure_id, formatDecimal(r.total_kwh)]);
export const summaryHeader = () => csvLine([...SUMMARY_COLUMNS]);
export const summaryLine = (r: SummaryRow) =>
  csvLine([
    r.enclosure_id,
    r.inverter,
    r.input,
    formatDecimal(r.charged_kwh),
    formatDecimal(r.discharged_kwh),
    formatDecimal(r.round_trip_ratio),
    formatDecimal(r.covered_hours),
    formatDecimal(r.period_hours),
    String(r.low_coverage),
  ]);

/** A cell as a number: a decimal as written, else null (an empty cell, a ratio left empty). */
export function numberCell(text: string | undefined): number | null {
  const d = text === undefined ? null : parseDecimal(text.trim());
  return d && Number.isFinite(d.value) ? d.value : null;
}

/** A table's cells by column name: the columns read, checked once (a missing one names the file). */
function cells<C extends string>(t: CsvTable, columns: readonly C[]): Record<C, string>[] {
  const c = findColumns(t, columns) as Record<C, number>;
  return t.rows.map((r) => Object.fromEntries(columns.map((k) => [k, r[c[k]] ?? ''])) as Record<C, string>);
}

/** What the report shows of `daily_energy_by_enclosure.csv`: numbers that are not numbers are null. */
export function readDaily(file: string, display: string) {
  const read = ['date', 'enclosure_id', 'discharged_kwh', 'covered_hours'] as const;
  return cells(readCsvFile(file, display), read).map((r) => ({
    date: r.date,
    enclosure_id: r.enclosure_id,
    discharged_kwh: numberCell(r.discharged_kwh),
    covered_hours: numberCell(r.covered_hours),
  }));
}

export function readOutliers(file: string, display: string) {
  return cells(readCsvFile(file, display), OUTLIER_COLUMNS).map((r) => ({
    metric: r.metric,
    rank: numberCell(r.rank) ?? Number.NaN,
    enclosure_id: r.enclosure_id,
    total_kwh: numberCell(r.total_kwh),
  }));
}

export function readSummary(file: string, display: string) {
  const read = SUMMARY_COLUMNS.filter((c) => c !== 'input');
  return cells(readCsvFile(file, display), read).map((r) => ({
    enclosure_id: r.enclosure_id,
    inverter: r.inverter,
    charged_kwh: numberCell(r.charged_kwh),
    discharged_kwh: numberCell(r.discharged_kwh),
    round_trip_ratio: numberCell(r.round_trip_ratio),
    covered_hours: numberCell(r.covered_hours),
    period_hours: numberCell(r.period_hours),
    low_coverage: r.low_coverage.trim() === 'true',
  }));
}

export type DailyCells = ReturnType<typeof readDaily>[number];
export type OutlierCells = ReturnType<typeof readOutliers>[number];
export type SummaryCells = ReturnType<typeof readSummary>[number];
