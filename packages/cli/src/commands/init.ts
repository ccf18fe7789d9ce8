import { formatInitSummary, init, terminalPrompter } from '@lptool/site';
import type { CommandResult, Io } from '../output.js';
import { siteArgs } from './common.js';

export async function run(_args: string[], o: Record<string, unknown>, _io: Io): Promise<CommandResult> {
  const { root, tz, clock, interval } = siteArgs(o);
  // what no flag gives is asked for on a terminal; without one (a script, ansible) the defaults are taken
  const prompter = process.stdin.isTTY ? terminalPrompter() : undefined;
  try {
    const summary = await init({ root, tz, clock, interval, ask: prompter });
    return { exitCode: summary.exitCode, text: formatInitSummary(summary), json: summary, notes: summary.notes };
  } finally {
    prompter?.close();
  }
}
