import fs from 'node:fs';
import path from 'node:path';
import { rejectSidecarOf, siteRelative } from '@lptool/archive';
import { ExitCode, LptError, type SiteClock } from '@lptool/core';
import {
  crashPoint,
  errnoOf,
  escapeFileName,
  fsyncDir,
  isSiteWideError,
  type Logger,
  moveDurable,
  refuseExisting,
  type SiteLayout,
  writeFileAtomic,
} from '@lptool/io';
import type { HashEntry, HashStore } from './hash-store.js';
import type { SortAction } from './plan.js';
import type { SortedFile, SortSummary } from './summary.js';

/**
 * The sort executor: applies a plan's actions in order, the moves in batches, each journaled (intents →
 * moves → folder fsyncs → done: the order the crash-safety argument in hash-store.ts relies on), and logs them. `account` is the part
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
  /** Folders this run has made or found (a move into one needs no mkdir). */
  folders: Set<string>;
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
 * How many files are filed under one set of fsyncs (hash-store.ts): a batch costs 2 + one per folder it touches,
 * and a batch of one meter's exports in name order touches a month folder for each month (≈ 13 fsyncs). A year
 * of 20 meters (1,060 files): batches of 64 made 257 fsyncs, of 256 made 77 (sort's wall 2.8–3.3 s against
 * 1.8–2.2 s at load 9, the same CPU). `LPTOOL_SORT_BATCH` sets it for the kill tests.
 */
const BATCH = Math.max(1, Math.floor(Number(process.env.LPTOOL_SORT_BATCH)) || 256);

/** Files moved by this process (for the kill tests' crash point). */
let movesMade = 0;

type MoveAction = Exclude<SortAction, { kind: 'leave' }>;

/** A move of a batch, as it is filed. */
interface Filing {
  a: MoveAction;
  entry: HashEntry;
  /** The file in the dropbox. */
  full: string;
  /** A reject's raw lines around its problems (read before it moves). */
  context: { line: number; text: string }[];
}

/**
 * Apply the actions in order, the moves in batches (see hash-store.ts). A file that cannot be moved (it
 * vanished, it cannot be read) is left where it is and named (exit 1), and the rest of the plan is given back
 * to be planned again (a later copy of its bytes is then no longer its duplicate); a full or read-only disk,
 * or a configuration error, stops the run. Returns the actions not applied (empty when all were).
 */
export function applyPlan(actions: readonly SortAction[], ctx: ApplyContext): SortAction[] {
  for (let k = 0; k < actions.length; ) {
    const a = actions[k]!;
    if (a.kind === 'leave') {
      try {
        leaveAction(a, ctx);
      } catch (e) {
        leaveInPlace(ctx, a.name, e);
        return actions.slice(k + 1);
      }
      k++;
      continue;
    }
    const batch = batchAt(actions, k);
    const filed = fileBatch(batch, ctx);
    if (filed < batch.length) return actions.slice(k + filed + 1);
    k += batch.length;
  }
  return [];
}

/** The moves from actions[k] on that go in one batch: up to BATCH, up to the next leave, no hash twice. */
function batchAt(actions: readonly SortAction[], k: number): MoveAction[] {
  const batch: MoveAction[] = [];
  const hashes = new Set<string>();
  for (let j = k; j < actions.length && batch.length < BATCH; j++) {
    const a = actions[j]!;
    if (a.kind === 'leave' || hashes.has(a.hash)) break;
    hashes.add(a.hash);
    batch.push(a);
  }
  return batch;
}

/** A leave: logged (a failure, a bad name) and counted. */
function leaveAction(a: Extract<SortAction, { kind: 'leave' }>, ctx: ApplyContext): void {
  const { log, errLog } = ctx;
  if (a.as === 'failed') logFailed(ctx, a.name, a.why, a.stack);
  else if (a.as === 'bad-name') {
    // (a.name is already escaped: the name itself is not UTF-8 and no JSON log line could hold it)
    log.warn({ event: 'bad-name', file: a.name }, `${a.name}: ${a.why}`);
    errLog.error({ event: 'bad-name', file: a.name, message: a.why }, `${a.name}: ${a.why}`);
  }
  account(ctx.summary, a, false, (p) => siteRelative(ctx.layout, p));
}

/**
 * File a batch: journal every intent (one fsync); write each reject's sidecar and move each file; fsync each
 * folder the moves touched, once; journal every move as done (one fsync); then log and count them. When a
 * file fails, the files before it are still made durable, journaled done, logged and counted, and it is left
 * in place (a full or read-only disk stops the run there). Returns how many files were filed.
 */
function fileBatch(batch: readonly MoveAction[], ctx: ApplyContext): number {
  const at = new Date().toISOString();
  const filings = batch.map((a) => filingOf(a, at, ctx));
  try {
    ctx.store.intents(filings.map((f) => ({ hash: f.a.hash, src: siteRelative(ctx.layout, f.full), entry: f.entry })));
  } catch (e) {
    leaveInPlace(ctx, batch[0]!.name, e);
    return 0;
  }
  const folders = new Set<string>();
  let moved = 0;
  let failure: unknown = null;
  for (; moved < filings.length; moved++) {
    const f = filings[moved]!;
    try {
      if (f.a.kind === 'reject') {
        f.context = rejectContext(f);
        writeRejectSidecar(ctx, f.a, at);
      }
      moveInBatch(f.full, f.a.dest, folders, ctx.folders);
      crashPoint('sort-moved', ++movesMade); // (the kill tests: LPTOOL_CRASH_AT=sort-moved:N, after the N-th move)
    } catch (e) {
      failure = e;
      break;
    }
  }
  const done = filings.slice(0, moved);
  if (done.length) {
    for (const dir of folders) fsyncDir(dir);
    ctx.store.doneAll(done.map((f) => ({ hash: f.a.hash, entry: f.entry })));
    for (const f of done) {
      ctx.existing.add(f.a.dest);
      logFiled(f, ctx);
      account(ctx.summary, f.a, false, (p) => siteRelative(ctx.layout, p));
    }
  }
  if (failure !== null) leaveInPlace(ctx, filings[moved]!.a.name, failure);
  return moved;
}

function filingOf(a: MoveAction, at: string, ctx: ApplyContext): Filing {
  const outcome = a.kind === 'archive' ? 'archived' : a.kind === 'reject' ? 'error' : 'duplicate';
  const entry: HashEntry = { dest: siteRelative(ctx.layout, a.dest), outcome, source: a.name, at };
  return { a, entry, full: path.join(ctx.layout.dropbox, a.name), context: [] };
}

/**
 * Move a file within a batch: one rename on the same file system, its two folders noted for the batch's
 * fsyncs (a folder it had to make: its parent too); across file systems `moveDurable`'s copy, durable on its
 * own. Never overwrites: EEXIST if the target exists (callers hold the site lock).
 */
function moveInBatch(src: string, dest: string, folders: Set<string>, present: Set<string>): void {
  const dir = path.dirname(dest);
  if (!present.has(dir)) {
    const made = fs.mkdirSync(dir, { recursive: true });
    // each folder made, and the one it was made in, hold a new entry
    if (made !== undefined)
      for (let d = dir; d.length >= made.length; d = path.dirname(d)) folders.add(path.dirname(d));
    present.add(dir);
  }
  refuseExisting(dest);
  try {
    fs.renameSync(src, dest);
  } catch (e) {
    const code = errnoOf(e);
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    moveDurable(src, dest);
    return;
  }
  folders.add(path.dirname(dest));
  folders.add(path.dirname(src));
}

/** The raw lines around a reject's first problem lines, read before it moves. */
function rejectContext(f: Filing): { line: number; text: string }[] {
  if (f.a.kind !== 'reject' || !f.a.rejection.rows.length) return [];
  return mismatchContext(
    f.full,
    f.a.rejection.rows.slice(0, 5).map((x) => x.line),
  );
}

/** A filed file's log lines: archived, rejected (both logs) or a duplicate. */
function logFiled(f: Filing, ctx: ApplyContext): void {
  const { log, errLog } = ctx;
  const { a, entry } = f;
  if (a.kind === 'archive') {
    for (const j of a.export.recordJumps)
      log.warn(
        { event: 'record-jump', file: a.name, line: j.line, previous: j.previous, got: j.got },
        recordJumpText(a.name, j),
      );
    const { meter, first, last, rows } = a.export;
    log.info({ event: 'archived', file: a.name, hash: a.hash, meter, first, last, rows, dest: entry.dest }, 'archived');
  } else if (a.kind === 'duplicate')
    log.info(
      { event: 'duplicate', file: a.name, hash: a.hash, dest: entry.dest, original: a.original },
      `duplicate of ${a.original}`,
    );
  else {
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
        context: f.context,
        dest: entry.dest,
      },
      `${a.name}: ${r.reason}: ${r.message}`,
    );
    log.warn({ event: 'rejected', file: a.name, hash: a.hash, reason: r.reason, dest: entry.dest }, r.message);
  }
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
