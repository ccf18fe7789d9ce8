import { type BuildOptions, build, buildProblems, formatBuildSummary } from '@lptool/profiles';
import { type CommandResult, type Io, progressFor } from '../output.js';

export async function run(o: BuildOptions, io: Io): Promise<CommandResult> {
  const progress = progressFor(io, 'build', 'meters');
  try {
    const summary = await build({ ...o, onProgress: (d, n, rows) => progress.update(d, n, rows) });
    const text = formatBuildSummary(summary, { verbose: io.mode?.verbose ?? false });
    return { exitCode: summary.exitCode, text, json: summary, problems: buildProblems(summary) };
  } finally {
    progress.finish();
  }
}
