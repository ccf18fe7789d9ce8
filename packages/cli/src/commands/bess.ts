import { type BessOptions, bess, formatBessSummary } from '@lptool/bess';
import { type CommandResult, type Io, progressFor } from '../output.js';

export async function run(o: BessOptions, io: Io): Promise<CommandResult> {
  const progress = progressFor(io, 'bess', 'files');
  try {
    const summary = await bess({ ...o, onProgress: (d, n, rows) => progress.update(d, n, rows) });
    // its warnings (coverage below the minimum, a timestamp repeated with other values) make the exit 1: problems
    const problems = summary.warnings.map((w) => `bess: ${w}`);
    return { exitCode: summary.exitCode, text: formatBessSummary(summary), json: summary, problems };
  } finally {
    progress.finish();
  }
}
