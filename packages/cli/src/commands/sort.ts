import { formatSortSummary, sort } from '@lptool/sort';
import type { CommandResult, Io } from '../output.js';
import { seconds, siteArgs } from './common.js';

export async function run(_args: string[], o: Record<string, unknown>, io: Io): Promise<CommandResult> {
  const tty = process.stderr.isTTY && !o.json;
  const summary = await sort({
    ...siteArgs(o),
    dryRun: Boolean(o.dryRun),
    settleMs: seconds(o.settle, '--settle'),
    lockWaitMs: seconds(o.lockWait, '--lock-wait'),
    onProgress: tty
      ? (d, n) => n >= 20 && process.stderr.write(`\rsort: ${d}/${n} files${d === n ? '\n' : ''}`)
      : undefined,
  });
  void io;
  return { exitCode: summary.exitCode, text: formatSortSummary(summary), json: summary };
}
