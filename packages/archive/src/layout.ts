import fs from 'node:fs';
import path from 'node:path';
import type { SiteClock } from '@lptool/core';
import { escapeFileName, fitName, isUtf8Name, MAX_NAME_BYTES, peekCsv, type SiteLayout } from '@lptool/io';
import type { RejectReason } from './export-rules.js';

/**
 * The archive's layout (SPEC §1, §3): `data/KW/YYYY-MM/<name>` for accepted exports, by the legal local
 * month of their first interval; `data/KW/ERROR/<stem>_<REASON>.csv` (+ `.json`) for rejects;
 * `data/KW/DUPLICATE/<name>` for byte-identical re-deliveries. Names are never overwritten: a taken one
 * gets `.2`, `.3` … before its extension, and every derived name fits 255 bytes (`fitName`).
 */

/** The month folder of an export whose first interval starts at `firstStart`: its legal local month. */
export function monthFolderOf(clock: SiteClock, firstStart: number): string {
  return clock.localDate(firstStart).slice(0, 7);
}

/** Is this a month folder's name (`YYYY-MM`)? */
export function isMonthFolder(name: string): boolean {
  return /^\d{4}-\d{2}$/.test(name);
}

const sorted = (dir: string): string[] => {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
};

/** The archive's month folders, site-relative (`data/KW/2024-07`): each must be a real folder. */
export function archiveMonthFolders(layout: SiteLayout): string[] {
  const base = siteRelative(layout, layout.archive);
  return sorted(layout.archive)
    .filter(isMonthFolder)
    .map((m) => `${base}/${m}`);
}

/** A path under the site root as lptool names it: relative, with `/`. */
export function siteRelative(layout: SiteLayout, full: string): string {
  return path.relative(layout.root, full).split(path.sep).join('/');
}

/** A file in the archive, as listed (lstat: nothing read). */
export interface ArchivedFile {
  /** Site-relative, `/`-separated: `data/KW/2024-07/north.csv` (the build manifest's key). */
  rel: string;
  full: string;
  size: number;
  mtimeMs: number;
}

/**
 * The archived exports: every regular, not hidden file in a month folder (`.csv` ones only unless
 * `csvOnly` is false), months and names in order. A name that is not valid UTF-8 cannot be named in a
 * manifest or a log as it is: it goes to `badNames`, escaped.
 */
export function listArchive(
  layout: SiteLayout,
  options: { csvOnly?: boolean } = {},
): { files: ArchivedFile[]; badNames: string[] } {
  const files: ArchivedFile[] = [];
  const badNames: string[] = [];
  const csvOnly = options.csvOnly ?? true;
  for (const month of archiveMonthFolders(layout)) {
    const dir = path.join(layout.root, month);
    const names = utf8Names(dir, (r) => badNames.push(`${month}/${escapeFileName(r)}`));
    for (const name of names.sort()) {
      if (name.startsWith('.') || (csvOnly && !/\.csv$/i.test(name))) continue;
      const full = `${dir}${path.sep}${name}`;
      const st = fs.lstatSync(full, { throwIfNoEntry: false });
      if (st?.isFile()) files.push({ rel: `${month}/${name}`, full, size: st.size, mtimeMs: st.mtimeMs });
    }
  }
  return { files, badNames };
}

/**
 * A folder's entries whose names are valid UTF-8; `bad` gets the others. Listed as text (a cron run lists every
 * month folder): only a folder where some name decodes with U+FFFD is listed again as bytes to tell which names
 * are not UTF-8 (a valid name may hold U+FFFD itself). None when the folder is gone.
 */
function utf8Names(dir: string, bad: (raw: Buffer) => void): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
    if (!names.some((n) => n.includes('\uFFFD'))) return names;
    names = [];
    for (const r of fs.readdirSync(dir, { encoding: 'buffer' })) {
      if (isUtf8Name(r)) names.push(r.toString('utf8'));
      else bad(r);
    }
    return names;
  } catch {
    return []; // (checked as a folder before: gone since)
  }
}

/** The rejects kept in `data/KW/ERROR/` (their `.csv` files, not the sidecars). */
export function listRejected(layout: SiteLayout): ArchivedFile[] {
  const out: ArchivedFile[] = [];
  for (const name of sorted(layout.error)) {
    if (!/\.csv$/i.test(name) || name.startsWith('.')) continue;
    const full = path.join(layout.error, name);
    const st = fs.lstatSync(full, { throwIfNoEntry: false });
    if (st?.isFile()) out.push({ rel: siteRelative(layout, full), full, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out;
}

/**
 * The meter id and Start Time label of an export's first data row, from its first lines only ('' for
 * what cannot be read there: build reads the whole file later and names what is wrong with it).
 */
export function peekExport(file: string): { meter: string; first: string } {
  try {
    // the first 4 KB hold the header and first row of any export; the usual 64 KB only when they do not
    let head = peekCsv(file, file, 1, 4096);
    if (!head.rows[0]) head = peekCsv(file, file, 1);
    const row = head.rows[0];
    if (!head.header || !row) return { meter: '', first: '' };
    const col = (name: string) => head.header!.findIndex((h) => h.toLowerCase() === name);
    return { meter: own((row[col('meter')] ?? '').trim()), first: own((row[col('start time')] ?? '').trim()) };
  } catch {
    return { meter: '', first: '' };
  }
}

/**
 * A string of its own: a trimmed field of 13+ characters is a view into the untrimmed one, twice the memory of
 * the text — and a build keeps one first label per archived file (53,000 at 1,000 meters).
 */
const own = (s: string): string => (s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string));

/** Is this path (absolute) taken — a file there, or one already planned in this run? */
export type Taken = (full: string) => boolean;

/**
 * `dir/<stem><tail><ext>`, or `<stem><tail>.2<ext>`, `.3` … if taken: an archive name is never
 * overwritten. A name longer than a file system takes (255 bytes) is shortened keeping a hash of the
 * whole (`fitName`), so derived names — a reject's `_PARSE-ERROR.csv`, a clash's `.2.csv` — always fit.
 */
function freeName(dir: string, stem: string, tail: string, ext: string, taken: Taken, max = MAX_NAME_BYTES): string {
  let candidate = path.join(dir, fitName(stem, `${tail}${ext}`, max));
  for (let k = 2; taken(candidate); k++) candidate = path.join(dir, fitName(stem, `${tail}.${k}${ext}`, max));
  return candidate;
}

/** `north.csv` → [`north`, `.csv`]. */
function splitName(name: string): [string, string] {
  const ext = path.extname(name);
  return [name.slice(0, name.length - ext.length), ext];
}

/** Where an accepted export goes: `data/KW/<month>/<name>` (or `.2` … when taken). */
export function archiveDest(layout: SiteLayout, month: string, name: string, taken: Taken): string {
  const [stem, ext] = splitName(name);
  return freeName(path.join(layout.archive, month), stem, '', ext, taken);
}

/** Where a byte-identical re-delivery goes: `data/KW/DUPLICATE/<name>` (or `.2` …). */
export function duplicateDest(layout: SiteLayout, name: string, taken: Taken): string {
  const [stem, ext] = splitName(name);
  return freeName(layout.duplicate, stem, '', ext, taken);
}

/** Where a reject goes: `data/KW/ERROR/<stem>_<REASON>.csv`, sized so that its sidecar (`.json`) fits too. */
export function rejectDest(layout: SiteLayout, name: string, reason: RejectReason, taken: Taken): string {
  const stem = name.replace(/\.csv$/i, '');
  return freeName(layout.error, stem, `_${reason}`, '.csv', taken, MAX_NAME_BYTES - 1);
}

/** A reject's JSON sidecar, beside it. */
export function rejectSidecarOf(dest: string): string {
  return dest.replace(/\.csv$/, '.json');
}
