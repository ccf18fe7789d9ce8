import { formatGapsSummary, type GapsOptions, gaps, gapsProblems } from '@lptool/gaps';
import type { CommandResult } from '../output.js';

export async function run(o: GapsOptions): Promise<CommandResult> {
  const summary = await gaps(o);
  // with --fail-on-gaps what is found is a problem: on stderr in every mode (cron); else it is the output
  const problems = o.failOnGaps ? gapsProblems(summary) : [];
  const text = formatGapsSummary(summary, { problemsApart: o.failOnGaps });
  return { exitCode: summary.exitCode, text, json: summary, notes: summary.notes, problems };
}
