import { bess, formatBessSummary } from '@lptool/bess';
import type { CommandResult, Io } from '../output.js';

export async function run(_args: string[], o: Record<string, unknown>, _io: Io): Promise<CommandResult> {
  const summary = await bess({
    config: String(o.config),
    out: o.out as string | undefined,
    from: o.from as string | undefined,
    to: o.to as string | undefined,
    tz: o.tz as string | undefined,
  });
  return { exitCode: summary.exitCode, text: formatBessSummary(summary), json: summary };
}
