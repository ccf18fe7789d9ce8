import { LptError } from './errors.js';

/** How meters keep their clock (SPEC §2): legal wall-clock time, or the zone's standard offset all year. */
export type ClockMode = 'legal' | 'standard';

const HOUR = 3_600_000;
const DAY = 86_400_000;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
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

/**
 * A site's clock: turns wall-clock labels into instants and instants into
 * local ISO 8601 labels, in one IANA zone.
 *
 * Zone look-ups go through Intl (~4 µs a call), so
 * results are cached per hour. A cached hour is only trusted when the offset
 * (or, for wall times, the set of candidate offsets) is the same at both ends
 * of the hour; the few hours that contain a transition are computed exactly
 * each time. That keeps the cache right for zones whose transitions fall on
 * half hours (America/St_Johns) or that shift by 30 minutes (Australia/Lord_Howe).
 */
export class SiteClock {
  readonly zone: string;
  readonly clock: ClockMode;
  private readonly offsetByDay = new Map<number, number | null>();
  private readonly offsetByHour = new Map<number, number>();
  private readonly candidatesByWallHour = new Map<number, readonly number[] | null>();
  private readonly standardByYear = new Map<number, number>();
  private readonly prefixByWallHour = new Map<number, string>();
  private readonly offsetText = new Map<number, string>();
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
    // a whole UTC day with one offset at both ends is one entry; transition days fall through to hours
    const day = Math.floor(instant / DAY);
    let dayOffset = this.offsetByDay.get(day);
    if (dayOffset === undefined) {
      const a = this.rawOffset(day * DAY);
      dayOffset = a === this.rawOffset(day * DAY + DAY - 1) ? a : null;
      this.offsetByDay.set(day, dayOffset);
    }
    if (dayOffset !== null) return dayOffset;
    const hour = Math.floor(instant / HOUR);
    const cached = this.offsetByHour.get(hour);
    if (cached !== undefined) return cached;
    const a = this.rawOffset(hour * HOUR);
    const b = this.rawOffset(hour * HOUR + HOUR - 1);
    if (a === b) {
      this.offsetByHour.set(hour, a);
      return a;
    }
    return this.rawOffset(instant); // a transition inside this hour: exact, uncached
  }

  /** The zone's standard (non-DST) offset in the year of a wall time: the smaller of January's and July's. */
  standardOffset(wall: number): number {
    const year = new Date(wall).getUTCFullYear();
    let o = this.standardByYear.get(year);
    if (o === undefined) {
      o = Math.min(this.rawOffset(Date.UTC(year, 0, 1, 12)), this.rawOffset(Date.UTC(year, 6, 1, 12)));
      this.standardByYear.set(year, o);
    }
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
