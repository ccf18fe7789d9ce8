import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PgCluster, startPgCluster } from '../../../../export/src/pg-cluster.js';
import { outputSchema } from '../../json-schemas.js';
import { lptool } from '../../testing.js';
import { builtSite, csvRows, helpExamples } from './site.test-helper.js';

// a real server: a throwaway cluster in a temp folder on a free port, stopped after the tests (also on failure)
let cluster: PgCluster;
const site = builtSite(['--meters', '3', '--days', '12', '--start', '2024-11-01', '--file-days', '4']);
const lp = path.join(site.root, 'lp');
const names = ['east', 'north', 'south'];
const outputs: string[] = [];

beforeAll(async () => {
  cluster = await startPgCluster();
  await sql('CREATE DATABASE meters'); // the database the --help examples name
});
afterAll(() => {
  cluster?.stop();
  site.cleanup();
});

/** The real CLI; every word it prints is kept, to prove the password never appears in any of it. */
function exportPg(args: string[] = [], env: Record<string, string> = {}) {
  const r = lptool(['export', 'postgres', '--root', site.root, ...args], { env });
  outputs.push(r.stdout, r.stderr);
  return r;
}
async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client(cluster.url());
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}
const csvSum = (name: string, col: string) =>
  csvRows(path.join(lp, `${name}.csv`)).reduce((s, r) => s + Number(r[col]), 0);

describe('lptool export postgres — into a real PostgreSQL server', () => {
  it('creates the schema, loads every profile and the total (COPY → staging → upsert), and logs the run', async () => {
    const r = exportPg(['--url', cluster.url(), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    // its --json against the schema docs/json.md is generated from (json.test.ts validates the other commands)
    expect(outputSchema('export postgres').safeParse(s).error?.issues ?? []).toEqual([]);
    expect(s.target).toBe(`lptool_test@127.0.0.1:${cluster.port}/postgres`);
    // a first load COPYs straight into the table: every row counts as changed, per source and in all
    expect(s.sources.map((x: { changed: number; rows: number }) => x.changed - x.rows)).toEqual([0, 0, 0, 0]);
    expect(s.rowsChanged).toBe(s.rowsLoaded);
    const counts = await sql<{ meter: string; n: string; mw: number }>(
      'SELECT meter, count(*) AS n, sum(mw_net) AS mw FROM lptool.profile_interval GROUP BY meter',
    );
    for (const name of names) {
      const rows = csvRows(path.join(lp, `${name}.csv`));
      const c = counts.find((x) => x.meter === rows[0]!.meter)!;
      expect(Number(c.n)).toBe(rows.length);
      expect(Math.abs(c.mw - csvSum(name, 'MW_net'))).toBeLessThan(1e-9);
    }
    const [total] = await sql<{ n: string }>('SELECT count(*) AS n FROM lptool.system_total');
    expect(Number(total!.n)).toBe(csvRows(path.join(lp, 'all.csv')).length);
    // instants: the CSV label with its offset is the instant stored
    const first = csvRows(path.join(lp, 'north.csv'))[0]!;
    const [row] = await sql<{ s: Date; e: Date }>(
      'SELECT start_at AS s, end_at AS e FROM lptool.profile_interval WHERE meter = $1 ORDER BY start_at LIMIT 1',
      [first.meter],
    );
    expect(row!.s.getTime()).toBe(Date.parse(first['Start Time']!));
    expect(row!.e.getTime()).toBe(Date.parse(first['End Time']!));
    const log = await sql<{ status: string; sources_loaded: number }>('SELECT * FROM lptool.load_log');
    expect(log).toEqual([expect.objectContaining({ status: 'ok', sources_loaded: 4 })]);
  });

  it('a re-run loads nothing (unchanged) and never duplicates; --full re-sends everything and changes nothing', async () => {
    const before = await sql<{ n: string }>('SELECT count(*) AS n FROM lptool.profile_interval');
    const again = exportPg(['--json'], { LPTOOL_PG_URL: cluster.url() });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).sources.map((x: { status: string }) => x.status)).toEqual(
      Array(4).fill('unchanged'),
    );
    const full = JSON.parse(exportPg(['--url', cluster.url(), '--full', '--json']).stdout);
    expect(full.rowsLoaded).toBe(Number(before[0]!.n) + csvRows(path.join(lp, 'all.csv')).length);
    expect(full.rowsChanged).toBe(0);
    expect(await sql('SELECT count(*) AS n FROM lptool.profile_interval')).toEqual(before);
    expect((await sql('SELECT id FROM lptool.load_log')).length).toBe(3);
  });

  it('a corrected profile updates its rows; a row gone from the profile goes from the table', async () => {
    const file = path.join(lp, 'north.csv');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith('2024-11-05T12:00:00'));
    const cells = lines[at]!.split(',');
    cells[13] = '123.456789';
    lines[at] = cells.join(',');
    const dropped = lines.splice(at + 1, 1)[0]!.split(',')[0]!;
    fs.writeFileSync(file, lines.join('\n'));
    const r = exportPg(['--url', cluster.url(), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.sources.find((x: { name: string }) => x.name === 'north')).toMatchObject({
      status: 'loaded',
      changed: 1,
      deleted: 1,
    });
    expect(s.sources.filter((x: { status: string }) => x.status === 'loaded')).toHaveLength(1);
    const [v] = await sql<{ mw_net: number }>(
      'SELECT mw_net FROM lptool.profile_interval WHERE meter = $1 AND start_at = $2',
      [cells[2], cells[0]],
    );
    expect(v!.mw_net).toBe(123.456789);
    expect(
      await sql('SELECT 1 FROM lptool.profile_interval WHERE meter = $1 AND start_at = $2', [cells[2], dropped]),
    ).toEqual([]);
    const [count] = await sql<{ n: string }>('SELECT count(*) AS n FROM lptool.profile_interval WHERE meter = $1', [
      cells[2],
    ]);
    expect(Number(count!.n)).toBe(csvRows(file).length);
  });

  it('a failure inside a meter’s load rolls that meter back, names it, exits 1; the others load; a re-run finishes', async () => {
    const south = csvRows(path.join(lp, 'south.csv'))[0]!.meter;
    await sql(`CREATE FUNCTION lptool_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN IF NEW.meter = '${south}' THEN RAISE EXCEPTION 'disk full (test)'; END IF; RETURN NEW; END $$`);
    await sql(
      'CREATE TRIGGER fail BEFORE INSERT OR UPDATE ON lptool.profile_interval FOR EACH ROW EXECUTE FUNCTION lptool_test_fail()',
    );
    for (const name of ['south', 'east']) {
      const f = path.join(lp, `${name}.csv`);
      fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/,Normal,/, ',Edited,'));
    }
    const before = await sql('SELECT * FROM lptool.profile_interval WHERE meter = $1 ORDER BY start_at', [south]);
    const r = exportPg(['--url', cluster.url(), '--json']);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout);
    const failed = s.sources.find((x: { name: string }) => x.name === 'south');
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(
      new RegExp(`^LPT_DB_LOAD: south \\(meter ${south}\\) — rolled back, nothing of it loaded: disk full \\(test\\)`),
    );
    expect(s.sources.find((x: { name: string }) => x.name === 'east').status).toBe('loaded');
    expect(await sql('SELECT * FROM lptool.profile_interval WHERE meter = $1 ORDER BY start_at', [south])).toEqual(
      before,
    );
    const [log] = await sql<{ status: string; message: string }>(
      'SELECT status, message FROM lptool.load_log ORDER BY id DESC LIMIT 1',
    );
    expect(log).toMatchObject({ status: 'partial' });
    expect(log!.message).toContain('south');
    await sql('DROP TRIGGER fail ON lptool.profile_interval');
    const retry = JSON.parse(exportPg(['--url', cluster.url(), '--json']).stdout);
    expect(
      retry.sources.filter((x: { status: string }) => x.status === 'loaded').map((x: { name: string }) => x.name),
    ).toEqual(['south']);
    expect(await sql(`SELECT count(*)::int AS n FROM lptool.profile_interval WHERE event_type = 'Edited'`)).toEqual([
      { n: 2 },
    ]);
  });

  it('bad input is exit 2 with one line naming the host or the column: unreachable, bad credentials, foreign columns', async () => {
    const unreachable = exportPg(['--url', cluster.url({ port: 1 })]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
    expect(unreachable.stderr).toMatch(
      /^lptool: LPT_DB_UNREACHABLE: postgres 127\.0\.0\.1:1 — expected a server to answer, got ECONNREFUSED/,
    );

    const wrong = exportPg(['--url', cluster.url({ password: 'not-the-password' })]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(
      new RegExp(
        `LPT_DB_AUTH: postgres 127\\.0\\.0\\.1:${cluster.port} — expected to log in as lptool_test, got refused: password authentication failed`,
      ),
    );
    expect(wrong.stderr).not.toContain('not-the-password');

    await sql('ALTER TABLE lptool.profile_interval ADD COLUMN note text');
    const foreign = exportPg(['--url', cluster.url()]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr.trim().split('\n')).toHaveLength(1);
    expect(foreign.stderr).toMatch(
      /LPT_DB_SCHEMA: postgres 127\.0\.0\.1:\d+: lptool\.profile_interval, column note — expected only lptool's columns/,
    );
    await sql('ALTER TABLE lptool.profile_interval DROP COLUMN note');

    const none = exportPg([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /LPT_USAGE: --url — expected postgres:\/\/user:password@host:port\/database \(or LPTOOL_PG_URL\), got none/,
    );
    const garbage = exportPg(['--url', `mysql://u:${cluster.password}@x/db`]);
    expect(garbage.code).toBe(2);
  });

  it('every --help example runs against the test server (its user, password, host and port in place of the example’s)', () => {
    const examples = helpExamples(['export', 'postgres']);
    expect(examples.length).toBeGreaterThanOrEqual(2);
    const ours = (v: string) =>
      v.replace(
        /postgres:\/\/lptool:secret@[^/]+\//,
        `postgres://${cluster.user}:${encodeURIComponent(cluster.password)}@127.0.0.1:${cluster.port}/`,
      );
    for (const ex of examples) {
      const env = Object.fromEntries(Object.entries(ex.env).map(([k, v]) => [k, ours(v)]));
      const r = exportPg(ex.args.slice(2).map(ours), env);
      expect(r.code, `${ex.args.join(' ')}: ${r.stderr}`).toBe(0);
    }
  });

  it('the password appears nowhere: not in any output, the log, or the tables', async () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const o of outputs) expect(o).not.toContain(cluster.password);
    expect(fs.readFileSync(path.join(site.root, 'logs', 'export.log'), 'utf8')).not.toContain(cluster.password);
    const text =
      JSON.stringify(await sql('SELECT * FROM lptool.load_log')) +
      JSON.stringify(await sql('SELECT * FROM lptool.profile_source'));
    expect(text).not.toContain(cluster.password);
  });
});
