import fs from 'node:fs';
import path from 'node:path';
import { archiveMonthFolders, listArchive as listArchivedFiles, peekExport, sha256File } from '@lptool/archive';
import { LptError, parseLabel, parseRange, SiteClock } from '@lptool/core';
import {
  acquireLock,
  checkSiteFolders,
  clearStaleTempsIn,
  crashPoint,
  createLogger,
  loadSettings,
  type SettingFlags,
  type SiteLayout,
  siteLayout,
} from '@lptool/io';
import { commitProfiles } from './commit.js';
import { type FileRecord, inputsKey, loadManifest, type MeterRecord, saveManifest } from './manifest.js';
import { readMeterData } from './meter-data.js';
import type { MeterJob } from './meter-job.js';
import { runGuarded, runMeterJobs } from './pool.js';
import { shadowPathFor } from './shadow.js';
import { inShard, type Shard } from './shard.js';

export interface BuildOptions extends SettingFlags {
  root: string;
  /** Build only this profile name. */
  meter?: string | undefined;
  /** Interval starts from (inclusive) / to (exclusive): local label or ISO. A range needs `out`. */
  from?: string | undefined;
  to?: string | undefined;
  /**
   * Write the profiles into this folder instead of lp/ — an extract: plain files, no shadows or sidecars,
   * lp/ and its manifest untouched. Required with a range (lp/<name>.csv is always a meter's whole profile).
   */
  out?: string | undefined;
  /** Let a build replace a profile with one that has fewer rows (else the old one is kept and the run exits 1). */
  allowShrink?: boolean;
  legacyNet?: boolean;
  onBadRow?: 'skip' | 'fail';
  full?: boolean;
  /** Build only the meters whose id hashes to this shard (see `shardOf`); other profiles are left alone. */
  shard?: Shard | undefined;
  lockWaitMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface BadRow {
  file: string;
  line: number;
  column: string;
  message: string;
}

export interface Conflict {
  start: string;
  kept: { file: string; line: number; values: string };
  dropped: { file: string; line: number; values: string };
}

export interface MeterBuild {
  name: string;
  meter: string;
  /**
   * `appended`: only new files were read and their rows added to the end; `kept`: the new profile would have
   * had fewer rows than the one in lp/, which was kept (see `error`; `--allow-shrink` replaces it).
   */
  status: 'built' | 'appended' | 'up-to-date' | 'failed' | 'no-data' | 'needs-full' | 'kept';
  files: number;
  rows: number;
  first: string | null;
  last: string | null;
  conflicts: number;
  badRows: number;
  /** Local days whose interval count is not the day's length / interval (data missing or doubled). */
  incompleteDays: { date: string; intervals: number; expected: number }[];
  /** Complete DST days (92 or 100 intervals at 15 minutes): reported as such, not as errors. */
  dstDays: { date: string; intervals: number }[];
  error?: string;
  output?: string;
}

export interface BuildSummary {
  root: string;
  /** Where the profiles went: `lp`, or the `--out` folder of an extract (absolute). */
  outDir: string;
  meters: MeterBuild[];
  unknownMeters: { meter: string; files: string[] }[];
  badFiles: { file: string; reason: string; message: string }[];
  badRows: BadRow[];
  conflicts: Conflict[];
  rowsRead: number;
  exitCode: 0 | 1;
}

/** One `lptool build` run (SPEC §4). */
export async function build(options: BuildOptions): Promise<BuildSummary> {
  const layout = siteLayout(options.root);
  const settings = loadSettings(layout.settings, options, options.env);
  const clock = new SiteClock(settings.timezone, settings.clock);
  const { from, to } = parseRange(options.from, options.to, clock);
  const outDir = extractFolder(options.out, from !== undefined || to !== undefined, layout.lp);
  const extract = outDir !== layout.lp;
  checkSiteFolders(layout, ['archive', 'lp', 'logs'], archiveMonthFolders(layout));
  const meters = readMeterData(layout.meterData);
  const byName = new Map([...meters.values()].map((m) => [m.name, m]));
  if (options.meter !== undefined && !byName.has(options.meter)) {
    throw new LptError(
      'LPT_USAGE',
      `--meter — expected a name from meter-data.csv (${[...byName.keys()].join(', ')}), got ${JSON.stringify(options.meter)}`,
      {
        key: '--meter',
      },
    );
  }
  const release = acquireLock(layout.lockFile, { waitMs: options.lockWaitMs ?? 30_000, command: 'lptool build' });
  // temps of a build that was killed (profiles, shadows, sidecars): with the lock held, nobody else writes here
  for (const dir of [layout.lp, path.join(layout.lp, '.cache')]) clearStaleTempsIn(dir);
  const log = createLogger(layout.logs, 'build', { cmd: 'build' });
  const summary: BuildSummary = {
    root: layout.root,
    outDir: outDir === layout.lp ? 'lp' : outDir,
    meters: [],
    unknownMeters: [],
    badFiles: [],
    badRows: [],
    conflicts: [],
    rowsRead: 0,
    exitCode: 0,
  };
  try {
    log.info(
      {
        event: 'start',
        timezone: settings.timezone,
        clock: settings.clock,
        intervalMs: settings.intervalMs,
        sources: settings.sources,
        options: {
          meter: options.meter,
          from: options.from,
          to: options.to,
          legacyNet: !!options.legacyNet,
          full: !!options.full,
          out: options.out,
          allowShrink: !!options.allowShrink,
          shard: options.shard ? `${options.shard.index}/${options.shard.count}` : undefined,
        },
      },
      'build started',
    );
    const manifest = loadManifest(layout.buildManifest);
    const badNames: string[] = [];
    const files = listArchive(layout, manifest, badNames);
    for (const f of badNames) {
      const message = 'name is not valid UTF-8 — not read; rename it';
      summary.badFiles.push({ file: f, reason: 'PARSE-ERROR', message });
      log.error({ event: 'bad-file', file: f, message }, `${f}: ${message}`);
    }
    const byMeter = new Map<string, string[]>();
    for (const [rel, rec] of files) {
      const list = byMeter.get(rec.meter) ?? [];
      list.push(rel);
      byMeter.set(rec.meter, list);
    }
    for (const [id, list] of byMeter) {
      // an unknown meter is reported by the one shard it hashes to
      if (id === '' || meters.has(id) || !inShard(id, options.shard)) continue;
      summary.unknownMeters.push({ meter: id, files: list });
      log.error(
        { event: 'unknown-meter', code: 'LPT_UNKNOWN_METER', meter: id, files: list },
        `meter ${id} is not in meter-data.csv`,
      );
    }
    const unreadable = byMeter.get('') ?? [];
    for (const f of unreadable)
      summary.badFiles.push({
        file: f,
        reason: 'PARSE-ERROR',
        message: 'no meter id could be read from the first data row',
      });

    const jobs: MeterJob[] = [];
    const jobKeys: string[] = [];
    /** First interval start and mtime of each file to read (an append reads only its new files). */
    const firstStarts = (list: string[]) =>
      Object.fromEntries(list.map((p) => [p, firstInstant(files.get(p)!.first ?? '', clock)]));
    const mtimes = (list: string[]) => Object.fromEntries(list.map((p) => [p, files.get(p)!.mtimeMs]));
    const wanted = [...meters.values()].filter(
      (m) => (options.meter === undefined || m.name === options.meter) && inShard(m.meter, options.shard),
    );
    for (const info of wanted) {
      const list = (byMeter.get(info.meter) ?? []).sort();
      const settingsPart = {
        tz: settings.timezone,
        clock: settings.clock,
        interval: settings.intervalMs,
        legacy: !!options.legacyNet,
        mult: info.multiplierText ?? info.multiplier,
        from,
        to,
        policy: options.onBadRow ?? 'skip',
        v: 2, // 2: exact decimal maths (profiles written by the float maths of 1 are rebuilt, never appended to)
      };
      const settingsKey = inputsKey(settingsPart, []);
      /** The key of these settings over some files as they are now (a missing file has no hash). */
      const keyOf = (paths: string[]) =>
        inputsKey(
          settingsPart,
          paths.map((p) => ({ path: p, hash: files.get(p)?.hash ?? '' })),
        );
      const key = keyOf(list);
      const output = path.join(outDir, `${info.name}.csv`);
      const result: MeterBuild = {
        name: info.name,
        meter: info.meter,
        status: 'built',
        files: list.length,
        rows: 0,
        first: null,
        last: null,
        conflicts: 0,
        badRows: 0,
        incompleteDays: [],
        dstDays: [],
      };
      if (info.problem) {
        result.status = 'failed';
        result.error = info.problem;
        log.error({ event: 'bad-multiplier', meter: info.meter, name: info.name, message: info.problem }, info.problem);
      } else if (list.length === 0) {
        result.status = 'no-data';
      } else if (!extract && !options.full && manifest.meters[info.name]?.inputsKey === key && fs.existsSync(output)) {
        result.status = 'up-to-date';
      } else {
        const append =
          options.full || extract
            ? null
            : appendPlan(manifest.meters[info.name], settingsKey, list, keyOf, output, from, to);
        jobs.push({
          info,
          list: append ? append.files : list,
          allFiles: list,
          append,
          settingsKey,
          output,
          root: layout.root,
          zone: settings.timezone,
          clockMode: settings.clock,
          intervalMs: settings.intervalMs,
          from,
          to,
          legacyNet: !!options.legacyNet,
          onBadRow: options.onBadRow ?? 'skip',
          result,
          firstStart: firstStarts(append ? append.files : list),
          mtimes: mtimes(append ? append.files : list),
          extract,
        });
        jobKeys.push(key);
      }
      summary.meters.push(result);
    }
    // build the meters whose inputs changed (in parallel where cores allow), then take the outcomes in order;
    // an append whose new rows overlap the profile — or whose worker died — is redone as a full build of that meter
    const asFullJob = (job: MeterJob): MeterJob => ({
      ...job,
      list: job.allFiles,
      firstStart: firstStarts(job.allFiles),
      mtimes: mtimes(job.allFiles),
      append: null,
      result: { ...job.result, status: 'built', rows: 0, conflicts: 0, badRows: 0, incompleteDays: [], dstDays: [] },
    });
    const outcomes = await runMeterJobs(jobs, options.env, asFullJob);
    outcomes.forEach((o, i) => {
      if (o.result.status !== 'needs-full') return;
      jobs[i] = asFullJob({ ...jobs[i]!, result: o.result });
      outcomes[i] = runGuarded(jobs[i]!);
    });
    // the new profiles replace the old ones together — except any that would have fewer rows than it (kept)
    await commitProfiles(jobs, outcomes, (name) => manifest.meters[name], {
      allowShrink: !!options.allowShrink,
      root: layout.root,
    });
    outcomes.forEach((o, i) => {
      const job = jobs[i]!;
      const m = summary.meters.findIndex((x) => x.name === job.info.name);
      summary.meters[m] = o.result;
      for (const [level, obj, msg] of o.events) log[level](obj, msg);
      summary.badFiles.push(...o.badFiles);
      summary.badRows.push(...o.badRows.slice(0, Math.max(0, 1000 - summary.badRows.length)));
      summary.conflicts.push(...o.conflicts.slice(0, Math.max(0, 1000 - summary.conflicts.length)));
      summary.rowsRead += o.rowsRead;
      if (o.result.status === 'built' && extract) o.result.output = path.relative(layout.root, job.output);
      else if ((o.result.status === 'built' || o.result.status === 'appended') && o.tail) {
        const st = fs.statSync(job.output);
        // the shadow is trusted only as this run left it (where hard links fail there is none)
        const shadow =
          o.swap || o.pending?.length ? fs.statSync(shadowPathFor(job.output), { throwIfNoEntry: false }) : undefined;
        manifest.meters[job.info.name] = {
          inputsKey: jobKeys[i]!,
          settingsKey: job.settingsKey,
          paths: job.allFiles,
          builtAt: new Date().toISOString(),
          output: { size: st.size, mtimeMs: st.mtimeMs },
          shadow: shadow && shadow.size <= st.size ? { size: shadow.size, mtimeMs: shadow.mtimeMs } : null,
          rows: o.result.rows,
          first: o.result.first,
          lastEnd: o.tail.lastEnd,
          lastDay: o.tail.lastDay,
        };
        o.result.output = path.relative(layout.root, job.output);
      }
    });
    crashPoint('manifest', 0);
    if (!extract) saveManifest(layout.buildManifest, manifest);
    const flagged =
      summary.unknownMeters.length > 0 ||
      summary.badFiles.length > 0 ||
      summary.meters.some((m) => m.status === 'failed' || m.status === 'kept' || m.badRows > 0 || m.conflicts > 0);
    summary.exitCode = flagged ? 1 : 0;
    log.info(
      {
        event: 'end',
        built: summary.meters.filter((m) => m.status === 'built' || m.status === 'appended').length,
        rowsRead: summary.rowsRead,
        exitCode: summary.exitCode,
      },
      'build finished',
    );
    return summary;
  } finally {
    release();
  }
}

/**
 * Where this build writes: lp/, or the `--out` folder of an extract. A range (`--from/--to`) needs `--out`:
 * lp/<name>.csv is always the meter's whole profile. An extract never goes into lp/.
 */
function extractFolder(out: string | undefined, ranged: boolean, lp: string): string {
  if (out === undefined || out.trim() === '') {
    if (ranged)
      throw new LptError(
        'LPT_USAGE',
        '--out — expected a folder for a ranged build (--from/--to writes an extract there; lp/<name>.csv is always the whole profile), got none',
        { key: '--out' },
      );
    return lp;
  }
  const dir = path.resolve(out);
  const rel = path.relative(lp, dir);
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel)))
    throw new LptError(
      'LPT_USAGE',
      `--out — expected a folder outside lp/ (lp/ holds the whole profiles, which only a build without --out writes), got ${dir}`,
      { key: '--out' },
    );
  return dir;
}

/** The earliest instant a first-row label can mean (−∞ if unreadable: such a file is read first). */
function firstInstant(label: string, clock: SiteClock): number {
  const p = parseLabel(label);
  if (!p) return Number.NEGATIVE_INFINITY;
  if (!Number.isNaN(p.offsetMs)) return p.wall - p.offsetMs;
  const c = clock.candidates(p.wall);
  // a label in the skipped hour has no instant: the hour before it is a safe lower bound
  return c.length ? c[0]! : p.wall - clock.standardOffset(p.wall) - 3_600_000;
}

/**
 * Can this meter's new files be appended to its profile instead of a rebuild?
 * Yes when the settings are the same, every file it was built from is still
 * there unchanged, the profile is exactly as lptool wrote it, and no range was
 * asked for; the job then checks that the new rows start after the profile ends.
 */
function appendPlan(
  prev: MeterRecord | undefined,
  settingsKey: string,
  list: string[],
  keyOf: (paths: string[]) => string,
  output: string,
  from: number | undefined,
  to: number | undefined,
): MeterJob['append'] {
  if (!prev || prev.settingsKey !== settingsKey || from !== undefined || to !== undefined) return null;
  const before = prev.paths ?? (prev.files ? Object.keys(prev.files) : null); // (manifests before 0.1: a map)
  if (!before) return null;
  const st = fs.statSync(output, { throwIfNoEntry: false });
  if (!st || st.size !== prev.output?.size || st.mtimeMs !== prev.output?.mtimeMs) return null;
  // every file it was built from is still there with the same hash: its inputs key is still the recorded one
  if (keyOf(before) !== prev.inputsKey) return null;
  const had = new Set(before);
  const added = list.filter((p) => !had.has(p));
  if (!added.length) return null;
  return {
    files: added,
    previousEnd: prev.lastEnd,
    previousRows: prev.rows,
    previousFirst: prev.first,
    previousOutput: { size: st.size, mtimeMs: st.mtimeMs },
    shadowSize: trustedShadowSize(prev, output),
    lastDay: prev.lastDay,
  };
}

/** The size of the profile's shadow when it is there exactly as the last build left it (so it holds the profile's first bytes), else null. */
function trustedShadowSize(prev: MeterRecord, output: string): number | null {
  const want = prev.shadow;
  if (!want || want.size > prev.output.size) return null;
  const st = fs.statSync(shadowPathFor(output), { throwIfNoEntry: false });
  return st && st.size === want.size && st.mtimeMs === want.mtimeMs ? st.size : null;
}

/**
 * Every archived export `data/KW/YYYY-MM/*.csv`, with size, mtime, hash and
 * meter id — taken from the manifest when size and mtime are unchanged.
 */
function listArchive(
  layout: SiteLayout,
  manifest: { files: Record<string, FileRecord> },
  badNames: string[],
): Map<string, FileRecord> {
  const out = new Map<string, FileRecord>();
  const listed = listArchivedFiles(layout);
  badNames.push(...listed.badNames);
  for (const { rel, full, ...st } of listed.files) {
    const known = manifest.files[rel];
    // unchanged size and mtime: the recorded hash and first row stand (a record from before `first` is re-peeked)
    const same = known && known.size === st.size && known.mtimeMs === st.mtimeMs;
    const rec: FileRecord =
      same && known.first !== undefined
        ? known
        : { size: st.size, mtimeMs: st.mtimeMs, hash: same ? known.hash : sha256File(full), ...peekExport(full) };
    out.set(rel, rec);
  }
  manifest.files = Object.fromEntries(out);
  return out;
}
