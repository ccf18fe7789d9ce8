import { formatSortSummary, type SortOptions, sort, sortProblems } from '@lptool/sort';
import { type CommandResult, type Io, progressFor } from '../output.js';

export async function run(o: SortOptions & { json: boolean }, io: Io): Promise<CommandResult> {
  const { json: _json, ...options } = o;
  const progress = progressFor(io, 'sort', 'files');
  try {
    const summary = await sort({ ...options, onProgress: (d, n) => progress.update(d, n) });
    return {
      exitCode: summary.exitCode,
      text: formatSortSummary(summary),
      json: summary,
      problems: sortProblems(summary),
    };
  } finally {
    progress.finish();
  }
}
