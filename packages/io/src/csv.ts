import { readFileSync } from 'node:fs';
import { LptError } from '@lptool/core';
import { CsvCore } from './csv-core.js';

/** A parsed CSV file: trimmed header, data rows, and the file line of each row. */
export interface CsvTable {
  file: string;
  header: string[];
  rows: string[][];
  /** 1-based line of each row in the file (the header is on line `headerLine`). */
  lines: number[];
  headerLine: number;
}

/**
 * Parse CSV text, whole (the CSV core's rules: SPEC §2's BOM, CRLF, quoted fields and blank lines are
 * normal; a row wider or narrower than the header is LPT_PARSE naming its line; NUL bytes are binary).
 */
export function parseCsvText(text: string, file: string): CsvTable {
  const rows: string[][] = [];
  const lines: number[] = [];
  const core = new CsvCore(file, {
    header: () => Number.POSITIVE_INFINITY,
    record(fields, line) {
      rows.push(fields);
      lines.push(line);
      return true;
    },
  });
  core.push(text);
  core.flush();
  return { file, header: core.header ?? [], rows, lines, headerLine: core.headerLine };
}

/** Some columns of a CSV file: one string array per requested column, plus the line of each row. */
export interface CsvColumns<K extends string> {
  file: string;
  header: string[];
  columns: Record<K, string[]>;
  lines: number[];
}

/**
 * Read only the named columns (matched like findColumns). Of a quote-free line only the fields up to
 * the last one wanted are cut out — no array of every field per row (merge reads 4 of a profile's 16
 * columns: 2.7 s → see the bench).
 */
export function readCsvColumns<K extends string>(file: string, names: readonly K[], displayName = file): CsvColumns<K> {
  const text = readText(file, displayName);
  let idx: number[] = [];
  const out: string[][] = names.map(() => []);
  const lines: number[] = [];
  const core = new CsvCore(displayName, {
    header(header, headerLine) {
      const found = findColumns({ header, file: displayName, headerLine }, names);
      idx = names.map((n) => found[n]);
      return Math.max(...idx) + 1;
    },
    record(fields, line) {
      for (let j = 0; j < idx.length; j++) out[j]!.push(fields[idx[j]!]!);
      lines.push(line);
      return true;
    },
  });
  core.push(text);
  core.flush();
  // no header at all: the same message as a header without the columns
  if (!core.header) findColumns({ header: [], file: displayName, headerLine: 1 }, names);
  const columns = {} as Record<K, string[]>;
  names.forEach((n, j) => {
    columns[n] = out[j]!;
  });
  return { file: displayName, header: core.header ?? [], columns, lines };
}

/** Read and parse a CSV file (see parseCsvText). */
export function readCsvFile(file: string, displayName = file): CsvTable {
  return parseCsvText(readText(file, displayName), displayName);
}

function readText(file: string, displayName: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new LptError('LPT_INPUT_MISSING', `cannot read — ${(e as Error).message}`, { file: displayName });
  }
}

/**
 * Column indices of required names, matched after trimming and case-insensitively.
 * Missing names → LPT_PARSE listing every missing one.
 */
export function findColumns<K extends string>(
  table: Pick<CsvTable, 'header' | 'file' | 'headerLine'>,
  names: readonly K[],
): Record<K, number> {
  const byName = new Map<string, number>();
  table.header.forEach((h, i) => {
    const k = h.trim().toLowerCase();
    if (!byName.has(k)) byName.set(k, i);
  });
  const out = {} as Record<K, number>;
  const missing: string[] = [];
  for (const n of names) {
    const i = byName.get(n.toLowerCase());
    if (i === undefined) missing.push(n);
    else out[n] = i;
  }
  if (missing.length) {
    throw new LptError(
      'LPT_PARSE',
      `header — expected column(s) ${missing.join(', ')}, got ${table.header.length ? table.header.map((h) => JSON.stringify(h)).join(',') : 'no header'}`,
      { file: table.file, line: table.headerLine },
      { missing },
    );
  }
  return out;
}

/** One CSV field, quoted only when it must be (RFC 4180). */
export function csvField(s: string): string {
  if (s.indexOf('"') >= 0) return `"${s.replaceAll('"', '""')}"`;
  if (s.indexOf(',') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) return `"${s}"`;
  return s;
}

/** One CSV line (with `\n`). Hot paths use this instead of csv-stringify: 445k vs 149k rows/s measured. */
export function csvLine(fields: readonly string[]): string {
  let s = '';
  for (let i = 0; i < fields.length; i++) s += (i ? ',' : '') + csvField(fields[i]!);
  return `${s}\n`;
}
