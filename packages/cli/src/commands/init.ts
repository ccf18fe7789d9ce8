import { formatInitSummary, type InitOptions, init, terminalPrompter } from '@lptool/site';
import type { CommandResult } from '../output.js';

export async function run(o: Omit<InitOptions, 'ask'>): Promise<CommandResult> {
  // what no flag gives is asked for on a terminal; without one (a script, ansible) the defaults are taken
  const prompter = process.stdin.isTTY ? terminalPrompter() : undefined;
  try {
    const summary = await init({ ...o, ask: prompter });
    return { exitCode: summary.exitCode, text: formatInitSummary(summary), json: summary, notes: summary.notes };
  } finally {
    prompter?.close();
  }
}
