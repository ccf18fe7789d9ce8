import { LptError } from '@lptool/core';
import { resolveRoot } from '@lptool/io';

/** The site-root options every site command takes. */
export function siteArgs(o: Record<string, unknown>) {
  return {
    root: resolveRoot(o.root as string | undefined),
    tz: o.tz as string | undefined,
    clock: o.clock as string | undefined,
    interval: o.interval as string | undefined,
  };
}

/** A flag in seconds → ms; a clear usage error otherwise. */
export function seconds(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new LptError('LPT_USAGE', `${flag} — expected a number of seconds ≥ 0, got ${JSON.stringify(v)}`, {
      key: flag,
    });
  return n * 1000;
}
