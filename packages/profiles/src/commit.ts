import fs from 'node:fs';
import path from 'node:path';
import { commitAll } from '@lptool/io';
import type { MeterRecord } from './manifest.js';
import type { MeterJob, MeterOutcome } from './meter-job.js';
import { countProfileRows } from './reader.js';
import { commitSwaps } from './shadow.js';
import { commitColumnCaches } from './sidecar.js';

/**
 * The commit step of a build: the one place where new profiles replace old ones.
 *
 * Its rule: **a profile is never replaced by one with fewer rows** — a build
 * whose files were all rejected (a wrong `--interval`), whose rows were all
 * bad, or whose archive shrank would otherwise leave an operator a header
 * where a year of data was. Such a profile is kept as it is (with its shadow
 * and sidecar), the meter is reported as `kept` with the reason, and the run
 * exits 1; `--allow-shrink` lets the shorter profile through. The rule holds
 * for every way a job writes — a full rebuild's temp and an append through
 * the shadow alike (an append only adds rows, so it passes by construction) —
 * and not for extracts (`build --out`), which replace nothing of lp/.
 *
 * What passes is committed as a group: the temps fsync'd together and renamed
 * (`commitAll`), the shadow swaps (`commitSwaps`), then the sidecars.
 */
export async function commitProfiles(
  jobs: readonly MeterJob[],
  outcomes: readonly MeterOutcome[],
  previous: (name: string) => MeterRecord | undefined,
  options: { allowShrink: boolean; root: string },
): Promise<void> {
  const passed: MeterOutcome[] = [];
  outcomes.forEach((o, i) => {
    const job = jobs[i]!;
    if (!o.pending?.length && !o.swap) return;
    const before = job.extract ? 0 : rowsNow(job.output, previous(job.info.name));
    if (o.result.rows >= before || options.allowShrink) passed.push(o);
    else refuse(o, job, before, options.root);
  });
  const caches = passed.flatMap((o) => (o.pendingCache ? [o.pendingCache] : []));
  try {
    await commitAll(passed.flatMap((o) => o.pending ?? []));
    await commitSwaps(passed.flatMap((o) => (o.swap ? [o.swap] : [])));
  } catch (e) {
    // (a full disk, say: commitAll removed its temps; the sidecars' go too, so nothing of this run is left)
    for (const c of caches) fs.rmSync(c.temp, { force: true });
    throw e;
  }
  commitColumnCaches(caches);
}

/** The rows of the profile as it is: the manifest's count while the file is as the last build left it, else counted. */
function rowsNow(output: string, record: MeterRecord | undefined): number {
  const st = fs.statSync(output, { throwIfNoEntry: false });
  if (!st) return 0;
  if (record && record.output.size === st.size && record.output.mtimeMs === st.mtimeMs) return record.rows;
  return countProfileRows(output);
}

/**
 * Keep the old profile: drop what the job wrote (its temps; an appended shadow is left as it is, no longer
 * matching the size and mtime the manifest trusts) and say why.
 */
function refuse(o: MeterOutcome, job: MeterJob, before: number, root: string): void {
  for (const f of [...(o.pending ?? []), ...(o.pendingCache ? [o.pendingCache] : [])])
    fs.rmSync(f.temp, { force: true });
  const rel = path.relative(root, job.output);
  const rejected = o.badFiles.length
    ? `; ${o.badFiles.length} of ${job.files.length} archived files rejected, e.g. ${o.badFiles[0]!.file}: ${o.badFiles[0]!.reason}: ${o.badFiles[0]!.message}`
    : '';
  const bad = o.result.badRows ? `; ${o.result.badRows} bad rows skipped` : '';
  const message = `kept ${rel} (${before} rows): this build would replace it with ${o.result.rows} rows${rejected}${bad} — check the settings (--interval, --tz) and the archive, or pass --allow-shrink to replace it`;
  o.events.push(['error', { event: 'shrink-refused', output: rel, rows: before, newRows: o.result.rows }, message]);
  o.result.status = 'kept';
  o.result.error = message;
  delete o.pending;
  delete o.swap;
  delete o.pendingCache;
  delete o.tail;
}
