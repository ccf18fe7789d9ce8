import type { ReportSummary } from './report.js';

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** The human summary of a report run (cron mails it). */
export function formatReportSummary(s: ReportSummary): string {
  return [
    `report ${s.index}: ${s.profiles} profiles, ${s.gaps} gaps (${s.missingIntervals} intervals missing), ${s.rejects} rejected exports, ${s.duplicates} re-deliveries, ${s.conflicts} build conflicts${s.partialTotals === null ? '' : `, ${s.partialTotals} partial totals`}${s.bess ? `, BESS from ${s.bess}` : ''}`,
    `  ${s.files} files, ${mb(s.bytes)}, in ${s.seconds.toFixed(2)} s; open it from disk or a file share (no server, no network)`,
  ].join('\n');
}
