import { type BessOptions, bess, formatBessSummary } from '@lptool/bess';
import type { CommandResult } from '../output.js';

export async function run(o: BessOptions): Promise<CommandResult> {
  const summary = await bess(o);
  return { exitCode: summary.exitCode, text: formatBessSummary(summary), json: summary };
}
