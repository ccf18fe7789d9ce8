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
  let s = x.toFixed(digits);
  if (s.indexOf('.') >= 0) {
    let end = s.length;
    while (s.charCodeAt(end - 1) === 48) end--;
    if (s.charCodeAt(end - 1) === 46) end--;
    s = s.slice(0, end);
  }
  return s === '-0' ? '0' : s;
}
