import fs from 'node:fs';
import path from 'node:path';
import { rejectSidecarOf, siteRelative } from '@lptool/archive';
import { ExitCode, LptError, type SiteClock } from '@lptool/core';
import {
  errnoOf,
  escapeFileName,
  isSiteWideError,
  type Logger,
  moveDurable,
  type SiteLayout,
  writeFileAtomic,
} from '@lptool/io';
import type { HashEntry, HashStore } from './hash-store.js';
import type { SortAction } from './plan.js';
import type { SortedFile, SortSummary } from './summary.js';

/**
 * The sort executor: applies a plan's actions one by one, each move journaled (intent → move → done:
 * the order the crash-safety argument in hash-store.ts relies on), and logs them. `account` is the part
 * a dry run shares: what an action means for the summary.
 */

/** What applying a plan works with. */
export interface ApplyContext {
  store: HashStore;
  layout: SiteLayout;
  clock: SiteClock;
  intervalMs: number;
  log: Logger;
  errLog: Logger;
  summary: SortSummary;
  /** Paths filled in this run (so a plan made again after a failure does not reuse them). */
  existing: Set<string>;
}

/** An action in the summary (counts, files, skips, warnings): the same for a run and a dry run. */
export function account(summary: SortSummary, a: SortAction, dryRun: boolean, rel: (p: string) => string): void {
  const c = summary.counts;
  if (a.kind === 'leave') {
    if (a.as === 'failed' || a.as === 'bad-name') {
      summary.failed.push({ name: a.name, why: a.why });
      c.failed++;
    } else {
      summary.skipped.push({ name: a.name, why: a.why, ...(a.as === 'settling' ? { settling: true } : {}) });
      if (a.as === 'ignored') c.ignored++;
      else c.settling++;
    }
    return;
  }
  const file: SortedFile = { name: a.name, outcome: outcomeOf(a.kind, dryRun), hash: a.hash, dest: rel(a.dest) };
  if (a.kind === 'duplicate') {
    c.duplicate++;
    file.message = a.why;
  } else if (a.kind === 'reject') {
    c.error++;
    summary.errorsByReason[a.rejection.reason] = (summary.errorsByReason[a.rejection.reason] ?? 0) + 1;
    file.reason = a.rejection.reason;
    file.message = a.rejection.message;
  } else {
    c.archived++;
    const { meter, rows, first, last } = a.export;
    Object.assign(file, { meter, rows, first, last });
    for (const j of a.export.recordJumps) summary.warnings.push(recordJumpText(a.name, j));
  }
  summary.files.push(file);
}

const outcomeOf = (kind: 'archive' | 'reject' | 'duplicate', dryRun: boolean): SortedFile['outcome'] =>
  kind === 'archive'
    ? dryRun
      ? 'would-archive'
      : 'archived'
    : kind === 'reject'
      ? dryRun
        ? 'would-reject'
        : 'error'
      : dryRun
        ? 'would-duplicate'
        : 'duplicate';

const recordJumpText = (name: string, j: { line: number; previous: string; got: string }) =>
  `${name}:${j.line}: Record No. jumps from ${j.previous} to ${j.got} (times are continuous; kept)`;

/**
 * Apply the actions in order. A file that cannot be moved (it vanished, it cannot be read) is left
 * where it is and named (exit 1), and the rest of the plan is given back to be planned again (a later
 * copy of its bytes is then no longer its duplicate); a full or read-only disk, or a configuration
 * error, stops the run. Returns the actions not applied (empty when all were).
 */
export function applyPlan(actions: readonly SortAction[], ctx: ApplyContext): SortAction[] {
  for (let k = 0; k < actions.length; k++) {
    const a = actions[k]!;
    try {
      applyOne(a, ctx);
    } catch (e) {
      leaveInPlace(ctx, a.name, e);
      return actions.slice(k + 1);
    }
  }
  return [];
}

function applyOne(a: SortAction, ctx: ApplyContext): void {
  const { log, errLog } = ctx;
  const rel = (p: string) => siteRelative(ctx.layout, p);
  if (a.kind === 'leave') {
    if (a.as === 'failed') logFailed(ctx, a.name, a.why, a.stack);
    else if (a.as === 'bad-name') {
      // (a.name is already escaped: the name itself is not UTF-8 and no JSON log line could hold it)
      log.warn({ event: 'bad-name', file: a.name }, `${a.name}: ${a.why}`);
      errLog.error({ event: 'bad-name', file: a.name, message: a.why }, `${a.name}: ${a.why}`);
    }
    account(ctx.summary, a, false, rel);
    return;
  }
  const at = new Date().toISOString();
  const outcome = a.kind === 'archive' ? 'archived' : a.kind === 'reject' ? 'error' : 'duplicate';
  const entry: HashEntry = { dest: rel(a.dest), outcome, source: a.name, at };
  const full = path.join(ctx.layout.dropbox, a.name);
  if (a.kind === 'archive')
    for (const j of a.export.recordJumps)
      log.warn(
        { event: 'record-jump', file: a.name, line: j.line, previous: j.previous, got: j.got },
        recordJumpText(a.name, j),
      );
  if (a.kind === 'reject') {
    const context = a.rejection.rows.length
      ? mismatchContext(
          full,
          a.rejection.rows.slice(0, 5).map((x) => x.line),
        )
      : [];
    fileAway(ctx, a.hash, full, a.dest, entry, () => writeRejectSidecar(ctx, a, at));
    const r = a.rejection;
    errLog.error(
      {
        event: 'rejected',
        file: a.name,
        hash: a.hash,
        reason: r.reason,
        code: r.code,
        message: r.message,
        rows: r.rows.slice(0, 20),
        context,
        dest: entry.dest,
      },
      `${a.name}: ${r.reason}: ${r.message}`,
    );
    log.warn({ event: 'rejected', file: a.name, hash: a.hash, reason: r.reason, dest: entry.dest }, r.message);
  } else {
    fileAway(ctx, a.hash, full, a.dest, entry);
    if (a.kind === 'duplicate')
      log.info(
        { event: 'duplicate', file: a.name, hash: a.hash, dest: entry.dest, original: a.original },
        `duplicate of ${a.original}`,
      );
    else {
      const { meter, first, last, rows } = a.export;
      log.info(
        { event: 'archived', file: a.name, hash: a.hash, meter, first, last, rows, dest: entry.dest },
        'archived',
      );
    }
  }
  account(ctx.summary, a, false, rel);
}

/**
 * Journal the intent, write what goes with the file (a sidecar), move it, journal that it is done:
 * the order the crash-safety argument in hash-store.ts relies on.
 */
function fileAway(ctx: ApplyContext, hash: string, full: string, dest: string, entry: HashEntry, beside?: () => void) {
  ctx.store.intent(hash, siteRelative(ctx.layout, full), entry);
  beside?.();
  moveDurable(full, dest);
  ctx.existing.add(dest);
  ctx.store.done(hash, entry);
}

/** A reject's JSON sidecar: it keeps the original name (the reject's own may have been shortened to fit). */
function writeRejectSidecar(ctx: ApplyContext, a: Extract<SortAction, { kind: 'reject' }>, at: string): void {
  const r = a.rejection;
  const sidecar = {
    file: a.name,
    reason: r.reason,
    code: r.code,
    message: r.message,
    rows: r.rows,
    sha256: a.hash,
    timezone: ctx.clock.zone,
    clock: ctx.clock.clock,
    intervalMs: ctx.intervalMs,
    at,
  };
  writeFileAtomic(rejectSidecarOf(a.dest), `${JSON.stringify(sidecar, null, 2)}\n`);
}

/** The raw lines around each problem line (two before, two after), for the error log. */
function mismatchContext(file: string, problemLines: number[]): { line: number; text: string }[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split(/\r?\n/);
  const want = new Set<number>();
  for (const l of problemLines) for (let k = l - 2; k <= l + 2; k++) if (k >= 1 && k <= lines.length) want.add(k);
  return [...want].sort((a, b) => a - b).map((line) => ({ line, text: (lines[line - 1] ?? '').slice(0, 300) }));
}

function logFailed(ctx: ApplyContext, name: string, why: string, stack?: string): void {
  ctx.errLog.error({ event: 'failed', file: name, message: why, stack }, `${escapeFileName(name)}: ${why}`);
  ctx.log.warn({ event: 'failed', file: name, message: why }, why);
}

/**
 * Why a file could not be handled, for the summary (left where it is, exit 1) — unless it is what
 * would fail every file (a full or read-only disk) or a configuration error: those stop the run. In a
 * dry run a file that vanished means another sort is moving files, so the plan is stale: that is
 * LPT_DROPBOX_CHANGED (exit 2).
 */
export function whyLeft(e: unknown, name: string, dropbox: string, dryRun: boolean): string {
  if (isSiteWideError(e) || (e instanceof LptError && e.exitCode !== ExitCode.flagged)) throw e;
  const vanished = errnoOf(e) === 'ENOENT' && !fs.existsSync(path.join(dropbox, name));
  if (vanished && dryRun)
    throw new LptError(
      'LPT_DROPBOX_CHANGED',
      `dropbox — expected ${escapeFileName(name)} to stay while the dry run read it, got it gone (another sort is moving files); nothing was changed: run the dry run again`,
      { file: path.join(dropbox, name) },
    );
  return vanished
    ? 'vanished during the run (moved or deleted by another process); nothing of it was filed'
    : `could not be handled — ${(e as Error)?.message ?? String(e)}; left in the dropbox`;
}

/** A file whose action failed: left where it is, named in the summary and the error log. */
function leaveInPlace(ctx: ApplyContext, name: string, e: unknown): void {
  const why = whyLeft(e, name, ctx.layout.dropbox, false);
  ctx.summary.failed.push({ name, why });
  ctx.summary.counts.failed++;
  logFailed(ctx, name, why, (e as Error)?.stack);
}
