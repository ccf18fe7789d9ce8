import fs from 'node:fs';
import path from 'node:path';
import { archiveMonthFolders, listArchive, peekExport, sha256File } from '@lptool/archive';
import { LptError, parseRange } from '@lptool/core';
import {
  clearStaleTempsIn,
  crashPoint,
  type Logger,
  openSite,
  requireMeterData,
  type Site,
  type SiteLayout,
  type SiteOptions,
} from '@lptool/io';
import { commitProfiles } from './commit.js';
import {
  type BuildSettings,
  type FileRecord,
  inputsKey,
  loadManifest,
  type Manifest,
  type MeterRecord,
  saveManifest,
} from './manifest.js';
import { type MeterInfo, readMeterData } from './meter-data.js';
import type { AppendPlan, MeterJob, MeterOutcome } from './meter-job.js';
import { extractFolder, makeExtractFolder } from './out-folder.js';
import { runMeterJobs, workerHeapMb } from './pool.js';
import { shadowPathFor } from './shadow.js';
import { inShard, type Shard } from './shard.js';
import { isAsRecorded, stampOf } from './stamp.js';
import { type BuildSummary, emptyResult, listCapped, type MeterBuild } from './summary.js';

export interface BuildOptions extends SiteOptions {
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
  /** Let a build replace a profile with one missing some of its intervals (else the old one is kept and the run exits 1). */
  allowShrink: boolean;
  legacyNet: boolean;
  onBadRow: 'skip' | 'fail';
  full: boolean;
  /** Build only the meters whose id hashes to this shard (see `shardOf`); other profiles are left alone. */
  shard?: Shard | undefined;
  lockWaitMs: number;
  /** As each meter that needs building is built: meters done, meters to build, rows read so far (a progress line). */
  onProgress?: ((done: number, total: number, rows: number) => void) | undefined;
}

/** What a build run works with once its site is open and its options are checked. */
interface BuildRun {
  site: Site;
  options: BuildOptions;
  meters: Map<string, MeterInfo>;
  from: number | undefined;
  to: number | undefined;
  /** lp/, or the `--out` folder of an extract. */
  outDir: string;
  extract: boolean;
  log: Logger;
}

/** A meter that needs building: its job, and the manifest key of what it is built from. */
interface Work {
  job: MeterJob;
  key: string;
  settingsKey: string;
}

/**
 * One `lptool build` run (SPEC §4): the archived exports of each meter of meter-data.csv whose inputs
 * changed go through the ProfileAssembler engine (on worker threads), and the new profiles replace the
 * old ones together in the commit step.
 */
export async function build(options: BuildOptions): Promise<BuildSummary> {
  const site = openSite(options, ['archive', 'lp', 'logs'], archiveMonthFolders);
  const { from, to } = parseRange(options.from, options.to, site.clock);
  const out = extractFolder(options.out, from !== undefined || to !== undefined, site.layout);
  workerHeapMb(options.env ?? process.env); // (checked now: a wrong value is exit 2 before anything is done)
  requireMeterData(site.layout);
  const meters = readMeterData(site.layout.meterData);
  const names = [...meters.values()].map((m) => m.name);
  if (options.meter !== undefined && !names.includes(options.meter))
    throw new LptError(
      'LPT_USAGE',
      `--meter — expected a name from meter-data.csv (${names.join(', ')}), got ${JSON.stringify(options.meter)}`,
      { key: '--meter' },
    );
  // the extract's folder is made now, before the lock: a folder that cannot be made (or hangs) never holds the site
  const outDir = out === null ? site.layout.lp : makeExtractFolder(out);
  const lockWaitMs = options.lockWaitMs;
  return site.locked({ command: 'build', logs: ['build'], lockWaitMs }, ([log]) => {
    // temps of a build that was killed (profiles, shadows, sidecars): with the lock held, nobody else writes here
    for (const dir of [site.layout.lp, path.join(site.layout.lp, '.cache')]) clearStaleTempsIn(dir);
    const extract = outDir !== site.layout.lp;
    return buildMeters({ site, options, meters, from, to, outDir, extract, log: log! });
  });
}

async function buildMeters(run: BuildRun): Promise<BuildSummary> {
  const { site, log, extract } = run;
  const { layout } = site;
  logStart(run);
  const summary: BuildSummary = {
    root: layout.root,
    outDir: extract ? run.outDir : 'lp',
    meters: [],
    unknownMeters: [],
    badFiles: [],
    badRows: [],
    conflicts: [],
    rowsRead: 0,
    exitCode: 0,
  };
  const manifest = loadManifest(layout.buildManifest);
  const files = listInputs(layout, manifest, summary, log);
  const byMeter = groupByMeter(run, files, summary);
  const work: Work[] = [];
  for (const info of run.meters.values()) {
    if ((run.options.meter !== undefined && info.name !== run.options.meter) || !inShard(info.meter, run.options.shard))
      continue;
    const planned = planMeter(run, info, (byMeter.get(info.meter) ?? []).sort(), files, manifest);
    summary.meters.push(planned.result);
    if (planned.work) work.push(planned.work);
  }
  // build the meters whose inputs changed (in parallel where cores allow), then take the outcomes in order
  const jobs = work.map((w) => w.job);
  let done = 0;
  let rows = 0;
  const onProgress = run.options.onProgress;
  onProgress?.(0, jobs.length, 0);
  const outcomes = await runMeterJobs(jobs, run.options.env, (o) => {
    rows += o.rowsRead;
    onProgress?.(++done, jobs.length, rows);
  });
  // the new profiles replace the old ones together — except any that would lose intervals of the old one (kept)
  await commitProfiles(jobs, outcomes, (name) => manifest.meters[name], {
    allowShrink: run.options.allowShrink,
    root: layout.root,
    clock: site.clock,
    settings: buildSettings(run),
  });
  outcomes.forEach((o, i) => {
    takeOutcome(run, summary, manifest, work[i]!, o);
  });
  crashPoint('manifest', 0);
  if (!extract) saveManifest(layout.buildManifest, manifest, files);
  const flagged =
    summary.unknownMeters.length > 0 ||
    summary.badFiles.length > 0 ||
    summary.meters.some((m) => m.status === 'failed' || m.status === 'kept' || m.badRows > 0 || m.conflicts > 0);
  summary.exitCode = flagged ? 1 : 0;
  const built = summary.meters.filter((m) => m.status === 'built' || m.status === 'appended').length;
  log.info({ event: 'end', built, rowsRead: summary.rowsRead, exitCode: summary.exitCode }, 'build finished');
  return summary;
}

function logStart({ site, options, log }: BuildRun): void {
  const { settings } = site;
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
        legacyNet: options.legacyNet,
        full: options.full,
        out: options.out,
        allowShrink: options.allowShrink,
        shard: options.shard ? `${options.shard.index}/${options.shard.count}` : undefined,
      },
    },
    'build started',
  );
}

/**
 * Every archived export `data/KW/YYYY-MM/*.csv`, with size, mtime, hash and meter id — taken from the
 * manifest when size and mtime are unchanged (a record from before `first` is peeked at again). Names
 * that are not UTF-8 are bad files. The listing is what the manifest saves as its files (`saveManifest`
 * writes them in this order): the loaded records are let go here, so at 1,000 meters 53,000 of them are not
 * held twice (nor their paths as a second, internalized copy) while the meters build.
 */
function listInputs(
  layout: SiteLayout,
  manifest: Manifest,
  summary: BuildSummary,
  log: Logger,
): Map<string, FileRecord> {
  const out = new Map<string, FileRecord>();
  const ids = new Map<string, string>(); // one string per meter id, not one per file
  const listed = listArchive(layout);
  for (const f of listed.files) {
    const known = manifest.files[f.rel];
    const same = known && known.size === f.size && known.mtimeMs === f.mtimeMs;
    if (same && known.first !== undefined) out.set(f.rel, known);
    else {
      const { meter, first } = peekExport(f.full);
      const id = ids.get(meter) ?? ids.set(meter, meter).get(meter)!;
      // (all five fields in one literal: held in the object itself, no separate property store)
      out.set(f.rel, {
        size: f.size,
        mtimeMs: f.mtimeMs,
        hash: same ? known.hash : sha256File(f.full),
        meter: id,
        first,
      });
    }
  }
  manifest.files = {};
  for (const file of listed.badNames) {
    const message = 'name is not valid UTF-8 — not read; rename it';
    summary.badFiles.push({ file, reason: 'PARSE-ERROR', message });
    log.error({ event: 'bad-file', file, message }, `${file}: ${message}`);
  }
  return out;
}

/** The archived files by meter id; files of unknown meters and unreadable ones are reported. */
function groupByMeter(run: BuildRun, files: Map<string, FileRecord>, summary: BuildSummary): Map<string, string[]> {
  const byMeter = new Map<string, string[]>();
  for (const [rel, rec] of files) {
    const list = byMeter.get(rec.meter) ?? [];
    list.push(rel);
    byMeter.set(rec.meter, list);
  }
  for (const [id, list] of byMeter) {
    // an unknown meter is reported by the one shard it hashes to
    if (id === '' || run.meters.has(id) || !inShard(id, run.options.shard)) continue;
    summary.unknownMeters.push({ meter: id, files: list });
    run.log.error(
      { event: 'unknown-meter', code: 'LPT_UNKNOWN_METER', meter: id, files: list },
      `meter ${id} is not in meter-data.csv`,
    );
  }
  for (const file of byMeter.get('') ?? [])
    summary.badFiles.push({
      file,
      reason: 'PARSE-ERROR',
      message: 'no meter id could be read from the first data row',
    });
  return byMeter;
}

/** What to do for one meter: nothing (no data, up to date, a bad multiplier), an append, or a full build. */
function planMeter(
  run: BuildRun,
  info: MeterInfo,
  list: string[],
  files: Map<string, FileRecord>,
  manifest: Manifest,
): { result: MeterBuild; work?: Work } {
  const { site, options, from, to, extract } = run;
  const { settings } = site;
  const settingsPart = {
    tz: settings.timezone,
    clock: settings.clock,
    interval: settings.intervalMs,
    legacy: options.legacyNet,
    mult: info.multiplierText ?? info.multiplier,
    from,
    to,
    policy: options.onBadRow,
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
  const output = path.join(run.outDir, `${info.name}.csv`);
  const result = emptyResult(info.name, info.meter, list.length);
  if (info.problem) {
    run.log.error({ event: 'bad-multiplier', meter: info.meter, name: info.name, message: info.problem }, info.problem);
    return { result: { ...result, status: 'failed', error: info.problem } };
  }
  if (list.length === 0) return { result: { ...result, status: 'no-data' } };
  const previous = manifest.meters[info.name];
  if (!extract && !options.full && previous?.inputsKey === key) {
    // up to date only while the profile is what that build wrote: one truncated, overwritten or edited since
    // (even to the same length with its mtime put back) is built again
    if (isAsRecorded(output, previous.output)) return { result: { ...result, status: 'up-to-date' } };
    if (fs.existsSync(output))
      run.log.warn(
        { event: 'profile-changed', name: info.name, output: path.relative(site.layout.root, output) },
        `${path.relative(site.layout.root, output)} is not as its last build wrote it (changed by something else): built again`,
      );
  }
  const append = options.full || extract ? null : appendPlan(previous, settingsKey, list, keyOf, output, from, to);
  const job: MeterJob = {
    info,
    files: list.map((rel) => ({ rel, first: files.get(rel)!.first ?? '', mtimeMs: files.get(rel)!.mtimeMs })),
    output,
    root: site.layout.root,
    zone: settings.timezone,
    clockMode: settings.clock,
    intervalMs: settings.intervalMs,
    from,
    to,
    legacyNet: options.legacyNet,
    onBadRow: options.onBadRow,
    extract,
    append,
    bytes: (append?.files ?? list).reduce((n, rel) => n + (files.get(rel)?.size ?? 0), 0),
  };
  return { result, work: { job, key, settingsKey } };
}

/** A meter's outcome into the summary, its log lines into the log, and what it wrote into the manifest. */
function takeOutcome(run: BuildRun, summary: BuildSummary, manifest: Manifest, work: Work, o: MeterOutcome): void {
  const { job } = work;
  const { root } = run.site.layout;
  const m = summary.meters.findIndex((x) => x.name === job.info.name);
  summary.meters[m] = o.result;
  for (const [level, obj, msg] of o.events) run.log[level](obj, msg);
  summary.badFiles.push(...o.badFiles);
  listCapped(summary.badRows, o.badRows);
  listCapped(summary.conflicts, o.conflicts);
  summary.rowsRead += o.rowsRead;
  if (o.result.status === 'built' && run.extract) o.result.output = path.relative(root, job.output);
  else if ((o.result.status === 'built' || o.result.status === 'appended') && o.tail) {
    manifest.meters[job.info.name] = meterRecord(run, work, o);
    o.result.output = path.relative(root, job.output);
  }
}

/** The settings that place a profile's instants, as the manifest records them. */
function buildSettings({ site }: BuildRun): BuildSettings {
  const { timezone, clock, intervalMs } = site.settings;
  return { timezone, clock, intervalMs };
}

/** What the manifest keeps of a built profile (it and its shadow are trusted only as this run left them). */
function meterRecord(run: BuildRun, work: Work, o: MeterOutcome): MeterRecord {
  const output = work.job.output;
  const st = fs.statSync(output);
  // (where hard links fail there is no shadow)
  const shadow =
    o.swap || o.pending?.length ? fs.statSync(shadowPathFor(output), { throwIfNoEntry: false }) : undefined;
  return {
    inputsKey: work.key,
    settingsKey: work.settingsKey,
    paths: work.job.files.map((f) => f.rel),
    builtAt: new Date().toISOString(),
    output: stampOf(st),
    shadow: shadow && shadow.size <= st.size ? stampOf(shadow) : null,
    settings: buildSettings(run),
    rows: o.result.rows,
    first: o.result.first,
    lastEnd: o.tail!.lastEnd,
    lastDay: o.tail!.lastDay,
  };
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
): AppendPlan | null {
  if (!prev || prev.settingsKey !== settingsKey || from !== undefined || to !== undefined) return null;
  const before = prev.paths ?? (prev.files ? Object.keys(prev.files) : null); // (manifests before 0.1: a map)
  if (!before) return null;
  const st = fs.statSync(output, { throwIfNoEntry: false });
  if (!st || !isAsRecorded(output, prev.output)) return null;
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
  return isAsRecorded(shadowPathFor(output), want) ? want.size : null;
}
