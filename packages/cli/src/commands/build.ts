import { type BuildOptions, build, formatBuildSummary } from '@lptool/profiles';
import type { CommandResult } from '../output.js';

export async function run(o: BuildOptions): Promise<CommandResult> {
  const summary = await build(o);
  return { exitCode: summary.exitCode, text: formatBuildSummary(summary), json: summary };
}
