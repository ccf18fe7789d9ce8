/**
 * Power maths of SPEC §4: kW/kVA of a meter and its multiplier → MW, MVA,
 * signed net and power factor — exactly, from the numbers as written.
 *
 * A reading with d decimals times a multiplier with m decimals is an integer
 * over 10^(d+m); MW = kW × multiplier / 1000 in millionths is that integer
 * times 10^(3−d−m), rounded half-up (ties away from zero) once. The nets are
 * taken from the exact parts, and PF_net = MW_net / MVA_net, in which the
 * multiplier cancels, from the exact readings. Numbers carry the common case;
 * a row whose intermediate products would leave the exact range is done again
 * with BigInt.
 */
import {
  coefBig,
  type Decimal,
  divRound,
  divRoundBig,
  formatMicros,
  MAX_EXACT,
  roundScaled,
  roundScaledBig,
} from './decimal.js';

/** The derived columns computePowerMicros fills, in order. */
export const DERIVED_POWER_COLUMNS = ['MW_del', 'MW_rec', 'MVA_del', 'MVA_rec', 'MW_net', 'MVA_net'] as const;

/** The readings of one interval, in the order kw_del, kw_rec, kva_del, kva_rec. */
export type Readings = readonly [Decimal, Decimal, Decimal, Decimal];

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MAX_BIG = BigInt(MAX_EXACT);

/** c × 10^k for 0 ≤ k ≤ 22 when the product stays exact, else NaN. */
function scaleUp(c: number, k: number): number {
  if (c === 0) return 0;
  if (k > 22) return Number.NaN;
  const p = c * POW10[k]!;
  return p <= MAX_EXACT && p >= -MAX_EXACT ? p : Number.NaN;
}

/** round(c × mult × 10^k) when every step is exact in Numbers, else NaN. */
function timesMultiplier(c: number, k: number, multCoef: number): number {
  const p = c * multCoef;
  return p <= MAX_EXACT && p >= -MAX_EXACT ? roundScaled(p, k) : Number.NaN;
}

/**
 * round((a·10^ea + sign·b·10^eb) × mult × 10^me): the sum exactly over 10^min(ea, eb), then one rounding;
 * NaN when a step would leave the exact range.
 */
function sumTimesMultiplier(
  a: number,
  ea: number,
  sign: number,
  b: number,
  eb: number,
  multCoef: number,
  me: number,
): number {
  if (b === 0) return timesMultiplier(a, ea + me, multCoef);
  if (a === 0) return timesMultiplier(sign * b, eb + me, multCoef);
  const e = Math.min(ea, eb);
  const s = scaleUp(a, ea - e) + sign * scaleUp(b, eb - e);
  return s <= MAX_EXACT && s >= -MAX_EXACT ? timesMultiplier(s, e + me, multCoef) : Number.NaN;
}

/**
 * MW_del, MW_rec, MVA_del, MVA_rec, MW_net, MVA_net of one interval in
 * millionths, into `out` from `at`. MW_net = MW_del − MW_rec, or MW_del + MW_rec
 * with `legacyNet`; MVA_net = MVA_del + MVA_rec. Returns the index (into
 * DERIVED_POWER_COLUMNS) of a value outside the exact range (±MAX_EXACT
 * millionths, ±9,007,199,254.740991), or −1 when all six are in it.
 */
export function computePowerMicros(
  r: Readings,
  multiplier: Decimal,
  legacyNet: boolean,
  out: Float64Array,
  at = 0,
): number {
  const [kd, kr, vd, vr] = r;
  if (multiplier.big === null && kd.big === null && kr.big === null && vd.big === null && vr.big === null) {
    // kW × multiplier / 1000 in millionths: coefficients multiplied, × 10^(exp + multiplier exp + 3)
    const mc = multiplier.coef;
    const me = multiplier.exp + 3;
    const mwDel = timesMultiplier(kd.coef, kd.exp + me, mc);
    const mwRec = timesMultiplier(kr.coef, kr.exp + me, mc);
    const mvaDel = timesMultiplier(vd.coef, vd.exp + me, mc);
    const mvaRec = timesMultiplier(vr.coef, vr.exp + me, mc);
    const mwNet = sumTimesMultiplier(kd.coef, kd.exp, legacyNet ? 1 : -1, kr.coef, kr.exp, mc, me);
    const mvaNet = sumTimesMultiplier(vd.coef, vd.exp, 1, vr.coef, vr.exp, mc, me);
    out[at] = mwDel;
    out[at + 1] = mwRec;
    out[at + 2] = mvaDel;
    out[at + 3] = mvaRec;
    out[at + 4] = mwNet;
    out[at + 5] = mvaNet;
    if (!Number.isNaN(mwDel + mwRec + mvaDel + mvaRec + mwNet + mvaNet)) return -1; // (one NaN makes the sum NaN)
  }
  // an intermediate left the exact range: the same sums in BigInt, then back to Numbers where the results allow
  const big = powerMicrosBig(r, multiplier, legacyNet);
  let outside = -1;
  for (let k = 0; k < 6; k++) {
    const v = big[k]!;
    if (v > MAX_BIG || v < -MAX_BIG) {
      out[at + k] = Number.NaN;
      if (outside < 0) outside = k;
    } else out[at + k] = Number(v);
  }
  return outside;
}

/** computePowerMicros in BigInt, for any magnitudes. */
export function powerMicrosBig(r: Readings, multiplier: Decimal, legacyNet: boolean): bigint[] {
  const mc = coefBig(multiplier);
  const me = multiplier.exp + 3;
  const times = (c: bigint, e: number) => roundScaledBig(c * mc, e + me);
  const sum = (a: Decimal, sign: bigint, b: Decimal): [bigint, number] => {
    const e = Math.min(a.exp, b.exp);
    return [coefBig(a) * 10n ** BigInt(a.exp - e) + sign * coefBig(b) * 10n ** BigInt(b.exp - e), e];
  };
  const [kd, kr, vd, vr] = r;
  const net = sum(kd, legacyNet ? 1n : -1n, kr);
  const app = sum(vd, 1n, vr);
  return [
    times(coefBig(kd), kd.exp),
    times(coefBig(kr), kr.exp),
    times(coefBig(vd), vd.exp),
    times(coefBig(vr), vr.exp),
    times(...net),
    times(...app),
  ];
}

/**
 * PF_net in millionths: (kW_del ∓ kW_rec) / (kVA_del + kVA_rec) — MW_net / MVA_net
 * with the multiplier cancelled — rounded half-up; null where MVA_net is 0.
 * A BigInt only when the ratio itself leaves the exact range.
 */
export function powerFactorMicros(r: Readings, legacyNet: boolean): number | bigint | null {
  const [kd, kr, vd, vr] = r;
  if (kd.big === null && kr.big === null && vd.big === null && vr.big === null) {
    const sign = legacyNet ? 1 : -1;
    const e = Math.min(kd.exp, kr.exp, vd.exp, vr.exp);
    const n = scaleUp(kd.coef, kd.exp - e) + sign * scaleUp(kr.coef, kr.exp - e);
    const d = scaleUp(vd.coef, vd.exp - e) + scaleUp(vr.coef, vr.exp - e);
    const n6 = n * 1e6;
    if (d === 0) return null;
    if (n6 <= MAX_EXACT && n6 >= -MAX_EXACT && d <= MAX_EXACT) return divRound(n6, d);
  }
  const e = Math.min(kd.exp, kr.exp, vd.exp, vr.exp);
  const at = (x: Decimal) => coefBig(x) * 10n ** BigInt(x.exp - e);
  const d = at(vd) + at(vr);
  if (d === 0n) return null;
  const q = divRoundBig((at(kd) + (legacyNet ? 1n : -1n) * at(kr)) * 1_000_000n, d);
  return q <= MAX_BIG && q >= -MAX_BIG ? Number(q) : q;
}

/**
 * PF_net as written: 6 decimals, empty where MVA_net **as written** is 0 (`mvaNetMicros`, the row's MVA_net in
 * millionths) — also where the exact MVA_net is not 0 but rounds to 0 at 6 decimals: whoever divides the row's
 * written MW_net by its written MVA_net must never divide by zero (SPEC §4: "empty where MVA_net is 0").
 */
export function formatPowerFactor(r: Readings, legacyNet: boolean, mvaNetMicros: number): string {
  if (mvaNetMicros === 0) return '';
  const pf = powerFactorMicros(r, legacyNet);
  return pf === null ? '' : formatMicros(pf);
}

/**
 * A number rounded to `digits` decimals with trailing zeros trimmed
 * (`0.024192`, `1.1952`, `3`); empty for NaN; never `-0`. For derived
 * statistics held as doubles (percentages, BESS kWh); revenue values are
 * exact integers of millionths and are written with formatMicros.
 */
export function formatDecimal(x: number, digits = 6): string {
  if (!Number.isFinite(x)) return '';
  if (digits === 6 && x < 9e9 && x > -9e9) {
    // Fast path (toFixed was 7 % of a build): scale, round, print the integer. Where the scaled value
    // is within 1e-6 of a rounding tie, float error could round the other way: leave that to toFixed.
    const m = x * 1e6;
    const r = Math.round(m);
    const frac = m - Math.floor(m);
    if (frac < 0.499999 || frac > 0.500001) return formatMicros(r === 0 ? 0 : r);
  }
  let s = x.toFixed(digits);
  if (s.indexOf('.') >= 0) {
    let end = s.length;
    while (s.charCodeAt(end - 1) === 48) end--;
    if (s.charCodeAt(end - 1) === 46) end--;
    s = s.slice(0, end);
  }
  return s === '-0' ? '0' : s;
}
