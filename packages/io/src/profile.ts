import fs from 'node:fs';
import path from 'node:path';
import { LptError, resolveStartInstants, type SiteClock } from '@lptool/core';
import { readColumnCache } from './column-cache.js';
import { readCsvColumns } from './csv.js';

/** The power columns a profile may have (lp/<name>.csv or lp/all.csv), in output order. */
export const POWER_COLUMNS = [
  'MW_del',
  'MW_rec',
  'MVA_del',
  'MVA_rec',
  'MW_net',
  'MVA_net',
  'MW_total',
  'MVA_total',
] as const;
export type PowerColumn = (typeof POWER_COLUMNS)[number];

/** A load profile's instants and power columns, as merge, gaps and stats read it. */
export interface Profile {
  file: string;
  name: string;
  start: Float64Array;
  /** NaN where the file has no End Time column. */
  end: Float64Array;
  /** The most common End − Start (NaN without End Time). */
  intervalMs: number;
  columns: Map<PowerColumn, Float64Array>;
  /** all.csv: 1 where feeders_reporting < feeders_expected. */
  partial: Uint8Array;
  /** File line of each row. */
  lines: number[];
}

export interface ReadProfileOptions {
  /** Power columns to read (default: every one the file has). */
  columns?: readonly PowerColumn[];
  /** Rows sorted by start (default: record order, so out-of-order rows can be reported). */
  sorted?: boolean;
  /** Interval used to place naive labels that start inside the repeated DST hour. */
  intervalHint?: number;
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
 * Read a profile (`Start Time`, optional `End Time`, MW_net and the other power
 * columns it has; all.csv's feeder counts). lptool's binary column sidecar is used
 * when it is fresh and holds what is asked; otherwise only the needed columns
 * are cut from the text. Labels with offsets are absolute; naive labels (older
 * files, `--tz`) are read in the site zone, the repeated hour by record order.
 */
export function readProfile(
  file: string,
  display: string,
  clock: SiteClock,
  options: ReadProfileOptions = {},
): Profile {
  let headerLine: string;
  try {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(8192);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    fs.closeSync(fd);
    headerLine = buf
      .toString('utf8', 0, n)
      .split('\n', 1)[0]!
      .replace(/^\uFEFF/, '');
  } catch (e) {
    throw new LptError('LPT_INPUT_MISSING', `cannot read — ${(e as Error).message}`, { file: display });
  }
  const header = headerLine.split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
  const present = POWER_COLUMNS.filter((c) => header.includes(c));
  const wanted = options.columns ? present.filter((c) => options.columns!.includes(c)) : present;
  if (!header.includes('Start Time') || !present.includes('MW_net')) {
    throw new LptError('LPT_PARSE', `header — expected a profile with Start Time and MW_net, got ${header.join(',')}`, {
      file: display,
      line: 1,
    });
  }
  for (const c of options.columns ?? []) {
    if (!present.includes(c))
      throw new LptError('LPT_PARSE', `header — expected a column ${c}, got ${header.join(',')}`, {
        file: display,
        line: 1,
      });
  }
  const feeders = header.includes('feeders_reporting') && header.includes('feeders_expected');
  const hasEnd = header.includes('End Time');
  const name = path.basename(file).replace(/\.csv$/i, '');

  let start: Float64Array;
  let end: Float64Array;
  let lines: number[];
  const columns = new Map<PowerColumn, Float64Array>();
  let partial: Uint8Array;
  const cached = hasEnd
    ? readColumnCache(file, [
        'start',
        'end',
        ...wanted,
        ...(feeders ? (['feeders_reporting', 'feeders_expected'] as const) : []),
      ])
    : null;
  if (cached) {
    const c = cached as Record<string, Float64Array>;
    start = c.start!;
    end = c.end!;
    for (const w of wanted) columns.set(w, c[w]!);
    partial = Uint8Array.from(start, (_, i) => (feeders && c.feeders_reporting![i]! < c.feeders_expected![i]! ? 1 : 0));
    lines = Array.from(start, (_, i) => i + 2);
  } else {
    const names = [
      'Start Time',
      ...(hasEnd ? ['End Time'] : []),
      ...wanted,
      ...(feeders ? ['feeders_reporting', 'feeders_expected'] : []),
    ];
    const t = readCsvColumns(file, names, display);
    const cols = t.columns as Record<string, string[]>;
    lines = t.lines;
    const instants = (column: string) => {
      const labels = cols[column]!;
      const r = resolveStartInstants(labels, { clock, intervalMs: options.intervalHint ?? 900_000, lines });
      const p = r.problems[0];
      if (p)
        throw new LptError(
          'LPT_PARSE',
          `${column} — expected an ISO 8601 or export time, got ${JSON.stringify(labels[p.index])}`,
          { file: display, line: p.line, column },
        );
      return r.start;
    };
    start = instants('Start Time');
    end = hasEnd ? instants('End Time') : new Float64Array(start.length).fill(Number.NaN);
    for (const w of wanted) {
      const raw = cols[w]!;
      columns.set(
        w,
        Float64Array.from(raw, (text, i) => {
          const x = text.trim() === '' ? Number.NaN : Number(text);
          if (Number.isNaN(x))
            throw new LptError('LPT_PARSE', `${w} — expected a number, got ${JSON.stringify(text)}`, {
              file: display,
              line: lines[i]!,
              column: w,
            });
          return x;
        }),
      );
    }
    partial = Uint8Array.from(start, (_, i) =>
      feeders && Number(cols.feeders_reporting![i]) < Number(cols.feeders_expected![i]) ? 1 : 0,
    );
  }
  const profile: Profile = {
    file: display,
    name,
    start,
    end,
    intervalMs: commonLength(start, end),
    columns,
    partial,
    lines,
  };
  if (options.sorted) {
    let inOrder = true;
    for (let i = 1; i < start.length && inOrder; i++) if (start[i]! < start[i - 1]!) inOrder = false;
    if (!inOrder) {
      const order = Array.from(start, (_, i) => i).sort((a, b) => start[a]! - start[b]!);
      const pick = (a: Float64Array) => Float64Array.from(order, (i) => a[i]!);
      profile.start = pick(start);
      profile.end = pick(end);
      for (const [k, v] of columns) columns.set(k, pick(v));
      profile.partial = Uint8Array.from(order, (i) => partial[i]!);
      profile.lines = order.map((i) => lines[i]!);
    }
  }
  return profile;
}
