import fs from 'node:fs';
import path from 'node:path';
import { resolveStartInstants, type SiteClock } from '@lptool/core';
import { commitAll, readCsvColumns } from '@lptool/io';
import type { BuildSettings, MeterRecord } from './manifest.js';
import type { MeterJob, MeterOutcome } from './meter-job.js';
import { commitSwaps } from './shadow.js';
import { commitColumnCaches, readColumnCache, readPendingColumnCache, sealColumnCache } from './sidecar.js';
import { type FileStamp, sameStamp, stampNow } from './stamp.js';

/**
 * The commit step of a build: the one place where new profiles replace old ones.
 *
 * Its rule: **a profile is replaced only by one at least as complete** — one that has every interval (start
 * instant) the old one has. A build whose files were all rejected (a wrong `--interval`), whose rows were all
 * bad, whose archive lost a day (even when later deliveries make up the row count), or whose settings move
 * every instant (a one-off `--tz`) would otherwise leave an operator a profile without data it had. Such a
 * profile is kept as it is (with its shadow and sidecar), the meter is reported as `kept` with how many
 * intervals would be lost and the first of them, and the run exits 1; `--allow-shrink` lets the replacement
 * through. Rows of the old profile that hold the same instant twice, or rows no build made, count by their
 * instants only. An append keeps the old profile's bytes as its start, so it passes by construction; extracts
 * (`build --out`) replace nothing of lp/.
 *
 * What passes is committed as a group: the temps fsync'd together and renamed (`commitAll`), the shadow swaps
 * (`commitSwaps`), then the sidecars, each sealed with its profile's stamp in place.
 */
export async function commitProfiles(
  jobs: readonly MeterJob[],
  outcomes: readonly MeterOutcome[],
  previous: (name: string) => MeterRecord | undefined,
  options: { allowShrink: boolean; root: string; clock: SiteClock; settings: BuildSettings },
): Promise<void> {
  const passed: MeterOutcome[] = [];
  outcomes.forEach((o, i) => {
    const job = jobs[i]!;
    if (!o.pending?.length && !o.swap) return;
    if (job.extract || o.result.status === 'appended' || options.allowShrink) {
      passed.push(o);
      return;
    }
    const lost = lostIntervals(job, o, options.clock);
    if (lost.count === 0) passed.push(o);
    else refuse(o, job, lost, { ...options, record: previous(job.info.name) });
  });
  const caches = passed.flatMap((o) => (o.pendingCache ? [o.pendingCache] : []));
  const swaps = passed.flatMap((o) => (o.swap ? [o.swap] : []));
  try {
    await commitAll(passed.flatMap((o) => o.pending ?? []));
    await commitSwaps(swaps);
  } catch (e) {
    // (a full disk, say: commitAll removed its temps; the sidecars' go too, so nothing of this run is left)
    for (const c of caches) fs.rmSync(c.temp, { force: true });
    throw e;
  }
  for (const s of swaps) sealColumnCache(s.target);
  commitColumnCaches(caches);
}

/** The old profile's intervals the new one lacks: how many, and the first. */
interface Lost {
  count: number;
  first: number;
  /** The old profile's data rows. */
  rows: number;
}

/** Which intervals of the profile in lp/ the job's new profile would lose. */
function lostIntervals(job: MeterJob, o: MeterOutcome, clock: SiteClock): Lost {
  const old = startsOf(job.output, clock, job.intervalMs, (f) => readColumnCache(f, ['start'] as const)?.start);
  if (!old || old.starts.length === 0) return { count: 0, first: Number.NaN, rows: old?.rows ?? 0 };
  const temp = o.pending?.find((p) => p.target === job.output)?.temp;
  const cache = o.pendingCache ? readPendingColumnCache(o.pendingCache.temp, ['start'] as const)?.start : undefined;
  const fresh = cache
    ? { starts: Float64Array.from(cache).sort() }
    : temp
      ? startsOf(temp, clock, job.intervalMs)
      : null;
  const { count, first } = missingFrom(old.starts, fresh?.starts ?? new Float64Array(0));
  return { count, first, rows: old.rows };
}

/**
 * The interval starts of a profile file, ascending: from its sidecar when `cached` gives them, else from its
 * `Start Time` column, leniently — a row whose time cannot be read has no instant to lose, and a file that is
 * no profile at all (no such column, not CSV) has none. Null when there is no file.
 */
function startsOf(
  file: string,
  clock: SiteClock,
  intervalMs: number,
  cached: (file: string) => Float64Array | undefined = () => undefined,
): { starts: Float64Array; rows: number } | null {
  if (!fs.existsSync(file)) return null;
  const fromCache = cached(file);
  if (fromCache) return { starts: Float64Array.from(fromCache).sort(), rows: fromCache.length };
  let labels: string[];
  let lines: number[];
  try {
    const t = readCsvColumns(file, ['Start Time'] as const);
    labels = t.columns['Start Time'];
    lines = t.lines;
  } catch {
    return { starts: new Float64Array(0), rows: 0 };
  }
  const { start } = resolveStartInstants(labels, { clock, intervalMs, lines });
  return { starts: start.filter((x) => !Number.isNaN(x)).sort(), rows: labels.length };
}

/** How many distinct values of `old` are not in `fresh` (both ascending), and the first of them. */
function missingFrom(old: Float64Array, fresh: Float64Array): { count: number; first: number } {
  let count = 0;
  let first = Number.NaN;
  let j = 0;
  for (let i = 0; i < old.length; i++) {
    const x = old[i]!;
    if (i > 0 && x === old[i - 1]) continue;
    while (j < fresh.length && fresh[j]! < x) j++;
    if (j < fresh.length && fresh[j] === x) continue;
    if (count++ === 0) first = x;
  }
  return { count, first };
}

/**
 * Keep the old profile: drop what the job wrote (its temps; an appended shadow is left as it is, no longer
 * matching the stamp the manifest trusts) and say why.
 */
function refuse(
  o: MeterOutcome,
  job: MeterJob,
  lost: Lost,
  ctx: { root: string; clock: SiteClock; settings: BuildSettings; record: MeterRecord | undefined },
): void {
  for (const f of [...(o.pending ?? []), ...(o.pendingCache ? [o.pendingCache] : [])])
    fs.rmSync(f.temp, { force: true });
  const rel = path.relative(ctx.root, job.output);
  const firstLost = ctx.clock.format(lost.first);
  const rejected = o.badFiles.length
    ? `; ${o.badFiles.length} of ${job.files.length} archived files rejected, e.g. ${o.badFiles[0]!.file}: ${o.badFiles[0]!.reason}: ${o.badFiles[0]!.message}`
    : '';
  const bad = o.result.badRows ? `; ${o.result.badRows} bad rows skipped` : '';
  const message = changedSinceWritten(job.output, ctx.record?.output)
    ? `kept ${rel} (${lost.rows} rows): ${rel} was changed since lptool wrote it (not as the archive makes it); the rebuilt profile (${o.result.rows} rows) would lack ${lost.count} of its intervals, the first ${firstLost}${settingsChange(ctx.record?.settings, ctx.settings)}${rejected}${bad} — check it, then lptool build --allow-shrink to replace it with the archive's`
    : `kept ${rel} (${lost.rows} rows): this build would replace it with ${o.result.rows} rows without ${lost.count} of its intervals, the first ${firstLost}${settingsChange(ctx.record?.settings, ctx.settings)}${rejected}${bad} — check the settings (--interval, --tz) and the archive, or pass --allow-shrink to replace it`;
  o.events.push([
    'error',
    {
      event: 'shrink-refused',
      output: rel,
      rows: lost.rows,
      newRows: o.result.rows,
      intervalsLost: lost.count,
      firstLost,
    },
    message,
  ]);
  o.result.status = 'kept';
  o.result.error = message;
  delete o.pending;
  delete o.swap;
  delete o.pendingCache;
  delete o.tail;
}

/**
 * Is the profile in lp/ other than the last build wrote it (hand-edited, overwritten, put in its place) — its size,
 * mtime, ctime or inode not those the manifest records (as the build's up-to-date check, H3)? A record of an older
 * lptool without ctime and inode is compared on size and mtime. No record: no build wrote it, nothing to say.
 */
function changedSinceWritten(file: string, recorded: FileStamp | undefined): boolean {
  const now = stampNow(file);
  if (!now || !recorded) return false;
  if (recorded.ctimeMs === undefined || recorded.ino === undefined)
    return now.size !== recorded.size || now.mtimeMs !== recorded.mtimeMs;
  return !sameStamp(now, recorded);
}

/** `; built with timezone X before, Y now` where a setting that places the instants changed since the last build. */
function settingsChange(before: BuildSettings | undefined, now: BuildSettings): string {
  if (!before) return '';
  const changed = (['timezone', 'clock', 'intervalMs'] as const)
    .filter((k) => before[k] !== now[k])
    .map((k) =>
      k === 'intervalMs' ? `interval ${before[k] / 60_000}m → ${now[k] / 60_000}m` : `${k} ${before[k]} → ${now[k]}`,
    );
  return changed.length ? `; the settings changed since its last build (${changed.join(', ')})` : '';
}
