import { formatStats, stats as profileStats, resample as resampleProfile } from '@lptool/stats';
import type { CommandResult, Io } from '../output.js';
import { siteArgs } from './common.js';

export async function stats(args: string[], o: Record<string, unknown>, _io: Io): Promise<CommandResult> {
  const s = await profileStats({
    ...siteArgs(o),
    files: args,
    from: o.from as string | undefined,
    to: o.to as string | undefined,
    by: o.by as 'month' | 'all',
    csv: o.csv as string | undefined,
    png: Boolean(o.png),
  });
  return { exitCode: s.exitCode, text: formatStats(s), json: s, notes: s.notes };
}

export async function resample(args: string[], o: Record<string, unknown>, _io: Io): Promise<CommandResult> {
  const r = await resampleProfile({
    ...siteArgs(o),
    file: args[0]!,
    to: String(o.to),
    out: o.out as string | undefined,
  });
  return {
    exitCode: r.exitCode,
    text: `resample ${r.input} → ${r.output}: ${r.rows} buckets of ${r.bucket}, ${r.partial} partial (intervals_present < intervals_expected)`,
    json: r,
  };
}
