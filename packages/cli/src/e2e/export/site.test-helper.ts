import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'vitest';
import { lptool, tempDir } from '../../testing.js';

/** A synth site, sorted, built and merged with the real CLI. */
export function builtSite(args: string[]): { root: string; cleanup: () => void } {
  const t = tempDir('lptool-export-');
  const root = path.join(t.dir, 'site');
  const run = (a: string[]) => {
    const r = lptool(a);
    expect(r.code, `${a.join(' ')}: ${r.stderr}`).toBeLessThanOrEqual(1);
  };
  run(['synth', 'site', '--out', root, ...args]);
  run(['sort', '--root', root, '--settle', '0']);
  run(['build', '--root', root]);
  run(['merge', '--root', root]);
  return { root, cleanup: t.cleanup };
}

/** The rows of a profile CSV as records of text (a test's own reading, independent of lptool's reader). */
export function csvRows(file: string): Record<string, string>[] {
  const [head, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const cols = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v])));
}

/** Run SQL in a fresh in-memory DuckDB; rows as objects (numbers as JS numbers, bigints as numbers). */
export async function duck(sql: string): Promise<Record<string, unknown>[]> {
  return (await duckAll([sql]))[0]!;
}

/** Run statements one after another in one in-memory DuckDB; the rows of each. */
export async function duckAll(statements: string[]): Promise<Record<string, unknown>[][]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const plain = (r: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
  try {
    const out: Record<string, unknown>[][] = [];
    for (const sql of statements) out.push((await conn.runAndReadAll(sql)).getRowObjectsJS().map(plain));
    return out;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** `read_parquet` over a dataset's table, hive-partitioned (names kept as strings). */
export const dataset = (dir: string, table = 'profiles') =>
  `read_parquet('${dir}/${table}/**/*.parquet', hive_partitioning = true${table === 'profiles' ? ", hive_types = {'name': VARCHAR}" : ''})`;

/** The examples `lptool <cmd> --help` shows, each as its environment assignments and its arguments after `lptool`. */
export function helpExamples(cmd: string[]): { env: Record<string, string>; args: string[] }[] {
  const help = lptool([...cmd, '--help']).stdout;
  const lines = help
    .split('Examples:\n')[1]!
    .split('\n')
    .filter((l) => l.startsWith('  $ '));
  return lines.map((l) => {
    const words = l.slice(4).trim().split(/\s+/);
    const env: Record<string, string> = {};
    while (/^[A-Z_]+=/.test(words[0]!)) {
      const [k, ...v] = words.shift()!.split('=');
      env[k!] = v.join('=');
    }
    expect(words.shift()).toBe('lptool');
    return { env, args: words };
  });
}
