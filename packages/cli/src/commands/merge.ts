import { formatMergeSummary, merge } from '@lptool/merge';
import type { CommandResult, Io } from '../output.js';
import { seconds, siteArgs } from './common.js';

const list = (v: unknown) =>
  typeof v === 'string' && v.trim()
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

export async function run(_args: string[], o: Record<string, unknown>, _io: Io): Promise<CommandResult> {
  const summary = await merge({
    ...siteArgs(o),
    only: list(o.only),
    exclude: list(o.exclude),
    resample: Boolean(o.resample),
    lockWaitMs: seconds(o.lockWait, '--lock-wait'),
  });
  return { exitCode: summary.exitCode, text: formatMergeSummary(summary), json: summary, warnings: summary.warnings };
}
