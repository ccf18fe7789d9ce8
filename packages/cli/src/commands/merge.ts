import type { CommandResult, Io } from '../output.js';
import { notBuilt } from '../output.js';

export async function run(_args: string[], _o: Record<string, unknown>, _io: Io): Promise<CommandResult> {
  return notBuilt('merge', 'issue 4');
}
