import fs from 'node:fs';
import os from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isLptError, LptError, type SiteClock } from '@lptool/core';
import { acquireLock, createLogger, type Logger, openSite, type SiteOptions } from '@lptool/io';
import type { Shard } from '@lptool/profiles';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { connect, type PgTarget, parsePgUrl, redact } from './pg-connect.js';
import {
  type ColumnRow,
  copySql,
  createSchemaSql,
  createStageSql,
  deleteMissingSql,
  hasRowsSql,
  PG_PROFILES,
  PG_SCHEMA,
  PG_SYSTEM_TOTAL,
  type PgTable,
  schemaProblems,
  upsertSql,
} from './pg-sql.js';
import { preparedInOrder } from './prep-pool.js';
import type { PrepJob } from './prepare.js';
import { type ExportSource, exportSources, sha256OfFile } from './sources.js';

export interface PostgresExportOptions extends SiteOptions {
  /** `postgres://user:password@host:port/database` (else LPTOOL_PG_URL). */
  url?: string | undefined;
  shard?: Shard | undefined;
  /** Load every source, changed or not. */
  full: boolean;
  connectTimeoutMs: number;
  lockWaitMs: number;
}

export interface SourceLoad {
  name: string;
  meter?: string;
  status: 'loaded' | 'unchanged' | 'missing' | 'failed';
  rows: number;
  /** Rows inserted or updated (identical rows are left alone). */
  changed: number;
  deleted: number;
  error?: string;
}

export interface PostgresExportSummary {
  root: string;
  target: string;
  loadId: number;
  sources: SourceLoad[];
  rowsLoaded: number;
  rowsChanged: number;
  rowsDeleted: number;
  seconds: number;
  exitCode: 0 | 1;
}

/**
 * `lptool export postgres`: each changed profile (and the system total) into `lptool.*`, one transaction per
 * source: COPY into a staging table, upsert, drop rows the profile no longer has, record its hash.
 */
export async function exportPostgres(options: PostgresExportOptions): Promise<PostgresExportSummary> {
  const t0 = performance.now();
  const env = options.env ?? process.env;
  const target = parsePgUrl(options.url ?? env.LPTOOL_PG_URL, options.connectTimeoutMs);
  const { layout, clock } = openSite(options, []);
  const { sources } = exportSources(layout, options.shard);
  const release = acquireLock(layout.lockFile, { waitMs: options.lockWaitMs, command: 'lptool export' });
  const log = createLogger(layout.logs, 'export', { cmd: 'export postgres' });
  try {
    log.info({ event: 'start', target: target.display, shard: options.shard }, 'export postgres started');
    const client = await connect(target);
    try {
      await ensureSchema(client, target);
      // each source's commit returns before its WAL is flushed; the run's last commit (load_log) waits for the
      // flush, which covers every earlier one (see finishLoadLog)
      await client.query('SET synchronous_commit = off');
      const shard = options.shard ? `${options.shard.index}/${options.shard.count}` : null;
      const loadId = await startLoadLog(client, layout.root, shard);
      const summary: PostgresExportSummary = {
        root: layout.root,
        target: target.display,
        loadId,
        sources: [],
        rowsLoaded: 0,
        rowsChanged: 0,
        rowsDeleted: 0,
        seconds: 0,
        exitCode: 0,
      };
      const loaded = await loadedHashes(client);
      const plans = sources.map((s) => plan(s, loaded, options.full, log));
      await loadSources(client, target, plans, loaded, clock, loadId, log, summary, options.env);
      summary.seconds = (performance.now() - t0) / 1000;
      summary.exitCode = summary.sources.some((s) => s.status === 'failed') ? 1 : 0;
      await finishLoadLog(client, summary);
      log.info({ event: 'end', ...counts(summary) }, 'export postgres finished');
      return summary;
    } finally {
      await client.end().catch(() => {});
    }
  } catch (e) {
    if (isLptError(e)) log.error({ event: 'failed', code: e.code, message: e.message }, e.message);
    throw e;
  } finally {
    release();
  }
}

function counts(s: PostgresExportSummary) {
  const { loadId, rowsLoaded, rowsChanged, rowsDeleted, seconds, exitCode } = s;
  return { loadId, rowsLoaded, rowsChanged, rowsDeleted, seconds, exitCode };
}

/** Create what is missing; an existing table with other columns is exit 2 naming the column. */
async function ensureSchema(client: pg.Client, target: PgTarget): Promise<void> {
  try {
    await client.query('BEGIN');
    // one exporter at a time creates the schema (shards may start together)
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('lptool export schema'))`);
    const existing = await client.query<ColumnRow>(
      `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1`,
      [PG_SCHEMA],
    );
    const problems = schemaProblems(existing.rows);
    if (problems.length) {
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
      throw new LptError('LPT_DB_SCHEMA', `postgres ${target.host}: ${problems[0]}${more}`);
    }
    await client.query(createSchemaSql());
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    if (isLptError(e)) throw e;
    throw new LptError(
      'LPT_DB_SCHEMA',
      `postgres ${target.host} — expected to create schema ${PG_SCHEMA}, got: ${redact((e as Error).message, target)}`,
    );
  }
  await client.query(createStageSql(PG_PROFILES));
  await client.query(createStageSql(PG_SYSTEM_TOTAL));
}

async function startLoadLog(client: pg.Client, root: string, shard: string | null): Promise<number> {
  const r = await client.query<{ id: string }>(
    `INSERT INTO ${PG_SCHEMA}.load_log (started_at, host, root, shard, status) VALUES (now(), $1, $2, $3, 'running') RETURNING id`,
    [os.hostname(), root, shard],
  );
  return Number(r.rows[0]!.id);
}

async function finishLoadLog(client: pg.Client, s: PostgresExportSummary): Promise<void> {
  const by = (st: SourceLoad['status']) => s.sources.filter((x) => x.status === st).length;
  const failed = s.sources.filter((x) => x.status === 'failed');
  // a synchronous commit: WAL is flushed in order, so once this returns every source this run loaded is durable
  await client.query('BEGIN');
  await client.query('SET LOCAL synchronous_commit = on');
  await client.query(
    `UPDATE ${PG_SCHEMA}.load_log SET finished_at = now(), status = $2, sources_loaded = $3, sources_unchanged = $4,
     sources_failed = $5, rows_loaded = $6, rows_deleted = $7, message = $8 WHERE id = $1`,
    [
      s.loadId,
      failed.length ? 'partial' : 'ok',
      by('loaded'),
      by('unchanged'),
      failed.length,
      s.rowsLoaded,
      s.rowsDeleted,
      failed.map((f) => f.error).join('; ') || null,
    ],
  );
  await client.query('COMMIT');
}

async function loadedHashes(client: pg.Client): Promise<Map<string, string>> {
  const r = await client.query<{ source: string; sha256: string }>(
    `SELECT source, sha256 FROM ${PG_SCHEMA}.profile_source`,
  );
  return new Map(r.rows.map((x) => [x.source, x.sha256]));
}

/** The source key in profile_source: a profile by its meter id, the total as `system_total`. */
const sourceKey = (s: ExportSource) => (s.meter !== undefined ? `meter:${s.meter}` : 'system_total');

/** A source to load: unchanged, missing, or to be prepared (read and encoded on a worker thread). */
interface Plan {
  source: ExportSource;
  result: SourceLoad;
  sha256: string;
}

function plan(source: ExportSource, loaded: Map<string, string>, full: boolean, log: Logger): Plan {
  const result: SourceLoad = { name: source.key, status: 'loaded', rows: 0, changed: 0, deleted: 0 };
  if (source.meter !== undefined) result.meter = source.meter;
  if (!fs.statSync(source.file, { throwIfNoEntry: false })?.isFile()) {
    log.warn({ event: 'missing', source: source.display }, `${source.display} is missing; its rows stay as loaded`);
    return { source, result: { ...result, status: 'missing' }, sha256: '' };
  }
  const sha256 = sha256OfFile(source.file);
  if (!full && loaded.get(sourceKey(source)) === sha256)
    return { source, result: { ...result, status: 'unchanged' }, sha256 };
  return { source, result, sha256 };
}

/** Each changed source in its own transaction; the worker reads the next ones while the server loads this one. */
async function loadSources(
  client: pg.Client,
  target: PgTarget,
  plans: Plan[],
  loaded: Map<string, string>,
  clock: SiteClock,
  loadId: number,
  log: Logger,
  summary: PostgresExportSummary,
  env: NodeJS.ProcessEnv | undefined,
): Promise<void> {
  const todo = plans.filter((p) => p.result.status === 'loaded');
  const jobs: PrepJob[] = todo.map((p) => ({
    kind: 'postgres',
    source: p.source,
    zone: clock.zone,
    clock: clock.clock,
  }));
  let k = 0;
  // a thread per core prepares (reading costs this side about twice what loading costs the server)
  for await (const r of preparedInOrder(jobs, { env })) {
    const p = todo[k++]!;
    if (!r.ok) {
      log.error({ event: 'failed', source: p.source.display, message: r.error }, r.error);
      Object.assign(p.result, { status: 'failed', error: r.error });
      continue;
    }
    p.result.rows = r.rows;
    try {
      const { changed, deleted } = await loadOne(client, p, r.copy!, loadId, loaded.has(sourceKey(p.source)));
      Object.assign(p.result, { changed, deleted });
      summary.rowsLoaded += r.rows;
      summary.rowsChanged += changed;
      summary.rowsDeleted += deleted;
      log.info(
        { event: 'loaded', source: p.source.display, rows: r.rows, changed, deleted },
        `${p.source.display} loaded`,
      );
    } catch (e) {
      failed(p, e, target, log);
    }
  }
  summary.sources.push(...plans.map((p) => p.result));
}

/** A source whose transaction failed: rolled back, named; a lost connection ends the run. */
function failed(p: Plan, e: unknown, target: PgTarget, log: Logger): void {
  if (isLptError(e)) throw e;
  const what = p.source.meter !== undefined ? `${p.source.key} (meter ${p.source.meter})` : 'the system total';
  const message = `${what} — rolled back, nothing of it loaded: ${redact((e as Error).message, target)}`;
  Object.assign(p.result, { status: 'failed', error: `LPT_DB_LOAD: ${message}` });
  log.error({ event: 'failed', code: 'LPT_DB_LOAD', source: p.source.display, message }, message);
  if (connectionLost(e))
    throw new LptError(
      'LPT_DB_UNREACHABLE',
      `postgres ${target.host} — the connection was lost while loading ${what}: ${redact((e as Error).message, target)}`,
    );
}

const connectionLost = (e: unknown) =>
  /Connection terminated|ECONNRESET|EPIPE|not queryable/i.test((e as Error).message ?? '');

/**
 * One source in one transaction. A source with no row in the table yet (checked in the transaction) is COPY'd
 * straight into it: measured on PostgreSQL 15, staging + INSERT … SELECT cost the server as much again as the
 * COPY, and a first load was the server's wait. Should a concurrent writer add the same keys meanwhile, the
 * primary key fails the transaction and the source is named; nothing is duplicated. Otherwise: COPY into staging,
 * INSERT … ON CONFLICT DO UPDATE, delete what the profile no longer has. Then record its hash.
 */
async function loadOne(
  client: pg.Client,
  p: Plan,
  copy: Uint8Array[],
  loadId: number,
  loadedBefore: boolean,
): Promise<{ changed: number; deleted: number }> {
  const t = tableOf(p.source);
  try {
    await client.query('BEGIN');
    const params = t === PG_PROFILES ? [p.source.meter] : [];
    const has = loadedBefore || (await client.query<{ has: boolean }>(hasRowsSql(t), params)).rows[0]!.has;
    const stream = client.query(copyFrom(copySql(t, !has)));
    await pipeline(Readable.from(copy), stream);
    let changed = stream.rowCount;
    let deleted = 0;
    if (has) {
      changed = (await client.query(upsertSql(t))).rowCount ?? 0;
      deleted = (await client.query(deleteMissingSql(t), params)).rowCount ?? 0;
    }
    await client.query(
      `INSERT INTO ${PG_SCHEMA}.profile_source (source, meter, name, sha256, rows, loaded_at, load_id) VALUES ($1, $2, $3, $4, $5, now(), $6)
       ON CONFLICT (source) DO UPDATE SET meter = EXCLUDED.meter, name = EXCLUDED.name, sha256 = EXCLUDED.sha256,
       rows = EXCLUDED.rows, loaded_at = EXCLUDED.loaded_at, load_id = EXCLUDED.load_id`,
      [sourceKey(p.source), p.source.meter ?? null, p.source.key, p.sha256, p.result.rows, loadId],
    );
    await client.query('COMMIT');
    return { changed, deleted };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

const tableOf = (s: ExportSource): PgTable => (s.meter !== undefined ? PG_PROFILES : PG_SYSTEM_TOTAL);
