/**
 * The data a report page is made of: `data/site.js` sets `window.LPTOOL_REPORT`
 * to a `SiteData`, and each `data/series/<name>.js` hands a `SeriesFile` to
 * `window.LPTOOL_REPORT_SERIES` when the page asks for that profile. Times are
 * epoch ms (instants) unless named wall (the site's wall clock read as UTC).
 */
import type { PeriodStats } from '@lptool/core';
import type { TopLevelSpec } from 'vega-lite';
import type { EncodedSeries } from './encode.js';
import type { ConflictRow, Duplicate, Reject, SortRun } from './outcomes.js';

export interface GapRow {
  gap_start: string;
  gap_end: string;
  gap_duration: string;
  missing_intervals: number;
  misaligned: boolean;
  /** Wall ms of the hole (to zoom the detail to it). */
  s: number;
  e: number;
}

/** One profile's line in the meters table, its gap list and stats. */
export interface ProfileEntry {
  name: string;
  kind: 'meter' | 'total';
  /** Meter id from meter-data.csv (null for the total, or a profile not listed there). */
  meter: string | null;
  /** Site-relative path, lp/<name>.csv. */
  file: string;
  rows: number;
  /** First start and last end, ISO local with offset. */
  first: string | null;
  last: string | null;
  intervalMs: number;
  /** The interval could not be inferred from the data; the site's was used. */
  intervalAssumed: boolean;
  /** Distinct intervals present / expected over the report's days (the heatmap's range). */
  present: number;
  expected: number;
  gapCount: number;
  missingIntervals: number;
  /** The first gaps (all of them up to a cap: gapCount says how many there are). */
  gaps: GapRow[];
  duplicates: number;
  outOfOrder: number;
  /** System total only: intervals with fewer feeders reporting than expected. */
  partial: number;
  stats: PeriodStats | null;
  /** Heatmap row: intervals present per column (meters only). */
  perColumn: number[] | null;
  /** Expected per column when this profile's interval differs from the site's (else the heatmap's). */
  expectedPerColumn: number[] | null;
  /** The series file of this profile, relative to index.html. */
  series: string;
}

export interface PartialRun {
  start: string;
  end: string;
  intervals: number;
  /** Feeders that lack at least one interval of the run. */
  missingFeeders: string[];
  s: number;
  e: number;
}

export interface CoincidentRow {
  name: string;
  /** MW_net in the system's peak interval, null when the feeder has no row there. */
  mw: number | null;
  /** mw / the system total. */
  share: number | null;
}

export interface TotalSection {
  name: string;
  partialRuns: PartialRun[];
  partialRunsTotal: number;
  peak: { at: string; mw: number; feeders: CoincidentRow[] } | null;
}

export interface BessSection {
  config: string;
  zone: string;
  dir: string;
  from: string;
  to: string;
  enclosures: string[];
  dates: string[];
  /** [enclosure index, date index, discharged kWh] for each covered day. */
  cells: [number, number, number][];
  bottom: { metric: string; rank: number; enclosure: string; kwh: number }[];
  ratios: {
    enclosure: string;
    inverter: string;
    charged: number;
    discharged: number;
    ratio: number | null;
    coverage: number | null;
    low: boolean;
  }[];
}

export interface ChartDecl {
  id: string;
  renderer: 'svg' | 'canvas';
  spec: TopLevelSpec;
}

export interface SiteData {
  generator: string;
  /** Changes with every report run; a series file of another run is refused. */
  gen: string;
  generatedAt: string;
  site: { name: string; zone: string; clock: string; intervalMs: number };
  /** [instant from which it holds, offset ms]: instants → wall clock for drawing. */
  offsets: [number, number][];
  range: { first: string | null; last: string | null };
  profiles: ProfileEntry[];
  /** Listed in meter-data.csv, no lp/<name>.csv. */
  missingProfiles: string[];
  /** CSVs in lp/ that are not meters of meter-data.csv (not in the report). */
  otherProfiles: string[];
  /** Profiles that could not be read: file and the error line. */
  unreadable: { file: string; error: string }[];
  heatmap: {
    dates: string[];
    /** Wall ms of each column's start; one more than dates (the end of the last). */
    wall: number[];
    expected: number[];
    daysPerColumn: number;
    /** Meter names, least complete first. */
    rows: string[];
  };
  sort: {
    lastRun: SortRun | null;
    rejects: Reject[];
    rejectsTotal: number;
    duplicates: Duplicate[];
    duplicatesTotal: number;
  };
  /** Standing conflicts, with the meter's name and the interval in wall ms. */
  conflicts: { rows: (ConflictRow & { name: string; s: number; e: number })[]; total: number };
  total: TotalSection | null;
  bess: BessSection | null;
  notes: string[];
  charts: ChartDecl[];
}

export interface SeriesFile {
  name: string;
  gen: string;
  series: EncodedSeries;
  chart: ChartDecl;
}
