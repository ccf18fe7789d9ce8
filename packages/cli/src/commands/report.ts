import type { CommandResult, Io } from '../output.js';
import { seconds, siteArgs } from './common.js';

export async function run(_args: string[], o: Record<string, unknown>, _io: Io): Promise<CommandResult> {
  // the report package stays outside the CLI bundle: it copies vega's browser builds from its own node_modules
  const { formatReportSummary, report } = await import('@lptool/report');
  const summary = await report({
    ...siteArgs(o),
    out: o.out as string | undefined,
    bessConfig: o.bess as string | undefined,
    lockWaitMs: seconds(o.lockWait, '--lock-wait'),
  });
  return { exitCode: summary.exitCode, text: formatReportSummary(summary), json: summary };
}
