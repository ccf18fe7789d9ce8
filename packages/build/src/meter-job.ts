import fs from 'node:fs';
import path from 'node:path';
import { type ClockMode, computePower, formatDecimal, SiteClock } from '@lptool/core';
import {
  AtomicFile,
  type CheckedExport,
  checkExport,
  csvField,
  ExportRejected,
  readColumnCache,
  writeColumnCache,
} from '@lptool/io';
import type { BadRow, BuildSummary, Conflict, MeterBuild } from './build.js';
import type { MeterInfo } from './meter-data.js';

/** The columns of lp/<name>.csv (SPEC §4). */
export const PROFILE_COLUMNS = [
  'Start Time',
  'End Time',
  'meter',
  'Record No.',
  'Event Type',
  'kw_del',
  'kw_rec',
  'kva_del',
  'kva_rec',
  'MW_del',
  'MW_rec',
  'MVA_del',
  'MVA_rec',
  'MW_net',
  'MVA_net',
  'PF_net',
] as const;

const DAY = 86_400_000;
const VALUE_COLUMNS = ['kw_del', 'kw_rec', 'kva_del', 'kva_rec'] as const;

/** Where a meter job reports: the same shapes as BuildSummary, filled per meter and merged in order. */
export interface MeterSink {
  badFiles: BuildSummary['badFiles'];
  badRows: BadRow[];
  conflicts: Conflict[];
  rowsRead: number;
}

/** The slice of pino's interface a job logs through (events are collected and replayed in meter order). */
export interface EventLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

interface MeterContext {
  append: AppendPlan | null;
  /** Filled with how the profile ends. */
  tail: { lastEnd: number; lastDay: { day: number; count: number } | null } | undefined;
  root: string;
  clock: SiteClock;
  intervalMs: number;
  from: number | undefined;
  to: number | undefined;
  legacyNet: boolean;
  onBadRow: 'skip' | 'fail';
  log: EventLog;
  summary: MeterSink;
  result: MeterBuild;
}

/** Checks one row's numbers; returns the problem or null. */
function checkValues(v: Float64Array, raw: string[], cols: number[]): { column: string; message: string } | null {
  for (let k = 0; k < 4; k++) {
    const text = raw[cols[k]!]!.trim();
    const x = text === '' ? Number.NaN : Number(text);
    v[k] = x;
    if (Number.isNaN(x))
      return {
        column: VALUE_COLUMNS[k]!,
        message: `${VALUE_COLUMNS[k]} — expected a number, got ${JSON.stringify(text)}`,
      };
    if (x < 0) return { column: VALUE_COLUMNS[k]!, message: `${VALUE_COLUMNS[k]} — expected a value ≥ 0, got ${text}` };
  }
  // Apparent power cannot be below real power, but kW and kVA registers are measured and rounded apart:
  // near zero they disagree by a few hundredths (the golden rows have kw_rec 0.04 with kva_rec 0.01).
  // Flag only what no meter noise explains — swapped or mis-scaled columns: short by > 0.1 kVA and > 5 %.
  for (const [kw, kva] of [
    [0, 2],
    [1, 3],
  ] as const) {
    if (v[kva]! + Math.max(0.1, v[kw]! * 0.05) < v[kw]!) {
      return {
        column: VALUE_COLUMNS[kva],
        message: `${VALUE_COLUMNS[kva]} — expected ≥ ${VALUE_COLUMNS[kw]} (${v[kw]}), got ${v[kva]}`,
      };
    }
  }
  return null;
}

/** Read one meter's exports, settle overlaps, compute and write lp/<name>.csv atomically. */
export function buildMeter(info: MeterInfo, list: string[], output: string, ctx: MeterContext): void {
  const { clock, intervalMs, log, result, summary } = ctx;
  // Columnar store of all rows of this meter: instants and values in typed arrays, raw fields by reference.
  const checkedFiles: { rel: string; ex: CheckedExport; fileEnd: number; mtimeMs: number }[] = [];
  let total = 0;
  for (const rel of list) {
    let ex: CheckedExport;
    try {
      ex = checkExport(fs.readFileSync(path.join(ctx.root, rel), 'utf8'), rel, clock, intervalMs);
    } catch (e) {
      if (!(e instanceof ExportRejected)) throw e;
      summary.badFiles.push({ file: rel, reason: e.reason, message: e.message });
      log.error(
        { event: 'bad-file', file: rel, reason: e.reason, message: e.message, rows: e.rows.slice(0, 20) },
        `${rel}: ${e.message}`,
      );
      continue;
    }
    const end = ex.intervals.end;
    checkedFiles.push({
      rel,
      ex,
      fileEnd: end[end.length - 1]!,
      mtimeMs: fs.statSync(path.join(ctx.root, rel)).mtimeMs,
    });
    total += ex.table.rows.length;
  }
  summary.rowsRead += total;
  const start = new Float64Array(total);
  const values = new Float64Array(total * 4);
  const fileOf = new Int32Array(total);
  const rowOf = new Int32Array(total);
  const ok = new Uint8Array(total);
  const v = new Float64Array(4);
  let n = 0;
  let bad = 0;
  checkedFiles.forEach(({ rel, ex }, fi) => {
    const cols = VALUE_COLUMNS.map((c) => ex.columns[c]);
    const rows = ex.table.rows;
    for (let i = 0; i < rows.length; i++) {
      const problem = checkValues(v, rows[i]!, cols);
      start[n] = ex.intervals.start[i]!;
      fileOf[n] = fi;
      rowOf[n] = i;
      if (problem) {
        bad++;
        const b: BadRow = { file: rel, line: ex.table.lines[i]!, ...problem };
        if (summary.badRows.length < 1000) summary.badRows.push(b);
        log.warn({ event: 'bad-row', ...b, policy: ctx.onBadRow }, `${rel}:${b.line}: ${b.message}`);
      } else {
        ok[n] = 1;
        values.set(v, n * 4);
      }
      n++;
    }
  });
  result.badRows = bad;
  if (bad && ctx.onBadRow === 'fail') {
    result.status = 'failed';
    result.error = `${bad} bad row(s); --on-bad-row fail leaves lp/${info.name}.csv as it was`;
    return;
  }

  // Order: by start, then the winner of each start last (see below).
  const order = new Int32Array(total);
  let inOrder = true;
  for (let i = 0; i < total; i++) {
    order[i] = i;
    if (i && start[i]! <= start[i - 1]!) inOrder = false;
  }
  if (!inOrder) {
    // The export whose data ends latest wins (SPEC §4); on a tie the later delivery (file mtime, which
    // sort's rename keeps), then the later path. Files in time order without overlaps skip the sort.
    const fileEnd = Float64Array.from(fileOf, (f) => checkedFiles[f]!.fileEnd);
    const fileTime = Float64Array.from(fileOf, (f) => checkedFiles[f]!.mtimeMs);
    order.sort(
      (a, b) =>
        start[a]! - start[b]! || fileEnd[a]! - fileEnd[b]! || fileTime[a]! - fileTime[b]! || fileOf[a]! - fileOf[b]!,
    );
  }

  const rowText = (i: number) => {
    const { ex } = checkedFiles[fileOf[i]!]!;
    const r = ex.table.rows[rowOf[i]!]!;
    return VALUE_COLUMNS.map((c) => `${c}=${r[ex.columns[c]]!.trim()}`).join(' ');
  };
  const sameRow = (a: number, b: number) => {
    for (let k = 0; k < 4; k++) if (values[a * 4 + k] !== values[b * 4 + k]) return false;
    const ea = checkedFiles[fileOf[a]!]!.ex;
    const eb = checkedFiles[fileOf[b]!]!.ex;
    return ea.intervals.end[rowOf[a]!] === eb.intervals.end[rowOf[b]!];
  };

  const { append } = ctx;
  let previous: Record<'start' | 'end' | 'MW_net' | 'MVA_net', Float64Array> | null = null;
  if (append) {
    // appending is only right when every new row starts at or after the profile's end
    let firstNew = Number.NaN;
    for (let i = 0; i < total && Number.isNaN(firstNew); i++) if (ok[order[i]!]) firstNew = start[order[i]!]!;
    if (!(firstNew >= append.previousEnd)) {
      result.status = 'needs-full';
      return;
    }
    previous = readColumnCache(output, ['start', 'end', 'MW_net', 'MVA_net'] as const);
  }
  const out = new AtomicFile(output, append ? output : undefined);
  try {
    if (!append) out.write(`${PROFILE_COLUMNS.join(',')}\n`);
    const dayCount = new Map<number, number>();
    if (append?.lastDay) dayCount.set(append.lastDay.day, append.lastDay.count);
    // columns for the sidecar cache (merge and gaps read these instead of the text)
    const cStart = new Float64Array(total);
    const cEnd = new Float64Array(total);
    const cMw = new Float64Array(total);
    const cMva = new Float64Array(total);
    const meterField = csvField(info.meter);
    let prevEnd = Number.NaN;
    let prevEndText = '';
    let rows = 0;
    let first = Number.NaN;
    let last = Number.NaN;
    for (let g = 0; g < total; ) {
      // the group order[g..h) shares one start; the last row with good values wins
      const s = start[order[g]!]!;
      let h = g + 1;
      while (h < total && start[order[h]!] === s) h++;
      let winner = -1;
      for (let k = h - 1; k >= g && winner < 0; k--) if (ok[order[k]!]) winner = order[k]!;
      const groupStart = g;
      g = h;
      if (winner < 0) continue;
      if ((ctx.from !== undefined && s < ctx.from) || (ctx.to !== undefined && s >= ctx.to)) continue;
      for (let k = groupStart; k < h; k++) {
        const other = order[k]!;
        if (other === winner || !ok[other] || sameRow(other, winner)) continue;
        result.conflicts++;
        const kf = checkedFiles[fileOf[winner]!]!;
        const of = checkedFiles[fileOf[other]!]!;
        const c: Conflict = {
          start: clock.format(s),
          kept: { file: kf.rel, line: kf.ex.table.lines[rowOf[winner]!]!, values: rowText(winner) },
          dropped: { file: of.rel, line: of.ex.table.lines[rowOf[other]!]!, values: rowText(other) },
        };
        if (summary.conflicts.length < 1000) summary.conflicts.push(c);
        log.warn(
          { event: 'conflict', meter: info.meter, ...c },
          `${info.name} ${c.start}: kept ${c.kept.file} (${c.kept.values}), dropped ${c.dropped.file} (${c.dropped.values})`,
        );
      }
      const { ex } = checkedFiles[fileOf[winner]!]!;
      const r = ex.table.rows[rowOf[winner]!]!;
      const e = ex.intervals.end[rowOf[winner]!]!;
      const o = winner * 4;
      const p = computePower(
        { kwDel: values[o]!, kwRec: values[o + 1]!, kvaDel: values[o + 2]!, kvaRec: values[o + 3]! },
        info.multiplier,
        ctx.legacyNet,
      );
      const rec = ex.columns['Record No.'] >= 0 ? r[ex.columns['Record No.']]!.trim() : '';
      const evt = ex.columns['Event Type'] >= 0 ? r[ex.columns['Event Type']]!.trim() : '';
      const startText = s === prevEnd ? prevEndText : clock.format(s); // a row starts where the last one ended
      const endText = clock.format(e);
      const mwNet = formatDecimal(p.MW_net);
      const mvaNet = formatDecimal(p.MVA_net);
      out.write(
        `${startText},${endText},${meterField},${csvField(rec)},${csvField(evt)},${r[ex.columns.kw_del]!.trim()},${r[ex.columns.kw_rec]!.trim()},${r[ex.columns.kva_del]!.trim()},${r[ex.columns.kva_rec]!.trim()},${formatDecimal(p.MW_del)},${formatDecimal(p.MW_rec)},${formatDecimal(p.MVA_del)},${formatDecimal(p.MVA_rec)},${mwNet},${mvaNet},${formatDecimal(p.PF_net)}\n`,
      );
      cStart[rows] = s;
      cEnd[rows] = e;
      cMw[rows] = Number(mwNet); // exactly what a reader of the CSV gets
      cMva[rows] = Number(mvaNet);
      prevEnd = e;
      prevEndText = endText;
      const day = Math.floor(clock.wallOf(s) / DAY);
      dayCount.set(day, (dayCount.get(day) ?? 0) + 1);
      if (rows === 0) first = s;
      last = e;
      rows++;
    }
    out.commit();
    const joined = (name: 'start' | 'end' | 'MW_net' | 'MVA_net', fresh: Float64Array) => {
      if (!previous) return fresh.subarray(0, rows);
      const all = new Float64Array(previous[name].length + rows);
      all.set(previous[name]);
      all.set(fresh.subarray(0, rows), previous[name].length);
      return all;
    };
    // an append without a readable old sidecar leaves none: readers then take the CSV
    if (!append || previous) {
      writeColumnCache(output, {
        start: joined('start', cStart),
        end: joined('end', cEnd),
        MW_net: joined('MW_net', cMw),
        MVA_net: joined('MVA_net', cMva),
      });
    }
    if (append) result.status = 'appended';
    result.rows = rows + (append?.previousRows ?? 0);
    result.first = append ? append.previousFirst : rows ? clock.format(first) : null;
    result.last = rows ? clock.format(last) : append ? clock.format(append.previousEnd) : null;
    const lastDayKey = Math.max(...dayCount.keys());
    ctx.tail = {
      lastEnd: rows ? last : (append?.previousEnd ?? Number.NaN),
      lastDay: dayCount.size ? { day: lastDayKey, count: dayCount.get(lastDayKey)! } : null,
    };
    for (const [day, count] of [...dayCount].sort((a, b) => a[0] - b[0])) {
      const s0 = clock.instantAtOrAfter(day * DAY);
      const expected = Math.round((clock.instantAtOrAfter((day + 1) * DAY) - s0) / intervalMs);
      const date = new Date(day * DAY).toISOString().slice(0, 10);
      if (count !== expected) result.incompleteDays.push({ date, intervals: count, expected });
      else if (expected !== Math.round(DAY / intervalMs)) result.dstDays.push({ date, intervals: count });
    }
    log.info(
      {
        event: 'built',
        meter: info.meter,
        name: info.name,
        rows,
        files: list.length,
        first: result.first,
        last: result.last,
        conflicts: result.conflicts,
        badRows: result.badRows,
        output: path.relative(ctx.root, output),
      },
      `built ${info.name}`,
    );
  } catch (e) {
    out.abort();
    throw e;
  }
}

/** Everything a worker needs to build one meter (structured-clone safe). */
export interface MeterJob {
  info: MeterInfo;
  list: string[];
  output: string;
  root: string;
  zone: string;
  clockMode: ClockMode;
  intervalMs: number;
  from: number | undefined;
  to: number | undefined;
  legacyNet: boolean;
  onBadRow: 'skip' | 'fail';
  result: MeterBuild;
  /** Every input of the meter (`list` holds only the new ones when appending). */
  allFiles: string[];
  settingsKey: string;
  /** Append `list`'s rows to the existing profile instead of rebuilding it. */
  append: AppendPlan | null;
}

export interface AppendPlan {
  files: string[];
  previousEnd: number;
  previousRows: number;
  previousFirst: string | null;
  lastDay: { day: number; count: number } | null;
}

export interface MeterOutcome extends MeterSink {
  result: MeterBuild;
  events: ['info' | 'warn' | 'error', object, string][];
  /** How the written profile ends (for the manifest). */
  tail?: { lastEnd: number; lastDay: { day: number; count: number } | null };
}

/** Build one meter; logging and problems are collected into the outcome. */
export function runMeterJob(job: MeterJob, clock = new SiteClock(job.zone, job.clockMode)): MeterOutcome {
  const outcome: MeterOutcome = {
    result: job.result,
    badFiles: [],
    badRows: [],
    conflicts: [],
    rowsRead: 0,
    events: [],
  };
  const log: EventLog = {
    info: (o, m) => outcome.events.push(['info', o, m]),
    warn: (o, m) => outcome.events.push(['warn', o, m]),
    error: (o, m) => outcome.events.push(['error', o, m]),
  };
  const ctx = { ...job, clock, log, summary: outcome, result: job.result, tail: undefined };
  buildMeter(job.info, job.list, job.output, ctx);
  if (ctx.tail) outcome.tail = ctx.tail;
  return outcome;
}
