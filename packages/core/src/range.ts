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

/**
 * One bound; `undefined` when not given (or blank). A date is its day's first instant (where midnight itself is
 * skipped by a DST change, the first that exists); a local time that does not exist — inside the hour skipped
 * when the clocks go forward — is a usage error, as it is a PARSE-ERROR in an export: which instant was meant
 * cannot be known.
 */
function parseBound(text: string | undefined, clock: SiteClock, flag: string): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const t = text.trim();
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(t);
  const p = parseLabel(dateOnly ? `${t}T00:00` : t);
  if (!p)
    throw new LptError(
      'LPT_USAGE',
      `${flag} — expected a date like 2024-07-01 or 2024-07-01T06:00, got ${JSON.stringify(text)}`,
      { key: flag },
    );
  if (!Number.isNaN(p.offsetMs)) return p.wall - p.offsetMs;
  if (!dateOnly && clock.legalCandidates(p.wall).length === 0) {
    throw new LptError(
      'LPT_USAGE',
      `${flag} — expected a local time that exists in ${clock.zone}, got ${JSON.stringify(t)}: the clocks skip it that night (give a time outside the skipped hour, or one with an offset)`,
      { key: flag },
    );
  }
  return clock.instantAtOrAfter(p.wall);
}
