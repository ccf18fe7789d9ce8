import type { ReportOptions } from '@lptool/report';
import type { CommandResult } from '../output.js';

export async function run(o: ReportOptions): Promise<CommandResult> {
  // the report package stays outside the CLI bundle: it copies vega's browser builds from its own node_modules
  const { formatReportSummary, report } = await import('@lptool/report');
  const summary = await report(o);
  return { exitCode: summary.exitCode, text: formatReportSummary(summary), json: summary };
}
