/**
 * Export time labels (SPEC §2) → wall-clock milliseconds.
 *
 * A *wall* value is the label's calendar fields read as if they were UTC
 * (`Date.UTC(y, mo-1, d, h, mi, s)`): it is not an instant until a zone says
 * which offset applies. Labels with an explicit offset also give `offsetMs`.
 *
 * Accepted: `MM/DD/YY HH:MM:SS`, `MM/DD/YYYY HH:MM:SS`, either without `:SS`,
 * one-digit month/day/hour, and ISO 8601 `YYYY-MM-DD[T ]HH:MM[:SS[.fff]]`
 * with `Z`, `±HH:MM`, `±HHMM` or no offset. Two-digit years are 2000–2099; a
 * four-digit year is that year, also 0000–0099 (never 19xx: see `wallOf`).
 */

export interface ParsedLabel {
  /** Calendar fields as if UTC, in ms. */
  wall: number;
  /** Explicit UTC offset of the label in ms (local = UTC + offset), or NaN when the label is naive. */
  offsetMs: number;
}

/** 400 Gregorian years, in ms: the calendar repeats exactly after them. */
const CYCLE_MS = 146_097 * 86_400_000;

/**
 * `Date.UTC` for any year ≥ 0: `Date.UTC` reads years 0–99 as 1900–1999, so those are computed
 * 400 years later and moved back one Gregorian cycle.
 */
function wallOf(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number {
  return y >= 100 ? Date.UTC(y, mo - 1, d, h, mi, s, ms) : Date.UTC(y + 400, mo - 1, d, h, mi, s, ms) - CYCLE_MS;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  if (month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] ?? 0;
}

/** A small cursor over a label; digits are read by char code (this runs once per row). */
class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  digits(min: number, max: number): number {
    let v = 0;
    let n = 0;
    const s = this.s;
    while (n < max && this.i < s.length) {
      const c = s.charCodeAt(this.i) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      this.i++;
      n++;
    }
    return n >= min ? v : -1;
  }
  eat(ch: number): boolean {
    if (this.s.charCodeAt(this.i) === ch) {
      this.i++;
      return true;
    }
    return false;
  }
  get done(): boolean {
    return this.i >= this.s.length;
  }
}

const SLASH = 47;
const DASH = 45;
const COLON = 58;
const SPACE = 32;
const T = 84;
const t = 116;
const Z = 90;
const z = 122;
const PLUS = 43;
const DOT = 46;

/** Two digits at i, or -1. */
function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * The two spellings that make up nearly every row, read without allocating:
 * `MM/DD/YY HH:MM:SS` (17 chars) and `YYYY-MM-DDTHH:MM:SS±HH:MM` (25 chars).
 * Anything else (or anything odd in these) returns undefined for the general parser.
 */
function parseCommon(s: string, out: ParsedLabel): boolean | null | undefined {
  let y: number;
  let mo: number;
  let d: number;
  let h: number;
  let mi: number;
  let sec: number;
  let offsetMs = Number.NaN;
  if (
    s.length === 17 &&
    s.charCodeAt(2) === SLASH &&
    s.charCodeAt(5) === SLASH &&
    s.charCodeAt(8) === SPACE &&
    s.charCodeAt(11) === COLON &&
    s.charCodeAt(14) === COLON
  ) {
    mo = d2(s, 0);
    d = d2(s, 3);
    y = 2000 + d2(s, 6);
    h = d2(s, 9);
    mi = d2(s, 12);
    sec = d2(s, 15);
    if (y < 2000) return undefined;
  } else if (
    s.length === 25 &&
    s.charCodeAt(4) === DASH &&
    s.charCodeAt(7) === DASH &&
    s.charCodeAt(10) === T &&
    s.charCodeAt(13) === COLON &&
    s.charCodeAt(16) === COLON &&
    s.charCodeAt(22) === COLON
  ) {
    const y1 = d2(s, 0);
    const y2 = d2(s, 2);
    if (y1 < 0 || y2 < 0) return undefined;
    y = y1 * 100 + y2;
    mo = d2(s, 5);
    d = d2(s, 8);
    h = d2(s, 11);
    mi = d2(s, 14);
    sec = d2(s, 17);
    const sign = s.charCodeAt(19) === PLUS ? 1 : s.charCodeAt(19) === DASH ? -1 : 0;
    const oh = d2(s, 20);
    const om = d2(s, 23);
    if (!sign || oh < 0 || om < 0 || oh > 18 || om > 59) return undefined;
    offsetMs = sign * (oh * 60 + om) * 60_000;
  } else {
    return undefined;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
    return null;
  out.wall = wallOf(y, mo, d, h, mi, sec);
  out.offsetMs = offsetMs;
  return true;
}

/**
 * parseLabel into a caller's object (no allocation on the common spellings):
 * true when `out` now holds the label, false when it is not a valid time.
 */
export function parseLabelInto(text: string, out: ParsedLabel): boolean {
  const fast = parseCommon(text, out);
  if (fast !== undefined) return fast === true;
  const p = parseLabel(text);
  if (!p) return false;
  out.wall = p.wall;
  out.offsetMs = p.offsetMs;
  return true;
}

/** Parse one label; `null` when it is not a valid time in any accepted form. */
export function parseLabel(text: string): ParsedLabel | null {
  const scratch: ParsedLabel = { wall: 0, offsetMs: 0 };
  const fast = parseCommon(text, scratch);
  if (fast !== undefined) return fast ? scratch : null;
  const s = text.trim();
  const c = new Cursor(s);
  let y: number;
  let mo: number;
  let d: number;
  const a = c.digits(1, 4);
  if (a < 0) return null;
  if (c.eat(SLASH)) {
    // MM/DD/YY or MM/DD/YYYY
    mo = a;
    d = c.digits(1, 2);
    if (d < 0 || !c.eat(SLASH)) return null;
    const start = c.i;
    y = c.digits(2, 4);
    if (y < 0 || c.i - start === 3) return null;
    if (c.i - start === 2) y += 2000;
    if (!c.eat(SPACE)) return null;
    while (c.eat(SPACE));
  } else if (c.i === 4 && c.eat(DASH)) {
    y = a;
    mo = c.digits(2, 2);
    if (mo < 0 || !c.eat(DASH)) return null;
    d = c.digits(2, 2);
    if (d < 0) return null;
    if (!(c.eat(T) || c.eat(t) || c.eat(SPACE))) return null;
  } else {
    return null;
  }
  const h = c.digits(1, 2);
  if (h < 0 || !c.eat(COLON)) return null;
  const mi = c.digits(2, 2);
  if (mi < 0) return null;
  let sec = 0;
  let ms = 0;
  if (c.eat(COLON)) {
    sec = c.digits(2, 2);
    if (sec < 0) return null;
    if (c.eat(DOT)) {
      const start = c.i;
      const frac = c.digits(1, 9);
      if (frac < 0) return null;
      ms = Math.round(frac / 10 ** (c.i - start - 3));
    }
  }
  let offsetMs = Number.NaN;
  if (!c.done) {
    if (c.eat(Z) || c.eat(z)) {
      offsetMs = 0;
    } else {
      const sign = c.eat(PLUS) ? 1 : c.eat(DASH) ? -1 : 0;
      if (!sign) return null;
      const oh = c.digits(2, 2);
      if (oh < 0) return null;
      c.eat(COLON);
      const om = c.digits(2, 2);
      if (om < 0 || oh > 18 || om > 59) return null;
      offsetMs = sign * (oh * 60 + om) * 60_000;
    }
    if (!c.done) return null;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59) return null;
  return { wall: wallOf(y, mo, d, h, mi, sec, ms), offsetMs };
}

/** `YYYY-MM-DD HH:MM` of a wall value, for messages. */
export function formatWall(wall: number): string {
  return new Date(wall).toISOString().slice(0, 16).replace('T', ' ');
}
