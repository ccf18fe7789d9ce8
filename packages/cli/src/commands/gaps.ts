import { LptError } from '@lptool/core';
import { formatGapsSummary, gaps } from '@lptool/gaps';
import type { PlotFormat } from '@lptool/plot';
import type { CommandResult, Io } from '../output.js';
import { siteArgs } from './common.js';

function positive(v: unknown, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new LptError('LPT_USAGE', `${flag} — expected a positive number, got ${JSON.stringify(v)}`, { key: flag });
  return n;
}

export async function run(args: string[], o: Record<string, unknown>, _io: Io): Promise<CommandResult> {
  const summary = await gaps({
    ...siteArgs(o),
    files: args,
    from: o.from as string | undefined,
    to: o.to as string | undefined,
    png: Boolean(o.png),
    ...(o.format ? { format: o.format as PlotFormat } : {}),
    width: positive(o.width, '--width'),
    height: positive(o.height, '--height'),
    scale: positive(o.scale, '--scale'),
    partialAsGap: Boolean(o.partialAsGap),
    failOnGaps: Boolean(o.failOnGaps),
  });
  return { exitCode: summary.exitCode, text: formatGapsSummary(summary), json: summary, notes: summary.notes };
}
