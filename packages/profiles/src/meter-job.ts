import fs from 'node:fs';
import path from 'node:path';
import { type CheckedExport, decodeExport, ExportRejected, earliestStart } from '@lptool/archive';
import { type ClockMode, SiteClock } from '@lptool/core';
import { type AssembledRows, type BadRow, type Conflict, ProfileAssembler } from './assembler.js';
import type { MeterInfo } from './meter-data.js';
import { type BadFile, emptyResult, type MeterBuild } from './summary.js';
import { ProfileWriter, type WrittenProfile } from './writer.js';

/**
 * One meter's build, as a worker thread runs it: the shell around the ProfileAssembler engine. It reads
 * the meter's exports in the order of their first intervals, pushes each through the engine, writes what
 * the engine gives (`ProfileWriter`) and reports what it found as plain data — the job is plain data in,
 * the outcome plain data out; the main thread logs the events in meter order and commits what was written.
 */

/** An archived export of the meter, as the build lists it. */
export interface JobFile {
  rel: string;
  /** Its first data row's Start Time label, as peeked at ('' when unreadable). */
  first: string;
  /** Its mtime (the delivery order of conflict ties). */
  mtimeMs: number;
}

/** How new files can be added to the end of the profile instead of a rebuild. */
export interface AppendPlan {
  /** The new files' paths. */
  files: string[];
  previousEnd: number;
  previousRows: number;
  previousFirst: string | null;
  /** The profile's size and mtime before the append (what its sidecar must describe). */
  previousOutput: { size: number; mtimeMs: number };
  /** The size of the profile's trusted shadow (`shadowPathFor`: its first bytes) — append there and swap — or null. */
  shadowSize: number | null;
  lastDay: { day: number; count: number } | null;
}

/** Everything a worker needs to build one meter (plain data: structured-clone safe). */
export interface MeterJob {
  info: MeterInfo;
  /** Every archived export of the meter, in path order. */
  files: JobFile[];
  output: string;
  root: string;
  zone: string;
  clockMode: ClockMode;
  intervalMs: number;
  from: number | undefined;
  to: number | undefined;
  legacyNet: boolean;
  onBadRow: 'skip' | 'fail';
  /** An extract (`build --out DIR`): a plain profile there, without shadow or sidecar. */
  extract: boolean;
  /** Append the new files' rows to the profile; if they reach back into it, the meter is built in full. */
  append: AppendPlan | null;
  /** The bytes it reads (its files, or an append's new files): the pool starts the largest jobs first. */
  bytes?: number;
}

/** A log line, kept for the main thread to write in meter order. */
export type LogEvent = ['info' | 'warn' | 'error', object, string];

/** What a job gives back: the meter's result, what it found, and what it wrote for the commit step. */
export interface MeterOutcome extends WrittenProfile {
  result: MeterBuild;
  events: LogEvent[];
  badFiles: BadFile[];
  badRows: BadRow[];
  conflicts: Conflict[];
  rowsRead: number;
  /** The thread that built it (`threadId`: 0 for the main thread). */
  thread?: number;
  /** How the written profile ends (for the manifest). */
  tail?: { lastEnd: number; lastDay: { day: number; count: number } | null };
}

/** One SiteClock per zone and mode in a thread: its offset caches stay warm from meter to meter. */
const clocks = new Map<string, SiteClock>();
function clockFor(zone: string, mode: ClockMode): SiteClock {
  const key = `${zone}\u0000${mode}`;
  let clock = clocks.get(key);
  if (!clock) {
    clock = new SiteClock(zone, mode);
    clocks.set(key, clock);
  }
  return clock;
}

/** Build one meter: an append when planned and possible, else in full. */
export function runMeterJob(job: MeterJob): MeterOutcome {
  const clock = clockFor(job.zone, job.clockMode);
  // an append whose new rows reach back into the profile is built in full instead (nothing of the try is kept)
  return (job.append && buildMeter(job, job.append, clock)) || buildMeter(job, null, clock)!;
}

/** A meter's outcome before anything is read. */
function newOutcome(job: MeterJob): MeterOutcome {
  const result = emptyResult(job.info.name, job.info.meter, job.files.length);
  return { result, events: [], badFiles: [], badRows: [], conflicts: [], rowsRead: 0 };
}

/** What a meter that fails leaves: its profile in lp/ as it was, or (an extract) no file of it in the folder. */
const leftBehind = (job: MeterJob) =>
  job.extract ? `no extract of ${job.info.name} written` : `lp/${job.info.name}.csv left as it was`;

/** The outcome of a meter whose build could not run: its profile is left as it was. */
export function failedOutcome(job: MeterJob, message: string): MeterOutcome {
  const { meter, name } = job.info;
  const outcome = newOutcome(job);
  Object.assign(outcome.result, {
    status: 'failed',
    error: `build failed — ${message}; ${leftBehind(job)}`,
  });
  outcome.events.push(['error', { event: 'meter-failed', meter, name, message }, `${name}: build failed — ${message}`]);
  return outcome;
}

/**
 * The files to read, in the order of their first intervals (the earliest instant each first label can mean;
 * an unreadable one first), then their paths; each with its rank among them.
 */
function filesInOrder(job: MeterJob, append: AppendPlan | null, clock: SiteClock) {
  const wanted = append ? new Set(append.files) : null;
  return job.files
    .filter((f) => !wanted || wanted.has(f.rel))
    .map((f, rank) => ({ rel: f.rel, mtimeMs: f.mtimeMs, rank, first: earliestStart(f.first, clock) }))
    .sort((a, b) => a.first - b.first || a.rank - b.rank);
}

/** Build (or append to) one meter's profile; null when an append turns out to overlap the profile. */
function buildMeter(job: MeterJob, append: AppendPlan | null, clock: SiteClock): MeterOutcome | null {
  const outcome = newOutcome(job);
  const files = filesInOrder(job, append, clock);
  const engine = new ProfileAssembler({
    meter: job.info.meter,
    multiplierText: job.info.multiplierText ?? String(job.info.multiplier),
    legacyNet: job.legacyNet,
    clock,
    intervalMs: job.intervalMs,
    from: job.from,
    to: job.to,
    onBadRow: job.onBadRow,
    after: append ? { end: append.previousEnd, lastDay: append.lastDay } : undefined,
  });
  const writer = new ProfileWriter(job.output, { append, extract: job.extract });
  try {
    for (let k = 0; k < files.length; k++) {
      const { rel, mtimeMs, rank } = files[k]!;
      const ex = readExport(job, rel, clock, outcome);
      if (ex) engine.push({ rel, export: ex, mtimeMs, rank });
      const rows = engine.flush(k + 1 < files.length ? files[k + 1]!.first : Number.POSITIVE_INFINITY);
      report(outcome, rows, job);
      outcome.rowsRead = engine.counters.rowsRead;
      if (rows.failed || rows.overlap) {
        writer.abort();
        return rows.overlap ? null : failBadRows(outcome, engine, job);
      }
      writer.write(rows);
    }
    Object.assign(outcome, writer.finish());
  } catch (e) {
    writer.abort();
    throw e;
  }
  finishResult(outcome, engine, append, job, clock, files.length);
  return outcome;
}

/** Read and check one export; a reject is a bad file (reported; the meter goes on without it). */
function readExport(job: MeterJob, rel: string, clock: SiteClock, outcome: MeterOutcome): CheckedExport | null {
  try {
    return decodeExport(fs.readFileSync(path.join(job.root, rel)), rel, clock, job.intervalMs);
  } catch (e) {
    if (!(e instanceof ExportRejected)) throw e;
    outcome.badFiles.push({ file: rel, reason: e.reason, message: e.message });
    outcome.events.push([
      'error',
      { event: 'bad-file', file: rel, reason: e.reason, message: e.message, rows: e.rows.slice(0, 20) },
      `${rel}: ${e.message}`,
    ]);
    return null;
  }
}

/** The bad rows and conflicts of one flush, as summary entries and log lines. */
function report(outcome: MeterOutcome, rows: AssembledRows, job: MeterJob): void {
  for (const b of rows.badRows) {
    outcome.badRows.push(b);
    outcome.events.push([
      'warn',
      { event: 'bad-row', code: 'LPT_BAD_VALUE', ...b, policy: job.onBadRow },
      `${b.file}:${b.line}: ${b.message}`,
    ]);
  }
  for (const c of rows.conflicts) {
    outcome.conflicts.push(c);
    outcome.result.conflicts++;
    outcome.events.push([
      'warn',
      { event: 'conflict', meter: job.info.meter, ...c },
      `${job.info.name} ${c.start}: kept ${c.kept.file} (${c.kept.values}), dropped ${c.dropped.file} (${c.dropped.values})`,
    ]);
  }
}

/** `--on-bad-row fail`: the meter fails, its profile left as it was. */
function failBadRows(outcome: MeterOutcome, engine: ProfileAssembler, job: MeterJob): MeterOutcome {
  outcome.result.badRows = engine.counters.badRows;
  outcome.result.status = 'failed';
  outcome.result.error = `bad row(s); --on-bad-row fail: ${leftBehind(job)}`;
  return outcome;
}

/** The meter's result once its rows are written: counts, range, days, how it ends, the `built` log line. */
function finishResult(
  outcome: MeterOutcome,
  engine: ProfileAssembler,
  append: AppendPlan | null,
  job: MeterJob,
  clock: SiteClock,
  read: number,
): void {
  const { result } = outcome;
  const { rows } = engine.counters;
  const days = engine.finish();
  result.badRows = engine.counters.badRows;
  if (append) result.status = 'appended';
  result.rows = rows + (append?.previousRows ?? 0);
  result.first = append ? append.previousFirst : rows ? clock.format(engine.first) : null;
  result.last = rows ? clock.format(engine.last) : append ? clock.format(append.previousEnd) : null;
  result.incompleteDays = days.incompleteDays;
  result.dstDays = days.dstDays;
  outcome.tail = { lastEnd: rows ? engine.last : (append?.previousEnd ?? Number.NaN), lastDay: days.lastDay };
  const { meter, name } = job.info;
  const { first, last, conflicts, badRows } = result;
  const output = path.relative(job.root, job.output);
  outcome.events.push([
    'info',
    { event: 'built', meter, name, rows, files: read, first, last, conflicts, badRows, output },
    `built ${name}`,
  ]);
}
