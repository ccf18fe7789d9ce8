import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listArchive, peekExport } from '@lptool/archive';
import { formatShortDuration, isLptError } from '@lptool/core';
import {
  dropboxEntry,
  dropboxItem,
  loadSettings,
  lockStatus,
  lockTiming,
  type SettingFlags,
  type SiteLayout,
  siteLayout,
} from '@lptool/io';
import { loadManifest, type Manifest, type MeterInfo, readMeterData } from '@lptool/profiles';
import type { ProfileFact, SiteFacts } from './diagnose.js';
import { lastRuns } from './runs.js';

/*
 * The shell of `lptool doctor`: what the site is like, read without writing anything, without taking the lock and
 * without reading more than the ends of the files (profiles: their first and last lines; logs: their last runs).
 */

export interface GatherOptions extends SettingFlags {
  root: string;
  /** Files modified this recently are left for the next sort (sort's --settle). */
  settleMs: number;
  env?: NodeJS.ProcessEnv;
  now?: number;
}

const message = (e: unknown) => (isLptError(e) ? e.toLine() : String((e as Error)?.message ?? e));

export function gatherFacts(o: GatherOptions): SiteFacts {
  const layout = siteLayout(o.root);
  const env = o.env ?? process.env;
  const now = o.now ?? Date.now();
  const meters = meterDataFact(layout);
  const manifest = manifestFact(layout);
  const profiles = profilesFact(layout, meters.byId, manifest.value);
  return {
    now,
    root: layout.root,
    rootExists: fs.existsSync(layout.root),
    settings: settingsFact(layout, o, env),
    settingsFile: fs.existsSync(layout.settings),
    lockTiming: lockTimingFact(env),
    meterData: meters.fact,
    lock: lockFact(layout, env),
    dropbox: dropboxFact(layout, now, o.settleMs),
    rejects: rejectsFact(layout),
    runs: lastRuns(layout.logs),
    manifest: manifest.fact,
    ...profiles,
    disk: diskFact(layout, [
      ...profiles.profiles.map((p) => path.join(layout.root, p.file)),
      path.join(layout.lp, 'all.csv'),
    ]),
  };
}

function settingsFact(layout: SiteLayout, flags: SettingFlags, env: NodeJS.ProcessEnv): SiteFacts['settings'] {
  try {
    const s = loadSettings(layout.settings, flags, env);
    return {
      ok: true,
      timezone: s.timezone,
      clock: s.clock,
      interval: formatShortDuration(s.intervalMs),
      sources: s.sources,
    };
  } catch (e) {
    return { ok: false, error: message(e) };
  }
}

function lockTimingFact(env: NodeJS.ProcessEnv): SiteFacts['lockTiming'] {
  try {
    const t = lockTiming({ env });
    return { ...t, source: env.LPTOOL_LOCK_REFRESH || env.LPTOOL_LOCK_STALE ? 'env' : 'default' };
  } catch (e) {
    return { error: message(e) };
  }
}

function meterDataFact(layout: SiteLayout): { fact: SiteFacts['meterData']; byId: Map<string, MeterInfo> } {
  const none = new Map<string, MeterInfo>();
  if (!fs.existsSync(layout.meterData)) return { fact: { state: 'missing' }, byId: none };
  try {
    const byId = readMeterData(layout.meterData);
    return { fact: byId.size ? { state: 'ok', meters: byId.size } : { state: 'empty' }, byId };
  } catch (e) {
    return { fact: { state: 'invalid', error: message(e) }, byId: none };
  }
}

function manifestFact(layout: SiteLayout): { fact: SiteFacts['manifest']; value: Manifest } {
  try {
    return { fact: { ok: true }, value: loadManifest(layout.buildManifest) };
  } catch (e) {
    return { fact: { ok: false, error: message(e) }, value: { version: 1, files: {}, meters: {} } };
  }
}

function lockFact(layout: SiteLayout, env: NodeJS.ProcessEnv): SiteFacts['lock'] {
  let s: ReturnType<typeof lockStatus>;
  try {
    s = lockStatus(layout.lockFile, { env });
  } catch (e) {
    return { state: 'invalid', holder: null, ageMs: null, reason: message(e) }; // LPTOOL_LOCK_* wrong: said apart
  }
  const h = s.holder;
  return {
    state: s.state,
    holder: h
      ? { pid: h.pid, host: h.host, command: h.command, since: h.since, thisHost: h.host === os.hostname() }
      : null,
    ageMs: s.ageMs,
    reason: s.reason,
  };
}

function dropboxFact(layout: SiteLayout, now: number, settleMs: number): SiteFacts['dropbox'] {
  const d: SiteFacts['dropbox'] = {
    exists: fs.existsSync(layout.dropbox),
    files: 0,
    bytes: 0,
    oldestAt: null,
    settling: 0,
    settleMs,
    aside: [],
  };
  let names: string[] = [];
  try {
    names = fs.readdirSync(layout.dropbox).sort();
  } catch {
    return d;
  }
  for (const name of names) {
    const st = fs.lstatSync(path.join(layout.dropbox, name), { throwIfNoEntry: false });
    if (!st) continue;
    const entry = dropboxEntry(dropboxItem(name, st), now, settleMs);
    if (entry.kind === 'aside') d.aside.push({ name, why: entry.why });
    else if (entry.kind === 'settling') d.settling++;
    else if (entry.kind === 'take') {
      d.files++;
      d.bytes += st.size;
      // arrival: the ctime (an FTP client may keep the export's own, older mtime; a move or write sets the ctime)
      const at = Math.max(st.ctimeMs, st.mtimeMs);
      d.oldestAt = d.oldestAt === null ? at : Math.min(d.oldestAt, at);
    }
  }
  return d;
}

/** Rejects: `data/KW/ERROR/<stem>_<REASON>.csv`, each with its JSON sidecar, written when it was rejected. */
function rejectsFact(layout: SiteLayout): SiteFacts['rejects'] {
  const out: SiteFacts['rejects'] = { total: 0, recent: [] };
  let names: string[] = [];
  try {
    names = fs.readdirSync(layout.error);
  } catch {
    return out;
  }
  for (const name of names) {
    const m = /_([A-Z]+(?:-[A-Z]+)*)\.json$/.exec(name);
    if (!m) continue;
    const st = fs.statSync(path.join(layout.error, name), { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    out.total++;
    out.recent.push({ file: `${name.slice(0, -'.json'.length)}.csv`, reason: m[1]!, at: st.mtimeMs });
  }
  out.recent.sort((a, b) => b.at - a.at);
  out.recent = out.recent.slice(0, 100);
  return out;
}

/** The first Start Time and the last End Time of a profile (or of all.csv), from its first and last lines only. */
export function profileRange(file: string): { first: string | null; last: string | null } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return { first: null, last: null };
  }
  try {
    const size = fs.fstatSync(fd).size;
    const read = (at: number, n: number) => {
      const buf = Buffer.alloc(n);
      return buf.subarray(0, fs.readSync(fd, buf, 0, n, at)).toString('utf8');
    };
    const nonEmpty = (text: string) => text.split(/\r?\n/).filter((l) => l.trim());
    const [header = '', firstLine] = nonEmpty(read(0, Math.min(size, 8192)).replace(/^\uFEFF/, ''));
    const lastLine = nonEmpty(read(Math.max(0, size - 8192), Math.min(size, 8192))).at(-1);
    const cols = header.split(',').map((h) => h.trim().toLowerCase());
    const [s, e] = [cols.indexOf('start time'), cols.indexOf('end time')];
    if (s < 0 || e < 0 || !firstLine || !lastLine) return { first: null, last: null };
    return { first: firstLine.split(',')[s] ?? null, last: lastLine.split(',')[e] ?? null };
  } finally {
    fs.closeSync(fd);
  }
}

/** Each meter's profile against the archive and the build manifest, and the total against the profiles. */
function profilesFact(
  layout: SiteLayout,
  meters: Map<string, MeterInfo>,
  manifest: Manifest,
): Pick<SiteFacts, 'profiles' | 'unlisted' | 'total'> {
  const filesOf = archiveByMeter(layout, manifest);
  const profiles: ProfileFact[] = [...meters.values()].map((m) => {
    const file = path.join(layout.lp, `${m.name}.csv`);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    const rec = manifest.meters[m.name];
    const inputs = new Set(rec?.paths ?? Object.keys(rec?.files ?? {}));
    const mine = filesOf.get(m.meter) ?? [];
    const asBuilt = !!(st && rec && rec.output.size === st.size && rec.output.mtimeMs === st.mtimeMs);
    return {
      name: m.name,
      meter: m.meter,
      file: `lp/${m.name}.csv`,
      exists: !!st,
      ...(st ? profileRange(file) : { first: null, last: null }),
      rows: asBuilt ? rec!.rows : null,
      bytes: st?.size ?? 0,
      builtAt: rec?.builtAt ?? null,
      pending: st ? mine.filter((f) => !f.known || !inputs.has(f.rel)).length : mine.length,
      touched: !!(st && rec && !asBuilt),
    };
  });
  const unlisted = [...filesOf]
    .filter(([meter]) => meter !== '' && !meters.has(meter))
    .map(([meter, files]) => ({ meter, files: files.length }));
  const allFile = path.join(layout.lp, 'all.csv');
  const all = fs.statSync(allFile, { throwIfNoEntry: false });
  const olderThan = all
    ? profiles
        .filter(
          (p) =>
            p.exists &&
            (fs.statSync(path.join(layout.root, p.file), { throwIfNoEntry: false })?.mtimeMs ?? 0) > all.mtimeMs,
        )
        .map((p) => p.file)
    : [];
  return {
    profiles,
    unlisted,
    total: {
      exists: !!all,
      ...(all ? profileRange(allFile) : { first: null, last: null }),
      bytes: all?.size ?? 0,
      olderThan,
    },
  };
}

/** Archived files by meter id: the manifest's record while a file's size and mtime are unchanged, else a peek. */
function archiveByMeter(layout: SiteLayout, manifest: Manifest): Map<string, { rel: string; known: boolean }[]> {
  const out = new Map<string, { rel: string; known: boolean }[]>();
  for (const f of listArchive(layout).files) {
    const rec = manifest.files[f.rel];
    const known = !!rec && rec.size === f.size && rec.mtimeMs === f.mtimeMs;
    const meter = known ? rec.meter : peekExport(f.full).meter;
    const list = out.get(meter) ?? [];
    list.push({ rel: f.rel, known });
    out.set(meter, list);
  }
  return out;
}

/** Bytes under a folder (not following symlinks), and how many files. */
function du(dir: string, filter: (name: string) => boolean = () => true): { bytes: number; files: number } {
  const r = { bytes: 0, files: 0 };
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return r;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      const sub = du(full, filter);
      r.bytes += sub.bytes;
      r.files += sub.files;
    } else if (e.isFile() && filter(e.name)) {
      r.bytes += fs.statSync(full, { throwIfNoEntry: false })?.size ?? 0;
      r.files++;
    }
  }
  return r;
}

function diskFact(layout: SiteLayout, profileFiles: string[]): SiteFacts['disk'] {
  const cache = path.join(layout.lp, '.cache');
  const shadows = du(cache, (n) => n.endsWith('.shadow')).bytes;
  const sidecars = du(cache, (n) => n.endsWith('.bin')).bytes;
  const archive = du(layout.archive);
  const profiles = profileFiles.reduce((a, f) => a + (fs.statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0);
  let free: number | null = null;
  try {
    const s = fs.statfsSync(layout.root);
    free = s.bavail * s.bsize;
  } catch {
    /* no statfs here */
  }
  return {
    profiles,
    shadows,
    sidecars,
    otherCache: du(cache).bytes - shadows - sidecars,
    otherOutputs: du(layout.lp).bytes - du(cache).bytes - profiles,
    archive: archive.bytes,
    archiveFiles: archive.files,
    logs: du(layout.logs).bytes,
    free,
  };
}
