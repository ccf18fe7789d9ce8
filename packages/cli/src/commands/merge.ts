import { formatMergeSummary, type MergeOptions, merge } from '@lptool/merge';
import type { CommandResult } from '../output.js';

export async function run(o: MergeOptions): Promise<CommandResult> {
  const summary = await merge(o);
  return { exitCode: summary.exitCode, text: formatMergeSummary(summary), json: summary, warnings: summary.warnings };
}
