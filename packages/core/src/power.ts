/**
 * Power maths of SPEC §4: kW/kVA of a meter and its multiplier → MW, MVA,
 * signed net and power factor.
 */

export interface MeterReading {
  kwDel: number;
  kwRec: number;
  kvaDel: number;
  kvaRec: number;
}

export interface PowerValues {
  MW_del: number;
  MW_rec: number;
  MVA_del: number;
  MVA_rec: number;
  /** MW_del − MW_rec (+ import, − export); MW_del + MW_rec with `legacy`. */
  MW_net: number;
  /** MVA_del + MVA_rec. */
  MVA_net: number;
  /** MW_net / MVA_net, NaN where MVA_net is 0. */
  PF_net: number;
}

export function computePower(r: MeterReading, multiplier: number, legacyNet = false): PowerValues {
  const MW_del = (r.kwDel * multiplier) / 1000;
  const MW_rec = (r.kwRec * multiplier) / 1000;
  const MVA_del = (r.kvaDel * multiplier) / 1000;
  const MVA_rec = (r.kvaRec * multiplier) / 1000;
  const MW_net = legacyNet ? MW_del + MW_rec : MW_del - MW_rec;
  const MVA_net = MVA_del + MVA_rec;
  const PF_net = MVA_net === 0 ? Number.NaN : MW_net / MVA_net;
  return { MW_del, MW_rec, MVA_del, MVA_rec, MW_net, MVA_net, PF_net };
}

/**
 * A number rounded to `digits` decimals with trailing zeros trimmed
 * (`0.024192`, `1.1952`, `3`); empty for NaN; never `-0`.
 */
export function formatDecimal(x: number, digits = 6): string {
  if (!Number.isFinite(x)) return '';
  if (digits === 6 && x < 9e9 && x > -9e9) {
    // Fast path (toFixed was 7 % of a build): scale, round, print the integer. Where the scaled value
    // is within 1e-6 of a rounding tie, float error could round the other way: leave that to toFixed.
    const m = x * 1e6;
    const r = Math.round(m);
    const frac = m - Math.floor(m);
    if (frac < 0.499999 || frac > 0.500001) {
      if (r === 0) return '0';
      const a = r < 0 ? -r : r;
      const int = Math.floor(a / 1e6);
      let f = a - int * 1e6;
      let s = r < 0 ? `-${int}` : `${int}`;
      if (f === 0) return s;
      let width = 6;
      while (f % 10 === 0) {
        f /= 10;
        width--;
      }
      const fs = `${f}`;
      s += '.';
      for (let k = fs.length; k < width; k++) s += '0';
      return s + fs;
    }
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
