import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { writeFileAtomic } from '@lptool/io';

/**
 * `lp/.build-manifest.json`: what each profile was built from, so a cron run
 * rebuilds only the meters whose inputs changed. Files are identified by
 * SHA-256; a file whose size and mtime are unchanged keeps its recorded hash
 * (like git's index), so an incremental run hashes only new or touched files.
 */
export interface FileRecord {
  size: number;
  mtimeMs: number;
  hash: string;
  /** Meter id of the file's first data row ('' when unreadable). */
  meter: string;
  /** Start Time label of the first data row ('' when unreadable). */
  first?: string;
}

/** What a profile was last built from, and how it ends (so new files can be appended). */
export interface MeterRecord {
  inputsKey: string;
  /** Settings only (zone, clock, interval, multiplier, net convention …). */
  settingsKey: string;
  /** The inputs (their hashes are in `Manifest.files`; `inputsKey` covers both). */
  paths?: string[];
  /** Input path → hash, as manifests before `paths` recorded it (still read). */
  files?: Record<string, string>;
  builtAt: string;
  /** The profile as written: a changed size or mtime means someone else touched it. */
  output: { size: number; mtimeMs: number };
  /** Its shadow (`lp/.cache/<name>.csv.shadow`: the profile's first bytes) as left, or null when it has none. */
  shadow?: { size: number; mtimeMs: number } | null;
  rows: number;
  first: string | null;
  /** End instant of the last interval. */
  lastEnd: number;
  /** The last local day's interval count (a new file may continue that day). */
  lastDay: { day: number; count: number } | null;
}

export interface Manifest {
  version: 1;
  files: Record<string, FileRecord>;
  /** Per profile name: the key of its inputs and settings when it was last built. */
  meters: Record<string, MeterRecord>;
}

export function loadManifest(file: string): Manifest {
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
    if (m && m.version === 1 && m.files && m.meters) return m;
  } catch {
    /* missing or unreadable: start over (it is only a cache) */
  }
  return { version: 1, files: {}, meters: {} };
}

export function saveManifest(file: string, m: Manifest): void {
  writeFileAtomic(file, `${JSON.stringify(m)}\n`);
}

/** A key over settings and the sorted (path, hash) list of a meter's inputs. */
export function inputsKey(settings: unknown, files: { path: string; hash: string }[]): string {
  const h = createHash('sha256').update(JSON.stringify(settings));
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) h.update(`\n${f.path}\t${f.hash}`);
  return h.digest('hex');
}
