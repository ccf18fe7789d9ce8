import type { BadRow, Conflict } from './assembler.js';

/** What became of one meter in a build. */
export interface MeterBuild {
  name: string;
  meter: string;
  /**
   * `appended`: only new files were read and their rows added to the end; `kept`: the new profile would have
   * lacked some of the intervals of the one in lp/, which was kept (see `error`; `--allow-shrink` replaces it).
   */
  status: 'built' | 'appended' | 'up-to-date' | 'failed' | 'no-data' | 'kept';
  files: number;
  rows: number;
  first: string | null;
  last: string | null;
  conflicts: number;
  badRows: number;
  /** Local days whose interval count is not the day's length / interval (data missing or doubled). */
  incompleteDays: { date: string; intervals: number; expected: number }[];
  /** Complete DST days (92 or 100 intervals at 15 minutes): reported as such, not as errors. */
  dstDays: { date: string; intervals: number }[];
  error?: string;
  output?: string;
}

/** An archived file build could not read, with why. */
export interface BadFile {
  file: string;
  reason: string;
  message: string;
}

export interface BuildSummary {
  root: string;
  /** Where the profiles went: `lp`, or the `--out` folder of an extract (absolute). */
  outDir: string;
  meters: MeterBuild[];
  unknownMeters: { meter: string; files: string[] }[];
  badFiles: BadFile[];
  /** The first MAX_LISTED bad rows and conflicts of the run (every one is in logs/build.log). */
  badRows: BadRow[];
  conflicts: Conflict[];
  rowsRead: number;
  exitCode: 0 | 1;
}

/** How many bad rows and conflicts a summary lists (the log has them all). */
export const MAX_LISTED = 1000;

/** Add to a summary's list up to MAX_LISTED entries in all. */
export function listCapped<T>(list: T[], more: readonly T[]): void {
  const room = MAX_LISTED - list.length;
  if (room > 0) list.push(...more.slice(0, room));
}

/** A meter's result before anything is built. */
export function emptyResult(name: string, meter: string, files: number): MeterBuild {
  return {
    name,
    meter,
    status: 'built',
    files,
    rows: 0,
    first: null,
    last: null,
    conflicts: 0,
    badRows: 0,
    incompleteDays: [],
    dstDays: [],
  };
}
