/** exportParquet(), called directly on a fixture site: the dataset, its manifest, and what a re-run leaves alone. */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach, listFiles, siteWithTotal } from '../../io/src/fixtures.test-helper.js';
import { formatParquetSummary } from './format.js';
import { exportParquet, type ParquetExportOptions } from './parquet.js';

const cleanups = cleanupsAfterEach();
/** The merge fixture's three feeders and their total. */
function site(): string {
  const s = siteWithTotal();
  cleanups.push(s.cleanup);
  return s.root;
}
const run = (root: string, o: Partial<ParquetExportOptions> = {}) =>
  exportParquet({ root, full: false, lockWaitMs: 30_000, ...o });

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('exportParquet', () => {
  it('every meter of meter-data.csv by name and local year, the total, and _lptool.json; the rows read back', async () => {
    const root = site();
    const s = await run(root);
    expect(s.exitCode).toBe(0);
    expect(formatParquetSummary(s)).toMatch(/^export parquet /);
    const out = path.join(root, 'export/parquet');
    expect(listFiles(out)).toEqual([
      '_lptool.json',
      'profiles/name=east/year=2024/part-0.parquet',
      'profiles/name=north/year=2024/part-0.parquet',
      'profiles/name=south/year=2024/part-0.parquet',
      'system_total/year=2024/part-0.parquet',
    ]);
    const csvRows = (f: string) =>
      fs
        .readFileSync(path.join(root, 'lp', f), 'utf8')
        .trim()
        .split('\n').length - 1;
    const [n] = await query(
      `SELECT count(*)::INTEGER AS n, sum(MW_net) AS mw FROM read_parquet('${out}/profiles/**/*.parquet', hive_partitioning = true)`,
    );
    expect(n!.n).toBe(['east', 'north', 'south'].reduce((a, f) => a + csvRows(`${f}.csv`), 0));
    const [t] = await query(`SELECT count(*)::INTEGER AS n FROM read_parquet('${out}/system_total/**/*.parquet')`);
    expect(t!.n).toBe(csvRows('all.csv'));
    const manifest = JSON.parse(fs.readFileSync(path.join(out, '_lptool.json'), 'utf8'));
    expect(Object.keys(manifest.sources).sort()).toEqual(['all', 'east', 'north', 'south']);
  });

  it('a re-run rewrites nothing; --full rewrites every partition; a changed profile only its own', async () => {
    const root = site();
    await run(root);
    expect((await run(root)).partitionsWritten).toBe(0);
    expect((await run(root, { full: true })).partitionsWritten).toBe(4);
    const north = path.join(root, 'lp/north.csv');
    fs.writeFileSync(north, fs.readFileSync(north, 'utf8').replace(',-1.58256,7.013664,', ',-1.58257,7.013664,'));
    const s = await run(root);
    expect(s.sources.filter((x) => x.status === 'exported').map((x) => x.name)).toEqual(['north']);
  });

  it('a profile cell that is not a number fails its meter alone, naming file, line and column (exit 1)', async () => {
    const root = site();
    const east = path.join(root, 'lp/east.csv');
    const lines = fs.readFileSync(east, 'utf8').split('\n');
    lines[2] = lines[2]!.replace(/^([^,]*,[^,]*,[^,]*,[^,]*,[^,]*,)[^,]*/, '$10x1F');
    fs.writeFileSync(east, lines.join('\n'));
    const s = await run(root);
    expect(s.exitCode).toBe(1);
    const failed = s.sources.find((x) => x.name === 'east')!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/kw_del — expected a number, got "0x1F" \(lp\/east\.csv:3, column kw_del\)/);
    expect(s.sources.filter((x) => x.status === 'exported').map((x) => x.name)).toEqual(['north', 'south', 'all']);
  });
});
