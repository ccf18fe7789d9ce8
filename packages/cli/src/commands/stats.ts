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
  return { exitCode: s.exitCode, text: formatStats(s), json: s, notes: s.notes };
}

export async function resample(o: ResampleOptions): Promise<CommandResult> {
  const r = await resampleProfile(o);
  return { exitCode: r.exitCode, text: formatResampleSummary(r), json: r, notes: r.notes };
}
