import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LptError } from '@lptool/core';
import { writeFileAtomic } from '@lptool/io';
import { z } from 'zod';
import type { FileStamp } from './stamp.js';

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
  /** The profile as written (size, mtime, ctime, inode): anything else means someone else touched it. */
  output: FileStamp;
  /** Its shadow (`lp/.cache/<name>.csv.shadow`: the profile's first bytes) as left, or null when it has none. */
  shadow?: FileStamp | null;
  /** The settings it was built with (a build that would lose its intervals names a change of them). */
  settings?: BuildSettings | undefined;
  rows: number;
  first: string | null;
  /** End instant of the last interval. */
  lastEnd: number;
  /** The last local day's interval count (a new file may continue that day). */
  lastDay: { day: number; count: number } | null;
}

/** The site settings a profile's instants depend on. */
export interface BuildSettings {
  timezone: string;
  clock: string;
  intervalMs: number;
}

export interface Manifest {
  version: 1;
  files: Record<string, FileRecord>;
  /** Per profile name: the key of its inputs and settings when it was last built. */
  meters: Record<string, MeterRecord>;
}

const Stamp = z.object({
  size: z.number(),
  mtimeMs: z.number(),
  ctimeMs: z.number().optional(),
  ino: z.number().optional(),
});
const FileRecordSchema = z.object({
  size: z.number(),
  mtimeMs: z.number(),
  hash: z.string(),
  meter: z.string(),
  first: z.string().optional(),
});
const MeterRecordSchema = z.object({
  inputsKey: z.string(),
  settingsKey: z.string(),
  paths: z.array(z.string()).optional(),
  files: z.record(z.string()).optional(),
  builtAt: z.string(),
  output: Stamp,
  shadow: Stamp.nullable().optional(),
  settings: z.object({ timezone: z.string(), clock: z.string(), intervalMs: z.number() }).optional(),
  rows: z.number(),
  first: z.string().nullable(),
  // a profile with no rows ends nowhere: NaN, which JSON writes as null
  lastEnd: z
    .number()
    .nullable()
    .transform((v) => v ?? Number.NaN),
  lastDay: z.object({ day: z.number(), count: z.number() }).nullable(),
});
const ManifestSchema = z.object({
  version: z.literal(1),
  files: z.record(FileRecordSchema),
  meters: z.record(MeterRecordSchema),
});

/**
 * The manifest, checked with zod like the hash store. Missing: an empty one (every profile is built in
 * full). Not lptool's JSON (hand-edited, or a folder): LPT_MANIFEST_CORRUPT, exit 2 — a manifest that
 * says the wrong thing could make a build append to a profile it should rebuild, so it is never guessed at.
 */
export function loadManifest(file: string): Manifest {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { version: 1, files: {}, meters: {} };
    if (code !== 'EISDIR') throw e;
    throw corruptManifest(file, 'a folder');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw corruptManifest(file, `not valid JSON (${(e as Error).message})`);
  }
  const r = ManifestSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw corruptManifest(file, `${issue.path.join('.') || 'top level'} — ${issue.message}`);
  }
  return r.data;
}

function corruptManifest(file: string, got: string): LptError {
  return new LptError(
    'LPT_MANIFEST_CORRUPT',
    `build manifest — expected lptool's JSON, got ${got}; nothing was built: delete ${path.basename(file)} and run again (every profile is then built in full from the archive)`,
    { file: path.join(path.basename(path.dirname(file)), path.basename(file)) },
  );
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
