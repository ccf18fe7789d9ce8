import { LptError } from './errors.js';

/** How meters keep their clock (SPEC §2): legal wall-clock time, or the zone's standard offset all year. */
export type ClockMode = 'legal' | 'standard';

const HOUR = 3_600_000;
const DAY = 86_400_000;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** Wall values whose ISO text has a four-digit year (0000–9999): `formatInto` writes their digits itself. */
const MIN_ISO_WALL = Date.UTC(2000, 0, 1) - 5 * 146_097 * DAY;
const MAX_ISO_WALL = Date.UTC(10000, 0, 1);

/** ASCII text into `out` at `at`; the position after it. */
export function putAscii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return at + text.length;
}

function formatOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const m = Math.abs(offsetMs) / 60_000;
  return `${sign}${pad2(Math.floor(m / 60))}:${pad2(m % 60)}`;
}

/**
 * The zone's UTC offset at an instant, from the platform's Intl (exact at
 * transitions). date-fns-tz's getTimezoneOffset was measured wrong for 60 of
 * 2024's 15-minute instants in America/Los_Angeles (the hours next to both
 * transitions), so it is not used.
 */
function intlOffsetFn(zone: string): (instant: number) => number {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return (instant) => {
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let s = 0;
    for (const p of f.formatToParts(new Date(instant))) {
      switch (p.type) {
        case 'year':
          y = Number(p.value);
          break;
        case 'month':
          mo = Number(p.value);
          break;
        case 'day':
          d = Number(p.value);
          break;
        case 'hour':
          h = Number(p.value);
          break;
        case 'minute':
          mi = Number(p.value);
          break;
        case 'second':
          s = Number(p.value);
          break;
      }
    }
    const wall = Date.UTC(y, mo - 1, d, h, mi, s);
    return wall - (instant - (((instant % 1000) + 1000) % 1000));
  };
}

/** Is `zone` an IANA zone name this runtime knows? */
export function isValidTimeZone(zone: string): boolean {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The machine's own zone (the SPEC's default site zone). */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** 400 Gregorian years, in ms (for `Date.UTC` of years 0–99, which it reads as 1900–1999). */
const CYCLE_MS = 146_097 * DAY;
const yearStart = (y: number) => (y >= 100 ? Date.UTC(y, 0, 1) : Date.UTC(y + 400, 0, 1) - CYCLE_MS);

/**
 * A stretch of time with one UTC offset: instants [from, to). `uniqueFrom`/`uniqueTo` bound the wall values
 * that name exactly one instant, which is in this stretch (wall − off): not in the repeated hour after a
 * fall-back at either end, not in the skipped hour of a spring-forward.
 */
interface Span {
  from: number;
  to: number;
  off: number;
  uniqueFrom: number;
  uniqueTo: number;
}

/**
 * A site's clock: turns wall-clock labels into instants and instants into
 * local ISO 8601 labels, in one IANA zone.
 *
 * Zone look-ups go through Intl (~4 µs a call), so the zone's offsets are
 * kept as a table of spans — the instants between two transitions — built a
 * UTC year at a time when an instant of that year is first asked about (366
 * look-ups: the offset at each day's start; a day whose two ends differ is
 * searched hour by hour, and an hour whose ends differ to the millisecond of
 * its transition). That is exact for every zone whose transitions are more
 * than a day apart: transitions on half hours (America/St_Johns), shifts of
 * 30 minutes (Australia/Lord_Howe). The last span used is remembered, so the
 * rows of an export (each a few minutes after the last) cost two comparisons.
 */
export class SiteClock {
  readonly zone: string;
  readonly clock: ClockMode;
  /** The spans of each UTC year asked about so far, and the last span used. */
  private readonly spansByYear = new Map<number, Span[]>();
  private span: Span = { from: 0, to: 0, off: 0, uniqueFrom: 0, uniqueTo: 0 };
  /** The wall values [from, to) of the standard year last asked about, and its standard offset. */
  private standardYear = { from: 0, to: 0, off: 0 };
  private readonly candidatesByWallHour = new Map<number, readonly number[] | null>();
  private readonly standardByYear = new Map<number, number>();
  private readonly prefixByWallHour = new Map<number, string>();
  private readonly offsetText = new Map<number, string>();
  /** formatInto's last local day and its `YYYY-MM-DDT`, its last offset and its text. */
  private bytesDay = Number.NaN;
  private readonly dayBytes = new Uint8Array(11);
  private bytesOffset = Number.NaN;
  private offsetBytes = new Uint8Array(0);
  private readonly rawOffset: (instant: number) => number;

  constructor(zone: string, clock: ClockMode = 'legal') {
    if (!isValidTimeZone(zone)) {
      throw new LptError(
        'LPT_BAD_TIMEZONE',
        `time zone — expected an IANA name like America/Los_Angeles, got ${JSON.stringify(zone)}`,
        {
          key: 'timezone',
        },
      );
    }
    this.zone = zone;
    this.clock = clock;
    this.rawOffset = intlOffsetFn(zone);
  }

  /** The zone's legal UTC offset (ms, local = UTC + offset) at an instant. */
  offsetAt(instant: number): number {
    const s = this.span;
    if (instant >= s.from && instant < s.to) return s.off;
    return this.spanAt(instant).off;
  }

  /** The span that holds an instant (its year's spans built on first use). */
  private spanAt(instant: number): Span {
    if (Number.isNaN(instant)) this.rawOffset(instant); // (throws, as Intl does for an invalid date)
    const year = new Date(instant).getUTCFullYear();
    let spans = this.spansByYear.get(year);
    if (!spans) {
      spans = this.spansOfYear(year);
      this.spansByYear.set(year, spans);
    }
    let k = 0;
    while (k < spans.length - 1 && instant >= spans[k]!.to) k++;
    this.span = spans[k]!;
    return this.span;
  }

  /**
   * A UTC year's spans from Intl: the offset at each day's start; where a day's ends differ, at each hour's;
   * where an hour's ends differ, the transition's millisecond by bisection. (A span may end at the year's
   * end with the same offset as the next year's first: walls there are still unique.)
   */
  private spansOfYear(year: number): Span[] {
    const start = yearStart(year);
    const end = yearStart(year + 1);
    const at: number[] = [start];
    const off: number[] = [this.rawOffset(start)];
    /** Record the transitions inside [a, b), whose end offsets are oa and ob, at the given step. */
    const scan = (a: number, b: number, oa: number, ob: number, step: number): void => {
      if (oa === ob) return;
      if (step === HOUR) {
        let lo = a; // offset(lo) = oa, offset(b) = ob: bisect to the first millisecond of ob
        let hi = b;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (this.rawOffset(mid) === oa) lo = mid;
          else hi = mid;
        }
        at.push(hi);
        off.push(this.rawOffset(hi));
        return;
      }
      let prev = oa;
      for (let t = a; t < b; t += HOUR) {
        const next = t + HOUR >= b ? ob : this.rawOffset(t + HOUR);
        scan(t, Math.min(t + HOUR, b), prev, next, HOUR);
        prev = next;
      }
    };
    let prev = off[0]!;
    for (let t = start; t < end; t += DAY) {
      const next = this.rawOffset(Math.min(t + DAY, end));
      scan(t, Math.min(t + DAY, end), prev, next, DAY);
      prev = next;
    }
    const before = this.rawOffset(start - 1);
    return at.map((from, k) => {
      const to = k + 1 < at.length ? at[k + 1]! : end;
      const o = off[k]!;
      const prevOff = k > 0 ? off[k - 1]! : before;
      const nextOff = k + 1 < at.length ? off[k + 1]! : prev;
      return { from, to, off: o, uniqueFrom: from + Math.max(o, prevOff), uniqueTo: to + Math.min(o, nextOff) };
    });
  }

  /** The zone's standard (non-DST) offset in the year of a wall time: the smaller of January's and July's. */
  standardOffset(wall: number): number {
    const y = this.standardYear;
    if (wall >= y.from && wall < y.to) return y.off;
    const year = new Date(wall).getUTCFullYear();
    let o = this.standardByYear.get(year);
    if (o === undefined) {
      o = Math.min(this.rawOffset(Date.UTC(year, 0, 1, 12)), this.rawOffset(Date.UTC(year, 6, 1, 12)));
      this.standardByYear.set(year, o);
    }
    if (year >= 100) this.standardYear = { from: yearStart(year), to: yearStart(year + 1), off: o };
    return o;
  }

  /**
   * Every instant whose local label is `wall`, ascending: one normally, two in
   * the repeated fall-back hour (daylight pass first), none in the skipped
   * spring-forward hour. In `standard` mode always exactly one.
   */
  candidates(wall: number): readonly number[] {
    if (this.clock === 'standard') return [wall - this.standardOffset(wall)];
    return this.legalCandidates(wall);
  }

  /** The instant of a wall time when it has exactly one candidate (no allocation), else NaN. */
  uniqueInstant(wall: number): number {
    if (this.clock === 'standard') return wall - this.standardOffset(wall);
    let s = this.span;
    if (wall >= s.uniqueFrom && wall < s.uniqueTo) return wall - s.off;
    if (!Number.isNaN(wall)) {
      s = this.spanAt(wall - this.offsetAt(wall)); // (the span of the instant wall − the offset near it)
      if (wall >= s.uniqueFrom && wall < s.uniqueTo) return wall - s.off;
    }
    const offsets = this.candidatesByWallHour.get(Math.floor(wall / HOUR));
    if (offsets && offsets.length === 1) return wall - offsets[0]!;
    const c = this.legalCandidates(wall);
    return c.length === 1 ? c[0]! : Number.NaN;
  }

  /** Like `candidates`, always in legal time (calendar days and buckets follow the wall clock). */
  legalCandidates(wall: number): readonly number[] {
    const hour = Math.floor(wall / HOUR);
    let offsets = this.candidatesByWallHour.get(hour);
    if (offsets === undefined) {
      const a = this.candidateOffsets(hour * HOUR);
      const b = this.candidateOffsets(hour * HOUR + HOUR - 1);
      offsets = a.length === b.length && a.every((o, i) => o === b[i]) ? a : null;
      this.candidatesByWallHour.set(hour, offsets);
    }
    if (offsets === null) offsets = this.candidateOffsets(wall);
    if (offsets.length === 1) return [wall - offsets[0]!];
    return offsets.map((o) => wall - o);
  }

  /** Offsets o with offsetAt(wall − o) = o, ordered so that the instants ascend. */
  private candidateOffsets(wall: number): number[] {
    const before = this.offsetAt(wall - DAY);
    const after = this.offsetAt(wall + DAY);
    const out: number[] = [];
    for (const o of before === after ? [before] : [before, after]) {
      if (this.offsetAt(wall - o) === o) out.push(o);
    }
    // instants wall − o ascend when offsets descend
    return out.sort((x, y) => y - x);
  }

  /** The first instant at or after a legal wall time (for nonexistent wall times: the end of the skipped hour). */
  instantAtOrAfter(wall: number): number {
    const c = this.legalCandidates(wall);
    if (c.length) return c[0]!;
    // in a spring-forward gap: the offset before the jump puts the wall time just past the transition
    return wall - this.rawOffset(wall - DAY);
  }

  /** Local wall value (fields as if UTC) of an instant, in legal time. */
  wallOf(instant: number): number {
    return instant + this.offsetAt(instant);
  }

  /** `YYYY-MM-DD` of the local calendar day of an instant. */
  localDate(instant: number): string {
    return new Date(this.wallOf(instant)).toISOString().slice(0, 10);
  }

  /** First instant of the local day that contains `instant`. */
  startOfLocalDay(instant: number): number {
    const wall = this.wallOf(instant);
    return this.instantAtOrAfter(wall - (((wall % DAY) + DAY) % DAY));
  }

  /** First instant of the next local day after the one containing `instant`. */
  startOfNextLocalDay(instant: number): number {
    const wall = this.wallOf(instant);
    return this.instantAtOrAfter(wall - (((wall % DAY) + DAY) % DAY) + DAY);
  }

  /**
   * `format(instant)` written as ASCII bytes into `out` at `at`; returns the position after it. Made for rows
   * written in time order: the date (`2024-07-12T`) is kept per local day, the offset's text per offset.
   */
  formatInto(instant: number, out: Uint8Array, at: number): number {
    const offset = this.offsetAt(instant);
    const wall = instant + offset;
    const day = Math.floor(wall / DAY);
    const secs = (wall - day * DAY) / 1000; // (no % on doubles: V8 calls fmod for it)
    if (secs !== Math.floor(secs) || !(wall >= MIN_ISO_WALL && wall < MAX_ISO_WALL))
      return putAscii(out, at, this.format(instant));
    if (day !== this.bytesDay) {
      this.bytesDay = day;
      putAscii(this.dayBytes, 0, new Date(day * DAY).toISOString().slice(0, 11));
    }
    const d = this.dayBytes;
    for (let k = 0; k < 11; k++) out[at + k] = d[k]!;
    let pos = at + 11;
    const h = (secs / 3600) | 0;
    const m = ((secs - h * 3600) / 60) | 0;
    const sec = secs - h * 3600 - m * 60;
    out[pos] = 48 + ((h / 10) | 0);
    out[pos + 1] = 48 + (h % 10);
    out[pos + 2] = 58;
    out[pos + 3] = 48 + ((m / 10) | 0);
    out[pos + 4] = 48 + (m % 10);
    out[pos + 5] = 58;
    out[pos + 6] = 48 + ((sec / 10) | 0);
    out[pos + 7] = 48 + (sec % 10);
    pos += 8;
    if (offset !== this.bytesOffset) {
      this.bytesOffset = offset;
      let text = this.offsetText.get(offset);
      if (text === undefined) {
        text = formatOffset(offset);
        this.offsetText.set(offset, text);
      }
      this.offsetBytes = new Uint8Array(text.length);
      putAscii(this.offsetBytes, 0, text);
    }
    const o = this.offsetBytes;
    for (let k = 0; k < o.length; k++) out[pos + k] = o[k]!;
    return pos + o.length;
  }

  /** ISO 8601 local time with offset, `2024-07-12T11:00:00-07:00` (seconds always, ms when non-zero). */
  format(instant: number): string {
    const offset = this.offsetAt(instant);
    const wall = instant + offset;
    const wallHour = Math.floor(wall / HOUR);
    let prefix = this.prefixByWallHour.get(wallHour);
    if (prefix === undefined) {
      prefix = new Date(wallHour * HOUR).toISOString().slice(0, 14);
      this.prefixByWallHour.set(wallHour, prefix);
    }
    let suffix = this.offsetText.get(offset);
    if (suffix === undefined) {
      suffix = formatOffset(offset);
      this.offsetText.set(offset, suffix);
    }
    const inHour = wall - wallHour * HOUR;
    const ms = inHour % 1000;
    const secs = (inHour - ms) / 1000;
    const body = `${pad2(Math.floor(secs / 60))}:${pad2(secs % 60)}`;
    return ms ? `${prefix}${body}.${String(ms).padStart(3, '0')}${suffix}` : `${prefix}${body}${suffix}`;
  }
}
