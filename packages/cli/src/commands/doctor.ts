import { type DoctorOptions, doctor, formatDoctorSummary } from '@lptool/site';
import type { CommandResult, Io } from '../output.js';

export async function run(o: DoctorOptions, io?: Io): Promise<CommandResult> {
  const summary = doctor(o);
  // the whole view is the summary (stdout); under -q what is unhealthy still needs attention: each on stderr
  const problems = io?.mode?.quiet ? summary.findings.map((f) => `doctor: ${f.problem} — fix: ${f.fix}`) : [];
  return { exitCode: summary.exitCode, text: formatDoctorSummary(summary), json: summary, problems };
}
