import fs from 'node:fs';
import { LptError, parseLabel, resolveStartInstants, type SiteClock } from '@lptool/core';
import { readCsvColumns } from '@lptool/io';

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

export interface Profile {
  file: string;
  name: string;
  start: Float64Array;
  /** The most common End − Start. */
  intervalMs: number;
  columns: Map<PowerColumn, Float64Array>;
  /** all.csv: feeders_reporting < feeders_expected per row (else all 0). */
  partial: Uint8Array;
}

/** Read a profile's start instants and every power column it has; rows in time order (a sorted copy if needed). */
export function readProfile(file: string, display: string, clock: SiteClock): Profile {
  const header = fs
    .readFileSync(file, 'utf8')
    .split('\n', 1)[0]!
    .split(',')
    .map((h) => h.trim());
  const present = POWER_COLUMNS.filter((c) => header.includes(c));
  if (!present.includes('MW_net'))
    throw new LptError('LPT_PARSE', `header — expected a profile with Start Time and MW_net, got ${header.join(',')}`, {
      file: display,
      line: 1,
    });
  const feeders = header.includes('feeders_reporting') && header.includes('feeders_expected');
  const names = ['Start Time', 'End Time', ...present, ...(feeders ? ['feeders_reporting', 'feeders_expected'] : [])];
  const t = readCsvColumns(file, names, display);
  const cols = t.columns as Record<string, string[]>;
  const n = t.lines.length;
  const toInstants = (labels: string[], column: string) => {
    const r = resolveStartInstants(labels, { clock, intervalMs: 900_000, lines: t.lines });
    const p = r.problems[0];
    if (p)
      throw new LptError(
        'LPT_PARSE',
        `${column} — expected an ISO 8601 or export time, got ${JSON.stringify(labels[p.index])}`,
        { file: display, line: p.line, column },
      );
    return r.start;
  };
  const start = toInstants(cols['Start Time']!, 'Start Time');
  const end = toInstants(cols['End Time']!, 'End Time');
  const lengths = new Map<number, number>();
  for (let i = 0; i < n; i++) lengths.set(end[i]! - start[i]!, (lengths.get(end[i]! - start[i]!) ?? 0) + 1);
  const intervalMs = [...lengths].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? Number.NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => start[a]! - start[b]!);
  const columns = new Map<PowerColumn, Float64Array>();
  for (const c of present) {
    const raw = cols[c]!;
    columns.set(
      c,
      Float64Array.from(order, (i) => {
        const x = raw[i]!.trim() === '' ? Number.NaN : Number(raw[i]);
        if (Number.isNaN(x))
          throw new LptError('LPT_PARSE', `${c} — expected a number, got ${JSON.stringify(raw[i])}`, {
            file: display,
            line: t.lines[i]!,
            column: c,
          });
        return x;
      }),
    );
  }
  const partial = new Uint8Array(n);
  if (feeders) {
    for (const [k, i] of order.entries())
      partial[k] = Number(cols.feeders_reporting![i]) < Number(cols.feeders_expected![i]) ? 1 : 0;
  }
  const name = display.replace(/^.*[\\/]/, '').replace(/\.csv$/i, '');
  return { file: display, name, start: Float64Array.from(order, (i) => start[i]!), intervalMs, columns, partial };
}

/** --from/--to: a local date or time in the site zone, or ISO with an offset. */
export function parseRangeBound(text: string | undefined, clock: SiteClock, flag: string): number | undefined {
  if (!text) return undefined;
  const s = /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? `${text.trim()}T00:00` : text.trim();
  const p = parseLabel(s);
  if (!p)
    throw new LptError(
      'LPT_USAGE',
      `${flag} — expected a date like 2024-07-01 or 2024-07-01T06:00, got ${JSON.stringify(text)}`,
      { key: flag },
    );
  return Number.isNaN(p.offsetMs) ? clock.instantAtOrAfter(p.wall) : p.wall - p.offsetMs;
}
