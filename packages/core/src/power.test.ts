import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMicros, MAX_EXACT, parseDecimal } from './decimal.js';
import {
  computePowerMicros,
  DERIVED_POWER_COLUMNS,
  formatDecimal,
  formatPowerFactor,
  powerMicrosBig,
  type Readings,
} from './power.js';

// The 8 intervals 2024-07-12 11:00–12:45 of meter 144800052 (multiplier 28.8), as the older scripts documented them.
const ROWS = [
  ['0.84', '55.79', '15.02', '228.51'],
  ['2.45', '15.01', '46.47', '126.19'],
  ['11.55', '4.97', '98.57', '35.42'],
  ['33.89', '0.53', '199.48', '1.19'],
  ['41.46', '0.04', '230.86', '0.01'],
  ['39.12', '0.05', '229.31', '0.22'],
  ['34.01', '0.07', '214.15', '0.07'],
  ['41.42', '0.02', '228.21', '0.08'],
] as const;
const LEGACY_MW_NET = ['1.630944', '0.502848', '0.475776', '0.991296', '1.1952', '1.128096', '0.981504', '1.193472'];
const MVA_NET = ['7.013664', '4.972608', '3.858912', '5.779296', '6.649056', '6.610464', '6.169536', '6.574752'];
const LEGACY_PF = ['0.232538', '0.101124', '0.123293', '0.171525', '0.179755', '0.170653', '0.159089', '0.181524'];

const readings = (texts: readonly string[]) => texts.map((t) => parseDecimal(t)!) as unknown as Readings;

/** The six derived values and PF as lptool writes them. */
function row(texts: readonly string[], multiplier: string, legacyNet = false) {
  const out = new Float64Array(6);
  const r = readings(texts);
  const outside = computePowerMicros(r, parseDecimal(multiplier)!, legacyNet, out);
  const written: Record<string, string> = Object.fromEntries(
    DERIVED_POWER_COLUMNS.map((c, k) => [c, formatMicros(out[k]!)]),
  );
  written.PF_net = formatPowerFactor(r, legacyNet, out[5]!);
  return Object.assign(written, { outside });
}

describe('power maths — the golden rows', () => {
  it('gives the documented legacy MW_net, MVA_net and PF_net exactly', () => {
    const got = ROWS.map((r) => row(r, '28.8', true));
    expect(got.map((p) => p.MW_net)).toEqual(LEGACY_MW_NET);
    expect(got.map((p) => p.MVA_net)).toEqual(MVA_NET);
    expect(got.map((p) => p.PF_net)).toEqual(LEGACY_PF);
  });

  it('signs MW_net and PF_net by default (export is negative)', () => {
    const p = row(ROWS[0], '28.8');
    expect([p.MW_net, p.PF_net, p.MW_del, p.MVA_rec]).toEqual(['-1.58256', '-0.22564', '0.024192', '6.581088']);
  });

  it('leaves PF empty where MVA_net is 0', () => {
    const p = row(['0', '0', '0', '0'], '10');
    expect([p.PF_net, p.MW_net, p.outside]).toEqual(['', '0', -1]);
  });

  it('leaves PF empty where MVA_net as written is 0, though the exact value is not (review L5)', () => {
    // 0.000001 kVA × 1 / 1000 = 1e-9 MVA, written 0: a PF of 1 beside MW_net 0 and MVA_net 0 divides by zero
    expect(row(['0.000001', '0', '0.000001', '0'], '1')).toMatchObject({ MW_net: '0', MVA_net: '0', PF_net: '' });
    // written MVA_net 0.000001 (a tie rounded up): PF is the exact quotient again
    expect(row(['0.0005', '0', '0.0005', '0'], '1')).toMatchObject({ MVA_net: '0.000001', PF_net: '1' });
  });
});

describe('power maths — exact decimal rounding (issue 19)', () => {
  it('the repro: 2.97 and 2.59 kW × 0.75 are ties, written half-up', () => {
    expect(row(['2.97', '0', '3.68', '0'], '0.75')).toMatchObject({ MW_del: '0.002228', MVA_del: '0.00276' });
    expect(row(['2.59', '0', '3.07', '0'], '0.75')).toMatchObject({ MW_del: '0.001943', MVA_del: '0.002303' });
  });

  it('MW_net comes from the exact parts, not from the rounded ones', () => {
    // MW_del 0.0000015 → 0.000002 and MW_rec 0.0000004 → 0: rounded parts would give 0.000002; exact net is 0.0000011
    expect(row(['0.0015', '0.0004', '0.0015', '0.0004'], '1')).toMatchObject({
      MW_del: '0.000002',
      MW_rec: '0',
      MW_net: '0.000001',
      MVA_net: '0.000002',
    });
    expect(row(['0.0015', '0.0004', '0.0015', '0.0004'], '1', true).MW_net).toBe('0.000002');
  });

  it('ties away from zero also when negative; exponents and 4-decimal multipliers are exact', () => {
    expect(row(['0', '0.0025', '0', '0.0025'], '1').MW_net).toBe('-0.000003');
    expect(row(['1.5e-3', '0', '2E-3', '0'], '1')).toMatchObject({ MW_del: '0.000002', MVA_del: '0.000002' });
    expect(row(['1.5e3', '0', '15e2', '0'], '0.0001')).toMatchObject({ MW_del: '0.00015', PF_net: '1' });
    expect(row(['1', '0', '3', '0'], '1').PF_net).toBe('0.333333');
    expect(row(['2', '0', '3', '0'], '1').PF_net).toBe('0.666667');
  });

  it('a result outside ±2^53 millionths is reported, never written', () => {
    const ok = row(['9007199254740.991', '0', '9007199254740.991', '0'], '1');
    expect([ok.outside, ok.MW_del]).toEqual([-1, '9007199254.740991']);
    expect(row(['9007199254740.992', '0', '9007199254740.992', '0'], '1').outside).toBe(0);
    expect(row(['5', '0', '5', '0'], '1e308').outside).toBe(0); // the issue's overflow: 5 × 1e308
    expect(row(['0', '0', '0', '0'], '1e308').outside).toBe(-1); // 0 × anything is 0
    // legacy net of two in-range parts can leave the range
    expect(row(['5000000000000', '5000000000000', '5000000000000', '0'], '1', true).outside).toBe(4);
  });
});

// ---- an independent reference: BigInt rationals, written here without the code under test ----

/** A decimal text → [numerator, denominator] exactly (regex and BigInt, nothing shared with decimal.ts). */
function rational(text: string): [bigint, bigint] {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text)!;
  const frac = m[3] ?? '';
  let num = BigInt(`${m[2]}${frac}` || '0');
  let den = 10n ** BigInt(frac.length);
  const e = Number(m[4] ?? 0);
  if (e >= 0) num *= 10n ** BigInt(e);
  else den *= 10n ** BigInt(-e);
  return [m[1] === '-' ? -num : num, den];
}
/** num/den to 6 decimals, half-up (ties away from zero), as text. */
function halfUp6(num: bigint, den: bigint): string {
  if (den < 0n) [num, den] = [-num, -den];
  const neg = num < 0n;
  const a = (neg ? -num : num) * 1_000_000n;
  const q = (2n * a + den) / (2n * den); // floor(a/den + 1/2)
  if (q === 0n) return '0';
  const s = `${q / 1_000_000n}.${`${q % 1_000_000n}`.padStart(6, '0')}`.replace(/\.?0+$/, '');
  return (neg ? '-' : '') + s;
}
function reference(texts: readonly string[], multiplier: string, legacyNet: boolean) {
  const [kd, kr, vd, vr] = texts.map(rational) as [bigint, bigint][];
  const [mn, md] = rational(multiplier);
  const add = ([a, b]: [bigint, bigint], [c, d]: [bigint, bigint], sign: bigint): [bigint, bigint] => [
    a * d + sign * c * b,
    b * d,
  ];
  const mw = ([n, d]: [bigint, bigint]): [bigint, bigint] => [n * mn, d * md * 1000n];
  const net = add(kd!, kr!, legacyNet ? 1n : -1n);
  const app = add(vd!, vr!, 1n);
  const parts = [kd!, kr!, vd!, vr!, net, app].map(mw);
  // SPEC §4: PF empty where MVA_net is 0 — as written (rounded to 6 decimals), so a reader never divides by zero
  const pf = halfUp6(...parts[5]!) === '0' ? '' : halfUp6(net[0] * app[1], net[1] * app[0]);
  return { parts, pf };
}

/** A decimal text with 0–`maxDecimals` decimals from an integer count of its last unit. */
const decimalText = (units: bigint, decimals: number) => {
  const s = units.toString().padStart(decimals + 1, '0');
  return decimals ? `${s.slice(0, -decimals)}.${s.slice(-decimals)}` : s;
};
const reading = fc
  .tuple(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.integer({ min: 0, max: 3 }))
  .map(([u, d]) => decimalText(u, d));
const small = fc
  .tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 3 }))
  .map(([u, d]) => decimalText(BigInt(u), d));
const multiplier = fc
  .tuple(fc.bigInt({ min: 1n, max: 10n ** 8n }), fc.integer({ min: 0, max: 4 }))
  .map(([u, d]) => decimalText(u, d));
/**
 * Readings whose MW are exact ties: kW with 4 − m decimals and an odd coefficient times a multiplier with m
 * decimals and an odd multiple of 5 as coefficient → 7 decimals of MW, the last a 5.
 */
const tie = fc
  .tuple(fc.bigInt({ min: 0n, max: 10n ** 8n }), fc.bigInt({ min: 0n, max: 10n ** 4n }), fc.integer({ min: 1, max: 4 }))
  .map(([u, v, md]) => ({ kw: decimalText(2n * u + 1n, 4 - md), mult: decimalText(5n * (2n * v + 1n), md) }));

function check(texts: string[], mult: string, legacyNet: boolean) {
  const got = row(texts, mult, legacyNet);
  const want = reference(texts, mult, legacyNet);
  const max = BigInt(MAX_EXACT);
  want.parts.forEach(([n, d], k) => {
    const exact = halfUp6(n, d);
    const [ip, fp = ''] = exact.replace('-', '').split('.');
    const m = BigInt(ip!) * 1_000_000n + BigInt(fp.padEnd(6, '0'));
    if (m > max) expect(got.outside, `${DERIVED_POWER_COLUMNS[k]} ${texts} × ${mult}`).toBeGreaterThanOrEqual(0);
    else if (got.outside < 0) expect(got[DERIVED_POWER_COLUMNS[k]!], `${texts} × ${mult}`).toBe(exact);
  });
  if (got.outside < 0) expect(got.PF_net, `PF ${texts}`).toBe(want.pf);
  return got;
}

describe('power maths — property: every written value is the half-up rounding of the exact rational', () => {
  it('random kW/kVA with 0–3 decimals × multipliers with 0–4 decimals, both net conventions', () => {
    fc.assert(
      fc.property(fc.array(reading, { minLength: 4, maxLength: 4 }), multiplier, fc.boolean(), (texts, m, legacy) => {
        check(texts, m, legacy);
      }),
      { numRuns: 20_000 },
    );
  });

  it('exact ties (a 5 in the 7th decimal of MW) round away from zero', () => {
    fc.assert(
      fc.property(tie, small, fc.boolean(), ({ kw, mult }, other, legacy) => {
        const [n, d] = reference([kw, '0', kw, '0'], mult, legacy).parts[0]!;
        expect((n * 10n ** 7n) % d).toBe(0n); // (the generator's promise: 7 decimals …
        expect(((n * 10n ** 7n) / d) % 10n).toBe(5n); // … the last a 5)
        const got = check([kw, other, kw, other], mult, legacy);
        expect(got.outside).toBe(-1);
      }),
      { numRuns: 5_000 },
    );
  });

  it('values near 2^53 millionths: exact up to ±MAX_EXACT, reported beyond', () => {
    const near = fc
      .tuple(
        fc.bigInt({ min: -3000n, max: 3000n }),
        fc.bigInt({ min: 1n, max: 10n ** 6n }),
        fc.integer({ min: 0, max: 4 }),
      )
      .map(([delta, mu, md]) => {
        // kW (3 decimals) whose MW is about 2^53 + delta millionths: µ = kW millis × multiplier units / 10^md
        const target = 2n ** 53n + delta;
        const kwMillis = (target * 10n ** BigInt(md)) / mu;
        return { kw: decimalText(kwMillis, 3), mult: decimalText(mu, md) };
      });
    let inRange = 0;
    let beyond = 0;
    fc.assert(
      fc.property(near, small, fc.boolean(), ({ kw, mult }, other, legacy) => {
        const got = check([kw, other, kw, '0'], mult, legacy);
        if (got.outside < 0) inRange++;
        else beyond++;
      }),
      { numRuns: 5_000 },
    );
    expect(inRange).toBeGreaterThan(1000);
    expect(beyond).toBeGreaterThan(1000);
  });

  it('the BigInt path gives the Number path’s results wherever both apply', () => {
    fc.assert(
      fc.property(fc.array(reading, { minLength: 4, maxLength: 4 }), multiplier, fc.boolean(), (texts, m, legacy) => {
        const out = new Float64Array(6);
        const r = readings(texts);
        if (computePowerMicros(r, parseDecimal(m)!, legacy, out) >= 0) return;
        expect(powerMicrosBig(r, parseDecimal(m)!, legacy).map(Number)).toEqual([...out]);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('formatDecimal (doubles: percentages, BESS kWh)', () => {
  it.each([
    [1.1952, '1.1952'],
    [3, '3'],
    [-0.0000001, '0'],
    [0.1 + 0.2, '0.3'],
    [-2.5, '-2.5'],
    [Number.NaN, ''],
    [1234567.1234564, '1234567.123456'],
  ])('%s → %s', (x, s) => expect(formatDecimal(x)).toBe(s));

  it('property: the fast path gives the toFixed-based reference text for any double', () => {
    const reference = (x: number) => {
      let s = x.toFixed(6);
      if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
      return s === '-0' ? '0' : s;
    };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: -1e6, max: 1e6, noNaN: true }),
          fc.integer({ min: -1e9, max: 1e9 }).map((k) => k / 1e6),
          fc.integer({ min: -1e9, max: 1e9 }).map((k) => (k + 0.5) / 1e6),
        ),
        (x) => {
          expect(formatDecimal(x)).toBe(reference(x));
        },
      ),
      { numRuns: 20000 },
    );
  });
});
