import { type DoctorOptions, doctor, formatDoctorSummary } from '@lptool/site';
import type { CommandResult } from '../output.js';

export async function run(o: DoctorOptions): Promise<CommandResult> {
  const summary = doctor(o);
  return { exitCode: summary.exitCode, text: formatDoctorSummary(summary), json: summary };
}
