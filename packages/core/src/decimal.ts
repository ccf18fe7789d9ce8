/**
 * Exact decimal numbers for revenue data (SPEC §4): a value as written is an
 * integer coefficient times a power of ten, and every number lptool writes is
 * rounded half-up (ties away from zero, as a decimal calculator, a spreadsheet's
 * ROUND or SQL NUMERIC do) from the exact value — never from a binary
 * floating-point approximation of it.
 *
 * Written values have 6 decimals, so they are kept as integer millionths
 * ("micros"). A Number holds integers exactly up to 2^53 − 1, which is
 * ±9,007,199,254.740991 in millionths: the exact range. Arithmetic runs on
 * Numbers while it provably stays in that range and falls back to BigInt where
 * an intermediate product would leave it.
 */

/** 2^53 − 1: the largest integer a Number holds exactly (and so the largest magnitude in millionths). */
export const MAX_EXACT = Number.MAX_SAFE_INTEGER;

/** 10^0 … 10^22: the powers of ten a Number holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const BIG10 = Array.from({ length: 40 }, (_, k) => 10n ** BigInt(k));
const pow10n = (k: number): bigint => (k < BIG10.length ? BIG10[k]! : 10n ** BigInt(k));

/**
 * A decimal as written, exactly: `coef × 10^exp`, trailing zeros of the
 * coefficient moved into the exponent (so equal values have equal parts).
 * `coef` is an integer with |coef| ≤ MAX_EXACT, or NaN when the digits need a
 * BigInt (then `big` holds it). `value` is the nearest double (what `Number()` gives).
 */
export interface Decimal {
  coef: number;
  exp: number;
  big: bigint | null;
  value: number;
}

export function emptyDecimal(): Decimal {
  return { coef: 0, exp: 0, big: null, value: 0 };
}

const isDigit = (c: number) => c >= 48 && c <= 57;
/** While the coefficient stays below this, one more digit keeps it ≤ MAX_EXACT. */
const SAFE_TIMES_10 = Math.floor((MAX_EXACT - 9) / 10);

/**
 * Parse a decimal number — an optional sign, digits with an optional point, an
 * optional exponent (`12`, `-0.75`, `.5`, `1.5e-3`) — into `out`. Nothing
 * else: no `0x1F`, `0b11`, `Infinity`, spaces or empty text (Number() takes all
 * of those). Returns false when the text is not such a number. `out.value` may
 * be ±Infinity (`9e999`): callers decide what is finite enough.
 */
export function parseDecimalInto(text: string, out: Decimal): boolean {
  const n = text.length;
  let i = 0;
  const sign = n ? text.charCodeAt(0) : 0;
  const neg = sign === 45;
  if (sign === 43 || sign === 45) i++;
  let coef = 0;
  let big = false;
  let digits = 0;
  let scale = 0;
  let fracStart = -1;
  const intStart = i;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && fracStart < 0) {
      fracStart = i + 1;
      continue;
    }
    if (!isDigit(c)) break;
    if (coef <= SAFE_TIMES_10) coef = coef * 10 + (c - 48);
    else big = true;
    digits++;
    if (fracStart >= 0) scale++;
  }
  const mantissaEnd = i;
  if (digits === 0) return false;
  let exp = 0;
  const e = i < n ? text.charCodeAt(i) : 0;
  if (e === 101 || e === 69) {
    i++;
    const expSign = i < n ? text.charCodeAt(i) : 0;
    if (expSign === 43 || expSign === 45) i++;
    const expStart = i;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (!isDigit(c)) break;
      if (exp < 1e15) exp = exp * 10 + (c - 48); // past 1e15 the value is 0 or infinite anyway
    }
    if (i === expStart) return false;
    if (expSign === 45) exp = -exp;
  }
  if (i !== n) return false;
  exp -= scale;
  if (big) {
    let b = BigInt(text.slice(intStart, mantissaEnd).replace('.', ''));
    while (b !== 0n && b % 10n === 0n) {
      b /= 10n;
      exp++;
    }
    if (b <= BigInt(MAX_EXACT)) {
      coef = Number(b);
      big = false;
    } else {
      out.big = neg ? -b : b;
      out.coef = Number.NaN;
    }
  }
  if (!big) {
    trailingZerosInto(coef, exp, out);
    if (neg && out.coef !== 0) out.coef = -out.coef;
    out.big = null;
    exp = out.exp;
  }
  out.exp = exp;
  // the nearest double: one correctly rounded operation on exact operands equals Number(text)
  out.value = big || exp > 22 || exp < -22 ? Number(text) : exp < 0 ? out.coef / POW10[-exp]! : out.coef * POW10[exp]!;
  if (out.value === 0) out.value = 0; // never -0
  return true;
}

/**
 * parseDecimalInto for the usual spelling of a reading, read from the bytes [from, to) of a buffer: digits with
 * at most one point, 1 to 15 digits (no sign, exponent or space). True with `out` exactly as parseDecimalInto
 * sets it for the same text; false for anything else — the caller then decodes the text and parseDecimalInto
 * (the one grammar) decides.
 */
export function parseDecimalBytes(b: Uint8Array, from: number, to: number, out: Decimal): boolean {
  let coef = 0;
  let digits = 0;
  let scale = 0;
  let point = false;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (c === 46 && !point) {
      point = true;
      continue;
    }
    if (c < 48 || c > 57) return false;
    coef = coef * 10 + (c - 48);
    digits++;
    if (point) scale++;
  }
  if (digits === 0 || digits > 15) return false;
  trailingZerosInto(coef, 0 - scale, out); // (+0, never −0, when there is no point)
  out.big = null;
  const { exp } = out;
  out.value = exp < 0 ? out.coef / POW10[-exp]! : out.coef * POW10[exp]!;
  return true;
}

/**
 * A non-negative safe-integer coefficient and its exponent with the coefficient's trailing zeros moved into the
 * exponent (0 has exponent 0), into `out.coef`/`out.exp`. int32 arithmetic while it fits: V8's double remainder is
 * slow.
 */
function trailingZerosInto(coef: number, exp: number, out: Decimal): void {
  if (coef === 0) exp = 0;
  else if (coef < 2_147_483_648) {
    let k = coef | 0;
    while (k % 10 === 0) {
      k = (k / 10) | 0;
      exp++;
    }
    coef = k;
  } else
    while (coef % 10 === 0) {
      coef /= 10;
      exp++;
    }
  out.coef = coef;
  out.exp = exp;
}

/** A decimal number as written, or null when the text is not one (see parseDecimalInto). */
export function parseDecimal(text: string): Decimal | null {
  const d = emptyDecimal();
  return parseDecimalInto(text, d) ? d : null;
}

/** The coefficient as a BigInt. */
export function coefBig(d: Decimal): bigint {
  return d.big ?? BigInt(d.coef);
}

/** Do two decimals have the same value? (Exact: 2.50 equals 2.5.) */
export function sameDecimal(a: Decimal, b: Decimal): boolean {
  if (a.exp !== b.exp) return false;
  return a.big === null && b.big === null ? a.coef === b.coef : coefBig(a) === coefBig(b);
}

/** The number of decimal digits of |n| (1 for 0). */
function digitCount(n: bigint): number {
  return (n < 0n ? -n : n).toString().length;
}

/** round(n × 10^k), ties away from zero, for any integer n and exponent k. */
export function roundScaledBig(n: bigint, k: number): bigint {
  if (n === 0n) return 0n;
  if (k >= 0) return n * pow10n(k);
  // |n| < 10^digits ≤ 10^(−k−1) → |n × 10^k| < 0.1: rounds to 0 (and no huge power is ever built)
  if (-k > digitCount(n) + 1) return 0n;
  return divRoundBig(n, pow10n(-k));
}

/** round(a / b), ties away from zero, for integers (b ≠ 0). */
export function divRoundBig(a: bigint, b: bigint): bigint {
  if (b < 0n) {
    a = -a;
    b = -b;
  }
  const neg = a < 0n;
  const m = neg ? -a : a;
  let q = m / b;
  if (2n * (m - q * b) >= b) q++;
  return neg ? -q : q;
}

/** 2^52: below it, q × b for q = ⌊a / b⌋ ± 1 stays below 2^53, so a − q × b is exact. */
const TWO_52 = 4_503_599_627_370_496;

/**
 * round(a / b), ties away from zero, for integers a ≥ 0, b > 0 (both ≤ MAX_EXACT).
 * The quotient of one float division is within one of ⌊a / b⌋; the remainder
 * a − q·b is then exact and corrects it (when both are below 2^52; else `%`,
 * which is exact on doubles, but slow).
 */
function divRoundPositive(a: number, b: number): number {
  let q: number;
  let r: number;
  if (a < TWO_52 && b < TWO_52) {
    q = Math.floor(a / b);
    r = a - q * b;
    if (r < 0) {
      q--;
      r += b;
    } else if (r >= b) {
      q++;
      r -= b;
    }
  } else {
    r = a % b;
    q = (a - r) / b;
  }
  return 2 * r >= b ? q + 1 : q;
}

/**
 * round(c × 10^k), ties away from zero, for an integer |c| ≤ MAX_EXACT; NaN when
 * the result leaves ±MAX_EXACT. Every step is exact (see divRoundPositive).
 */
export function roundScaled(c: number, k: number): number {
  if (k >= 0) {
    if (c === 0) return 0;
    if (k > 15) return Number.NaN;
    const p = c * POW10[k]!;
    return p <= MAX_EXACT && p >= -MAX_EXACT ? p : Number.NaN;
  }
  if (k < -16) return 0; // |c| < 10^16
  if (c < 0) return -divRoundPositive(-c, POW10[-k]!) || 0;
  return divRoundPositive(c, POW10[-k]!);
}

/** round(a / b), ties away from zero, for integers |a|, |b| ≤ MAX_EXACT (b ≠ 0), exactly. */
export function divRound(a: number, b: number): number {
  if (b < 0) {
    a = -a;
    b = -b;
  }
  return (a < 0 ? -divRoundPositive(-a, b) : divRoundPositive(a, b)) || 0; // (never -0)
}

/**
 * round(a × num / den), ties away from zero, for integers; a Number while the
 * result is in the exact range, else a BigInt. (Energy from power sums: MWh in
 * millionths = Σ MW millionths × interval ms / 3,600,000.)
 */
export function mulDivRound(a: number | bigint, num: number, den: number): number | bigint {
  if (typeof a === 'number') {
    const p = a * num;
    if (p <= MAX_EXACT && p >= -MAX_EXACT) return divRound(p, den);
  }
  const q = divRoundBig(BigInt(a) * BigInt(num), BigInt(den));
  return q <= BigInt(MAX_EXACT) && q >= -BigInt(MAX_EXACT) ? Number(q) : q;
}

/**
 * The ratio a / b of two exact sums of millionths, itself in millionths
 * (round(a × 10^6 / b), ties away from zero): PF from exact MW and MVA.
 * Null where b is 0. A BigInt only when the ratio leaves the exact range.
 */
export function ratioMicros(a: number | bigint, b: number | bigint): number | bigint | null {
  if (b === 0 || b === 0n) return null;
  if (typeof a === 'number' && typeof b === 'number') {
    const p = a * 1e6;
    if (p <= MAX_EXACT && p >= -MAX_EXACT) return divRound(p, b);
  }
  const q = divRoundBig(BigInt(a) * 1_000_000n, BigInt(b));
  return q <= BigInt(MAX_EXACT) && q >= -BigInt(MAX_EXACT) ? Number(q) : q;
}

/**
 * Millionths as text: 6 decimals, trailing zeros trimmed (`1606752` → `1.606752`,
 * `1195200` → `1.1952`, `0`), never `-0`. With `digits` < 6 the value is first
 * rounded half-up to that many decimals, exactly. Empty for NaN.
 */
export function formatMicros(m: number | bigint, digits = 6): string {
  if (typeof m === 'bigint' || m > 1e15 || m < -1e15) return formatMicrosBig(BigInt(m), digits);
  if (Number.isNaN(m)) return '';
  if (digits < 6) m = roundScaled(m, digits - 6) * POW10[6 - digits]!;
  if (m === 0) return '0';
  const a = m < 0 ? -m : m;
  let f: number;
  let int: number;
  if (a < 2_147_483_648) {
    // int32 arithmetic (up to 2147 MW): V8 keeps it off the slow floating-point remainder
    const ai = a | 0;
    f = ai % 1_000_000;
    int = ((ai - f) / 1_000_000) | 0;
  } else {
    f = a % 1e6;
    int = (a - f) / 1e6;
  }
  const head = m < 0 ? `-${int}` : `${int}`;
  if (f === 0) return head;
  // the six decimals as two groups of three from tables: no loop, no padding at run time
  const lo = f % 1000;
  const hi = (f - lo) / 1000;
  return lo === 0 ? head + TRIMMED3[hi]! : head + PADDED3[hi]! + TRIMMED3[lo]!.slice(1);
}

/**
 * formatMicros(m) written as ASCII bytes into `out` at `at`; returns the position after it. (For the rows of a
 * profile: no string per value.)
 */
export function formatMicrosInto(m: number, out: Uint8Array, at: number): number {
  if (!(m <= 1e15 && m >= -1e15)) {
    const text = formatMicros(m);
    for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
    return at + text.length;
  }
  let pos = at;
  if (m < 0) {
    out[pos++] = 45;
    m = -m;
  }
  let f: number;
  let int: number;
  if (m < 2_147_483_648) {
    const mi = m | 0;
    f = mi % 1_000_000;
    int = ((mi - f) / 1_000_000) | 0;
  } else {
    f = m % 1e6;
    int = (m - f) / 1e6;
  }
  pos = putInteger(out, pos, int);
  if (f === 0) return pos;
  out[pos++] = 46;
  const lo = f % 1000;
  const hi = (f - lo) / 1000;
  const o = hi * 3;
  if (lo === 0) {
    const n = TRIMMED_LENGTH[hi]!;
    for (let j = 0; j < n; j++) out[pos++] = DIGITS3[o + j]!;
    return pos;
  }
  out[pos] = DIGITS3[o]!;
  out[pos + 1] = DIGITS3[o + 1]!;
  out[pos + 2] = DIGITS3[o + 2]!;
  pos += 3;
  const p = lo * 3;
  const n = TRIMMED_LENGTH[lo]!;
  for (let j = 0; j < n; j++) out[pos++] = DIGITS3[p + j]!;
  return pos;
}

/** A non-negative integer below 2^53 in decimal, into `out` at `at`; the position after it. */
function putInteger(out: Uint8Array, at: number, n: number): number {
  if (n < 10) {
    out[at] = 48 + n;
    return at + 1;
  }
  if (n < 1000) {
    const o = n * 3;
    const skip = n < 100 ? 1 : 0;
    for (let j = skip; j < 3; j++) out[at++] = DIGITS3[o + j]!;
    return at;
  }
  const lo = n % 1000;
  at = putInteger(out, at, (n - lo) / 1000);
  const o = lo * 3;
  out[at] = DIGITS3[o]!;
  out[at + 1] = DIGITS3[o + 1]!;
  out[at + 2] = DIGITS3[o + 2]!;
  return at + 3;
}

/** The three digits of 0–999 (zero-padded), as char codes: DIGITS3[3k … 3k + 2]. */
const DIGITS3 = new Uint8Array(3000);
/** How many of those digits are left once trailing zeros are trimmed. */
const TRIMMED_LENGTH = new Uint8Array(1000);
/** `.d`, `.dd` or `.ddd` for 1–999 with trailing zeros trimmed (`.5` for 500, `.05` for 50; `.` for 0). */
const TRIMMED3: string[] = new Array(1000);
/** `.ddd` for 0–999. */
const PADDED3: string[] = new Array(1000);
// (by arithmetic: every command and worker loads this, and the string-built tables took 1–4 ms of a start)
for (let k = 0; k < 1000; k++) {
  const d0 = Math.floor(k / 100);
  const d1 = Math.floor(k / 10) % 10;
  const d2 = k % 10;
  DIGITS3[3 * k] = 48 + d0;
  DIGITS3[3 * k + 1] = 48 + d1;
  DIGITS3[3 * k + 2] = 48 + d2;
  TRIMMED_LENGTH[k] = d2 ? 3 : d1 ? 2 : d0 ? 1 : 0;
  PADDED3[k] = `.${String.fromCharCode(48 + d0, 48 + d1, 48 + d2)}`;
  TRIMMED3[k] = PADDED3[k]!.slice(0, 1 + TRIMMED_LENGTH[k]!);
}

function formatMicrosBig(m: bigint, digits: number): string {
  if (digits < 6) m = roundScaledBig(m, digits - 6) * pow10n(6 - digits);
  if (m === 0n) return '0';
  const neg = m < 0n;
  const a = neg ? -m : m;
  const int = a / 1_000_000n;
  const frac = `${a % 1_000_000n}`.padStart(6, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

/**
 * The millionths of a value written with at most 6 decimals and read back as
 * the nearest double x; NaN where a double cannot tell them: |x| ≥ 2^33
 * (8,589,934,592), where doubles are more than a millionth apart, or x not
 * finite. Math.round(x × 10^6) alone is not enough: from 2^32 on, x × 10^6
 * can land on q ± 0.5 and round away (4396367262.894325 gives …326), so the
 * neighbours are checked too; below 2^33 exactly one of them divides back to x.
 * (decimal.test.ts holds both facts to a property test.)
 */
export function microsOfWritten(x: number): number {
  if (!(x < 8_589_934_592 && x > -8_589_934_592)) return Number.NaN;
  const m = Math.round(x * 1e6);
  if (m / 1e6 === x) return m === 0 ? 0 : m;
  if ((m - 1) / 1e6 === x) return m - 1;
  return (m + 1) / 1e6 === x ? m + 1 : Number.NaN;
}

/**
 * A decimal rounded half-up to millionths: an integer in the exact range, or
 * NaN when it leaves it. (How a profile's value as written becomes exact.)
 */
export function microsOfDecimal(d: Decimal): number {
  if (d.big === null) return roundScaled(d.coef, d.exp + 6);
  const m = roundScaledBig(d.big, d.exp + 6);
  return m <= BigInt(MAX_EXACT) && m >= -BigInt(MAX_EXACT) ? Number(m) : Number.NaN;
}

/** An exact running sum of integers (millionths): Numbers while they stay in the exact range, then a BigInt. */
export class ExactSum {
  private n = 0;
  private big: bigint | null = null;

  add(x: number): void {
    if (this.big !== null) {
      this.big += BigInt(x);
      return;
    }
    const s = this.n + x;
    if (s <= MAX_EXACT && s >= -MAX_EXACT) this.n = s;
    else this.big = BigInt(this.n) + BigInt(x);
  }

  get value(): number | bigint {
    return this.big ?? this.n;
  }
}

/**
 * Why a text is not a usable number — the "expected …" part of a message — or
 * null, with the number parsed into `out`. Usable: a decimal number (see
 * parseDecimalInto) that is finite as a double and 0 or of a magnitude
 * between 1e-300 and 1e300 (so no exact computation ever builds a power of ten
 * beyond a few hundred digits); with `positive`, > 0.
 */
export function decimalProblem(text: string, out: Decimal, positive = false): string | null {
  if (!parseDecimalInto(text, out)) return 'a decimal number';
  const a = out.value < 0 ? -out.value : out.value;
  if (a === Number.POSITIVE_INFINITY) return 'a finite number';
  if (positive && !(out.big !== null ? out.big > 0n : out.coef > 0)) return 'a number > 0';
  if (out.coef !== 0 && (a < 1e-300 || a > 1e300))
    return positive ? 'a number between 1e-300 and 1e300' : '0 or a magnitude between 1e-300 and 1e300';
  return null;
}
