import {
  formatResampleSummary,
  formatStats,
  stats as profileStats,
  type ResampleOptions,
  resample as resampleProfile,
  type StatsOptions,
} from '@lptool/stats';
import type { CommandResult } from '../output.js';

export async function stats(o: StatsOptions): Promise<CommandResult> {
  const s = await profileStats(o);
  // --out -: the table as CSV is what stdout carries (for a pipe), instead of the text table
  return { exitCode: s.exitCode, text: formatStats(s), data: s.table, json: s, notes: s.notes };
}

export async function resample(o: ResampleOptions): Promise<CommandResult> {
  const r = await resampleProfile(o);
  // --out -: stdout carries the resampled CSV, and only it
  return { exitCode: r.exitCode, text: formatResampleSummary(r), data: r.table, json: r, notes: r.notes };
}
