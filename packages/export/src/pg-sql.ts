import type { ColumnBatch } from './batch.js';
import type { DatasetField, DatasetTable } from './columns.js';
import { PROFILES_TABLE, SYSTEM_TOTAL_TABLE } from './columns.js';

/**
 * The PostgreSQL side of an export, as text: DDL, the staging table, the upsert, the schema check, and COPY
 * batches. Pure (no connection): the command sends what comes out.
 */
export const PG_SCHEMA = 'lptool';

export interface PgTable {
  table: DatasetTable;
  /** Qualified name, e.g. `lptool.profile_interval`. */
  name: string;
  /** The staging table (temporary, per session) rows are COPY'd into. */
  stage: string;
  fields: DatasetField[];
  /** Primary key columns. */
  key: string[];
}

const pgFields = (t: DatasetTable) => t.fields.filter((f) => f.pg !== null);

export const PG_PROFILES: PgTable = {
  table: PROFILES_TABLE,
  name: `${PG_SCHEMA}.profile_interval`,
  stage: 'lptool_stage_profile',
  fields: pgFields(PROFILES_TABLE),
  key: ['meter', 'start_at'],
};
export const PG_SYSTEM_TOTAL: PgTable = {
  table: SYSTEM_TOTAL_TABLE,
  name: `${PG_SCHEMA}.system_total`,
  stage: 'lptool_stage_total',
  fields: pgFields(SYSTEM_TOTAL_TABLE),
  key: ['start_at'],
};

const PG_TYPE: Record<DatasetField['type'], string> = {
  instant: 'timestamp with time zone',
  label: 'text',
  dict: 'text',
  int64: 'bigint',
  int32: 'integer',
  double: 'double precision',
};

/** Every table lptool keeps in the schema, with its columns and their types (information_schema's spelling). */
export const PG_TABLES: Record<string, { column: string; type: string; notNull: boolean }[]> = {
  profile_interval: PG_PROFILES.fields.map((f) => ({ column: f.pg!, type: PG_TYPE[f.type], notNull: !f.nullable })),
  system_total: PG_SYSTEM_TOTAL.fields.map((f) => ({ column: f.pg!, type: PG_TYPE[f.type], notNull: !f.nullable })),
  /** What each source (a meter's profile, the system total) was when last loaded: the incremental state. */
  profile_source: [
    { column: 'source', type: 'text', notNull: true },
    { column: 'meter', type: 'text', notNull: false },
    { column: 'name', type: 'text', notNull: false },
    { column: 'sha256', type: 'text', notNull: true },
    { column: 'rows', type: 'bigint', notNull: true },
    { column: 'loaded_at', type: 'timestamp with time zone', notNull: true },
    { column: 'load_id', type: 'bigint', notNull: false },
  ],
  load_log: [
    { column: 'id', type: 'bigint', notNull: true },
    { column: 'started_at', type: 'timestamp with time zone', notNull: true },
    { column: 'finished_at', type: 'timestamp with time zone', notNull: false },
    { column: 'host', type: 'text', notNull: false },
    { column: 'root', type: 'text', notNull: false },
    { column: 'shard', type: 'text', notNull: false },
    { column: 'status', type: 'text', notNull: true },
    { column: 'sources_loaded', type: 'integer', notNull: false },
    { column: 'sources_unchanged', type: 'integer', notNull: false },
    { column: 'sources_failed', type: 'integer', notNull: false },
    { column: 'rows_loaded', type: 'bigint', notNull: false },
    { column: 'rows_deleted', type: 'bigint', notNull: false },
    { column: 'message', type: 'text', notNull: false },
  ],
};

const KEYS: Record<string, string> = {
  profile_interval: 'PRIMARY KEY (meter, start_at)',
  system_total: 'PRIMARY KEY (start_at)',
  profile_source: 'PRIMARY KEY (source)',
  load_log: 'PRIMARY KEY (id)',
};

/** `CREATE SCHEMA/TABLE IF NOT EXISTS` for every table (load_log's id is an identity column). */
export function createSchemaSql(): string {
  const tables = Object.entries(PG_TABLES).map(([name, cols]) => {
    const defs = cols.map((c) => {
      const identity = name === 'load_log' && c.column === 'id' ? ' GENERATED ALWAYS AS IDENTITY' : '';
      return `  ${c.column} ${c.type}${c.notNull ? ' NOT NULL' : ''}${identity}`;
    });
    return `CREATE TABLE IF NOT EXISTS ${PG_SCHEMA}.${name} (\n${defs.join(',\n')},\n  ${KEYS[name]}\n);`;
  });
  return [`CREATE SCHEMA IF NOT EXISTS ${PG_SCHEMA};`, ...tables].join('\n');
}

/** A column as information_schema.columns describes it. */
export interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
}

/**
 * Compare existing tables with what lptool creates: a missing, extra or retyped column is a problem naming it.
 * (Tables not there yet are fine: they are created.)
 */
export function schemaProblems(existing: ColumnRow[]): string[] {
  const problems: string[] = [];
  for (const [table, want] of Object.entries(PG_TABLES)) {
    const have = existing.filter((r) => r.table_name === table);
    if (have.length === 0) continue;
    const qualified = `${PG_SCHEMA}.${table}`;
    for (const w of want) {
      const h = have.find((r) => r.column_name === w.column);
      if (!h) problems.push(`${qualified} — expected a column ${w.column} ${w.type}, got none`);
      else if (h.data_type !== w.type)
        problems.push(`${qualified}, column ${w.column} — expected ${w.type}, got ${h.data_type}`);
    }
    for (const h of have)
      if (!want.some((w) => w.column === h.column_name))
        problems.push(
          `${qualified}, column ${h.column_name} — expected only lptool's columns (${want.map((w) => w.column).join(', ')}), got ${h.column_name} ${h.data_type} too`,
        );
  }
  return problems;
}

/** The session's staging table: the target's columns (no key: rows are checked by the upsert); emptied by every commit. */
export function createStageSql(t: PgTable): string {
  const cols = t.fields.map((f) => `${f.pg} ${PG_TYPE[f.type]}`);
  return `CREATE TEMPORARY TABLE IF NOT EXISTS ${t.stage} (${cols.join(', ')}) ON COMMIT DELETE ROWS`;
}

/** COPY into the staging table, or (`direct`) straight into the table: a source with no row there yet. */
export function copySql(t: PgTable, direct = false): string {
  return `COPY ${direct ? t.name : t.stage} (${t.fields.map((f) => f.pg).join(', ')}) FROM STDIN (FORMAT binary)`;
}

/**
 * Staging → the table: new rows inserted, rows with other values updated, identical rows left alone (no dead
 * tuples for a re-run). The row count is inserted + updated.
 */
export function upsertSql(t: PgTable): string {
  const cols = t.fields.map((f) => f.pg!);
  const rest = cols.filter((c) => !t.key.includes(c));
  return [
    `INSERT INTO ${t.name} AS t (${cols.join(', ')})`,
    `SELECT ${cols.join(', ')} FROM ${t.stage}`,
    `ON CONFLICT (${t.key.join(', ')}) DO UPDATE SET ${rest.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`,
    `WHERE (${rest.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${rest.map((c) => `EXCLUDED.${c}`).join(', ')})`,
  ].join('\n');
}

/** Does the table hold any row of this source? `$1`: the meter (profiles). */
export function hasRowsSql(t: PgTable): string {
  return t === PG_PROFILES
    ? `SELECT EXISTS (SELECT 1 FROM ${t.name} WHERE meter = $1) AS has`
    : `SELECT EXISTS (SELECT 1 FROM ${t.name}) AS has`;
}

/** Rows of the source that its new profile no longer has (the table mirrors each profile). `$1`: the meter. */
export function deleteMissingSql(t: PgTable): string {
  const own = t === PG_PROFILES ? 't.meter = $1 AND ' : '';
  return `DELETE FROM ${t.name} t WHERE ${own}NOT EXISTS (SELECT 1 FROM ${t.stage} s WHERE s.start_at = t.start_at)`;
}

/** COPY's binary format: its signature, flags and header extension; a tuple count of -1 ends the data. */
const BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const BINARY_TRAILER = Buffer.from([0xff, 0xff]);
/** timestamptz on the wire: microseconds since 2000-01-01T00:00:00Z. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

/**
 * Rows [from, to) of a batch in COPY's binary format (header with the first rows, trailer with the last):
 * instants as int64 µs since 2000, doubles as IEEE float8, integers as int4/int8, text as UTF-8, -1 for null.
 * The server parses nothing (measured: a third of its COPY time went to float8in and timestamptz_in), and
 * the doubles it stores are the reader's values bit for bit. Duplicate starts (a profile should have none) keep
 * the last row, so one upsert never meets a key twice.
 */
export function copyBinary(t: PgTable, batch: ColumnBatch, from: number, to: number): Uint8Array {
  const writers = t.fields.map((f) =>
    fieldWriter(f, batch.values[batch.table.fields.findIndex((x) => x.name === f.name)]!),
  );
  const start = batch.values[batch.table.fields.findIndex((f) => f.type === 'instant')] as Float64Array;
  // bound the size: fixed fields take at most 12 bytes, text fields 4 + 3 bytes per UTF-16 unit
  let size = BINARY_HEADER.length + BINARY_TRAILER.length + (to - from) * (2 + t.fields.length * 12);
  for (const w of writers) size += w.textBytes(from, to);
  const buf = Buffer.allocUnsafeSlow(size); // its own memory: it may be handed to another thread
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let o = from === 0 ? BINARY_HEADER.copy(buf, 0) : 0;
  for (let i = from; i < to; i++) {
    if (i + 1 < batch.rows && start[i + 1] === start[i]) continue;
    view.setInt16(o, writers.length);
    o += 2;
    for (const w of writers) o = w.write(buf, view, o, i);
  }
  if (to === batch.rows) o += BINARY_TRAILER.copy(buf, o);
  return buf.subarray(0, o);
}

interface FieldWriter {
  /** Upper bound of the text bytes of rows [from, to) (0 for fixed-size fields). */
  textBytes(from: number, to: number): number;
  /** Write row i's value at o; the offset after it. */
  write(buf: Buffer, view: DataView, o: number, i: number): number;
}

/** A safe integer as a big-endian int64, without a BigInt (two's complement through the high word). */
function setInt64(view: DataView, o: number, v: number): void {
  const hi = Math.floor(v / 2 ** 32);
  view.setInt32(o, hi);
  view.setUint32(o + 4, v - hi * 2 ** 32);
}

/** How one field goes on the wire: length, then the value (-1 and nothing for null). */
function fieldWriter(f: DatasetField, values: ColumnBatch['values'][number]): FieldWriter {
  if (f.type === 'dict' || f.type === 'label') {
    const v = values as (string | null)[];
    return {
      textBytes: (from, to) => {
        let n = 0;
        for (let i = from; i < to; i++) n += 3 * (v[i]?.length ?? 0);
        return n;
      },
      write: (buf, view, o, i) => {
        const s = v[i];
        if (s === null || s === undefined) {
          view.setInt32(o, -1);
          return o + 4;
        }
        const n = buf.write(s, o + 4, 'utf8');
        view.setInt32(o, n);
        return o + 4 + n;
      },
    };
  }
  const x = values as Float64Array | Int32Array;
  const width = f.type === 'int32' ? 4 : 8;
  const put =
    f.type === 'instant'
      ? (view: DataView, o: number, v: number) => setInt64(view, o, Math.round(v - PG_EPOCH_MS) * 1000)
      : f.type === 'int64'
        ? setInt64
        : f.type === 'int32'
          ? (view: DataView, o: number, v: number) => view.setInt32(o, v)
          : (view: DataView, o: number, v: number) => view.setFloat64(o, v);
  return {
    textBytes: () => 0,
    write: (_buf, view, o, i) => {
      const v = x[i]!;
      if (Number.isNaN(v)) {
        view.setInt32(o, -1);
        return o + 4;
      }
      view.setInt32(o, width);
      put(view, o + 4, v);
      return o + 4 + width;
    },
  };
}
