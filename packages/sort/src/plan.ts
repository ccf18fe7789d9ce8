import path from 'node:path';
import type { ExportProblemRow } from '@lptool/archive';
import { archiveDest, duplicateDest, type RejectReason, rejectDest, siteRelative } from '@lptool/archive';
import { type DropboxItem, dropboxEntry, type SiteLayout } from '@lptool/io';
import type { HashEntry } from './hash-store.js';

/**
 * The sort planner (SPEC §3, §9), pure: what is in the dropbox and what the store knows in, the
 * actions out — archive, reject, duplicate or leave, each with its destination and its reason. No
 * file system, no log, no clock: `sort` lists and reads the dropbox, plans, and applies the plan;
 * `sort --dry-run` prints the same plan.
 */

/**
 * What reading a candidate found: its SHA-256 and its check (SPEC §3 step 2) — not checked when the store
 * already has those bytes — or why it could not be read.
 */
export type Inspection =
  | { hash: string; known: true }
  | { hash: string; accepted: AcceptedExport }
  | { hash: string; rejected: Rejection }
  | { failed: string; stack?: string | undefined };

/** A good export, as the plan needs it. */
export interface AcceptedExport {
  meter: string;
  rows: number;
  /** First start and last end, as ISO local times. */
  first: string;
  last: string;
  /** Its month folder (`YYYY-MM`: the legal local month of its first interval). */
  month: string;
  /** Lines where `Record No.` does not go up by one (warnings). */
  recordJumps: { line: number; previous: string; got: string }[];
}

/** A reject, with what its sidecar and the error log say. */
export interface Rejection {
  reason: RejectReason;
  code: string;
  message: string;
  rows: ExportProblemRow[];
}

/** Everything the planner decides from. */
export interface Listing {
  layout: SiteLayout;
  /** The time of the listing, and how long a file must have been left alone to be taken (ms). */
  now: number;
  settleMs: number;
  /** The dropbox's entries with UTF-8 names, in name order. */
  entries: DropboxItem[];
  /** Names that are not valid UTF-8: escaped, each with a safe name to rename it to. */
  badNames: { name: string; safe: string }[];
  /** What reading each candidate found (see `isCandidate`), by name. */
  inspected: ReadonlyMap<string, Inspection>;
  /** Absolute paths already taken under data/KW/ (the folders a destination may be in). */
  existing: ReadonlySet<string>;
}

/** What the store knows: the destination of every hash taken in. */
export interface StoreView {
  get(hash: string): HashEntry | undefined;
}

/** One step of a plan. `dest` is absolute; `why` says what decided it. */
export type SortAction =
  | { kind: 'archive'; name: string; hash: string; dest: string; why: string; export: AcceptedExport }
  | { kind: 'reject'; name: string; hash: string; dest: string; why: string; rejection: Rejection }
  | { kind: 'duplicate'; name: string; hash: string; dest: string; why: string; original: string }
  | {
      kind: 'leave';
      name: string;
      why: string;
      as: 'bad-name' | 'ignored' | 'settling' | 'failed';
      /** (a failure's stack, for the error log) */
      stack?: string | undefined;
    };

/** Is this entry read and sorted in this run: a regular `.csv` file, settled (io's `dropboxEntry`: SPEC §9)? */
export function isCandidate(e: DropboxItem, now: number, settleMs: number): boolean {
  return dropboxEntry(e, now, settleMs).kind === 'take';
}

/**
 * The plan for a dropbox: entries left where they are (bad names, other names, files still being
 * written) with why; then the candidates, oldest first, each a duplicate (its SHA-256 already taken in,
 * by the store or earlier in this plan), archived (by its month), or rejected (by its reason) — every
 * destination a name not taken.
 */
export function planSort(listing: Listing, store: StoreView): SortAction[] {
  const actions: SortAction[] = listing.badNames.map((b) => ({
    kind: 'leave' as const,
    name: b.name,
    why: `name is not valid UTF-8 — left in the dropbox; rename it, e.g. to ${b.safe}`,
    as: 'bad-name' as const,
  }));
  const candidates: DropboxItem[] = [];
  for (const e of listing.entries) {
    const verdict = dropboxEntry(e, listing.now, listing.settleMs);
    if (verdict.kind === 'aside') actions.push({ kind: 'leave', name: e.name, why: verdict.why, as: 'ignored' });
    else if (verdict.kind === 'settling')
      actions.push({
        kind: 'leave',
        name: e.name,
        why: 'still being written (modified in the last few seconds); next run',
        as: 'settling',
      });
    else if (verdict.kind === 'take') candidates.push(e);
  }
  candidates.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const planned = new Set<string>();
  const taken = (p: string) => listing.existing.has(p) || planned.has(p);
  const seen = new Map<string, string>(); // hash → destination (site-relative) of what this plan takes in
  for (const e of candidates) {
    const action = planOne(listing, e.name, store, seen, taken);
    if ('dest' in action) planned.add(action.dest);
    if (action.kind === 'archive' || action.kind === 'reject') seen.set(action.hash, rel(listing, action.dest));
    actions.push(action);
  }
  return actions;
}

const rel = (listing: Listing, full: string) => siteRelative(listing.layout, full);

/** One candidate's action (SPEC §3 steps 1–3). */
function planOne(
  listing: Listing,
  name: string,
  store: StoreView,
  seen: ReadonlyMap<string, string>,
  taken: (p: string) => boolean,
): SortAction {
  const found = listing.inspected.get(name);
  if (!found)
    return { kind: 'leave', name, why: 'could not be handled — it was not read; left in the dropbox', as: 'failed' };
  if ('failed' in found) return { kind: 'leave', name, why: found.failed, as: 'failed', stack: found.stack };
  const { hash } = found;
  const original = store.get(hash)?.dest ?? seen.get(hash);
  const { layout } = listing;
  if (original !== undefined)
    return {
      kind: 'duplicate',
      name,
      hash,
      dest: duplicateDest(layout, name, taken),
      why: `same bytes as ${original}`,
      original,
    };
  if ('accepted' in found) {
    const dest = archiveDest(layout, found.accepted.month, name, taken);
    const why = `an export of meter ${found.accepted.meter} from ${found.accepted.first}: month ${found.accepted.month}${path.basename(dest) === name ? '' : ', its name taken there'}`;
    return { kind: 'archive', name, hash, dest, why, export: found.accepted };
  }
  if (!('rejected' in found))
    return { kind: 'leave', name, why: 'could not be handled — it was not checked; left in the dropbox', as: 'failed' };
  const dest = rejectDest(layout, name, found.rejected.reason, taken);
  return { kind: 'reject', name, hash, dest, why: found.rejected.message, rejection: found.rejected };
}
