import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { LptError } from '@lptool/core';
import { parse } from 'csv-parse/sync';

/**
 * A copy of a field that does not keep its 4 MB chunk alive: V8 makes a slice of 13+ characters a view
 * into its parent string, so one kept timestamp per row would pin every chunk (measured: 669 MB peak for
 * a 378 MB file). Concatenating and slicing again flattens into a fresh string.
 */
function detach(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

export interface ProjectedCsv {
  header: string[];
  /** The chosen columns' indices in the header, in the order `select` gave. */
  indices: number[];
  /** One array of raw field text per chosen column. */
  columns: string[][];
  /** File line of each row. */
  lines: number[];
}

/**
 * Read a CSV that may be far larger than memory allows as one string (wide
 * telemetry: thousands of columns), keeping only the columns `select` picks
 * from the header. The file is read in 4 MB chunks; a quote-free line is cut at
 * commas up to the last chosen column only; a line with quotes (possibly
 * spanning several lines) goes through csv-parse.
 */
export function readCsvProjected(file: string, display: string, select: (header: string[]) => number[]): ProjectedCsv {
  const fd = fs.openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(4 << 20);
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let header: string[] | null = null;
  let indices: number[] = [];
  let maxCol = -1;
  let columns: string[][] = [];
  const lines: number[] = [];
  let lineNo = 0;
  let pendingQuoted = '';
  let pendingStart = 0;
  const fields: string[] = [];

  const takeRecord = (record: string[], line: number) => {
    if (record.length === 1 && record[0]!.trim() === '') return;
    if (!header) {
      header = record.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
      indices = select(header);
      maxCol = Math.max(-1, ...indices);
      columns = indices.map(() => []);
      return;
    }
    if (record.length !== header.length) {
      throw new LptError('LPT_PARSE', `row — expected ${header.length} fields like the header, got ${record.length}`, {
        file: display,
        line,
      });
    }
    for (let j = 0; j < indices.length; j++) columns[j]!.push(record[indices[j]!]!);
    lines.push(line);
  };

  const takeLine = (raw: string) => {
    lineNo++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (pendingQuoted || text.indexOf('"') >= 0) {
      if (!pendingQuoted) pendingStart = lineNo;
      pendingQuoted += (pendingQuoted ? '\n' : '') + text;
      // an even number of quotes closes the record
      if ((pendingQuoted.match(/"/g)?.length ?? 0) % 2 === 1) return;
      let rec: string[][];
      try {
        rec = parse(pendingQuoted, { relax_column_count: true }) as string[][];
      } catch (e) {
        throw new LptError('LPT_PARSE', `CSV — ${(e as Error).message}`, { file: display, line: pendingStart });
      }
      pendingQuoted = '';
      if (rec[0]) takeRecord(rec[0], pendingStart);
      return;
    }
    if (!header || text.trim() === '') {
      takeRecord(text.split(','), lineNo);
      return;
    }
    // quote-free: cut only up to the last chosen column, count the rest
    let count = 0;
    for (let from = 0; ; count++) {
      let comma = text.indexOf(',', from);
      if (comma < 0) comma = text.length;
      if (count <= maxCol) fields[count] = text.slice(from, comma);
      if (comma === text.length) {
        count++;
        break;
      }
      from = comma + 1;
    }
    const h = header as string[];
    if (count !== h.length)
      throw new LptError('LPT_PARSE', `row — expected ${h.length} fields like the header, got ${count}`, {
        file: display,
        line: lineNo,
      });
    for (let j = 0; j < indices.length; j++) columns[j]!.push(detach(fields[indices[j]!]!));
    lines.push(lineNo);
  };

  try {
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n <= 0) break;
      // the decoder keeps a UTF-8 sequence cut by the chunk boundary for the next chunk
      const text = carry + decoder.write(chunk.subarray(0, n));
      const last = text.lastIndexOf('\n');
      if (last < 0) {
        carry = text;
        continue;
      }
      let pos = 0;
      while (pos <= last) {
        const end = text.indexOf('\n', pos);
        takeLine(text.slice(pos, end));
        pos = end + 1;
      }
      carry = text.slice(last + 1);
    }
    carry += decoder.end();
    if (carry) takeLine(carry);
    if (pendingQuoted)
      throw new LptError('LPT_PARSE', 'CSV — a quoted field is not closed', { file: display, line: pendingStart });
  } finally {
    fs.closeSync(fd);
  }
  if (!header)
    throw new LptError('LPT_EMPTY', 'content — expected a header line, got an empty file', { file: display });
  return { header, indices, columns, lines };
}
