import { type CheckedExport, type ExportRows, FIELD, READING_COLUMNS } from '@lptool/archive';
import {
  boundMessage,
  computePowerMicros,
  DERIVED_POWER_COLUMNS,
  type Decimal,
  decimalProblem,
  emptyDecimal,
  formatMicros,
  MAX_EXACT,
  parseDecimal,
  parseDecimalBytes,
  type Readings,
  type SiteClock,
  sameDecimal,
} from '@lptool/core';
import { RowWriter, type WrittenRows } from './writer.js';

/**
 * The engine of `lptool build` (SPEC §4), pure: exports in, profile rows out — no file system, no log,
 * no clock reads. Push one checked export at a time, in the order of their first intervals; `flush(w)`
 * gives every row that starts before `w` (the next export's first start: exports are continuous and
 * increasing, so no export still to come reaches back before its own first row), settled:
 *
 *  - a row's readings must be decimal numbers, finite, ≥ 0, kVA not below kW beyond meter noise, and
 *    every derived value within the exact range — else it is a bad row, named by file, line and column;
 *  - the same interval in several exports: identical rows collapse, and of differing rows the export
 *    whose data ends latest wins (then the later delivery, then the later path), each loser a conflict;
 *  - MW/MVA from the readings and the multiplier as written, exactly, rounded half-up once;
 *  - rows outside the range (`from`/`to`) are left out; an append's rows must start where the profile ends.
 *
 * Memory is the rows of the exports that overlap the current position: about one export for a normal
 * archive, however many years it holds.
 */

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

export interface AssemblerOptions {
  /** The meter id, written on every row. */
  meter: string;
  /** The meter's multiplier as written in meter-data.csv (a checked decimal number). */
  multiplierText: string;
  /** MW_net = MW_del + MW_rec (the older scripts' convention) instead of MW_del − MW_rec. */
  legacyNet: boolean;
  clock: SiteClock;
  intervalMs: number;
  /** Interval starts from (inclusive) / to (exclusive), for an extract. */
  from?: number | undefined;
  to?: number | undefined;
  /** `fail`: a bad row stops the meter (the flush after it says `failed`); `skip`: it is left out. */
  onBadRow: 'skip' | 'fail';
  /** An append: where the profile ends now and its last local day's count; new rows must start at or after it. */
  after?: { end: number; lastDay: { day: number; count: number } | null } | undefined;
}

/** One export, checked (`checkExport`), with what ranks it against others for the same interval. */
export interface ExportInput {
  rel: string;
  export: CheckedExport;
  /** Its delivery time (file mtime, which sort's rename keeps). */
  mtimeMs: number;
  /** Its path's place among the meter's paths (the last tie-break). */
  rank: number;
}

/** What one flush gives. */
export interface AssembledRows extends WrittenRows {
  /** (`count` rows; `bytes`: the lines of lp/<name>.csv, in time order, valid until the next flush.) */
  /** The same rows as text, each line with its `\n` (made when asked for: tests, messages). */
  readonly lines: string[];
  conflicts: Conflict[];
  /** The bad rows of the exports pushed since the last flush. */
  badRows: BadRow[];
  /** Intervals written per local day (days since 1970 of the legal wall clock), this run and the append's last day. */
  days: ReadonlyMap<number, number>;
  /** A bad row with `onBadRow: 'fail'`: nothing is written, the meter fails. */
  failed: boolean;
  /** An append whose new rows reach back into the profile: nothing is written, the meter must be built in full. */
  overlap: boolean;
}

/** The local days a profile covers, checked against the day's length (23, 24 or 25 hours). */
export interface DayCounts {
  /** Days whose interval count is not the day's length / interval (data missing or doubled). */
  incompleteDays: { date: string; intervals: number; expected: number }[];
  /** Complete days of another length (92 or 100 intervals at 15 minutes: DST days). */
  dstDays: { date: string; intervals: number }[];
}

const DAY = 86_400_000;

/** An export's rows as the engine holds them until they are written. */
interface Loaded {
  rel: string;
  ex: CheckedExport;
  rows: ExportRows;
  start: Float64Array;
  end: Float64Array;
  fileEnd: number;
  mtimeMs: number;
  rank: number;
  /** Each row's four readings exactly: coefficient (NaN: too long for a Number, parse the text again) and exponent. */
  coef: Float64Array;
  exp: Float64Array;
  /** Each row's six derived values in millionths (DERIVED_POWER_COLUMNS). */
  micros: Float64Array;
  ok: Uint8Array;
  /** Its rows from here on are not yet taken from the window (rows start in order within an export). */
  next: number;
}

/** Rows taken from the window, in ranking order: the export and row index of each. */
interface Held {
  file: Loaded[];
  row: number[];
}

/** How a meter's rows become numbers: its multiplier as written and the net convention. */
interface PowerRule {
  multiplier: Decimal;
  multiplierText: string;
  legacyNet: boolean;
}

const readings = (): Readings => [emptyDecimal(), emptyDecimal(), emptyDecimal(), emptyDecimal()];

/** The optional text columns of an export that a profile row carries. */
const TEXT_COLUMNS = ['Record No.', 'Event Type'] as const;
type TextColumn = (typeof TEXT_COLUMNS)[number];

/** A row's Record No. or Event Type as written (trimmed); '' where the export has no such column. */
function textOf(f: Loaded, row: number, c: TextColumn): string {
  return f.rows.field(row, c === 'Record No.' ? FIELD.record : FIELD.event).trim();
}

/**
 * Reads one row's four readings exactly into `d` — from the bytes where they are in the usual spelling, else by
 * the decimal grammar from their text — checks them, and computes its six derived values in millionths into
 * `micros` at `at`; returns the problem or null. A value must be a decimal number (SPEC §4: nothing else is read
 * as one), finite, ≥ 0, and every derived value within the exact range.
 */
function checkValues(
  d: Readings,
  rows: ExportRows,
  i: number,
  rule: PowerRule,
  micros: Float64Array,
  at: number,
): { column: string; message: string } | null {
  const bytes = rows.isBytes(i) ? rows.bytes : null;
  for (let k = 0; k < 4; k++) {
    const f = FIELD.readings + k;
    if (bytes && parseDecimalBytes(bytes, rows.start(i, f), rows.end(i, f), d[k]!)) continue;
    const problem = decimalProblem(readingText(rows, i, k), d[k]!) ?? (d[k]!.value < 0 ? 'a value ≥ 0' : null);
    if (problem)
      return {
        column: READING_COLUMNS[k]!,
        message: `${READING_COLUMNS[k]} — expected ${problem}, got ${JSON.stringify(readingText(rows, i, k))}`,
      };
  }
  return checkPower(d, rows, i, rule, micros, at);
}

/** Reading k of row i as written (trimmed). */
const readingText = (rows: ExportRows, i: number, k: number) => rows.field(i, FIELD.readings + k).trim();

/** The readings of a row against each other, and its six derived values in millionths into `micros` at `at`. */
function checkPower(
  d: Readings,
  rows: ExportRows,
  i: number,
  rule: PowerRule,
  micros: Float64Array,
  at: number,
): { column: string; message: string } | null {
  const text = (k: number) => readingText(rows, i, k);
  // Apparent power cannot be below real power, but kW and kVA registers are measured and rounded apart:
  // near zero they disagree by a few hundredths (the golden rows have kw_rec 0.04 with kva_rec 0.01).
  // Flag only what no meter noise explains — swapped or mis-scaled columns: short by > 0.1 kVA and > 5 %.
  for (let kw = 0; kw < 2; kw++) {
    const kva = kw + 2;
    const w = d[kw]!.value;
    const va = d[kva]!.value;
    if (va + Math.max(0.1, w * 0.05) < w) {
      return {
        column: READING_COLUMNS[kva]!,
        message: `${READING_COLUMNS[kva]} — expected ≥ ${READING_COLUMNS[kw]} (${text(kw)}), got ${text(kva)}`,
      };
    }
  }
  const outside = computePowerMicros(d, rule.multiplier, rule.legacyNet, micros, at);
  if (outside >= 0) {
    // name the reading the result comes from (MW_net/MVA_net: the larger of the two)
    const k =
      outside < 4 ? outside : outside === 4 ? (d[0]!.value >= d[1]!.value ? 0 : 1) : d[2]!.value >= d[3]!.value ? 2 : 3;
    return {
      column: READING_COLUMNS[k]!,
      message: `${READING_COLUMNS[k]} — expected ${DERIVED_POWER_COLUMNS[outside]} within ±${formatMicros(MAX_EXACT)} (the range kept exact), got ${text(k)} × multiplier ${rule.multiplierText} / 1000`,
    };
  }
  return null;
}

/** The day counts of a profile, each day checked against its real length in the site zone. */
export function checkDays(days: ReadonlyMap<number, number>, clock: SiteClock, intervalMs: number): DayCounts {
  const out: DayCounts = { incompleteDays: [], dstDays: [] };
  for (const [day, count] of [...days].sort((a, b) => a[0] - b[0])) {
    const s0 = clock.instantAtOrAfter(day * DAY);
    const expected = Math.round((clock.instantAtOrAfter((day + 1) * DAY) - s0) / intervalMs);
    const date = new Date(day * DAY).toISOString().slice(0, 10);
    if (count !== expected) out.incompleteDays.push({ date, intervals: count, expected });
    else if (expected !== Math.round(DAY / intervalMs)) out.dstDays.push({ date, intervals: count });
  }
  return out;
}

export class ProfileAssembler {
  /** Rows read (every row of every export pushed), rows written, bad rows, conflicts. */
  readonly counters = { rowsRead: 0, rows: 0, badRows: 0, conflicts: 0 };
  /** The first start and the last end written (NaN before the first row). */
  first = Number.NaN;
  last = Number.NaN;
  /** The window: exports with rows not yet written or dropped, in the order pushed. */
  private window: Loaded[] = [];
  private readonly days = new Map<number, number>();
  /** The local day of the last row written and its count so far (in `days` at each flush's end). */
  private day = Number.NaN;
  private dayCount = 0;
  private badRows: BadRow[] = [];
  private readonly rule: PowerRule;
  private readonly out: RowWriter;
  private readonly d = readings();
  private readonly other = readings();

  constructor(private readonly o: AssemblerOptions) {
    this.rule = {
      multiplier: parseDecimal(o.multiplierText)!,
      multiplierText: o.multiplierText,
      legacyNet: o.legacyNet,
    };
    this.out = new RowWriter(o.meter, o.clock, o.legacyNet);
    if (o.after?.lastDay) this.days.set(o.after.lastDay.day, o.after.lastDay.count);
  }

  /** The next export: its rows' values checked (bad rows kept for the next flush) and its rows held until written. */
  push(input: ExportInput): void {
    const { export: ex, rel } = input;
    const { rows } = ex;
    const n = rows.count;
    const f: Loaded = {
      rel,
      ex,
      rows,
      start: ex.intervals.start,
      end: ex.intervals.end,
      fileEnd: ex.intervals.end[n - 1]!,
      mtimeMs: input.mtimeMs,
      rank: input.rank,
      coef: new Float64Array(n * 4),
      exp: new Float64Array(n * 4),
      micros: new Float64Array(n * 6),
      ok: new Uint8Array(n),
      next: 0,
    };
    const d = this.d;
    for (let i = 0; i < n; i++) {
      const problem = checkValues(d, rows, i, this.rule, f.micros, i * 6);
      if (problem) {
        this.counters.badRows++;
        this.badRows.push({ file: rel, line: rows.lines[i]!, ...problem, message: boundMessage(problem.message) });
        continue;
      }
      f.ok[i] = 1;
      for (let k = 0; k < 4; k++) {
        f.coef[i * 4 + k] = d[k]!.coef;
        f.exp[i * 4 + k] = d[k]!.exp;
      }
    }
    this.counters.rowsRead += n;
    this.window.push(f);
  }

  /** Settle and write every held row that starts before `watermark` (the next export's first start; +∞ at the end). */
  flush(watermark = Number.POSITIVE_INFINITY): AssembledRows {
    const badRows = this.badRows;
    this.badRows = [];
    this.out.reset();
    if (this.o.onBadRow === 'fail' && this.counters.badRows > 0) return this.result(badRows, [], { failed: true });
    const conflicts: Conflict[] = [];
    const taken = this.takeWindow(watermark);
    let ok = true;
    if (taken.single) ok = this.writeRun(taken.single, taken.from, taken.to);
    else {
      const { held } = taken;
      const n = held.file.length;
      for (let g = 0; g < n && ok; ) {
        const s = this.startAt(held, g);
        let h = g + 1;
        while (h < n && this.startAt(held, h) === s) h++;
        ok = this.settle(held, g, h, conflicts);
        g = h;
      }
    }
    if (!ok) return this.result(badRows, conflicts, { overlap: true });
    if (!Number.isNaN(this.day)) this.days.set(this.day, this.dayCount);
    return this.result(badRows, conflicts, {});
  }

  /** What a flush gives: the rows the writer holds now (none when it failed or overlaps). */
  private result(
    badRows: BadRow[],
    conflicts: Conflict[],
    how: { failed?: boolean; overlap?: boolean },
  ): AssembledRows {
    const written = how.failed || how.overlap ? this.out.empty() : this.out.taken();
    const text = () => {
      const all = Buffer.from(written.bytes.buffer, written.bytes.byteOffset, written.bytes.length).toString('utf8');
      return all ? all.split(/(?<=\n)/) : [];
    };
    return {
      ...written,
      get lines() {
        return text();
      },
      conflicts,
      badRows,
      days: this.days,
      failed: !!how.failed,
      overlap: !!how.overlap,
    };
  }

  /** The profile as written by this run: its days checked, and where it ends (for the next append). */
  finish(): DayCounts & { lastDay: { day: number; count: number } | null } {
    const last = Math.max(...this.days.keys());
    return {
      ...checkDays(this.days, this.o.clock, this.o.intervalMs),
      lastDay: this.days.size ? { day: last, count: this.days.get(last)! } : null,
    };
  }

  /**
   * Take the window's rows that start before `watermark`. When they all come from one export (no overlap:
   * nearly always) they are its rows [from, to), already in order; else each start's group in ranking order —
   * the export whose data ends latest wins (SPEC §4); on a tie the later delivery, then the later path: the
   * winner of each start sorts last. Exports whose rows are all taken leave the window.
   */
  private takeWindow(watermark: number): { single: Loaded; from: number; to: number } | { single: null; held: Held } {
    const runs: { f: Loaded; from: number; to: number }[] = [];
    for (const f of this.window) {
      let to = f.next;
      const n = f.rows.count;
      while (to < n && f.start[to]! < watermark) to++;
      if (to > f.next) runs.push({ f, from: f.next, to });
      f.next = to;
    }
    this.window = this.window.filter((f) => f.next < f.rows.count);
    if (runs.length === 1) return { single: runs[0]!.f, from: runs[0]!.from, to: runs[0]!.to };
    const file: Loaded[] = [];
    const row: number[] = [];
    for (const r of runs)
      for (let i = r.from; i < r.to; i++) {
        file.push(r.f);
        row.push(i);
      }
    const order = file.map((_, k) => k);
    order.sort((a, b) => {
      const fa = file[a]!;
      const fb = file[b]!;
      return (
        fa.start[row[a]!]! - fb.start[row[b]!]! ||
        fa.fileEnd - fb.fileEnd ||
        fa.mtimeMs - fb.mtimeMs ||
        fa.rank - fb.rank
      );
    });
    return { single: null, held: { file: order.map((k) => file[k]!), row: order.map((k) => row[k]!) } };
  }

  private startAt(held: Held, k: number): number {
    return held.file[k]!.start[held.row[k]!]!;
  }

  /**
   * Rows [from, to) of one export, nothing else starting among them: each written unless bad or outside the
   * range (the single-row case of `settle`). False: an append overlaps.
   */
  private writeRun(f: Loaded, from: number, to: number): boolean {
    const { from: lo, to: hi, after } = this.o;
    for (let i = from; i < to; i++) {
      if (!f.ok[i]) continue;
      const s = f.start[i]!;
      if ((lo !== undefined && s < lo) || (hi !== undefined && s >= hi)) continue;
      if (after && s < after.end) return false;
      this.write(f, i, s);
    }
    return true;
  }

  /** One start's rows (`held[g … h)`): the winner written, the differing others conflicts. False: an append overlaps. */
  private settle(held: Held, g: number, h: number, conflicts: Conflict[]): boolean {
    let w = -1;
    for (let k = h - 1; k >= g && w < 0; k--) if (held.file[k]!.ok[held.row[k]!]) w = k;
    if (w < 0) return true;
    const s = this.startAt(held, w);
    const { from, to, after } = this.o;
    if ((from !== undefined && s < from) || (to !== undefined && s >= to)) return true;
    if (after && s < after.end) return false;
    const wf = held.file[w]!;
    const wr = held.row[w]!;
    for (let k = g; k < h; k++) {
      const of = held.file[k]!;
      const orow = held.row[k]!;
      if (k === w || !of.ok[orow] || this.sameRow(of, orow, wf, wr)) continue;
      this.counters.conflicts++;
      conflicts.push({
        start: this.o.clock.format(s),
        kept: { file: wf.rel, line: wf.rows.lines[wr]!, values: this.valuesText(wf, wr, of, orow) },
        dropped: { file: of.rel, line: of.rows.lines[orow]!, values: this.valuesText(of, orow, wf, wr) },
      });
    }
    this.write(wf, wr, s);
    return true;
  }

  /** Write one row: its line, its sidecar columns, its day. */
  private write(f: Loaded, row: number, s: number): void {
    const e = f.end[row]!;
    const at = row * 6;
    this.out.row(f.rows, row, s, e, f.micros, at, this.readingsOf(f, row, this.d));
    const day = Math.floor(this.o.clock.wallOf(s) / DAY);
    if (day !== this.day) {
      if (!Number.isNaN(this.day)) this.days.set(this.day, this.dayCount);
      this.day = day;
      this.dayCount = this.days.get(day) ?? 0;
    }
    this.dayCount++;
    if (this.counters.rows === 0) this.first = s;
    this.last = e;
    this.counters.rows++;
  }

  /**
   * `kw_del=… kw_rec=… kva_del=… kva_rec=…` as the export wrote them, for a conflict with the other row given;
   * then `Record No.=…` and `Event Type=…` where the two rows differ in them.
   */
  private valuesText(f: Loaded, row: number, other: Loaded, otherRow: number): string {
    const values = READING_COLUMNS.map((c, k) => `${c}=${f.rows.field(row, FIELD.readings + k).trim()}`);
    for (const c of TEXT_COLUMNS) {
      const t = textOf(f, row, c);
      if (t !== textOf(other, otherRow, c)) values.push(`${c}=${t}`);
    }
    return values.join(' ');
  }

  /** A row's four readings as exact decimals, into `out` (long coefficients are parsed again from the text). */
  private readingsOf(f: Loaded, row: number, out: Readings): Readings {
    for (let k = 0; k < 4; k++) {
      const c = f.coef[row * 4 + k]!;
      const x = out[k]!;
      if (Number.isNaN(c)) Object.assign(x, parseDecimal(f.rows.field(row, FIELD.readings + k).trim()));
      else {
        x.coef = c;
        x.exp = f.exp[row * 4 + k]!;
        x.big = null;
      }
    }
    return out;
  }

  /**
   * The same row: every exported column the same — the end, the readings (as numbers: 2.50 is 2.5), and
   * Record No. and Event Type as text? Anything else differing is a conflict.
   */
  private sameRow(fa: Loaded, ra: number, fb: Loaded, rb: number): boolean {
    if (fa.end[ra] !== fb.end[rb]) return false;
    for (const c of TEXT_COLUMNS) if (textOf(fa, ra, c) !== textOf(fb, rb, c)) return false;
    for (let k = 0; k < 4; k++) {
      const ca = fa.coef[ra * 4 + k]!;
      const cb = fb.coef[rb * 4 + k]!;
      if (Number.isNaN(ca) || Number.isNaN(cb)) {
        const a = this.readingsOf(fa, ra, this.d);
        const b = this.readingsOf(fb, rb, this.other);
        return a.every((x, i) => sameDecimal(x, b[i]!));
      }
      if (ca !== cb || fa.exp[ra * 4 + k] !== fb.exp[rb * 4 + k]) return false;
    }
    return true;
  }
}
