import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { archiveMonthFolders, sha256File, siteRelative } from '@lptool/archive';
import { LptError } from '@lptool/core';
import {
  type DropboxItem,
  dropboxItem,
  escapeFileName,
  isUtf8Name,
  type Logger,
  openSite,
  type Site,
  type SiteLayout,
  type SiteOptions,
  safeFileName,
} from '@lptool/io';
import { account, applyPlan, whyLeft } from './apply.js';
import { checkCandidate } from './check.js';
import { HashStore } from './hash-store.js';
import { type Inspection, isCandidate, type Listing, planSort, type SortAction } from './plan.js';
import { emptySummary, type SortSummary } from './summary.js';

export interface SortOptions extends SiteOptions {
  dryRun: boolean;
  /** Files modified less than this long ago are left for the next run (ms). */
  settleMs: number;
  /** How long to wait for another run's lock (ms). */
  lockWaitMs: number;
  /** Progress callback, as each file has been read (the CLI draws a line on a TTY). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * One `lptool sort` run over a site root (SPEC §3): list the dropbox, read each candidate (SHA-256 and
 * the export rules), plan (`planSort`), and apply the plan — or, with `dryRun`, report it.
 */
export async function sort(options: SortOptions): Promise<SortSummary> {
  const site = openSite(options, ['dropbox', 'archive', 'logs'], archiveMonthFolders);
  const { layout } = site;
  if (!fs.existsSync(layout.dropbox)) {
    throw new LptError(
      'LPT_INPUT_MISSING',
      `dropbox — expected the folder _dropbox/KW/ under the site root, got nothing at ${layout.dropbox}`,
      { file: layout.dropbox },
    );
  }
  // Open the store before anything moves: a corrupt store stops the run (exit 2) with nothing touched.
  const opened = HashStore.load(layout.root, layout.hashStore);
  const { dryRun } = options;
  const logs = ['dropbox', 'dropbox-error'];
  return site.locked({ command: 'sort', logs, lockWaitMs: options.lockWaitMs, dryRun }, ([log, errLog]) => {
    const store = dryRun ? opened : HashStore.load(layout.root, layout.hashStore); // re-read under the lock
    const { settings } = site;
    log!.info(
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
    const summary = emptySummary(layout.root, dryRun);
    openStore(store, layout, summary, log!, dryRun);
    const listing = readDropbox(site, options, store);
    const actions = planSort(listing, store);
    if (dryRun) for (const a of actions) account(summary, a, true, (p) => siteRelative(layout, p));
    else applyAll(actions, listing, { site, store, log: log!, errLog: errLog!, summary });
    if (!dryRun) store.save();
    summary.exitCode = summary.counts.error > 0 || summary.counts.failed > 0 ? 1 : 0;
    const { counts, errorsByReason, failed } = summary;
    log!.info({ event: 'end', counts, errorsByReason, failed, exitCode: summary.exitCode }, 'sort finished');
    return summary;
  });
}

/**
 * Apply the plan; when a file's action fails (it is left in place), the files after it are planned
 * again — with what the store now knows — and that plan applied, until none is left.
 */
function applyAll(
  actions: SortAction[],
  listing: Listing,
  run: { site: Site; store: HashStore; log: Logger; errLog: Logger; summary: SortSummary },
): void {
  const { site, store } = run;
  const existing = new Set(listing.existing);
  const { clock, layout } = site;
  const ctx = { ...run, layout, clock, intervalMs: site.settings.intervalMs, existing, folders: new Set<string>() };
  for (let rest = applyPlan(actions, ctx); rest.length; ) {
    const names = new Set(rest.map((a) => a.name));
    const again = { ...listing, entries: listing.entries.filter((e) => names.has(e.name)), badNames: [], existing };
    rest = applyPlan(planSort(again, store), ctx);
  }
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

/** The dropbox as the planner takes it: its entries, each candidate read, the names already taken under data/KW/. */
function readDropbox(site: Site, options: SortOptions, store: HashStore): Listing {
  const { layout } = site;
  const entries: DropboxItem[] = [];
  const badNames: Listing['badNames'] = [];
  const names: string[] = [];
  for (const raw of fs.readdirSync(layout.dropbox, { encoding: 'buffer' })) {
    if (isUtf8Name(raw)) names.push(raw.toString('utf8'));
    else badNames.push({ name: escapeFileName(raw), safe: safeFileName(raw) });
  }
  for (const name of names.sort()) {
    const st = fs.lstatSync(path.join(layout.dropbox, name), { throwIfNoEntry: false });
    if (st) entries.push(dropboxItem(name, st));
  }
  const now = Date.now();
  const { settleMs } = options;
  const candidates = entries
    .filter((e) => isCandidate(e, now, settleMs))
    .sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const inspected = new Map<string, Inspection>();
  candidates.forEach((e, k) => {
    inspected.set(e.name, inspect(site, e.name, store, !!options.dryRun));
    options.onProgress?.(k + 1, candidates.length);
  });
  const months = [...inspected.values()].flatMap((i) => ('accepted' in i ? [i.accepted.month] : []));
  const existing = filesIn([layout.duplicate, layout.error, ...months.map((m) => path.join(layout.archive, m))]);
  return { layout, now, settleMs, entries, badNames, inspected, existing };
}

/** The paths of the files (and anything else) in these folders. */
function filesIn(dirs: string[]): Set<string> {
  const out = new Set<string>();
  for (const dir of new Set(dirs)) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      /* not there yet */
    }
    for (const n of names) out.add(path.join(dir, n));
  }
  return out;
}

/**
 * Read one candidate: its SHA-256 and, unless the store already knows those bytes (a re-delivery), the
 * export rules' verdict — both from the one read of its bytes (the check reads them as bytes: archive's
 * `decodeExport`, which gives what `checkExport` gives on the text). A file that cannot be read is left where
 * it is, with why.
 */
function inspect(site: Site, name: string, store: HashStore, dryRun: boolean): Inspection {
  const full = path.join(site.layout.dropbox, name);
  try {
    const bytes = readWhole(full);
    const hash = bytes === null ? sha256File(full) : createHash('sha256').update(bytes).digest('hex');
    if (store.get(hash)) return { hash, known: true };
    const { clock, settings } = site;
    return { hash, ...checkCandidate(bytes ?? fs.readFileSync(full), name, clock, settings.intervalMs) };
  } catch (e) {
    return { failed: whyLeft(e, name, site.layout.dropbox, dryRun), stack: (e as Error)?.stack };
  }
}

/** A file's bytes, or null when it is too large to hold (it is then hashed in chunks, and its check says why). */
function readWhole(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code === 'ERR_FS_FILE_TOO_LARGE') return null;
    throw e;
  }
}
