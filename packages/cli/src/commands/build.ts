import { build, formatBuildSummary, parseShard } from '@lptool/profiles';
import type { CommandResult, Io } from '../output.js';
import { seconds, siteArgs } from './common.js';

export async function run(_args: string[], o: Record<string, unknown>, _io: Io): Promise<CommandResult> {
  const summary = await build({
    ...siteArgs(o),
    meter: o.meter as string | undefined,
    from: o.from as string | undefined,
    to: o.to as string | undefined,
    legacyNet: Boolean(o.legacyNet),
    onBadRow: o.onBadRow as 'skip' | 'fail',
    full: Boolean(o.full),
    out: o.out as string | undefined,
    allowShrink: Boolean(o.allowShrink),
    shard: parseShard(o.shard as string | undefined),
    lockWaitMs: seconds(o.lockWait, '--lock-wait'),
  });
  return { exitCode: summary.exitCode, text: formatBuildSummary(summary), json: summary };
}
