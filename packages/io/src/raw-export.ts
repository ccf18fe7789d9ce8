import {
  boundMessage,
  describeProblem,
  LptError,
  type ResolvedIntervals,
  resolveIntervals,
  type SequenceProblem,
  type SiteClock,
} from '@lptool/core';
import { type CsvTable, findColumns, parseCsvText } from './csv.js';

/** Columns every raw export must have (SPEC §2). `Record No.` and `Event Type` are optional. */
export const REQUIRED_EXPORT_COLUMNS = [
  'meter',
  'Start Time',
  'End Time',
  'kw_del',
  'kw_rec',
  'kva_del',
  'kva_rec',
] as const;
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

/**
 * Check a raw export's text (SPEC §3 step 2): parseable CSV, the required
 * columns, one meter, every row's instants resolve, each row one interval
 * long, each row's end = the next row's start. Throws ExportRejected.
 */
export function checkExport(text: string, file: string, clock: SiteClock, intervalMs: number): CheckedExport {
  let table: CsvTable;
  try {
    table = parseCsvText(text, file);
  } catch (e) {
    if (e instanceof LptError)
      throw new ExportRejected('PARSE-ERROR', e.code, e.message, [{ line: e.where.line ?? 1, message: e.message }]);
    throw e;
  }
  if (table.rows.length === 0) {
    const what = table.header.length ? 'a header but no data rows' : 'no content';
    throw new ExportRejected('EMPTY', 'LPT_EMPTY', `rows — expected at least one data row, got ${what}`, []);
  }
  let columns: Record<ExportColumn, number>;
  try {
    const required = findColumns(table, REQUIRED_EXPORT_COLUMNS);
    const lower = table.header.map((h) => h.toLowerCase());
    columns = { ...required, 'Record No.': lower.indexOf('record no.'), 'Event Type': lower.indexOf('event type') };
  } catch (e) {
    const err = e as LptError;
    throw new ExportRejected('PARSE-ERROR', err.code, err.message, [{ line: table.headerLine, message: err.message }]);
  }
  const { rows, lines } = table;
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
  if (intervals.problems.length) {
    const parseLike = intervals.problems.filter((p) => p.kind === 'bad-label' || p.kind === 'nonexistent');
    const chosen = parseLike.length ? parseLike : intervals.problems;
    const reason: RejectReason = parseLike.length ? 'PARSE-ERROR' : 'SEQUENCE-ERROR';
    const rowsOut: ExportProblemRow[] = chosen.map((p) => ({
      line: p.line,
      ...('column' in p ? { column: p.column } : {}),
      message: describeProblem(p, clock.zone),
      labels: { 'Start Time': starts[p.index]!, 'End Time': ends[p.index]! },
    }));
    const first = rowsOut[0]!;
    const more = rowsOut.length > 1 ? ` (+${rowsOut.length - 1} more)` : '';
    throw new ExportRejected(
      reason,
      parseLike.length ? 'LPT_BAD_TIME' : 'LPT_SEQUENCE_BREAK',
      `line ${first.line}: ${first.message}${more}`,
      rowsOut,
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
