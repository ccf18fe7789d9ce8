import fs from 'node:fs';
import path from 'node:path';
import {
  asTimeOrdered,
  decimalProblem,
  emptyDecimal,
  formatMicros,
  LptError,
  MAX_EXACT,
  microsOfDecimal,
  permute,
  resolveStartInstants,
  type SiteClock,
  type TimeOrdered,
  timeOrder,
} from '@lptool/core';
import { type CsvHead, peekCsv, readCsvColumns } from '@lptool/io';
import { POWER_COLUMNS, type PowerColumn } from './columns.js';
import { readColumnCache } from './sidecar.js';

/**
 * A load profile's instants and power columns, as merge, gaps and stats read it:
 * always in time order, whatever the order of the file's rows (`start` is
 * `TimeOrdered` by type; rows with equal starts keep their file order). The file's
 * own row order is kept apart, in `record`, for the duplicate and out-of-order report.
 */
export interface Profile {
  file: string;
  name: string;
  /** Interval starts, ascending. Every other per-row array is in this order too. */
  start: TimeOrdered;
  /** NaN where the file has no End Time column. */
  end: Float64Array;
  /** The most common End − Start (NaN without End Time). */
  intervalMs: number;
  /** Power columns, in the same (time) order: MW/MVA (doubles), or with `exact` integer millionths. */
  columns: Map<PowerColumn, Float64Array>;
  /** Whether `columns` hold integer millionths (the `exact` option); else MW/MVA. */
  exact?: boolean;
  /** all.csv: 1 where feeders_reporting < feeders_expected. */
  partial: Uint8Array;
  /** all.csv: the largest feeders_expected (how many feeders make up the total); null for a feeder profile. */
  feedersExpected: number | null;
  /** File line of each row. */
  lines: number[];
  /** The rows as the file has them (the same arrays when the file is in time order). */
  record: { start: Float64Array; lines: number[]; partial: Uint8Array };
  /** The columns asked for with `text`, as the file spells them, in the same (time) order. */
  text?: Map<string, string[]>;
  /** Rows whose interval start the file has more than once (see `ReadProfileOptions.conflicts`). */
  duplicates: Duplicates;
}

/**
 * Rows of one interval start: identical ones (every column the file has, compared as exact values) are taken
 * once — `collapsed` counts the rows dropped — whatever the file's order. Rows of one start that differ are a
 * conflict: no result may depend on which of them comes first in the file.
 */
export interface Duplicates {
  /** Rows dropped because an identical row of the same interval start came first. */
  collapsed: number;
  /** The lines of one such pair (the first kept, the other dropped), for the note. */
  example: [number, number] | null;
  /** Intervals with rows that differ: the first row (kept, only when conflicts are listed) and one that differs. */
  conflicts: DuplicateConflict[];
}

export interface DuplicateConflict {
  start: number;
  lines: [number, number];
  /** The first column (in the file's column order) where the two rows differ, and its two values. */
  column: string;
  values: [string, string];
}

export interface ReadProfileOptions {
  /** Power columns to read (default: every one the file has). */
  columns?: readonly PowerColumn[];
  /** Interval used to place naive labels that start inside the repeated DST hour. */
  intervalHint?: number;
  /** Further columns to return unparsed, as text (e.g. `meter`, `Event Type`, or `Start Time`'s labels). */
  text?: readonly string[];
  /**
   * Power columns as the exact values written, in integer millionths (a value with more than 6 decimals rounded
   * half-up; one beyond ±MAX_EXACT millionths is an error naming its cell) — for sums that must be exact.
   */
  exact?: boolean;
  /**
   * Rows of one interval start that differ: an error (LPT_PARSE naming the file and both lines), the default for
   * every command that computes numbers; `list` keeps the first in the file and lists them in `duplicates` — for
   * `gaps`, whose job is to report them.
   */
  conflicts?: 'error' | 'list';
}

/** The most common interval length; ties go to the longer. */
function commonLength(start: Float64Array, end: Float64Array): number {
  const lengths = new Map<number, number>();
  for (let i = 0; i < start.length; i++) {
    const d = end[i]! - start[i]!;
    if (!Number.isNaN(d)) lengths.set(d, (lengths.get(d) ?? 0) + 1);
  }
  let best = 0;
  let length = Number.NaN;
  for (const [d, k] of lengths) {
    if (k > best || (k === best && d > length)) {
      best = k;
      length = d;
    }
  }
  return length;
}

/**
 * The header of a profile file (read by the CSV core's head peek), with clear errors for what is not a
 * text file with a header: no file, a folder, binary content, nothing in it. Each is exit 2, as is a header
 * without Start Time and MW_net: the file named is no profile at all (the wrong input, nothing done), while a
 * profile with a bad row is data found wrong (LPT_PARSE, exit 1).
 */
function readHeader(file: string, display: string): { header: string[]; text: string; line: number } {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LptError(
      'LPT_INPUT_MISSING',
      `file — expected a profile CSV, got ${code === 'ENOENT' ? 'no file at this path' : `an unreadable path (${code})`}`,
      { file: display },
    );
  }
  if (!st.isFile())
    throw new LptError(
      'LPT_USAGE',
      `file — expected a profile CSV file, got ${st.isDirectory() ? 'a directory (give the profiles in it, e.g. lp/*.csv)' : 'something that is not a regular file'}`,
      { file: display },
    );
  const buf = Buffer.alloc(Math.min(8192, st.size));
  let head: CsvHead;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, buf, 0, buf.length, 0);
    } finally {
      fs.closeSync(fd);
    }
    if (isBinary(buf)) {
      const bytes = [...buf.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new LptError(
        'LPT_USAGE',
        `content — expected a profile CSV (text), got binary data (first bytes ${bytes})`,
        {
          file: display,
        },
      );
    }
    head = peekCsv(file, display);
  } catch (e) {
    if (e instanceof LptError) throw e;
    throw new LptError('LPT_INPUT_MISSING', `file — expected a readable profile CSV, got ${(e as Error).message}`, {
      file: display,
    });
  }
  if (!head.header)
    throw new LptError(
      'LPT_USAGE',
      'content — expected a profile with a Start Time and MW_net header, got an empty file',
      {
        file: display,
      },
    );
  return { header: head.header, text: head.headerText, line: head.headerLine };
}

/** NUL bytes, or bytes that are not UTF-8 (a cut multi-byte character at the end of the sample is fine). */
function isBinary(buf: Buffer): boolean {
  if (buf.includes(0)) return true;
  for (let cut = 0; cut < 4 && cut < buf.length; cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, buf.length - cut));
      return false;
    } catch {
      /* maybe a character cut at the end: try a byte shorter */
    }
  }
  return buf.length > 0;
}

/** The profile's columns in file order, from the binary sidecar when it is fresh, else cut from the text. */
interface RowsInFileOrder {
  start: Float64Array;
  end: Float64Array;
  columns: Map<PowerColumn, Float64Array>;
  reporting: Float64Array | null;
  expected: Float64Array | null;
  lines: number[];
  text: Map<string, string[]>;
}

/** A power column's text → MW (doubles), or exact millionths; a cell that is not a decimal number is an error. */
export function powerColumn(
  raw: readonly string[],
  column: string,
  lines: readonly number[],
  file: string,
  exact: boolean,
): Float64Array {
  const d = emptyDecimal();
  return Float64Array.from(raw, (text, i) => {
    const t = text.trim();
    const problem = decimalProblem(t, d);
    const m = problem || !exact ? 0 : microsOfDecimal(d);
    if (problem || Number.isNaN(m))
      throw new LptError(
        'LPT_PARSE',
        `${column} — expected ${problem ?? `a value within ±${formatMicros(MAX_EXACT)} (the range kept exact)`}, got ${JSON.stringify(t)}`,
        { file, line: lines[i]!, column },
      );
    return exact ? m : d.value;
  });
}

function readRows(
  file: string,
  display: string,
  clock: SiteClock,
  header: { wanted: PowerColumn[]; feeders: boolean; hasEnd: boolean; text: readonly string[] },
  intervalHint: number,
  exact: boolean,
): RowsInFileOrder {
  const { wanted, feeders, hasEnd } = header;
  const feederColumns = feeders ? (['feeders_reporting', 'feeders_expected'] as const) : [];
  // the sidecar holds numbers only: text columns come from the file itself
  const cached =
    hasEnd && header.text.length === 0 ? readColumnCache(file, ['start', 'end', ...wanted, ...feederColumns]) : null;
  if (cached) {
    const c = cached as Record<string, Float64Array>;
    return {
      start: c.start!,
      end: c.end!,
      // the sidecar keeps power columns in millionths; MW is the nearest double, as Number() of the text gives
      columns: new Map(wanted.map((w) => [w, exact ? c[w]! : c[w]!.map((m) => m / 1e6)])),
      reporting: feeders ? c.feeders_reporting! : null,
      expected: feeders ? c.feeders_expected! : null,
      lines: Array.from(c.start!, (_, i) => i + 2),
      text: new Map(),
    };
  }
  const names = ['Start Time', ...(hasEnd ? ['End Time'] : []), ...wanted, ...feederColumns];
  const t = readCsvColumns(file, [...new Set([...names, ...header.text])], display);
  const cols = t.columns as Record<string, string[]>;
  const lines = t.lines;
  const instants = (column: string) => {
    const labels = cols[column]!;
    const r = resolveStartInstants(labels, { clock, intervalMs: intervalHint, lines });
    const p = r.problems[0];
    if (p)
      throw new LptError(
        'LPT_PARSE',
        `${column} — expected an ISO 8601 or export time, got ${JSON.stringify(labels[p.index])}`,
        { file: display, line: p.line, column },
      );
    return r.start;
  };
  // feeder counts: decimal numbers by core's one grammar for a number (not `Number()`, which takes 0x10)
  const numbers = (column: string) => {
    const d = emptyDecimal();
    return Float64Array.from(cols[column]!, (text, i) => {
      if (decimalProblem(text.trim(), d))
        throw new LptError('LPT_PARSE', `${column} — expected a number, got ${JSON.stringify(text)}`, {
          file: display,
          line: lines[i]!,
          column,
        });
      return d.value;
    });
  };
  const start = instants('Start Time');
  return {
    start,
    end: hasEnd ? instants('End Time') : new Float64Array(start.length).fill(Number.NaN),
    columns: new Map(wanted.map((w) => [w, powerColumn(cols[w]!, w, lines, display, exact)])),
    reporting: feeders ? numbers('feeders_reporting') : null,
    expected: feeders ? numbers('feeders_expected') : null,
    lines,
    text: new Map(header.text.map((c) => [c, cols[c]!])),
  };
}

/**
 * Read a profile (`Start Time`, optional `End Time`, MW_net and the other power
 * columns it has; all.csv's feeder counts) into time order. lptool's binary column
 * sidecar is used when it is fresh and holds what is asked; otherwise only the
 * needed columns are cut from the text. Labels with offsets are absolute; naive
 * labels (older files, `--tz`) are read in the site zone, the repeated hour by
 * record order.
 */
export function readProfile(
  file: string,
  display: string,
  clock: SiteClock,
  options: ReadProfileOptions = {},
): Profile {
  const { header, text: headerText, line } = readHeader(file, display);
  const present = POWER_COLUMNS.filter((c) => header.includes(c));
  const wanted = options.columns ? present.filter((c) => options.columns!.includes(c)) : present;
  if (!header.includes('Start Time') || !present.includes('MW_net')) {
    throw new LptError(
      'LPT_USAGE',
      `header — expected a profile with Start Time and MW_net, got ${JSON.stringify(headerText)}`,
      { file: display, line },
    );
  }
  for (const c of options.columns ?? []) {
    if (!present.includes(c))
      throw new LptError('LPT_PARSE', `header — expected a column ${c}, got ${JSON.stringify(headerText)}`, {
        file: display,
        line,
      });
  }
  const feeders = header.includes('feeders_reporting') && header.includes('feeders_expected');
  const rows = readRows(
    file,
    display,
    clock,
    { wanted, feeders, hasEnd: header.includes('End Time'), text: options.text ?? [] },
    options.intervalHint ?? 900_000,
    !!options.exact,
  );
  const { reporting, expected } = rows;
  const partial =
    reporting && expected
      ? Uint8Array.from(rows.start, (_, i) => (reporting[i]! < expected[i]! ? 1 : 0))
      : new Uint8Array(rows.start.length);
  const record = { start: rows.start, lines: rows.lines, partial };
  // into time order, whatever the file's order, each interval start once (a profile lptool wrote is in order and
  // without duplicates already: nothing is copied)
  const order = timeOrder(rows.start);
  const groups = duplicateGroups(rows.start, order);
  const duplicates = groups.length
    ? judgeDuplicates(groups, rows.start, rows.lines, () =>
        comparable(file, display, clock, header, present, feeders, options.intervalHint ?? 900_000),
      )
    : { collapsed: 0, example: null, conflicts: [] };
  if (duplicates.conflicts.length && options.conflicts !== 'list') throw conflictError(duplicates, display, clock);
  const keep = groups.length ? keptOrder(rows.start.length, order, groups) : order;
  const sorted = <A extends Float64Array | Uint8Array>(a: A): A => (keep ? (permute(a as never, keep) as A) : a);
  const columns = new Map<PowerColumn, Float64Array>();
  for (const [k, v] of rows.columns) columns.set(k, sorted(v));
  let feedersExpected: number | null = null;
  if (rows.expected) for (const x of rows.expected) feedersExpected = Math.max(feedersExpected ?? 0, x);
  const start = sorted(rows.start);
  const end = sorted(rows.end);
  return {
    file: display,
    name: path.basename(file).replace(/\.csv$/i, ''),
    start: asTimeOrdered(start),
    end,
    intervalMs: commonLength(start, end),
    columns,
    exact: !!options.exact,
    partial: sorted(partial),
    feedersExpected,
    lines: keep ? permute(rows.lines, keep) : rows.lines,
    record,
    ...(options.text ? { text: new Map([...rows.text].map(([k, v]) => [k, keep ? permute(v, keep) : v])) } : {}),
    duplicates,
  };
}

/** The rows (file indices) of each interval start the file has more than once, each group in file order. */
function duplicateGroups(start: Float64Array, order: Int32Array | null): number[][] {
  const at = (k: number) => (order ? order[k]! : k);
  const groups: number[][] = [];
  for (let k = 1; k < start.length; k++) {
    if (start[at(k)] !== start[at(k - 1)]) continue;
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] === at(k - 1)) last.push(at(k));
    else groups.push([at(k - 1), at(k)]);
  }
  return groups;
}

/**
 * Every column of the file (but Start Time), in the file's order, to tell identical duplicate rows from others:
 * a key per cell — exact values for End Time, the power columns and the feeder counts; for any other column (the
 * readings, `Record No.`, `Event Type`, `meter`) the number a decimal cell holds (`2.50` is `2.5`), else its text,
 * as build compares overlapping exports — and the cell as the message shows it.
 */
interface ComparableRows {
  names: string[];
  key: ((i: number) => string)[];
  show: ((i: number) => string)[];
}

function comparable(
  file: string,
  display: string,
  clock: SiteClock,
  header: string[],
  present: PowerColumn[],
  feeders: boolean,
  intervalHint: number,
): ComparableRows {
  const hasEnd = header.includes('End Time');
  const all = readRows(file, display, clock, { wanted: present, feeders, hasEnd, text: [] }, intervalHint, true);
  const numbers = new Map<string, [Float64Array, (v: number) => string]>();
  if (hasEnd) numbers.set('End Time', [all.end, (v) => clock.format(v)]);
  for (const c of present) numbers.set(c, [all.columns.get(c)!, formatMicros]);
  if (feeders) {
    numbers.set('feeders_reporting', [all.reporting!, String]);
    numbers.set('feeders_expected', [all.expected!, String]);
  }
  const others = header.filter((h) => h !== 'Start Time' && !numbers.has(h));
  const text = others.length ? readCsvColumns(file, others, display).columns : {};
  const d = emptyDecimal();
  const out: ComparableRows = { names: [], key: [], show: [] };
  for (const name of header) {
    const n = numbers.get(name);
    const cells = (text as Record<string, string[]>)[name];
    if (n) {
      out.key.push((i) => String(n[0][i]));
      out.show.push((i) => n[1](n[0][i]!));
    } else if (cells) {
      out.key.push((i) => {
        const t = (cells[i] ?? '').trim();
        return decimalProblem(t, d) ? `text ${t}` : String(d.value);
      });
      out.show.push((i) => JSON.stringify(cells[i] ?? ''));
    } else continue;
    out.names.push(name);
  }
  return out;
}

/** Identical rows of a start collapse to the first; rows that differ from the first are conflicts. */
function judgeDuplicates(
  groups: number[][],
  start: Float64Array,
  lines: readonly number[],
  read: () => ComparableRows,
): Duplicates {
  const rows = read();
  const out: Duplicates = { collapsed: 0, example: null, conflicts: [] };
  for (const g of groups) {
    const first = g[0]!;
    for (const other of g.slice(1)) {
      const k = rows.key.findIndex((key) => key(first) !== key(other));
      if (k < 0) {
        out.collapsed++;
        out.example ??= [lines[first]!, lines[other]!];
        continue;
      }
      out.conflicts.push({
        start: start[first]!,
        lines: [lines[first]!, lines[other]!],
        column: rows.names[k]!,
        values: [rows.show[k]!(first), rows.show[k]!(other)],
      });
      break;
    }
  }
  return out;
}

/** A profile's conflicting duplicates as the one error of a reader that computes numbers (exit 1, nothing written). */
function conflictError(d: Duplicates, display: string, clock: SiteClock): LptError {
  const c = d.conflicts[0]!;
  const more = d.conflicts.length > 1 ? `; ${d.conflicts.length - 1} more interval(s) like it` : '';
  return new LptError(
    'LPT_PARSE',
    `Start Time — expected one row per interval, got two different rows for ${clock.format(c.start)}, lines ${c.lines[0]} and ${c.lines[1]} (${c.column} ${c.values[0]} vs ${c.values[1]})${more}; remove the wrong one (lptool gaps lists every duplicate)`,
    { file: display, line: c.lines[1], column: c.column },
  );
}

/** The note for identical duplicate rows taken once, or null: `lp/x.csv: 3 duplicated rows …`. */
export function duplicateNote(p: Pick<Profile, 'file' | 'duplicates'>): string | null {
  const { collapsed, example } = p.duplicates;
  if (!collapsed || !example) return null;
  return `${p.file}: ${collapsed} duplicated row${collapsed > 1 ? 's' : ''} (identical to an earlier row of the same interval, e.g. line ${example[1]} = line ${example[0]}) taken once`;
}

/** The time order less the rows dropped: of each group of one start, only its first row (in file order). */
function keptOrder(n: number, order: Int32Array | null, groups: number[][]): Int32Array {
  const dropped = new Uint8Array(n);
  for (const g of groups) for (const i of g.slice(1)) dropped[i] = 1;
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const i = order ? order[k]! : k;
    if (!dropped[i]) out.push(i);
  }
  return Int32Array.from(out);
}

/**
 * The data rows of a profile file as it is now (its non-blank lines less the header), read in 1 MB
 * chunks; 0 when there is no file. For the rule that a build never replaces a profile with a shorter one.
 */
export function countProfileRows(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return 0;
  }
  let lines = 0;
  let content = false;
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) {
      for (let i = 0; i < n; i++) {
        const c = buf[i]!;
        if (c === 0x0a) {
          if (content) lines++;
          content = false;
        } else if (c !== 0x20 && c !== 0x0d && c !== 0x09) content = true;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  if (content) lines++;
  return Math.max(0, lines - 1);
}
