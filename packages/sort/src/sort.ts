import fs from 'node:fs';
import path from 'node:path';
import { LptError, SiteClock } from '@lptool/core';
import {
  acquireLock,
  type CheckedExport,
  checkExport,
  createLogger,
  ExportRejected,
  isTempName,
  type Logger,
  loadSettings,
  moveDurable,
  nullLogger,
  type RejectReason,
  type SettingFlags,
  siteLayout,
  writeFileAtomic,
} from '@lptool/io';
import { type HashEntry, HashStore, type Outcome, sha256File } from './hash-store.js';

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
  counts: { archived: number; error: number; duplicate: number; settling: number; ignored: number };
  errorsByReason: Partial<Record<RejectReason, number>>;
  /** Things left alone, with why (symlinks, folders, other names, still being written). */
  skipped: { name: string; why: string }[];
  warnings: string[];
  recovered: { recorded: number; forgotten: number; cleanedTemps: number } | null;
  exitCode: 0 | 1;
}

/** One `lptool sort` run over a site root (SPEC §3). */
export async function sort(options: SortOptions): Promise<SortSummary> {
  const layout = siteLayout(options.root);
  const settings = loadSettings(layout.settings, options, options.env);
  const clock = new SiteClock(settings.timezone, settings.clock);
  const dryRun = options.dryRun ?? false;
  const settleMs = options.settleMs ?? 5000;
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
  const summary: SortSummary = {
    root: layout.root,
    dryRun,
    files: [],
    counts: { archived: 0, error: 0, duplicate: 0, settling: 0, ignored: 0 },
    errorsByReason: {},
    skipped: [],
    warnings: [],
    recovered: null,
    exitCode: 0,
  };
  const log: Logger = dryRun ? nullLogger() : createLogger(layout.logs, 'dropbox', { cmd: 'sort' });
  const errLog: Logger = dryRun ? nullLogger() : createLogger(layout.logs, 'dropbox-error', { cmd: 'sort' });
  try {
    if (!dryRun) {
      store = HashStore.load(layout.root, layout.hashStore); // re-read under the lock
      const rec = store.recover();
      if (rec.recorded || rec.forgotten || rec.cleanedTemps) {
        summary.recovered = rec;
        log.warn({ event: 'recovered', ...rec }, 'finished the journal of an interrupted run');
      }
    }
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

    const candidates = listDropbox(layout.dropbox, settleMs, summary);
    const rel = (p: string) => path.relative(layout.root, p).split(path.sep).join('/');
    // journal the intent, write what goes with the file (a sidecar), move it, journal that it is done:
    // the order the crash-safety argument in hash-store.ts relies on
    const fileAway = (hash: string, full: string, dest: string, entry: HashEntry, beside?: () => void) => {
      store.intent(hash, rel(full), entry);
      beside?.();
      moveDurable(full, dest);
      store.done(hash, entry);
    };
    const planned = new Set<string>(); // destinations chosen in this dry run
    const seenThisRun = new Map<string, HashEntry>();
    let done = 0;
    for (const { name, full } of candidates) {
      const hash = sha256File(full);
      const known = store.get(hash) ?? seenThisRun.get(hash);
      let result: SortedFile;
      if (known) {
        const dest = freeName(path.join(layout.duplicate, name), planned);
        const entry: HashEntry = { dest: rel(dest), outcome: 'duplicate', source: name, at: new Date().toISOString() };
        result = {
          name,
          outcome: dryRun ? 'would-duplicate' : 'duplicate',
          hash,
          dest: entry.dest,
          message: `same bytes as ${known.dest}`,
        };
        if (!dryRun) {
          fileAway(hash, full, dest, entry);
          log.info(
            { event: 'duplicate', file: name, hash, dest: entry.dest, original: known.dest },
            `duplicate of ${known.dest}`,
          );
        }
        summary.counts.duplicate++;
      } else {
        let checked: CheckedExport | null = null;
        let reject: ExportRejected | null = null;
        try {
          checked = checkExport(fs.readFileSync(full, 'utf8'), name, clock, settings.intervalMs);
        } catch (e) {
          if (!(e instanceof ExportRejected)) throw e;
          reject = e;
        }
        if (checked) {
          const first = checked.intervals.start[0]!;
          const last = checked.intervals.end[checked.intervals.end.length - 1]!;
          const month = clock.localDate(first).slice(0, 7);
          const dest = freeName(path.join(layout.archive, month, name), planned);
          const entry: HashEntry = { dest: rel(dest), outcome: 'archived', source: name, at: new Date().toISOString() };
          result = {
            name,
            outcome: dryRun ? 'would-archive' : 'archived',
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
          if (!dryRun) {
            fileAway(hash, full, dest, entry);
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
          seenThisRun.set(hash, entry);
          summary.counts.archived++;
        } else {
          const r = reject!;
          const stem = name.replace(/\.csv$/i, '');
          const dest = freeName(path.join(layout.error, `${stem}_${r.reason}.csv`), planned);
          const entry: HashEntry = { dest: rel(dest), outcome: 'error', source: name, at: new Date().toISOString() };
          result = {
            name,
            outcome: dryRun ? 'would-reject' : 'error',
            hash,
            dest: entry.dest,
            reason: r.reason,
            message: r.message,
          };
          if (!dryRun) {
            const sidecar = {
              file: name,
              reason: r.reason,
              code: r.code,
              message: r.message,
              rows: r.rows,
              sha256: hash,
              timezone: clock.zone,
              clock: clock.clock,
              intervalMs: settings.intervalMs,
              at: entry.at,
            };
            const context = r.rows.length
              ? mismatchContext(
                  full,
                  r.rows.slice(0, 5).map((x) => x.line),
                )
              : [];
            fileAway(hash, full, dest, entry, () =>
              writeFileAtomic(dest.replace(/\.csv$/, '.json'), `${JSON.stringify(sidecar, null, 2)}\n`),
            );
            errLog.error(
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
            log.warn({ event: 'rejected', file: name, hash, reason: r.reason, dest: entry.dest }, r.message);
          }
          seenThisRun.set(hash, entry);
          summary.counts.error++;
          summary.errorsByReason[r.reason] = (summary.errorsByReason[r.reason] ?? 0) + 1;
        }
      }
      summary.files.push(result);
      options.onProgress?.(++done, candidates.length);
    }
    if (!dryRun) store.save();
    summary.exitCode = summary.counts.error > 0 ? 1 : 0;
    log.info({ event: 'end', counts: summary.counts, errorsByReason: summary.errorsByReason }, 'sort finished');
    return summary;
  } finally {
    release();
  }
}

/**
 * Regular `.csv` files of the dropbox, oldest first. Everything else is left
 * where it is with a reason (SPEC §9); so are files still being written.
 */
function listDropbox(dir: string, settleMs: number, summary: SortSummary): { name: string; full: string }[] {
  const now = Date.now();
  const out: { name: string; full: string; mtime: number }[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const st = fs.lstatSync(full, { throwIfNoEntry: false });
    if (!st) continue;
    let why: string | null = null;
    if (name.startsWith('.')) why = isTempName(name) ? null : 'hidden file';
    else if (st.isSymbolicLink()) why = 'symlink (never followed)';
    else if (st.isDirectory()) why = 'folder';
    else if (!st.isFile()) why = 'not a regular file';
    else if (!/\.csv$/i.test(name)) why = 'not a .csv file';
    if (name.startsWith('.') && !why) continue;
    if (why) {
      summary.skipped.push({ name, why });
      summary.counts.ignored++;
      continue;
    }
    if (now - st.mtimeMs < settleMs) {
      summary.skipped.push({ name, why: 'still being written (modified in the last few seconds); next run' });
      summary.counts.settling++;
      continue;
    }
    out.push({ name, full, mtime: st.mtimeMs });
  }
  out.sort((a, b) => a.mtime - b.mtime || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/** `dir/name.csv`, or `dir/name.2.csv`, `.3` … if taken: an archive name is never overwritten. */
function freeName(target: string, planned: Set<string>): string {
  const ext = path.extname(target);
  const base = target.slice(0, target.length - ext.length);
  let candidate = target;
  for (let k = 2; fs.existsSync(candidate) || planned.has(candidate); k++) candidate = `${base}.${k}${ext}`;
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
  const out = [
    `${s.dryRun ? '[dry run] ' : ''}sort ${s.root}: ${c.archived} ${verb}archived, ${c.error} ${verb}rejected, ${c.duplicate} duplicate${c.duplicate === 1 ? '' : 's'}, ${c.settling} still being written, ${c.ignored} ignored`,
  ];
  if (s.recovered)
    out.push(`recovered an interrupted run: ${s.recovered.recorded} moves recorded, ${s.recovered.forgotten} to redo`);
  for (const f of s.files) if (f.reason) out.push(`  ${f.reason.padEnd(14)} ${f.name} → ${f.dest}: ${f.message}`);
  for (const k of s.skipped) out.push(`  skipped        ${k.name}: ${k.why}`);
  for (const w of s.warnings.slice(0, 20)) out.push(`  warning        ${w}`);
  if (s.warnings.length > 20) out.push(`  … ${s.warnings.length - 20} more warnings in logs/dropbox.log`);
  return out.join('\n');
}
