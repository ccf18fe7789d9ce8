import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LptError } from '@lptool/core';
import { AtomicFile } from '@lptool/io';
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
/** (exported for the test that holds the hand check equal to it) */
export const ManifestSchema = z.object({
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
  lastDigest.delete(file);
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw corruptManifest(file, `not valid JSON (${(e as Error).message})`);
  }
  if (isPlainManifest(data)) {
    lastDigest.set(file, digestOf(text));
    return data; // (what lptool wrote: checked without zod, ~10× faster)
  }
  const r = ManifestSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw corruptManifest(file, `${issue.path.join('.') || 'top level'} — ${issue.message}`);
  }
  return r.data;
}

/*
 * The manifest as lptool writes it, checked by hand: a cron run parses it every time (760 KB at 50 meters,
 * ~15 MB at 1,000), and zod took ~40 ms of a 50-meter no-op build for it. Exactly ManifestSchema with no
 * unknown keys; anything else (an older or a hand-edited manifest) goes through zod, which names the problem
 * or strips the unknown keys. `lastEnd: null` becomes NaN in place, as the schema's transform makes it.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
/** Has `o` only keys of `known`, and each of `required`? */
function keysWithin(o: Obj, known: ReadonlySet<string>, required: readonly string[]): boolean {
  for (const k in o) if (!known.has(k)) return false;
  for (const k of required) if (!(k in o)) return false;
  return true;
}
const STAMP_KEYS = new Set(['size', 'mtimeMs', 'ctimeMs', 'ino']);
const FILE_KEYS = new Set(['size', 'mtimeMs', 'hash', 'meter', 'first']);
const METER_KEYS = new Set([
  'inputsKey',
  'settingsKey',
  'paths',
  'files',
  'builtAt',
  'output',
  'shadow',
  'settings',
  'rows',
  'first',
  'lastEnd',
  'lastDay',
]);
const METER_REQUIRED = ['inputsKey', 'settingsKey', 'builtAt', 'output', 'rows', 'first', 'lastEnd', 'lastDay'];
const SETTINGS_KEYS = new Set(['timezone', 'clock', 'intervalMs']);
const DAY_KEYS = new Set(['day', 'count']);

function isStamp(v: unknown): boolean {
  return (
    isObj(v) &&
    keysWithin(v, STAMP_KEYS, ['size', 'mtimeMs']) &&
    isNum(v.size) &&
    isNum(v.mtimeMs) &&
    (v.ctimeMs === undefined || isNum(v.ctimeMs)) &&
    (v.ino === undefined || isNum(v.ino))
  );
}
function isFileRecord(v: unknown): boolean {
  return (
    isObj(v) &&
    keysWithin(v, FILE_KEYS, ['size', 'mtimeMs', 'hash', 'meter']) &&
    isNum(v.size) &&
    isNum(v.mtimeMs) &&
    isStr(v.hash) &&
    isStr(v.meter) &&
    (v.first === undefined || isStr(v.first))
  );
}
function isMeterRecord(v: unknown): boolean {
  if (!isObj(v) || !keysWithin(v, METER_KEYS, METER_REQUIRED)) return false;
  const { paths, files, shadow, settings, lastDay } = v;
  return (
    isStr(v.inputsKey) &&
    isStr(v.settingsKey) &&
    (paths === undefined || (Array.isArray(paths) && paths.every(isStr))) &&
    (files === undefined ||
      (isObj(files) && !Object.hasOwn(files, '__proto__') && Object.values(files).every(isStr))) &&
    isStr(v.builtAt) &&
    isStamp(v.output) &&
    (shadow === undefined || shadow === null || isStamp(shadow)) &&
    (settings === undefined ||
      (isObj(settings) &&
        keysWithin(settings, SETTINGS_KEYS, [...SETTINGS_KEYS]) &&
        isStr(settings.timezone) &&
        isStr(settings.clock) &&
        isNum(settings.intervalMs))) &&
    isNum(v.rows) &&
    (v.first === null || isStr(v.first)) &&
    (v.lastEnd === null || isNum(v.lastEnd)) &&
    (lastDay === null ||
      (isObj(lastDay) && keysWithin(lastDay, DAY_KEYS, ['day', 'count']) && isNum(lastDay.day) && isNum(lastDay.count)))
  );
}
function isPlainManifest(data: unknown): data is Manifest {
  if (!isObj(data) || !keysWithin(data, new Set(['version', 'files', 'meters']), ['version', 'files', 'meters']))
    return false;
  const { files, meters } = data;
  if (data.version !== 1 || !isObj(files) || !isObj(meters)) return false;
  // (zod drops a "__proto__" key of a record: such a manifest is left to it)
  if (Object.hasOwn(files, '__proto__') || Object.hasOwn(meters, '__proto__')) return false;
  for (const k in files) if (!isFileRecord(files[k])) return false;
  for (const k in meters) if (!isMeterRecord(meters[k])) return false;
  for (const k in meters) {
    const m = meters[k] as Obj;
    if (m.lastEnd === null) m.lastEnd = Number.NaN;
  }
  return true;
}

function corruptManifest(file: string, got: string): LptError {
  return new LptError(
    'LPT_MANIFEST_CORRUPT',
    `build manifest — expected lptool's JSON, got ${got}; nothing was built: delete ${path.basename(file)} and run again (every profile is then built in full from the archive)`,
    { file: path.join(path.basename(path.dirname(file)), path.basename(file)) },
  );
}

/**
 * The SHA-256 of each manifest's text as this process last read or wrote it (a save that changes nothing writes
 * nothing) — a digest, not the text: 15 MB at 1,000 meters, which a `run` would hold through merge and gaps.
 */
const lastDigest = new Map<string, string>();
const digestOf = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * Write the manifest (temp + fsync + rename), unless the file holds exactly this text as this process read
 * or wrote it — a cron run that found everything up to date writes nothing (a 760 KB write and three fsyncs
 * at 50 meters). The file is checked again (its bytes) so a manifest changed meanwhile is rewritten.
 * `files` (build's listing, in order) is written as the manifest's files in place of `m.files`. The text is
 * exactly `JSON.stringify` of that manifest + a newline, made in pieces (hashed, then written): at 1,000 meters
 * it is 15 MB, and as one string with its parts ~100 MB of heap at the end of a build.
 */
export function saveManifest(file: string, m: Manifest, files?: ReadonlyMap<string, FileRecord>): void {
  const hash = createHash('sha256');
  manifestText(m, files, (piece) => hash.update(piece));
  const digest = hash.digest('hex');
  if (lastDigest.get(file) === digest && unchangedOnDisk(file, digest)) return;
  const f = new AtomicFile(file);
  try {
    manifestText(m, files, (piece) => f.write(piece));
    f.commit();
  } catch (e) {
    f.abort();
    throw e;
  }
  lastDigest.set(file, digest);
}

/**
 * `JSON.stringify(m)` + a newline, in pieces of ~64 KB to `out`, with `files` (when given) as its files: made a
 * record at a time (no object with 53,000 keys, no internalized copy of each path, no 15 MB string).
 */
export function manifestText(
  m: Manifest,
  files: ReadonlyMap<string, FileRecord> | undefined,
  out: (piece: string) => void,
): void {
  let piece = '{';
  let first = true;
  const add = (text: string) => {
    piece += text;
    if (piece.length >= 1 << 16) {
      out(piece);
      piece = '';
    }
  };
  for (const [key, value] of Object.entries(m)) {
    if (value === undefined) continue;
    add(`${first ? '' : ','}${JSON.stringify(key)}:`);
    first = false;
    if (key !== 'files') add(JSON.stringify(value));
    else {
      let sep = '{';
      for (const [rel, rec] of files ?? Object.entries(m.files)) {
        add(`${sep}${JSON.stringify(rel)}:${JSON.stringify(rec)}`);
        sep = ',';
      }
      add(sep === '{' ? '{}' : '}');
    }
  }
  out(`${piece}}\n`);
}

function unchangedOnDisk(file: string, digest: string): boolean {
  try {
    return digestOf(fs.readFileSync(file)) === digest;
  } catch {
    return false;
  }
}

/**
 * A key over settings and the sorted (path, hash) list of a meter's inputs: the SHA-256 of the settings' JSON
 * and a `\n<path>\t<hash>` per file. Hashed as one string (one call instead of one per file: every meter's key
 * is taken on every cron run); a list already in order (as the archive is listed) is not sorted again.
 */
export function inputsKey(settings: unknown, files: { path: string; hash: string }[]): string {
  let inOrder = true;
  for (let i = 1; i < files.length && inOrder; i++) inOrder = files[i - 1]!.path < files[i]!.path;
  const sorted = inOrder ? files : [...files].sort((a, b) => (a.path < b.path ? -1 : 1));
  let text = JSON.stringify(settings);
  for (const f of sorted) text += `\n${f.path}\t${f.hash}`;
  return createHash('sha256').update(text).digest('hex');
}
