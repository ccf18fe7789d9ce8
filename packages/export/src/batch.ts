import { emptyDecimal, LptError, parseDecimalInto, type SiteClock } from '@lptool/core';
import type { Profile } from '@lptool/profiles';
import type { DatasetField, DatasetTable } from './columns.js';

/** One field's values: instants (ms) and numbers as Float64 (NaN = null), int32 as Int32Array, text as strings. */
export type FieldValues = Float64Array | Int32Array | (string | null)[];

/** A table's rows, column by column, in time order: what the engines take in. */
export interface ColumnBatch {
  table: DatasetTable;
  rows: number;
  /** One entry per `table.fields`, same order. */
  values: FieldValues[];
  /** The local calendar year of each row's start (the `year=` partition); none when built with `local: false`. */
  year: Int32Array;
}

const HAS_OFFSET = /(?:[+-]\d\d:?\d\d|Z)$/;

/**
 * The columns the reader returns as text for a table: every field's but the instants it resolves itself (and
 * Start Time's labels). Numbers are checked and parsed here, in one pass (the reader's own per-column parse took
 * a quarter of an export's reading time).
 */
export function textColumnsFor(table: DatasetTable): string[] {
  const fields = table.fields.filter((x) => x.type !== 'instant' || x.source === 'Start Time');
  return [...new Set(fields.map((x) => x.source))];
}

/**
 * A profile, as the profile reader returns it (in time order, `textColumnsFor(table)` as text), as typed columns.
 * Text fields are checked: a value that is not a number (or an empty one where the field is required) is an
 * LPT_PARSE error naming the file, line and column. `local: false` (PostgreSQL, which stores neither) leaves the
 * local labels and years out: the label field is empty and `year` has no entry (measured: an eighth of a load's
 * client CPU went to them).
 */
export function batchFromProfile(
  p: Profile,
  table: DatasetTable,
  clock: SiteClock,
  { local = true }: { local?: boolean } = {},
): ColumnBatch {
  const rows = p.start.length;
  const labels = p.text?.get('Start Time');
  const values = table.fields.map((field): FieldValues => {
    if (field.type === 'instant') return field.source === 'End Time' ? p.end : p.start;
    if (field.type === 'label' && !local) return [];
    if (field.type === 'label')
      return Array.from(labels!, (t, i) => (HAS_OFFSET.test(t.trim()) ? t.trim() : clock.format(p.start[i]!)));
    const text = p.text?.get(field.source);
    if (!text) throw new Error(`${p.file}: the reader was not asked for ${field.source} as text (textColumnsFor)`);
    return parseField(field, text, p);
  });
  const year = new Int32Array(local ? rows : 0);
  if (!local) return { table, rows, values, year };
  const label = values[table.fields.findIndex((x) => x.type === 'label')] as string[] | undefined;
  for (let i = 0; i < rows; i++)
    year[i] = label ? Number(label[i]!.slice(0, 4)) : new Date(p.start[i]!).getUTCFullYear();
  return { table, rows, values, year };
}

function parseField(field: DatasetField, text: string[], p: Profile): FieldValues {
  const fail = (i: number, expected: string) =>
    new LptError('LPT_PARSE', `${field.source} — expected ${expected}, got ${JSON.stringify(text[i])}`, {
      file: p.file,
      line: p.lines[i]!,
      column: field.source,
    });
  if (field.type === 'dict') {
    return text.map((t, i) => {
      const v = t.trim();
      if (v === '' && !field.nullable) throw fail(i, 'a value');
      return v === '' ? null : v;
    });
  }
  const out = field.type === 'int32' ? new Int32Array(text.length) : new Float64Array(text.length);
  const integer = field.type === 'int32' || field.type === 'int64';
  const d = emptyDecimal();
  for (let i = 0; i < text.length; i++) {
    const t = text[i]!.trim();
    if (t === '') {
      if (!field.nullable || field.type === 'int32') throw fail(i, 'a number');
      out[i] = Number.NaN;
      continue;
    }
    // core's grammar of a number, as the profile reader's (no hex, no Infinity: what Number() would take)
    const x = parseDecimalInto(t, d) ? d.value : Number.NaN;
    if (!Number.isFinite(x) || (integer && !Number.isSafeInteger(x)))
      throw fail(i, integer ? 'an integer' : 'a number');
    out[i] = x;
  }
  return out;
}

/** Row ranges [from, to) of each local year, in time order. */
export function yearRanges(batch: ColumnBatch): { year: number; from: number; to: number }[] {
  const out: { year: number; from: number; to: number }[] = [];
  for (let i = 0; i < batch.rows; i++) {
    const y = batch.year[i]!;
    const last = out[out.length - 1];
    if (last && last.year === y) last.to = i + 1;
    else out.push({ year: y, from: i, to: i + 1 });
  }
  return out;
}
