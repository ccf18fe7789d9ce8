import { LptError } from './errors.js';
import { parseLabel } from './labels.js';
import type { SiteClock } from './zone.js';

/** A `--from`/`--to` range: starts from `from` (inclusive) to `to` (exclusive); either may be open. */
export interface TimeRange {
  from: number | undefined;
  to: number | undefined;
}

/**
 * `--from`/`--to` → a range, for every command that takes them (build, gaps,
 * stats, bess): each bound is a local date (`2024-07-01` = its midnight), a
 * local time (`2024-07-01T06:00`) read in the site zone, or ISO 8601 with an
 * offset. An unreadable bound, and a range that is reversed or empty
 * (`--to` not after `--from`), are usage errors naming the flags — checked
 * here, once, before a command touches anything.
 */
export function parseRange(fromText: string | undefined, toText: string | undefined, clock: SiteClock): TimeRange {
  const from = parseBound(fromText, clock, '--from');
  const to = parseBound(toText, clock, '--to');
  if (from !== undefined && to !== undefined && to <= from) {
    throw new LptError(
      'LPT_USAGE',
      `--from/--to — expected --to after --from, got --from ${fromText!.trim()} and --to ${toText!.trim()}: ${to === from ? 'an empty range' : 'a reversed range'}`,
      { key: '--to' },
    );
  }
  return { from, to };
}

/** One bound; `undefined` when not given (or blank). */
function parseBound(text: string | undefined, clock: SiteClock, flag: string): number | undefined {
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
