import {
  boundMessage,
  describeProblem,
  LptError,
  parseLabel,
  type ResolvedIntervals,
  resolveIntervals,
  type SequenceProblem,
  type SiteClock,
} from '@lptool/core';
import { type CsvTable, findColumns, parseCsvText } from '@lptool/io';

/** An export's readings (SPEC §2): average kW and kVA delivered and received over the interval, in this order. */
export const READING_COLUMNS = ['kw_del', 'kw_rec', 'kva_del', 'kva_rec'] as const;
export type ReadingColumn = (typeof READING_COLUMNS)[number];

/** Columns every raw export must have (SPEC §2). `Record No.` and `Event Type` are optional. */
export const REQUIRED_EXPORT_COLUMNS = ['meter', 'Start Time', 'End Time', ...READING_COLUMNS] as const;
export type ExportColumn = (typeof REQUIRED_EXPORT_COLUMNS)[number] | 'Record No.' | 'Event Type';

/** Why a file is rejected: the ERROR folder's reason codes (SPEC §3). */
export type RejectReason = 'PARSE-ERROR' | 'SEQUENCE-ERROR' | 'EMPTY';

export interface ExportProblemRow {
  line: number;
  column?: string;
  message: string;
  labels?: Record<string, string>;
}

/** A raw export whose content was checked: one meter, every instant resolved, continuous. */
export interface CheckedExport {
  table: CsvTable;
  columns: Record<ExportColumn, number>;
  meter: string;
  intervals: ResolvedIntervals;
  /** Lines where `Record No.` does not go up by one (warnings, not rejects). */
  recordJumps: { line: number; previous: string; got: string }[];
}

/** A reject with everything its JSON sidecar and the error log need. */
export class ExportRejected extends Error {
  constructor(
    readonly reason: RejectReason,
    readonly code: LptError['code'],
    message: string,
    readonly rows: ExportProblemRow[],
    /** Problem kinds, for the summary. */
    readonly problems: SequenceProblem[] = [],
  ) {
    super(boundMessage(message)); // (as LptError does: "got" values escaped and cut)
    this.rows = rows.map((r) => ({ ...r, message: boundMessage(r.message) }));
  }
}

/** The columns lptool reads from an export: each may appear once. */
const EXPORT_COLUMNS: readonly ExportColumn[] = [...REQUIRED_EXPORT_COLUMNS, 'Record No.', 'Event Type'];

/** The first interval a real export can hold: 1970-01-01 00:00 local (anything earlier is a mis-typed year). */
const EARLIEST_WALL = Date.UTC(1970, 0, 1);
/** How far past now an export's times may reach: one year (a meter clock or a year typed wrong, beyond that). */
const LATEST_AHEAD_MS = 366 * 86_400_000;

export interface CheckOptions {
  /** "Now", for the latest date an export may hold (default: the clock). */
  now?: number;
}

/**
 * Check a raw export's text (SPEC §3 step 2): parseable CSV, the required
 * columns (each once), one meter, every row's instants resolve to a date from
 * 1970 to a year from now, each row one interval long, each row's end = the
 * next row's start. Throws ExportRejected.
 */
export function checkExport(
  text: string,
  file: string,
  clock: SiteClock,
  intervalMs: number,
  options: CheckOptions = {},
): CheckedExport {
  let table: CsvTable;
  try {
    table = parseCsvText(text, file);
  } catch (e) {
    if (e instanceof LptError)
      throw new ExportRejected('PARSE-ERROR', e.code, e.message, [{ line: e.where.line ?? 1, message: e.message }]);
    throw e;
  }
  if (table.header.length === 0)
    throw new ExportRejected('EMPTY', 'LPT_EMPTY', 'rows — expected at least one data row, got no content', []);
  // the header first: text without the required columns (`hello`) is not an empty export but not an export at all
  const columns = exportColumns(table);
  const { rows, lines } = table;
  if (rows.length === 0)
    throw new ExportRejected(
      'EMPTY',
      'LPT_EMPTY',
      'rows — expected at least one data row, got a header but no data rows',
      [],
    );
  const meter = rows[0]![columns.meter]!.trim();
  if (!meter)
    throw new ExportRejected('PARSE-ERROR', 'LPT_PARSE', 'meter — expected a meter id, got an empty field', [
      { line: lines[0]!, column: 'meter', message: 'empty meter id' },
    ]);
  for (let i = 1; i < rows.length; i++) {
    const m = rows[i]![columns.meter]!.trim();
    if (m !== meter) {
      const message = `meter — expected one meter per export (${meter}), got ${JSON.stringify(m)}`;
      throw new ExportRejected('PARSE-ERROR', 'LPT_PARSE', message, [{ line: lines[i]!, column: 'meter', message }]);
    }
  }
  const starts = rows.map((r) => r[columns['Start Time']]!);
  const ends = rows.map((r) => r[columns['End Time']]!);
  const intervals = resolveIntervals(starts, ends, { clock, intervalMs, lines });
  const outside = datesOutsideWindow(intervals, starts, ends, lines, clock, options.now ?? Date.now());
  if (intervals.problems.length || outside.length) {
    const out = new Set(outside.map((r) => r.index));
    const parseLike = intervals.problems.filter(
      (p) => (p.kind === 'bad-label' || p.kind === 'nonexistent') && !out.has(p.index),
    );
    const isParse = parseLike.length > 0 || outside.length > 0;
    const chosen = isParse ? parseLike : intervals.problems;
    const rowsOut: (ExportProblemRow & { index: number })[] = chosen.map((p) => ({
      index: p.index,
      line: p.line,
      ...('column' in p ? { column: p.column } : {}),
      message: describeProblem(p, clock.zone),
      labels: { 'Start Time': starts[p.index]!, 'End Time': ends[p.index]! },
    }));
    if (isParse) rowsOut.push(...outside);
    rowsOut.sort((a, b) => a.index - b.index);
    const first = rowsOut[0]!;
    const more = rowsOut.length > 1 ? ` (+${rowsOut.length - 1} more)` : '';
    throw new ExportRejected(
      isParse ? 'PARSE-ERROR' : 'SEQUENCE-ERROR',
      isParse ? 'LPT_BAD_TIME' : 'LPT_SEQUENCE_BREAK',
      `line ${first.line}: ${first.message}${more}`,
      rowsOut.map(({ index: _, ...row }) => row),
      chosen,
    );
  }
  const recordJumps: CheckedExport['recordJumps'] = [];
  const rc = columns['Record No.'];
  if (rc >= 0) {
    for (let i = 1; i < rows.length; i++) {
      const a = Number(rows[i - 1]![rc]);
      const b = Number(rows[i]![rc]);
      if (Number.isFinite(a) && Number.isFinite(b) && b !== a + 1)
        recordJumps.push({ line: lines[i]!, previous: rows[i - 1]![rc]!, got: rows[i]![rc]! });
    }
  }
  return { table, columns, meter, intervals, recordJumps };
}

/**
 * The export's columns by name: every required one present, and each column lptool reads present once
 * (a second `kw_del` would make the value depend on which one is read). Otherwise a PARSE-ERROR naming them.
 */
function exportColumns(table: CsvTable): Record<ExportColumn, number> {
  const lower = table.header.map((h) => h.trim().toLowerCase());
  for (const name of EXPORT_COLUMNS) {
    const at = lower.flatMap((h, i) => (h === name.toLowerCase() ? [i] : []));
    if (at.length > 1) {
      const both = at.map((i) => `${JSON.stringify(table.header[i])} (column ${i + 1})`).join(' and ');
      const message = `header — expected each column once, got ${name} ${at.length} times: ${both}`;
      throw new ExportRejected('PARSE-ERROR', 'LPT_PARSE', message, [
        { line: table.headerLine, column: name, message },
      ]);
    }
  }
  try {
    const required = findColumns(table, REQUIRED_EXPORT_COLUMNS);
    return { ...required, 'Record No.': lower.indexOf('record no.'), 'Event Type': lower.indexOf('event type') };
  } catch (e) {
    const err = e as LptError;
    throw new ExportRejected('PARSE-ERROR', err.code, err.message, [{ line: table.headerLine, message: err.message }]);
  }
}

/**
 * Rows whose times are before 1970 or more than a year after `now`: a year typed wrong (`0024`, `1924`)
 * or a meter clock gone astray, never data to file by its month. Read from the resolved instants, and
 * from the labels of rows that did not resolve (a year-24 label has no instant in most zones). Each
 * names its column.
 */
function datesOutsideWindow(
  intervals: ResolvedIntervals,
  starts: string[],
  ends: string[],
  lines: number[],
  clock: SiteClock,
  now: number,
): (ExportProblemRow & { index: number })[] {
  const latestWall = clock.wallOf(now + LATEST_AHEAD_MS);
  const latestDay = new Date(latestWall).toISOString().slice(0, 10);
  const wallOutside = (w: number | undefined) => w !== undefined && (w < EARLIEST_WALL || w > latestWall);
  const labelOutside = (label: string) => wallOutside(parseLabel(label)?.wall);
  const instantOutside = (t: number) => !Number.isNaN(t) && wallOutside(clock.wallOf(t));
  const unresolved = new Set(intervals.problems.filter((p) => p.kind !== 'break').map((p) => p.index));
  const out: (ExportProblemRow & { index: number })[] = [];
  for (let i = 0; i < starts.length; i++) {
    const check = unresolved.has(i) ? (_t: number, label: string) => labelOutside(label) : instantOutside;
    const column = check(intervals.start[i]!, starts[i]!)
      ? 'Start Time'
      : check(intervals.end[i]!, ends[i]!)
        ? 'End Time'
        : null;
    if (!column) continue;
    const label = column === 'Start Time' ? starts[i]! : ends[i]!;
    out.push({
      index: i,
      line: lines[i]!,
      column,
      message: `${column} — expected a date from 1970-01-01 to ${latestDay} (a year from now), got ${JSON.stringify(label)}`,
      labels: { 'Start Time': starts[i]!, 'End Time': ends[i]! },
    });
  }
  return out;
}

/**
 * The earliest instant an export's first Start Time label can mean — for reading exports in the order of their
 * first intervals before reading them whole: an offset label's own instant, a naive one's first reading in the
 * site zone (a label in the skipped spring hour: the hour before it), −∞ for what is not a label (read first).
 */
export function earliestStart(label: string, clock: SiteClock): number {
  const p = parseLabel(label);
  if (!p) return Number.NEGATIVE_INFINITY;
  if (!Number.isNaN(p.offsetMs)) return p.wall - p.offsetMs;
  const c = clock.candidates(p.wall);
  return c.length ? c[0]! : p.wall - clock.standardOffset(p.wall) - 3_600_000;
}
