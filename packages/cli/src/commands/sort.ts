import { formatSortSummary, type SortOptions, sort } from '@lptool/sort';
import type { CommandResult, Io } from '../output.js';

export async function run(o: SortOptions & { json: boolean }, _io: Io): Promise<CommandResult> {
  const { json, ...options } = o;
  const tty = process.stderr.isTTY && !json;
  const summary = await sort({
    ...options,
    onProgress: tty
      ? (d, n) => n >= 20 && process.stderr.write(`\rsort: ${d}/${n} files${d === n ? '\n' : ''}`)
      : undefined,
  });
  return { exitCode: summary.exitCode, text: formatSortSummary(summary), json: summary };
}
