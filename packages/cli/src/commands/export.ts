import type { ParquetExportOptions, PostgresExportOptions } from '@lptool/export';
import type { CommandResult } from '../output.js';

/** `lptool export parquet`: the export package is loaded only when an export runs (see scripts/bundle.mjs). */
export async function parquet(o: ParquetExportOptions): Promise<CommandResult> {
  const { exportParquet, formatParquetSummary } = await import('@lptool/export');
  const summary = await exportParquet(o);
  return { exitCode: summary.exitCode, text: formatParquetSummary(summary), json: summary };
}

/** `lptool export postgres`: the URL from --url or LPTOOL_PG_URL; it is never printed with its password. */
export async function postgres(o: PostgresExportOptions): Promise<CommandResult> {
  const { exportPostgres, formatPostgresSummary } = await import('@lptool/export');
  const summary = await exportPostgres(o);
  return { exitCode: summary.exitCode, text: formatPostgresSummary(summary), json: summary };
}
