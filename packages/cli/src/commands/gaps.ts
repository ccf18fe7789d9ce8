import { formatGapsSummary, type GapsOptions, gaps } from '@lptool/gaps';
import type { CommandResult } from '../output.js';

export async function run(o: GapsOptions): Promise<CommandResult> {
  const summary = await gaps(o);
  return { exitCode: summary.exitCode, text: formatGapsSummary(summary), json: summary, notes: summary.notes };
}
