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

/** Date.UTC(y, mo − 1, 1) of the month last asked about (rows of an export share their month). */
let lastMonth = -1;
let lastMonthStart = 0;
function monthStart(y: number, mo: number): number {
  const key = y * 12 + mo;
  if (key !== lastMonth) {
    lastMonth = key;
    lastMonthStart = Date.UTC(y, mo - 1, 1);
  }
  return lastMonthStart;
}

/** Two digits of `b` at i, or −1. */
function b2(b: Uint8Array, i: number): number {
  const x = b[i]! - 48;
  const y = b[i + 1]! - 48;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

/**
 * The two common spellings (parseCommon's `MM/DD/YY HH:MM:SS` and `YYYY-MM-DDTHH:MM:SS±HH:MM`) read from the
 * bytes [from, to) of a buffer: true with `out` set exactly as parseLabelInto sets it for the same text; false
 * when the bytes are not one of them validly written — then the caller decodes the label and parseLabelInto
 * decides what it is (another spelling, or not a time).
 */
export function parseLabelBytes(b: Uint8Array, from: number, to: number, out: ParsedLabel): boolean {
  let y: number;
  let mo: number;
  let d: number;
  let h: number;
  let mi: number;
  let sec: number;
  let offsetMs = Number.NaN;
  const len = to - from;
  if (
    len === 17 &&
    b[from + 2] === SLASH &&
    b[from + 5] === SLASH &&
    b[from + 8] === SPACE &&
    b[from + 11] === COLON &&
    b[from + 14] === COLON
  ) {
    mo = b2(b, from);
    d = b2(b, from + 3);
    y = 2000 + b2(b, from + 6);
    h = b2(b, from + 9);
    mi = b2(b, from + 12);
    sec = b2(b, from + 15);
    if (y < 2000) return false;
  } else if (
    len === 25 &&
    b[from + 4] === DASH &&
    b[from + 7] === DASH &&
    b[from + 10] === T &&
    b[from + 13] === COLON &&
    b[from + 16] === COLON &&
    b[from + 22] === COLON
  ) {
    const y1 = b2(b, from);
    const y2 = b2(b, from + 2);
    if (y1 < 1 || y2 < 0) return false; // (years before 100 are left to parseLabelInto)
    y = y1 * 100 + y2;
    mo = b2(b, from + 5);
    d = b2(b, from + 8);
    h = b2(b, from + 11);
    mi = b2(b, from + 14);
    sec = b2(b, from + 17);
    const sign = b[from + 19] === PLUS ? 1 : b[from + 19] === DASH ? -1 : 0;
    const oh = b2(b, from + 20);
    const om = b2(b, from + 23);
    if (!sign || oh < 0 || om < 0 || oh > 18 || om > 59) return false;
    offsetMs = sign * (oh * 60 + om) * 60_000;
  } else return false;
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
    return false;
  out.wall = monthStart(y, mo) + (d - 1) * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000;
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
