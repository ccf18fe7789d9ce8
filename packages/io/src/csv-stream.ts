import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { LptError } from '@lptool/core';
import { CsvCore, type CsvSink } from './csv-core.js';

/**
 * A copy of a field that does not keep its 4 MB chunk alive: V8 makes a slice of 13+ characters a view
 * into its parent string, so one kept timestamp per row would pin every chunk (measured: 669 MB peak for
 * a 378 MB file). Concatenating and slicing again flattens into a fresh string.
 */
function detach(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

/**
 * Push a file through a CSV core in chunks (4 MB, or `chunkBytes`), the decoder keeping a UTF-8
 * sequence cut by a chunk boundary for the next. Returns the core.
 */
export function streamCsvFile(
  file: string,
  display: string,
  sink: CsvSink,
  options: { chunkBytes?: number } = {},
): CsvCore {
  const core = new CsvCore(display, sink, { recordLine: 'start' });
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(options.chunkBytes ?? 4 << 20);
    const decoder = new StringDecoder('utf8');
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n <= 0) break;
      core.push(decoder.write(chunk.subarray(0, n)));
    }
    core.push(decoder.end());
    core.flush();
  } finally {
    fs.closeSync(fd);
  }
  return core;
}

export interface ProjectedCsv {
  header: string[];
  /** The chosen columns' indices in the header, in the order `select` gave. */
  indices: number[];
  /** One array of raw field text per chosen column. */
  columns: string[][];
  /** File line of each row (a row over several lines: the line it starts on). */
  lines: number[];
}

/**
 * Read a CSV that may be far larger than memory allows as one string (wide telemetry: thousands of
 * columns), keeping only the columns `select` picks from the header: streamed in 4 MB chunks through the
 * CSV core, a quote-free line cut at commas up to the last chosen column only.
 */
export function readCsvProjected(file: string, display: string, select: (header: string[]) => number[]): ProjectedCsv {
  let indices: number[] = [];
  let columns: string[][] = [];
  const lines: number[] = [];
  const core = streamCsvFile(file, display, {
    header(header) {
      indices = select(header);
      columns = indices.map(() => []);
      return Math.max(-1, ...indices) + 1;
    },
    record(fields, line) {
      for (let j = 0; j < indices.length; j++) columns[j]!.push(detach(fields[indices[j]!]!));
      lines.push(line);
    },
  });
  if (!core.header)
    throw new LptError('LPT_EMPTY', 'content — expected a header line, got an empty file', { file: display });
  return { header: core.header, indices, columns, lines };
}

/** The head of a CSV file: its header (and the header's own text) and its first data rows. */
export interface CsvHead {
  header: string[] | null;
  headerLine: number;
  /** The header's line as written (BOM and line end aside), e.g. for a message about a file that is not a profile. */
  headerText: string;
  rows: string[][];
}

/**
 * Read only as much of a CSV file as its header and first `rows` data rows take, from its first
 * `maxBytes` (64 KB by default). The text is pushed line by line, so what lies beyond those lines is
 * never looked at (a NUL byte further on is the full read's business). Parse errors of those lines are
 * the core's; a head cut at `maxBytes` gives what was complete by then.
 */
export function peekCsv(file: string, display: string, rows = 0, maxBytes = 64 << 10): CsvHead {
  const out: string[][] = [];
  const core = new CsvCore(
    display,
    { header: () => Number.POSITIVE_INFINITY, record: (fields) => void out.push(fields.map(detach)) },
    { recordLine: 'start', limit: rows },
  );
  const fd = fs.openSync(file, 'r');
  let text: string;
  let whole: boolean;
  try {
    const buf = Buffer.allocUnsafe(maxBytes + 1);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    whole = n <= maxBytes;
    text = new StringDecoder('utf8').write(buf.subarray(0, Math.min(n, maxBytes)));
  } finally {
    fs.closeSync(fd);
  }
  for (let pos = 0; pos < text.length && !core.done; ) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl + 1;
    core.push(text.slice(pos, end));
    pos = end;
  }
  if (whole) core.flush();
  // (detached: a kept field or header must not pin the 64 KB text it was cut from — one per file of a listing)
  const header = core.header?.map(detach) ?? null;
  return { header, headerLine: core.headerLine, headerText: detach(core.headerText), rows: out };
}
