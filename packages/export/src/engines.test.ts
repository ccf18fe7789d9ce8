import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SiteClock } from '@lptool/core';
import { readProfile } from '@lptool/profiles';
import { afterAll, describe, expect, it } from 'vitest';
import { batchFromProfile, type ColumnBatch, textColumnsFor, yearRanges } from './batch.js';
import { PROFILES_TABLE, SYSTEM_TOTAL_TABLE } from './columns.js';
import type { ParquetCodec } from './parquet-encode.js';
import { ParquetDatasetEngine, partitionPath } from './parquet-engine.js';
import { parsePgUrl, redact } from './pg-connect.js';
import { copyBinary, createSchemaSql, PG_PROFILES, PG_TABLES, schemaProblems, upsertSql } from './pg-sql.js';

const clock = new SiteClock('America/Los_Angeles');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lptool-engines-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const HEADER =
  'Start Time,End Time,meter,Record No.,Event Type,kw_del,kw_rec,kva_del,kva_rec,MW_del,MW_rec,MVA_del,MVA_rec,MW_net,MVA_net,PF_net';
const row = (start: string, end: string, mw: string, pf = '0.9') =>
  `${start},${end},144800052,1,Normal,1,0,1.2,0,${mw},0,0.0012,0,${mw},0.0012,${pf}`;

/** A profile file through the one reader, as a batch. */
function batchOf(lines: string[], name = 'north', local = true): ColumnBatch {
  const file = path.join(dir, `${name}.csv`);
  fs.writeFileSync(file, `${HEADER}\n${lines.join('\n')}\n`);
  const p = readProfile(file, `lp/${name}.csv`, clock, {
    columns: [],
    text: textColumnsFor(PROFILES_TABLE),
  });
  return batchFromProfile(p, PROFILES_TABLE, clock, { local });
}
const snappy: ParquetCodec = { codec: 'SNAPPY', label: 'snappy (test)' };

describe('the dataset schema comes from the owners’ column lists', () => {
  it('maps every profile and all.csv column, with the types the issue asks for', () => {
    const t = (name: string) => PROFILES_TABLE.fields.find((f) => f.name === name)?.type;
    expect([t('start'), t('end'), t('start_local'), t('meter'), t('event_type'), t('MW_net')]).toEqual([
      'instant',
      'instant',
      'label',
      'dict',
      'dict',
      'double',
    ]);
    expect(SYSTEM_TOTAL_TABLE.fields.find((f) => f.name === 'feeders_reporting')?.type).toBe('int32');
    expect(PROFILES_TABLE.csvColumns[0]).toBe('Start Time');
  });
});

describe('batches: rows in time order, typed, checked', () => {
  it('sorts by instant whatever the file order, keeps labels, years by local calendar, null for an empty PF', () => {
    const b = batchOf([
      row('2024-01-01T00:15:00-08:00', '2024-01-01T00:30:00-08:00', '0.002', ''),
      row('2023-12-31T23:45:00-08:00', '2024-01-01T00:00:00-08:00', '0.001'),
      row('2024-01-01T00:00:00-08:00', '2024-01-01T00:15:00-08:00', '0.003'),
    ]);
    expect(b.values[1]).toEqual([
      '2023-12-31T23:45:00-08:00',
      '2024-01-01T00:00:00-08:00',
      '2024-01-01T00:15:00-08:00',
    ]);
    expect(yearRanges(b)).toEqual([
      { year: 2023, from: 0, to: 1 },
      { year: 2024, from: 1, to: 3 },
    ]);
    const pf = b.values[PROFILES_TABLE.fields.findIndex((f) => f.name === 'PF_net')] as Float64Array;
    expect(Number.isNaN(pf[2])).toBe(true);
  });

  it('a value that is not a number is LPT_PARSE naming file, line and column', () => {
    const lines = [row('2024-01-01T00:00:00-08:00', '2024-01-01T00:15:00-08:00', '0.001')];
    lines.push(
      lines[0]!
        .replace(
          '2024-01-01T00:00:00-08:00,2024-01-01T00:15:00-08:00',
          '2024-01-01T00:15:00-08:00,2024-01-01T00:30:00-08:00',
        )
        .replace(',1,0,1.2,', ',x,0,1.2,'),
    );
    expect(() => batchOf(lines)).toThrow(/kw_del — expected a number, got "x"/);
    try {
      batchOf(lines);
    } catch (e) {
      expect((e as { toLine(): string }).toLine()).toMatch(/\(lp\/north\.csv:3, column kw_del\)$/);
    }
  });

  it('one grammar for a number (core’s, as the profile reader’s): hex, Infinity and 1e999 are not numbers', () => {
    const at = (value: string, column: 'kw_del' | 'Record No.') => {
      const line = row('2024-01-01T00:00:00-08:00', '2024-01-01T00:15:00-08:00', '0.001');
      return column === 'kw_del'
        ? line.replace(',1,0,1.2,', `,${value},0,1.2,`)
        : line.replace(',1,Normal,', `,${value},Normal,`);
    };
    for (const v of ['0x1F', 'Infinity', '1e999', '0b11'])
      expect(() => batchOf([at(v, 'kw_del')]), v).toThrow(/kw_del — expected a number, got/);
    expect(() => batchOf([at('0x10', 'Record No.')])).toThrow(/Record No\. — expected an integer, got "0x10"/);
    // decimals as written: the nearest double, as before
    expect([
      ...(batchOf([at('1.5e-3', 'kw_del')]).values[
        PROFILES_TABLE.fields.findIndex((f) => f.name === 'kw_del')
      ] as Float64Array),
    ]).toEqual([0.0015]);
  });
});

describe('ParquetDatasetEngine: rows in, partitions out', () => {
  it('one partition per local year, encoded only when its content hash is new', () => {
    const b = batchOf([
      row('2023-12-31T23:45:00-08:00', '2024-01-01T00:00:00-08:00', '0.001'),
      row('2024-01-01T00:00:00-08:00', '2024-01-01T00:15:00-08:00', '0.003'),
    ]);
    const first = new ParquetDatasetEngine(snappy, () => undefined).push(b, 'north');
    expect(first.map((p) => [p.path, p.rows, p.bytes !== null])).toEqual([
      [partitionPath('profiles', 2023, 'north'), 1, true],
      ['profiles/name=north/year=2024/part-0.parquet', 1, true],
    ]);
    expect(Buffer.from(first[0]!.bytes!.subarray(0, 4)).toString()).toBe('PAR1');
    const known = new Map(first.map((p) => [p.path, p.hash]));
    const engine = new ParquetDatasetEngine(snappy, (p) => known.get(p));
    const again = engine.push(b, 'north');
    expect(again.every((p) => p.bytes === null)).toBe(true);
    expect(engine.counters).toMatchObject({ unchanged: 2, encoded: 0 });
    // one value changed in 2024: only that partition is encoded, and the same rows give the same bytes
    const changed = batchOf([
      row('2023-12-31T23:45:00-08:00', '2024-01-01T00:00:00-08:00', '0.001'),
      row('2024-01-01T00:00:00-08:00', '2024-01-01T00:15:00-08:00', '0.004'),
    ]);
    const third = new ParquetDatasetEngine(snappy, (p) => known.get(p)).push(changed, 'north');
    expect(third.map((p) => p.bytes !== null)).toEqual([false, true]);
    const twice = new ParquetDatasetEngine(snappy, () => undefined).push(b, 'north');
    expect(Buffer.compare(Buffer.from(twice[1]!.bytes!), Buffer.from(first[1]!.bytes!))).toBe(0);
  });
});

describe('PostgreSQL text: DDL, schema check, upsert, COPY binary, URLs', () => {
  it('names a foreign, missing or retyped column', () => {
    const ok = PG_TABLES.profile_interval!.map((c) => ({
      table_name: 'profile_interval',
      column_name: c.column,
      data_type: c.type,
    }));
    expect(schemaProblems(ok)).toEqual([]);
    expect(
      schemaProblems([...ok, { table_name: 'profile_interval', column_name: 'note', data_type: 'text' }])[0],
    ).toMatch(/^lptool\.profile_interval, column note — expected only lptool's columns \(start_at, end_at, meter, /);
    const retyped = ok.map((c) => (c.column_name === 'mw_net' ? { ...c, data_type: 'numeric' } : c));
    expect(schemaProblems(retyped)).toEqual([
      'lptool.profile_interval, column mw_net — expected double precision, got numeric',
    ]);
    expect(schemaProblems(ok.filter((c) => c.column_name !== 'pf_net'))).toEqual([
      'lptool.profile_interval — expected a column pf_net double precision, got none',
    ]);
    expect(createSchemaSql()).toContain('PRIMARY KEY (meter, start_at)');
    expect(upsertSql(PG_PROFILES)).toMatch(/ON CONFLICT \(meter, start_at\) DO UPDATE SET end_at = EXCLUDED\.end_at/);
  });

  it('COPY binary: signature, a tuple per row (a duplicated row taken once), µs since 2000, -1 for null, trailer', () => {
    // (identical rows of one start are taken once by the profile reader; rows that differ it refuses)
    const b = batchOf([
      row('2024-01-01T00:00:00-08:00', '2024-01-01T00:15:00-08:00', '0.001', ''),
      row('2024-01-01T00:00:00-08:00', '2024-01-01T00:15:00-08:00', '0.0010', ''),
    ]);
    const buf = Buffer.from(copyBinary(PG_PROFILES, b, 0, b.rows));
    expect(buf.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
    let o = 19;
    expect(buf.readInt16BE(o)).toBe(PG_PROFILES.fields.length);
    o += 2;
    expect(buf.readInt32BE(o)).toBe(8);
    expect(Number(buf.readBigInt64BE(o + 4))).toBe((Date.parse('2024-01-01T08:00:00Z') - Date.UTC(2000, 0, 1)) * 1000);
    expect(buf.readInt16BE(buf.length - 2)).toBe(-1);
    const tuples = buf.length - 21; // one tuple: the duplicated row once
    expect(buf.subarray(21, 21 + tuples).includes(Buffer.from('144800052'))).toBe(true);
    const mw = PG_PROFILES.fields.findIndex((f) => f.pg === 'mw_net');
    expect(mw).toBeGreaterThan(0);
    expect(buf.readInt32BE(buf.length - 6)).toBe(-1); // pf_net, the last field, is null
  });

  it('a batch without local labels and years (the PostgreSQL load’s) gives the same COPY bytes', () => {
    const lines = [
      row('2024-11-03T01:45:00-07:00', '2024-11-03T01:00:00-08:00', '0.001'),
      row('2024-11-03T01:00:00-08:00', '2024-11-03T01:15:00-08:00', '0.002', ''),
      row('2024-12-31T23:45:00-08:00', '2025-01-01T00:00:00-08:00', '0.003'),
    ];
    const full = batchOf(lines);
    const lean = batchOf(lines, 'north', false);
    expect([lean.rows, lean.year.length, full.year.length]).toEqual([3, 0, 3]);
    const copy = (b: ColumnBatch) => Buffer.from(copyBinary(PG_PROFILES, b, 0, b.rows)).toString('hex');
    expect(copy(lean)).toBe(copy(full));
    expect(copy(lean).length).toBeGreaterThan(3 * 2 * 60);
  });

  it('parses the URL; its password is never in what may be shown', () => {
    const t = parsePgUrl('postgres://meters:s3cr%40t@db.example:6543/lp', 10_000);
    expect(t.display).toBe('meters@db.example:6543/lp');
    expect(t.host).toBe('db.example:6543');
    expect(redact('failed for s3cr@t and s3cr%40t', t)).toBe('failed for *** and ***');
    expect(() => parsePgUrl('mysql://u:pw@x/y', 10_000)).toThrow(/not shown: it may hold a password/);
    expect(() => parsePgUrl('mysql://u:pw@x/y', 10_000)).not.toThrow(/pw/);
  });
});
