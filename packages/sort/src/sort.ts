import fs from 'node:fs';
import path from 'node:path';
import {
  archiveMonthFolders,
  type CheckedExport,
  checkExport,
  ExportRejected,
  type RejectReason,
  sha256File,
} from '@lptool/archive';
import { ExitCode, LptError, SiteClock } from '@lptool/core';
import {
  acquireLock,
  checkSiteFolders,
  createLogger,
  dropboxEntry,
  errnoOf,
  escapeFileName,
  fitName,
  isSiteWideError,
  isUtf8Name,
  type Logger,
  loadSettings,
  MAX_NAME_BYTES,
  moveDurable,
  nullLogger,
  type SettingFlags,
  type SiteLayout,
  safeFileName,
  siteLayout,
  writeFileAtomic,
} from '@lptool/io';
import { type HashEntry, HashStore, type Outcome } from './hash-store.js';

export interface SortOptions extends SettingFlags {
  root: string;
  dryRun?: boolean;
  /** Files modified less than this long ago are left for the next run (ms). Default 5000. */
  settleMs?: number;
  /** How long to wait for another run's lock (ms). Default 30000. */
  lockWaitMs?: number;
  /** Progress callback (the CLI draws a line on a TTY). */
  onProgress?: (done: number, total: number) => void;
  env?: NodeJS.ProcessEnv;
}

export interface SortedFile {
  name: string;
  outcome: Outcome | 'would-archive' | 'would-reject' | 'would-duplicate';
  hash: string;
  /** Site-relative destination. */
  dest: string;
  reason?: RejectReason;
  message?: string;
  meter?: string;
  rows?: number;
  first?: string;
  last?: string;
}

export interface SortSummary {
  root: string;
  dryRun: boolean;
  files: SortedFile[];
  counts: { archived: number; error: number; duplicate: number; settling: number; ignored: number; failed: number };
  errorsByReason: Partial<Record<RejectReason, number>>;
  /** Things left alone, with why (symlinks, folders, other names, still being written). */
  skipped: { name: string; why: string }[];
  /** Inputs that could not be handled (a name that is not UTF-8, a file that vanished or could not be read): left where they were. */
  failed: { name: string; why: string }[];
  warnings: string[];
  recovered: { recorded: number; forgotten: number; cleanedTemps: number } | null;
  /** Files hashed into a new `.processed-hashes.json` because it was missing while the archive had files. */
  rebuiltStore: number | null;
  exitCode: 0 | 1;
}

/** What every file of one run is sorted with. */
interface SortRun {
  layout: SiteLayout;
  store: HashStore;
  clock: SiteClock;
  intervalMs: number;
  dryRun: boolean;
  log: Logger;
  errLog: Logger;
  /** Destinations chosen in this run (a dry run creates none, so it must remember them). */
  planned: Set<string>;
  seenThisRun: Map<string, HashEntry>;
  summary: SortSummary;
}

/** One `lptool sort` run over a site root (SPEC §3). */
export async function sort(options: SortOptions): Promise<SortSummary> {
  const layout = siteLayout(options.root);
  const settings = loadSettings(layout.settings, options, options.env);
  const clock = new SiteClock(settings.timezone, settings.clock);
  const dryRun = options.dryRun ?? false;
  const settleMs = options.settleMs ?? 5000;
  checkSiteFolders(layout, ['dropbox', 'archive', 'logs'], archiveMonthFolders(layout));
  if (!fs.existsSync(layout.dropbox)) {
    throw new LptError(
      'LPT_INPUT_MISSING',
      `dropbox — expected the folder _dropbox/KW/ under the site root, got nothing at ${layout.dropbox}`,
      {
        file: layout.dropbox,
      },
    );
  }

  // Open the store before anything moves: a corrupt store stops the run (exit 2) with nothing touched.
  let store = HashStore.load(layout.root, layout.hashStore);
  const release = dryRun
    ? () => {}
    : acquireLock(layout.lockFile, { waitMs: options.lockWaitMs ?? 30_000, command: 'lptool sort' });
  const summary = emptySummary(layout.root, dryRun);
  const log: Logger = dryRun ? nullLogger() : createLogger(layout.logs, 'dropbox', { cmd: 'sort' });
  const errLog: Logger = dryRun ? nullLogger() : createLogger(layout.logs, 'dropbox-error', { cmd: 'sort' });
  try {
    if (!dryRun) store = HashStore.load(layout.root, layout.hashStore); // re-read under the lock
    log.info(
      {
        event: 'start',
        root: layout.root,
        timezone: settings.timezone,
        clock: settings.clock,
        intervalMs: settings.intervalMs,
        sources: settings.sources,
      },
      'sort started',
    );
    openStore(store, layout, summary, log, dryRun);

    const candidates = listDropbox(layout.dropbox, settleMs, summary);
    for (const f of summary.failed) log.warn({ event: 'bad-name', file: f.name }, `${f.name}: ${f.why}`);
    const run: SortRun = {
      layout,
      store,
      clock,
      intervalMs: settings.intervalMs,
      dryRun,
      log,
      errLog,
      planned: new Set(),
      seenThisRun: new Map(),
      summary,
    };
    let done = 0;
    for (const candidate of candidates) {
      try {
        summary.files.push(sortOne(run, candidate.name, candidate.full));
      } catch (e) {
        leaveInPlace(run, candidate.name, e);
      }
      options.onProgress?.(++done, candidates.length);
    }
    if (!dryRun) store.save();
    summary.exitCode = summary.counts.error > 0 || summary.counts.failed > 0 ? 1 : 0;
    log.info(
      {
        event: 'end',
        counts: summary.counts,
        errorsByReason: summary.errorsByReason,
        failed: summary.failed,
        exitCode: summary.exitCode,
      },
      'sort finished',
    );
    return summary;
  } finally {
    release();
  }
}

function emptySummary(root: string, dryRun: boolean): SortSummary {
  return {
    root,
    dryRun,
    files: [],
    counts: { archived: 0, error: 0, duplicate: 0, settling: 0, ignored: 0, failed: 0 },
    errorsByReason: {},
    skipped: [],
    failed: [],
    warnings: [],
    recovered: null,
    rebuiltStore: null,
    exitCode: 0,
  };
}

/**
 * Before the first file: a store that is missing while the archive has files is rebuilt from the archive
 * (else every re-delivery of an archived export would be archived twice), then the journal of a killed
 * run is settled. A dry run does both in memory only.
 */
function openStore(store: HashStore, layout: SiteLayout, summary: SortSummary, log: Logger, dryRun: boolean): void {
  if (!store.existed) {
    const n = store.rebuildFromArchive(layout);
    if (n > 0) {
      summary.rebuiltStore = n;
      const w = `${path.basename(layout.hashStore)} was missing: rebuilt from the ${n} file(s) under data/KW/ (archived and rejected), so re-deliveries of them are still duplicates`;
      summary.warnings.push(w);
      log.warn({ event: 'store-rebuilt', files: n }, w);
    }
  }
  if (dryRun) return;
  const rec = store.recover();
  if (rec.recorded || rec.forgotten || rec.cleanedTemps) {
    summary.recovered = rec;
    log.warn({ event: 'recovered', ...rec }, 'finished the journal of an interrupted run');
  }
}

/**
 * A file that could not be handled stays where it is, named in the summary and the error log, and the
 * run goes on with the others (exit 1). Not so for a full or read-only disk, which would fail every
 * file, nor for a configuration error: those stop the run. In a dry run a file that vanished means
 * another sort is moving files, so its plan is stale: that is LPT_DROPBOX_CHANGED (exit 2).
 */
function leaveInPlace(run: SortRun, name: string, e: unknown): void {
  if (isSiteWideError(e) || (e instanceof LptError && e.exitCode !== ExitCode.flagged)) throw e;
  const vanished = errnoOf(e) === 'ENOENT' && !fs.existsSync(path.join(run.layout.dropbox, name));
  if (vanished && run.dryRun)
    throw new LptError(
      'LPT_DROPBOX_CHANGED',
      `dropbox — expected ${escapeFileName(name)} to stay while the dry run read it, got it gone (another sort is moving files); nothing was changed: run the dry run again`,
      { file: path.join(run.layout.dropbox, name) },
    );
  const why = vanished
    ? 'vanished during the run (moved or deleted by another process); nothing of it was filed'
    : `could not be handled — ${(e as Error)?.message ?? String(e)}; left in the dropbox`;
  run.summary.failed.push({ name, why });
  run.summary.counts.failed++;
  run.errLog.error(
    { event: 'failed', file: name, message: why, stack: (e as Error)?.stack },
    `${escapeFileName(name)}: ${why}`,
  );
  run.log.warn({ event: 'failed', file: name, message: why }, why);
}

/** Sort one dropbox file: a duplicate, archived, or rejected (SPEC §3). */
function sortOne(run: SortRun, name: string, full: string): SortedFile {
  const hash = sha256File(full);
  const known = run.store.get(hash) ?? run.seenThisRun.get(hash);
  if (known) return fileDuplicate(run, name, full, hash, known);
  try {
    const checked = checkExport(fs.readFileSync(full, 'utf8'), name, run.clock, run.intervalMs);
    return fileArchived(run, name, full, hash, checked);
  } catch (e) {
    if (!(e instanceof ExportRejected)) throw e;
    return fileRejected(run, name, full, hash, e);
  }
}

const siteRel = (run: SortRun, p: string) => path.relative(run.layout.root, p).split(path.sep).join('/');

/**
 * Journal the intent, write what goes with the file (a sidecar), move it, journal that it is done:
 * the order the crash-safety argument in hash-store.ts relies on.
 */
function fileAway(run: SortRun, hash: string, full: string, dest: string, entry: HashEntry, beside?: () => void) {
  run.store.intent(hash, siteRel(run, full), entry);
  beside?.();
  moveDurable(full, dest);
  run.store.done(hash, entry);
}

function fileDuplicate(run: SortRun, name: string, full: string, hash: string, known: HashEntry): SortedFile {
  const dest = freeName(run.layout.duplicate, ...splitName(name), run.planned);
  const entry: HashEntry = {
    dest: siteRel(run, dest),
    outcome: 'duplicate',
    source: name,
    at: new Date().toISOString(),
  };
  if (!run.dryRun) {
    fileAway(run, hash, full, dest, entry);
    run.log.info(
      { event: 'duplicate', file: name, hash, dest: entry.dest, original: known.dest },
      `duplicate of ${known.dest}`,
    );
  }
  run.summary.counts.duplicate++;
  return {
    name,
    outcome: run.dryRun ? 'would-duplicate' : 'duplicate',
    hash,
    dest: entry.dest,
    message: `same bytes as ${known.dest}`,
  };
}

function fileArchived(run: SortRun, name: string, full: string, hash: string, checked: CheckedExport): SortedFile {
  const { clock, summary, log } = run;
  const first = checked.intervals.start[0]!;
  const last = checked.intervals.end[checked.intervals.end.length - 1]!;
  const month = clock.localDate(first).slice(0, 7);
  const dest = freeName(path.join(run.layout.archive, month), ...splitName(name), run.planned);
  const entry: HashEntry = {
    dest: siteRel(run, dest),
    outcome: 'archived',
    source: name,
    at: new Date().toISOString(),
  };
  const result: SortedFile = {
    name,
    outcome: run.dryRun ? 'would-archive' : 'archived',
    hash,
    dest: entry.dest,
    meter: checked.meter,
    rows: checked.table.rows.length,
    first: clock.format(first),
    last: clock.format(last),
  };
  for (const j of checked.recordJumps) {
    const w = `${name}:${j.line}: Record No. jumps from ${j.previous} to ${j.got} (times are continuous; kept)`;
    summary.warnings.push(w);
    log.warn({ event: 'record-jump', file: name, line: j.line, previous: j.previous, got: j.got }, w);
  }
  if (!run.dryRun) {
    fileAway(run, hash, full, dest, entry);
    log.info(
      {
        event: 'archived',
        file: name,
        hash,
        meter: checked.meter,
        first: result.first,
        last: result.last,
        rows: result.rows,
        dest: entry.dest,
      },
      'archived',
    );
  }
  run.seenThisRun.set(hash, entry);
  summary.counts.archived++;
  return result;
}

function fileRejected(run: SortRun, name: string, full: string, hash: string, r: ExportRejected): SortedFile {
  const { summary, clock } = run;
  const stem = name.replace(/\.csv$/i, '');
  // (sized for its sidecar, `.json`: one byte longer than `.csv`)
  const dest = freeName(run.layout.error, stem, `_${r.reason}`, '.csv', run.planned, MAX_NAME_BYTES - 1);
  const entry: HashEntry = { dest: siteRel(run, dest), outcome: 'error', source: name, at: new Date().toISOString() };
  if (!run.dryRun) {
    // the sidecar keeps the original name: the reject's own name may have been shortened to fit
    const sidecar = {
      file: name,
      reason: r.reason,
      code: r.code,
      message: r.message,
      rows: r.rows,
      sha256: hash,
      timezone: clock.zone,
      clock: clock.clock,
      intervalMs: run.intervalMs,
      at: entry.at,
    };
    const context = r.rows.length
      ? mismatchContext(
          full,
          r.rows.slice(0, 5).map((x) => x.line),
        )
      : [];
    fileAway(run, hash, full, dest, entry, () =>
      writeFileAtomic(dest.replace(/\.csv$/, '.json'), `${JSON.stringify(sidecar, null, 2)}\n`),
    );
    run.errLog.error(
      {
        event: 'rejected',
        file: name,
        hash,
        reason: r.reason,
        code: r.code,
        message: r.message,
        rows: r.rows.slice(0, 20),
        context,
        dest: entry.dest,
      },
      `${name}: ${r.reason}: ${r.message}`,
    );
    run.log.warn({ event: 'rejected', file: name, hash, reason: r.reason, dest: entry.dest }, r.message);
  }
  run.seenThisRun.set(hash, entry);
  summary.counts.error++;
  summary.errorsByReason[r.reason] = (summary.errorsByReason[r.reason] ?? 0) + 1;
  return {
    name,
    outcome: run.dryRun ? 'would-reject' : 'error',
    hash,
    dest: entry.dest,
    reason: r.reason,
    message: r.message,
  };
}

/**
 * Regular `.csv` files of the dropbox, oldest first. Everything else is left
 * where it is with a reason (SPEC §9); so are files still being written. A
 * name that is not valid UTF-8 cannot be named in the store, the journal or a
 * log as it is: it is left in place and listed (escaped) among the failed.
 */
function listDropbox(dir: string, settleMs: number, summary: SortSummary): { name: string; full: string }[] {
  const now = Date.now();
  const out: { name: string; full: string; mtime: number }[] = [];
  const names: string[] = [];
  for (const raw of fs.readdirSync(dir, { encoding: 'buffer' })) {
    if (isUtf8Name(raw)) names.push(raw.toString('utf8'));
    else {
      summary.failed.push({
        name: escapeFileName(raw),
        why: `name is not valid UTF-8 — left in the dropbox; rename it, e.g. to ${safeFileName(raw)}`,
      });
      summary.counts.failed++;
    }
  }
  for (const name of names.sort()) {
    const full = path.join(dir, name);
    const st = fs.lstatSync(full, { throwIfNoEntry: false });
    if (!st) continue;
    const entry = dropboxEntry(name, st, now, settleMs);
    if (entry.kind === 'temp') continue;
    if (entry.kind === 'aside') {
      summary.skipped.push({ name, why: entry.why });
      summary.counts.ignored++;
      continue;
    }
    if (entry.kind === 'settling') {
      summary.skipped.push({ name, why: 'still being written (modified in the last few seconds); next run' });
      summary.counts.settling++;
      continue;
    }
    out.push({ name, full, mtime: st.mtimeMs });
  }
  out.sort((a, b) => a.mtime - b.mtime || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/** `north.csv` → [`north`, ``, `.csv`]: stem, tail (kept whole when a name is shortened), extension. */
function splitName(name: string): [string, string, string] {
  const ext = path.extname(name);
  return [name.slice(0, name.length - ext.length), '', ext];
}

/**
 * `dir/<stem><tail><ext>`, or `<stem><tail>.2<ext>`, `.3` … if taken: an archive name is never
 * overwritten. A name longer than a file system takes (255 bytes) is shortened keeping a hash of the
 * whole (`fitName`), so derived names — a reject's `_PARSE-ERROR.csv`, a clash's `.2.csv` — always fit.
 */
function freeName(
  dir: string,
  stem: string,
  tail: string,
  ext: string,
  planned: Set<string>,
  max = MAX_NAME_BYTES,
): string {
  let candidate = path.join(dir, fitName(stem, `${tail}${ext}`, max));
  for (let k = 2; fs.existsSync(candidate) || planned.has(candidate); k++)
    candidate = path.join(dir, fitName(stem, `${tail}.${k}${ext}`, max));
  planned.add(candidate);
  return candidate;
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

/** The human summary: counts per outcome, then one line per reject and skip. */
export function formatSortSummary(s: SortSummary): string {
  const c = s.counts;
  const verb = s.dryRun ? 'would be ' : '';
  const failed = c.failed ? `, ${c.failed} left in place (could not be handled)` : '';
  const out = [
    `${s.dryRun ? '[dry run] ' : ''}sort ${s.root}: ${c.archived} ${verb}archived, ${c.error} ${verb}rejected, ${c.duplicate} duplicate${c.duplicate === 1 ? '' : 's'}, ${c.settling} still being written, ${c.ignored} ignored${failed}`,
  ];
  if (s.rebuiltStore) out.push(`rebuilt the missing hash store from the archive: ${s.rebuiltStore} files`);
  if (s.recovered)
    out.push(`recovered an interrupted run: ${s.recovered.recorded} moves recorded, ${s.recovered.forgotten} to redo`);
  for (const f of s.files)
    if (f.reason)
      out.push(`  ${f.reason.padEnd(14)} ${escapeFileName(f.name)} → ${escapeFileName(f.dest)}: ${f.message}`);
  for (const k of s.failed) out.push(`  left in place  ${escapeFileName(k.name)}: ${k.why}`);
  for (const k of s.skipped) out.push(`  skipped        ${escapeFileName(k.name)}: ${k.why}`);
  for (const w of s.warnings.slice(0, 20)) out.push(`  warning        ${w}`);
  if (s.warnings.length > 20) out.push(`  … ${s.warnings.length - 20} more warnings in logs/dropbox.log`);
  return out.join('\n');
}
