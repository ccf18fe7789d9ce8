import { parseDuration } from '@lptool/core';
import { doctor, formatDoctorSummary } from '@lptool/site';
import type { CommandResult, Io } from '../output.js';
import { seconds, siteArgs } from './common.js';

export async function run(_args: string[], o: Record<string, unknown>, _io: Io): Promise<CommandResult> {
  const summary = doctor({
    ...siteArgs(o),
    settleMs: seconds(o.settle, '--settle'),
    backlogMs: parseDuration(o.backlogAge as string, '--backlog-age'),
  });
  return { exitCode: summary.exitCode, text: formatDoctorSummary(summary), json: summary };
}
