import { LptError } from './errors.js';
import { parseLabel } from './labels.js';
import type { SiteClock } from './zone.js';

/**
 * A `--from`/`--to` bound: a local date (`2024-07-01` = its midnight), a local
 * time (`2024-07-01T06:00`) read in the site zone, or ISO 8601 with an offset.
 * `undefined` when not given; an unreadable bound is a usage error naming the flag.
 */
export function parseRangeBound(text: string | undefined, clock: SiteClock, flag: string): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const t = text.trim();
  const p = parseLabel(/^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00` : t);
  if (!p)
    throw new LptError(
      'LPT_USAGE',
      `${flag} — expected a date like 2024-07-01 or 2024-07-01T06:00, got ${JSON.stringify(text)}`,
      { key: flag },
    );
  return Number.isNaN(p.offsetMs) ? clock.instantAtOrAfter(p.wall) : p.wall - p.offsetMs;
}
