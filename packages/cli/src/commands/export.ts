import { parseShard } from '@lptool/profiles';
import type { CommandResult, Io } from '../output.js';
import { seconds, siteArgs } from './common.js';

/** `lptool export parquet`: the export package is loaded only when an export runs (see scripts/bundle.mjs). */
export async function parquet(_args: string[], o: Record<string, unknown>, _io: Io): Promise<CommandResult> {
  const { exportParquet, formatParquetSummary } = await import('@lptool/export');
  const summary = await exportParquet({
    ...siteArgs(o),
    out: o.out as string | undefined,
    shard: parseShard(o.shard as string | undefined),
    full: Boolean(o.full),
    lockWaitMs: seconds(o.lockWait, '--lock-wait'),
  });
  return { exitCode: summary.exitCode, text: formatParquetSummary(summary), json: summary };
}

/** `lptool export postgres`: the URL from --url or LPTOOL_PG_URL; it is never printed with its password. */
export async function postgres(_args: string[], o: Record<string, unknown>, _io: Io): Promise<CommandResult> {
  const { exportPostgres, formatPostgresSummary } = await import('@lptool/export');
  const summary = await exportPostgres({
    ...siteArgs(o),
    url: o.url as string | undefined,
    shard: parseShard(o.shard as string | undefined),
    full: Boolean(o.full),
    connectTimeoutMs: seconds(o.connectTimeout, '--connect-timeout'),
    lockWaitMs: seconds(o.lockWait, '--lock-wait'),
  });
  return { exitCode: summary.exitCode, text: formatPostgresSummary(summary), json: summary };
}
