import {
  boundMessage,
  describeProblem,
  LptError,
  type ParsedLabel,
  type ParsedLabels,
  parseLabel,
  parseLabelBytes,
  parseLabelInto,
  type ResolvedIntervals,
  resolveParsedIntervals,
  type SequenceProblem,
  type SiteClock,
} from '@lptool/core';
import { findColumns } from '@lptool/io';
import { type ExportRows, FIELD, readExportRows } from './export-table.js';

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
export class CheckedExport {
  private jumps: { line: number; previous: string; got: string }[] | null = null;

  constructor(
    /** Its rows, columnar (byte ranges of the file's bytes, or text). */
    readonly rows: ExportRows,
    readonly columns: Record<ExportColumn, number>,
    readonly meter: string,
    readonly intervals: ResolvedIntervals,
  ) {}

  /** Lines where `Record No.` does not go up by one (warnings, not rejects; worked out when first asked for). */
  get recordJumps(): { line: number; previous: string; got: string }[] {
    if (this.jumps) return this.jumps;
    const jumps: { line: number; previous: string; got: string }[] = [];
    const { rows } = this;
    if (this.columns['Record No.'] >= 0) {
      let previous = rows.field(0, FIELD.record);
      for (let i = 1; i < rows.count; i++) {
        const got = rows.field(i, FIELD.record);
        const a = Number(previous);
        const b = Number(got);
        if (Number.isFinite(a) && Number.isFinite(b) && b !== a + 1)
          jumps.push({ line: rows.lines[i]!, previous, got });
        previous = got;
      }
    }
    this.jumps = jumps;
    return jumps;
  }
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
const DAY_MS = 86_400_000;

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
  return checkRows(readRows(text, file), clock, intervalMs, options);
}

/**
 * `checkExport` of a file's bytes, read as bytes: the quote-free lines (nearly all) are split, their labels,
 * meter ids and values read without a string per field; quoted lines, and any field that is not in its usual
 * spelling, are decoded and read by the same rules as text. The same result, rejects and messages as
 * `checkExport` of the decoded text (a property test holds them equal).
 */
export function decodeExport(
  bytes: Buffer,
  file: string,
  clock: SiteClock,
  intervalMs: number,
  options: CheckOptions = {},
): CheckedExport {
  return checkRows(readRows(bytes, file), clock, intervalMs, options);
}

/** The export's rows, or its CSV problem as a PARSE-ERROR. */
function readRows(content: string | Buffer, file: string): ExportRows {
  try {
    return readExportRows(content, file);
  } catch (e) {
    if (e instanceof LptError)
      throw new ExportRejected('PARSE-ERROR', e.code, e.message, [{ line: e.where.line ?? 1, message: e.message }]);
    throw e;
  }
}

function checkRows(rows: ExportRows, clock: SiteClock, intervalMs: number, options: CheckOptions): CheckedExport {
  if (rows.header.length === 0)
    throw new ExportRejected('EMPTY', 'LPT_EMPTY', 'rows — expected at least one data row, got no content', []);
  // the header first: text without the required columns (`hello`) is not an empty export but not an export at all
  const columns = exportColumns(rows);
  if (rows.count === 0)
    throw new ExportRejected(
      'EMPTY',
      'LPT_EMPTY',
      'rows — expected at least one data row, got a header but no data rows',
      [],
    );
  const meter = oneMeter(rows);
  const text = { start: (i: number) => rows.field(i, FIELD.start), end: (i: number) => rows.field(i, FIELD.end) };
  const startParsed = parseTimes(rows, FIELD.start);
  const endParsed = parseTimes(rows, FIELD.end);
  const lines = rows.lines.subarray(0, rows.count);
  const intervals = resolveParsedIntervals(startParsed, endParsed, text, { clock, intervalMs, lines });
  const outside = datesOutsideWindow(intervals, startParsed, endParsed, text, lines, clock, options.now ?? Date.now());
  if (intervals.problems.length || outside.length) throw timeRejection(intervals, outside, text, clock);
  return new CheckedExport(rows, columns, meter, intervals);
}

/** The one meter id of an export (trimmed), or a PARSE-ERROR naming the first row of another. */
function oneMeter(rows: ExportRows): string {
  const meter = rows.field(0, FIELD.meter).trim();
  if (!meter)
    throw new ExportRejected('PARSE-ERROR', 'LPT_PARSE', 'meter — expected a meter id, got an empty field', [
      { line: rows.lines[0]!, column: 'meter', message: 'empty meter id' },
    ]);
  // rows read from bytes: the same bytes as the first byte row's are the same id
  let ref = -1;
  const b = rows.bytes;
  for (let i = 1; i < rows.count; i++) {
    if (b && rows.isBytes(i)) {
      if (ref < 0 && rows.isBytes(0)) ref = 0;
      if (
        ref >= 0 &&
        sameBytes(
          b,
          rows.start(ref, FIELD.meter),
          rows.end(ref, FIELD.meter),
          rows.start(i, FIELD.meter),
          rows.end(i, FIELD.meter),
        )
      )
        continue;
    }
    const m = rows.field(i, FIELD.meter).trim();
    if (m !== meter) {
      const message = `meter — expected one meter per export (${meter}), got ${JSON.stringify(m)}`;
      throw new ExportRejected('PARSE-ERROR', 'LPT_PARSE', message, [
        { line: rows.lines[i]!, column: 'meter', message },
      ]);
    }
    if (b && rows.isBytes(i)) ref = i;
  }
  return meter;
}

function sameBytes(b: Buffer, a0: number, a1: number, b0: number, b1: number): boolean {
  if (a1 - a0 !== b1 - b0) return false;
  for (let k = 0; k < a1 - a0; k++) if (b[a0 + k] !== b[b0 + k]) return false;
  return true;
}

/** The Start or End labels of every row, parsed: from the bytes in the usual spellings, else from the text. */
function parseTimes(rows: ExportRows, k: number): ParsedLabels {
  const n = rows.count;
  const out: ParsedLabels = { wall: new Float64Array(n), offset: new Float64Array(n) };
  const scratch: ParsedLabel = { wall: 0, offsetMs: 0 };
  const b = rows.bytes;
  for (let i = 0; i < n; i++) {
    const ok =
      (b !== null && rows.isBytes(i) && parseLabelBytes(b, rows.start(i, k), rows.end(i, k), scratch)) ||
      parseLabelInto(rows.field(i, k), scratch);
    out.wall[i] = ok ? scratch.wall : Number.NaN;
    out.offset[i] = ok ? scratch.offsetMs : Number.NaN;
  }
  return out;
}

/** The reject for rows whose times are wrong: a PARSE-ERROR for unreadable, nonexistent or out-of-window times, else a SEQUENCE-ERROR. */
function timeRejection(
  intervals: ResolvedIntervals,
  outside: (ExportProblemRow & { index: number })[],
  text: { start(i: number): string; end(i: number): string },
  clock: SiteClock,
): ExportRejected {
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
    labels: { 'Start Time': text.start(p.index), 'End Time': text.end(p.index) },
  }));
  if (isParse) rowsOut.push(...outside);
  rowsOut.sort((a, b) => a.index - b.index);
  const first = rowsOut[0]!;
  const more = rowsOut.length > 1 ? ` (+${rowsOut.length - 1} more)` : '';
  return new ExportRejected(
    isParse ? 'PARSE-ERROR' : 'SEQUENCE-ERROR',
    isParse ? 'LPT_BAD_TIME' : 'LPT_SEQUENCE_BREAK',
    `line ${first.line}: ${first.message}${more}`,
    rowsOut.map(({ index: _, ...row }) => row),
    chosen,
  );
}

/**
 * The export's columns by name: every required one present, and each column lptool reads present once
 * (a second `kw_del` would make the value depend on which one is read). Otherwise a PARSE-ERROR naming them.
 */
function exportColumns(table: { header: string[]; headerLine: number }): Record<ExportColumn, number> {
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
    const required = findColumns({ ...table, file: '' }, REQUIRED_EXPORT_COLUMNS);
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
  startParsed: ParsedLabels,
  endParsed: ParsedLabels,
  text: { start(i: number): string; end(i: number): string },
  lines: ArrayLike<number>,
  clock: SiteClock,
  now: number,
): (ExportProblemRow & { index: number })[] {
  const latestWall = clock.wallOf(now + LATEST_AHEAD_MS);
  const n = intervals.start.length;
  // a continuous export's instants only rise, and its walls step back at most the hour (or so) of a fall-back:
  // when its first and last are a day inside the window, so is every row
  if (
    intervals.problems.length === 0 &&
    clock.wallOf(intervals.start[0]!) - DAY_MS >= EARLIEST_WALL &&
    clock.wallOf(intervals.end[n - 1]!) + DAY_MS <= latestWall
  )
    return [];
  const latestDay = new Date(latestWall).toISOString().slice(0, 10);
  const wallOutside = (w: number) => !Number.isNaN(w) && (w < EARLIEST_WALL || w > latestWall);
  const instantOutside = (t: number) => !Number.isNaN(t) && wallOutside(clock.wallOf(t));
  const unresolved = new Set(intervals.problems.filter((p) => p.kind !== 'break').map((p) => p.index));
  const out: (ExportProblemRow & { index: number })[] = [];
  for (let i = 0; i < n; i++) {
    const un = unresolved.has(i);
    const column = (un ? wallOutside(startParsed.wall[i]!) : instantOutside(intervals.start[i]!))
      ? 'Start Time'
      : (un ? wallOutside(endParsed.wall[i]!) : instantOutside(intervals.end[i]!))
        ? 'End Time'
        : null;
    if (!column) continue;
    const label = column === 'Start Time' ? text.start(i) : text.end(i);
    out.push({
      index: i,
      line: lines[i]!,
      column,
      message: `${column} — expected a date from 1970-01-01 to ${latestDay} (a year from now), got ${JSON.stringify(label)}`,
      labels: { 'Start Time': text.start(i), 'End Time': text.end(i) },
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
