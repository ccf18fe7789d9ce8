import fs from 'node:fs';
import path from 'node:path';
import { type CheckedExport, checkExport, ExportRejected, READING_COLUMNS } from '@lptool/archive';
import {
  boundMessage,
  type ClockMode,
  computePowerMicros,
  DERIVED_POWER_COLUMNS,
  type Decimal,
  decimalProblem,
  emptyDecimal,
  formatMicros,
  formatPowerFactor,
  MAX_EXACT,
  parseDecimal,
  type Readings,
  SiteClock,
  sameDecimal,
} from '@lptool/core';
import { AtomicFile, csvField, type PendingFile } from '@lptool/io';
import type { BadRow, BuildSummary, Conflict, MeterBuild } from './build.js';
import { PROFILE_COLUMNS } from './columns.js';
import type { MeterInfo } from './meter-data.js';
import { type PendingSwap, ShadowAppend, startShadowCopy } from './shadow.js';
import { appendColumnCache, startColumnCache } from './sidecar.js';

const DAY = 86_400_000;
const VALUE_COLUMNS = READING_COLUMNS;

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
  /** Each file's first interval start by path (the earliest reading of a naive label). */
  firstStart?: Record<string, number> | undefined;
  /** Each file's mtime by path, as listed (the delivery order of conflict ties). */
  mtimes?: Record<string, number> | undefined;
  /** An extract (`build --out`): a plain profile in another folder — no shadow, no sidecar. */
  extract?: boolean | undefined;
  /**
   * What was written, left for the caller's commit step (`commitProfiles`) — a job never replaces a profile
   * itself: the profile's temp and its shadow's, or, for an append through the shadow, the swap; and the
   * temp of a new profile's sidecar.
   */
  pending?: PendingFile[] | undefined;
  swap?: PendingSwap | undefined;
  pendingCache?: PendingFile | undefined;
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

/** How a meter's rows become numbers: its multiplier as written and the net convention. */
interface PowerRule {
  multiplier: Decimal;
  multiplierText: string;
  legacyNet: boolean;
}

/**
 * Checks one row's numbers, parsed exactly into `d`, and computes its six derived values in millionths into
 * `micros` at `at`; returns the problem or null. A value must be a decimal number (SPEC §4: nothing else is
 * read as one), finite, ≥ 0, and every derived value within the exact range.
 */
function checkValues(
  d: Readings,
  raw: string[],
  cols: number[],
  rule: PowerRule,
  micros: Float64Array,
  at: number,
): { column: string; message: string } | null {
  for (let k = 0; k < 4; k++) {
    const text = raw[cols[k]!]!.trim();
    const problem = decimalProblem(text, d[k]!) ?? (d[k]!.value < 0 ? 'a value ≥ 0' : null);
    if (problem)
      return {
        column: VALUE_COLUMNS[k]!,
        message: `${VALUE_COLUMNS[k]} — expected ${problem}, got ${JSON.stringify(text)}`,
      };
  }
  // Apparent power cannot be below real power, but kW and kVA registers are measured and rounded apart:
  // near zero they disagree by a few hundredths (the golden rows have kw_rec 0.04 with kva_rec 0.01).
  // Flag only what no meter noise explains — swapped or mis-scaled columns: short by > 0.1 kVA and > 5 %.
  for (const [kw, kva] of [
    [0, 2],
    [1, 3],
  ] as const) {
    const w = d[kw]!.value;
    const va = d[kva]!.value;
    if (va + Math.max(0.1, w * 0.05) < w) {
      return {
        column: VALUE_COLUMNS[kva],
        message: `${VALUE_COLUMNS[kva]} — expected ≥ ${VALUE_COLUMNS[kw]} (${raw[cols[kw]!]!.trim()}), got ${raw[cols[kva]!]!.trim()}`,
      };
    }
  }
  const outside = computePowerMicros(d, rule.multiplier, rule.legacyNet, micros, at);
  if (outside >= 0) {
    // name the reading the result comes from (MW_net/MVA_net: the larger of the two)
    const k =
      outside < 4 ? outside : outside === 4 ? (d[0]!.value >= d[1]!.value ? 0 : 1) : d[2]!.value >= d[3]!.value ? 2 : 3;
    const text = raw[cols[k]!]!.trim();
    return {
      column: VALUE_COLUMNS[k]!,
      message: `${VALUE_COLUMNS[k]} — expected ${DERIVED_POWER_COLUMNS[outside]} within ±${formatMicros(MAX_EXACT)} (the range kept exact), got ${text} × multiplier ${rule.multiplierText} / 1000`,
    };
  }
  return null;
}

/**
 * Read one meter's exports, settle overlaps, compute and write lp/<name>.csv atomically.
 *
 * Files are read in the order of their first interval, and rows are written as
 * soon as no file still to be read can hold the same interval: every row that
 * starts before the next file's first interval (exports are continuous and
 * increasing, so no later file reaches back before its own first row). Memory
 * is the rows of the files that overlap the current position — about one file
 * for a normal archive, however many years it holds.
 */
export function buildMeter(info: MeterInfo, list: string[], output: string, ctx: MeterContext): void {
  const { clock, intervalMs, log, result, summary, append } = ctx;
  const rank = new Map(list.map((rel, i) => [rel, i]));
  const files = list
    .map((rel) => ({ rel, first: ctx.firstStart?.[rel] ?? Number.NEGATIVE_INFINITY }))
    .sort((a, b) => a.first - b.first || rank.get(a.rel)! - rank.get(b.rel)!);

  interface Loaded {
    rel: string;
    ex: CheckedExport;
    fileEnd: number;
    mtimeMs: number;
    rank: number;
    /** Each row's four readings exactly: coefficient (NaN: too long for a Number, parse the text again) and exponent. */
    coef: Float64Array;
    exp: Float64Array;
    /** Each row's six derived values in millionths (DERIVED_POWER_COLUMNS). */
    micros: Float64Array;
    ok: Uint8Array;
    pending: number;
  }
  const loaded: (Loaded | null)[] = [];
  // the window: rows read but not yet written (row index into its file)
  let wFile: number[] = [];
  let wRow: number[] = [];

  // an append goes to the end of the profile's shadow when it has a trusted one; else into a copy of the profile
  const out =
    append?.shadowSize != null
      ? new ShadowAppend(output, append.previousOutput.size, append.shadowSize)
      : new AtomicFile(output, append ? output : undefined);
  const multiplierText = info.multiplierText ?? String(info.multiplier);
  const rule: PowerRule = { multiplier: parseDecimal(multiplierText)!, multiplierText, legacyNet: ctx.legacyNet };
  const readings = (): Readings => [emptyDecimal(), emptyDecimal(), emptyDecimal(), emptyDecimal()];
  const d = readings();
  let bad = 0;
  const dayCount = new Map<number, number>();
  if (append?.lastDay) dayCount.set(append.lastDay.day, append.lastDay.count);
  // columns for the sidecar cache (merge and gaps read these instead of the text)
  const cStart: number[] = [];
  const cEnd: number[] = [];
  const cMw: number[] = []; // millionths, as the sidecar keeps power columns
  const cMva: number[] = [];
  const meterField = csvField(info.meter);
  let prevEnd = Number.NaN;
  let prevEndText = '';
  let rows = 0;
  let first = Number.NaN;
  let last = Number.NaN;

  const rowText = (f: Loaded, r: number) => {
    const raw = f.ex.table.rows[r]!;
    return VALUE_COLUMNS.map((c) => `${c}=${raw[f.ex.columns[c]]!.trim()}`).join(' ');
  };
  /** A row's four readings as exact decimals, into `out` (long coefficients are parsed again from the text). */
  const readingsOf = (f: Loaded, r: number, out: Readings): Readings => {
    for (let k = 0; k < 4; k++) {
      const c = f.coef[r * 4 + k]!;
      const x = out[k]!;
      if (Number.isNaN(c)) Object.assign(x, parseDecimal(f.ex.table.rows[r]![f.ex.columns[VALUE_COLUMNS[k]!]]!.trim()));
      else {
        x.coef = c;
        x.exp = f.exp[r * 4 + k]!;
        x.big = null;
      }
    }
    return out;
  };
  const other = readings();
  /** Same readings (exactly: 2.50 is 2.5) and the same end? */
  const sameRow = (fa: Loaded, ra: number, fb: Loaded, rb: number) => {
    if (fa.ex.intervals.end[ra] !== fb.ex.intervals.end[rb]) return false;
    for (let k = 0; k < 4; k++) {
      const ca = fa.coef[ra * 4 + k]!;
      const cb = fb.coef[rb * 4 + k]!;
      if (Number.isNaN(ca) || Number.isNaN(cb)) {
        const a = readingsOf(fa, ra, d);
        const b = readingsOf(fb, rb, other);
        return a.every((x, i) => sameDecimal(x, b[i]!));
      }
      if (ca !== cb || fa.exp[ra * 4 + k] !== fb.exp[rb * 4 + k]) return false;
    }
    return true;
  };

  /** Write every window row that starts before `watermark`; false if an append turns out to overlap. */
  const flush = (watermark: number): boolean => {
    const emit: number[] = [];
    const keepF: number[] = [];
    const keepR: number[] = [];
    for (let k = 0; k < wFile.length; k++) {
      if (loaded[wFile[k]!]!.ex.intervals.start[wRow[k]!]! < watermark) emit.push(k);
      else {
        keepF.push(wFile[k]!);
        keepR.push(wRow[k]!);
      }
    }
    const startOf = (k: number) => loaded[wFile[k]!]!.ex.intervals.start[wRow[k]!]!;
    // The export whose data ends latest wins (SPEC §4); on a tie the later delivery (file mtime, which
    // sort's rename keeps), then the later path: the winner of each start sorts last.
    emit.sort((a, b) => {
      const fa = loaded[wFile[a]!]!;
      const fb = loaded[wFile[b]!]!;
      return startOf(a) - startOf(b) || fa.fileEnd - fb.fileEnd || fa.mtimeMs - fb.mtimeMs || fa.rank - fb.rank;
    });
    for (let g = 0; g < emit.length; ) {
      const s = startOf(emit[g]!);
      let h = g + 1;
      while (h < emit.length && startOf(emit[h]!) === s) h++;
      let winner = -1;
      for (let k = h - 1; k >= g && winner < 0; k--)
        if (loaded[wFile[emit[k]!]!]!.ok[wRow[emit[k]!]!]) winner = emit[k]!;
      const groupStart = g;
      g = h;
      if (winner < 0) continue;
      if ((ctx.from !== undefined && s < ctx.from) || (ctx.to !== undefined && s >= ctx.to)) continue;
      if (append && s < append.previousEnd) return false;
      const wf = loaded[wFile[winner]!]!;
      const wr = wRow[winner]!;
      for (let k = groupStart; k < h; k++) {
        const other = emit[k]!;
        const of = loaded[wFile[other]!]!;
        const orow = wRow[other]!;
        if (other === winner || !of.ok[orow] || sameRow(of, orow, wf, wr)) continue;
        result.conflicts++;
        const c: Conflict = {
          start: clock.format(s),
          kept: { file: wf.rel, line: wf.ex.table.lines[wr]!, values: rowText(wf, wr) },
          dropped: { file: of.rel, line: of.ex.table.lines[orow]!, values: rowText(of, orow) },
        };
        if (summary.conflicts.length < 1000) summary.conflicts.push(c);
        log.warn(
          { event: 'conflict', meter: info.meter, ...c },
          `${info.name} ${c.start}: kept ${c.kept.file} (${c.kept.values}), dropped ${c.dropped.file} (${c.dropped.values})`,
        );
      }
      const { ex } = wf;
      const r = ex.table.rows[wr]!;
      const e = ex.intervals.end[wr]!;
      const m = wf.micros;
      const o = wr * 6;
      const rec = ex.columns['Record No.'] >= 0 ? r[ex.columns['Record No.']]!.trim() : '';
      const evt = ex.columns['Event Type'] >= 0 ? r[ex.columns['Event Type']]!.trim() : '';
      const startText = s === prevEnd ? prevEndText : clock.format(s); // a row starts where the last one ended
      const endText = clock.format(e);
      const pf = formatPowerFactor(readingsOf(wf, wr, d), ctx.legacyNet);
      out.write(
        `${startText},${endText},${meterField},${csvField(rec)},${csvField(evt)},${r[ex.columns.kw_del]!.trim()},${r[ex.columns.kw_rec]!.trim()},${r[ex.columns.kva_del]!.trim()},${r[ex.columns.kva_rec]!.trim()},${formatMicros(m[o]!)},${formatMicros(m[o + 1]!)},${formatMicros(m[o + 2]!)},${formatMicros(m[o + 3]!)},${formatMicros(m[o + 4]!)},${formatMicros(m[o + 5]!)},${pf}\n`,
      );
      cStart.push(s);
      cEnd.push(e);
      cMw.push(m[o + 4]!);
      cMva.push(m[o + 5]!);
      prevEnd = e;
      prevEndText = endText;
      const day = Math.floor(clock.wallOf(s) / DAY);
      dayCount.set(day, (dayCount.get(day) ?? 0) + 1);
      if (rows === 0) first = s;
      last = e;
      rows++;
    }
    // files whose rows are all written are dropped
    for (const k of emit) {
      const f = loaded[wFile[k]!]!;
      if (--f.pending === 0) loaded[wFile[k]!] = null;
    }
    wFile = keepF;
    wRow = keepR;
    return true;
  };

  try {
    if (!append) out.write(`${PROFILE_COLUMNS.join(',')}\n`);
    for (let k = 0; k < files.length; k++) {
      const rel = files[k]!.rel;
      let ex: CheckedExport | null = null;
      try {
        ex = checkExport(fs.readFileSync(path.join(ctx.root, rel), 'utf8'), rel, clock, intervalMs);
      } catch (e) {
        if (!(e instanceof ExportRejected)) throw e;
        summary.badFiles.push({ file: rel, reason: e.reason, message: e.message });
        log.error(
          { event: 'bad-file', file: rel, reason: e.reason, message: e.message, rows: e.rows.slice(0, 20) },
          `${rel}: ${e.message}`,
        );
      }
      if (ex) {
        const n = ex.table.rows.length;
        const f: Loaded = {
          rel,
          ex,
          fileEnd: ex.intervals.end[n - 1]!,
          mtimeMs: ctx.mtimes?.[rel] ?? fs.statSync(path.join(ctx.root, rel)).mtimeMs,
          rank: rank.get(rel)!,
          coef: new Float64Array(n * 4),
          exp: new Float64Array(n * 4),
          micros: new Float64Array(n * 6),
          ok: new Uint8Array(n),
          pending: n,
        };
        const cols = VALUE_COLUMNS.map((c) => ex!.columns[c]);
        for (let i = 0; i < n; i++) {
          const problem = checkValues(d, ex.table.rows[i]!, cols, rule, f.micros, i * 6);
          if (problem) {
            bad++;
            const b: BadRow = {
              file: rel,
              line: ex.table.lines[i]!,
              ...problem,
              message: boundMessage(problem.message),
            };
            if (summary.badRows.length < 1000) summary.badRows.push(b);
            log.warn(
              { event: 'bad-row', code: 'LPT_BAD_VALUE', ...b, policy: ctx.onBadRow },
              `${rel}:${b.line}: ${b.message}`,
            );
          } else {
            f.ok[i] = 1;
            for (let k = 0; k < 4; k++) {
              f.coef[i * 4 + k] = d[k]!.coef;
              f.exp[i * 4 + k] = d[k]!.exp;
            }
          }
        }
        summary.rowsRead += n;
        loaded.push(f);
        for (let i = 0; i < n; i++) {
          wFile.push(loaded.length - 1);
          wRow.push(i);
        }
      }
      if (bad && ctx.onBadRow === 'fail') {
        out.abort();
        result.badRows = bad;
        result.status = 'failed';
        result.error = `bad row(s); --on-bad-row fail leaves lp/${info.name}.csv as it was`;
        return;
      }
      const watermark = k + 1 < files.length ? files[k + 1]!.first : Number.POSITIVE_INFINITY;
      if (!flush(watermark)) {
        out.abort();
        result.status = 'needs-full';
        return;
      }
    }
    result.badRows = bad;
    // where the profile's bytes are now (rename keeps size and mtime, which the sidecar records)
    const written = detachOutput(out, ctx);
    const fresh = {
      start: Float64Array.from(cStart),
      end: Float64Array.from(cEnd),
      MW_net: Float64Array.from(cMw),
      MVA_net: Float64Array.from(cMva),
    };
    // an append adds its rows to the sidecar in place (dropping a sidecar that no longer matches);
    // a new profile's sidecar waits as a temp, to be put in place with the profile or dropped with it
    if (append) appendColumnCache(output, append.previousOutput, fresh, written);
    else if (!ctx.extract) ctx.pendingCache = startColumnCache(output, fresh, written) ?? undefined;
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
    // (a shadow written to is no longer what the manifest records: it is not trusted again)
    for (const f of [...(ctx.pending ?? []), ...(ctx.pendingCache ? [ctx.pendingCache] : [])])
      fs.rmSync(f.temp, { force: true });
    ctx.pending = undefined;
    ctx.pendingCache = undefined;
    ctx.swap = undefined;
    throw e;
  }
}

/**
 * Leave what was written for the caller's commit step: the swap of an append through the shadow, or the
 * profile's temp (with a copy for its next shadow, unless it is an extract). Returns where the bytes are now.
 */
function detachOutput(out: AtomicFile | ShadowAppend, ctx: MeterContext): string {
  if (out instanceof ShadowAppend) {
    ctx.swap = out.detach();
    return out.shadow;
  }
  const profile = out.detach();
  ctx.pending = ctx.extract ? [profile] : [profile, startShadowCopy(profile)];
  return profile.temp;
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
  /** First interval start of each file by path (for reading them in time order). */
  firstStart?: Record<string, number>;
  /** Mtime of each file by path (else each is stat'ed). */
  mtimes?: Record<string, number>;
  /** An extract (`build --out DIR`): a plain profile there, without shadow or sidecar. */
  extract?: boolean;
}

export interface AppendPlan {
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

export interface MeterOutcome extends MeterSink {
  result: MeterBuild;
  events: ['info' | 'warn' | 'error', object, string][];
  /** What was written, for the caller's commit step: the temps (`commitAll`), or the swap (`commitSwaps`). */
  pending?: PendingFile[];
  /** A new profile's sidecar, as a temp (`commitColumnCaches`). */
  pendingCache?: PendingFile;
  swap?: PendingSwap;
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

/** Build one meter; logging and problems are collected into the outcome. */
export function runMeterJob(job: MeterJob, clock = clockFor(job.zone, job.clockMode)): MeterOutcome {
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
  const ctx: MeterContext = { ...job, clock, log, summary: outcome, result: job.result, tail: undefined };
  buildMeter(job.info, job.list, job.output, ctx);
  if (ctx.tail) outcome.tail = ctx.tail;
  if (ctx.pending) outcome.pending = ctx.pending;
  if (ctx.pendingCache) outcome.pendingCache = ctx.pendingCache;
  if (ctx.swap) outcome.swap = ctx.swap;
  return outcome;
}
