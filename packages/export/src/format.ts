import type { ParquetExportSummary } from './parquet.js';
import type { PostgresExportSummary } from './postgres.js';

const n = (x: number) => x.toLocaleString('en-US');

/** The human summary of `lptool export parquet`. */
export function formatParquetSummary(s: ParquetExportSummary): string {
  const lines = [
    `export parquet ${s.out}: ${n(s.rows)} rows in ${s.sources.length} sources; ${n(s.rowsWritten)} rows written in ${s.partitionsWritten} partitions (${n(Math.round(s.bytesWritten / 1024))} KB, ${s.codec}), ${s.partitionsUnchanged} unchanged, ${s.partitionsRemoved} removed; ${s.seconds.toFixed(2)} s (${n(Math.round(s.rowsWritten / Math.max(s.seconds, 1e-3)))} rows/s)`,
  ];
  for (const x of s.sources) {
    if (x.status === 'unchanged') continue;
    const what = x.status === 'exported' ? `${n(x.rows)} rows, ${x.partitionsWritten} partitions written` : x.status;
    lines.push(`  ${x.name.padEnd(12)} ${what}${x.error ? `: ${x.error}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The human summary of `lptool export postgres`. */
export function formatPostgresSummary(s: PostgresExportSummary): string {
  const by = (st: string) => s.sources.filter((x) => x.status === st).length;
  const lines = [
    `export postgres ${s.target} (load ${s.loadId}): ${by('loaded')} loaded, ${by('unchanged')} unchanged, ${by('missing')} missing, ${by('failed')} failed; ${n(s.rowsLoaded)} rows sent, ${n(s.rowsChanged)} inserted or updated, ${n(s.rowsDeleted)} deleted; ${s.seconds.toFixed(2)} s (${n(Math.round(s.rowsLoaded / Math.max(s.seconds, 1e-3)))} rows/s)`,
  ];
  for (const x of s.sources) {
    if (x.status === 'unchanged') continue;
    const what =
      x.status === 'loaded' ? `${n(x.rows)} rows, ${n(x.changed)} changed, ${n(x.deleted)} deleted` : x.status;
    lines.push(`  ${x.name.padEnd(12)} ${what}${x.error ? `: ${x.error}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
