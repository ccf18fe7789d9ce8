import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decimalProblem,
  divRound,
  ExactSum,
  emptyDecimal,
  formatMicros,
  MAX_EXACT,
  microsOfDecimal,
  microsOfWritten,
  mulDivRound,
  parseDecimal,
  ratioMicros,
  roundScaled,
  sameDecimal,
} from './decimal.js';

/** round(a / b) ties away from zero, the slow obvious way. */
function refDiv(a: bigint, b: bigint): bigint {
  if (b < 0n) [a, b] = [-a, -b];
  const s = a < 0n ? -1n : 1n;
  return (s * (2n * (s * a) + b)) / (2n * b);
}

describe('parseDecimal — decimal numbers only (issue 13.4)', () => {
  it.each([
    ['12', 12, 0],
    ['-0.75', -75, -2],
    ['+.5', 5, -1],
    ['1.', 1, 0],
    ['1.5e-3', 15, -4],
    ['2E+3', 2, 3],
    ['40.0', 4, 1],
    ['0.000', 0, 0],
    ['-0', 0, 0],
    ['00012.3400', 1234, -2],
  ])('%s → coefficient %s × 10^%s', (text, coef, exp) => {
    const d = parseDecimal(text)!;
    expect([d.coef, d.exp, d.value]).toEqual([coef, exp, Number(text) || 0]);
  });

  it.each([
    '0x1F',
    '0b11',
    '0o7',
    'Infinity',
    '-Infinity',
    'NaN',
    '',
    ' 1',
    '1 ',
    '1e',
    'e5',
    '.',
    '+',
    '1_000',
    '1,5',
    '１',
    '1e5.5',
    '--1',
  ])('%j is not a decimal number', (text) => {
    expect(parseDecimal(text)).toBeNull();
  });

  it('long coefficients become a BigInt, exactly; equal values compare equal', () => {
    const d = parseDecimal('123456789012345678901234567890.5')!;
    expect([d.coef, d.big, d.exp]).toEqual([Number.NaN, 1234567890123456789012345678905n, -1]);
    expect(parseDecimal('9007199254740991')!.coef).toBe(MAX_EXACT);
    expect(parseDecimal('9007199254740992')!.big).toBe(9007199254740992n);
    expect(sameDecimal(parseDecimal('2.50')!, parseDecimal('2.5')!)).toBe(true);
    expect(sameDecimal(parseDecimal('2.5')!, parseDecimal('25e-1')!)).toBe(true);
    expect(sameDecimal(parseDecimal('0.10000000000000000001')!, parseDecimal('0.1')!)).toBe(false);
  });

  it('usable numbers are finite and of a sane magnitude (issue 13.3)', () => {
    const d = emptyDecimal();
    expect(decimalProblem('9e999', d)).toBe('a finite number');
    expect(decimalProblem('Infinity', d)).toBe('a decimal number');
    expect(decimalProblem('1e-400', d)).toBe('0 or a magnitude between 1e-300 and 1e300');
    expect(decimalProblem('0e999999', d)).toBeNull();
    expect(decimalProblem('1e300', d)).toBeNull();
    expect(['0', '-2', '1e-400', '1e308', '28.8'].map((t) => decimalProblem(t, d, true))).toEqual([
      'a number > 0',
      'a number > 0',
      'a number between 1e-300 and 1e300',
      'a number between 1e-300 and 1e300',
      null,
    ]);
  });

  it('property: value is Number(text) for every decimal text', () => {
    const text = fc
      .tuple(
        fc.boolean(),
        fc.stringMatching(/^\d{1,25}$/),
        fc.stringMatching(/^\d{0,25}$/),
        fc.integer({ min: -40, max: 40 }),
      )
      .map(([neg, i, f, e]) => `${neg ? '-' : ''}${i}${f ? `.${f}` : ''}${e ? `e${e}` : ''}`);
    fc.assert(
      fc.property(text, (t) => {
        expect(parseDecimal(t)!.value).toBe(Number(t) || 0);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('exact integer maths against BigInt', () => {
  const int = fc.integer({ min: -MAX_EXACT, max: MAX_EXACT });
  it('property: roundScaled(c, k) = round(c × 10^k), ties away from zero', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          int,
          fc.integer({ min: -1e7, max: 1e7 }).map((x) => x * 10 + 5),
        ),
        fc.integer({ min: -20, max: 5 }),
        (c, k) => {
          const want = k >= 0 ? BigInt(c) * 10n ** BigInt(k) : refDiv(BigInt(c), 10n ** BigInt(-k));
          const got = roundScaled(c, k);
          if (want > BigInt(MAX_EXACT) || want < -BigInt(MAX_EXACT)) expect(got).toBeNaN();
          else expect(got).toBe(Number(want));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('property: divRound, mulDivRound and ratioMicros agree with BigInt', () => {
    const nonzero = int.filter((b) => b !== 0);
    fc.assert(
      fc.property(int, nonzero, fc.integer({ min: 1, max: 86_400_000 }), (a, b, n) => {
        expect(divRound(a, b)).toBe(Number(refDiv(BigInt(a), BigInt(b))));
        expect(BigInt(mulDivRound(a, n, b))).toBe(refDiv(BigInt(a) * BigInt(n), BigInt(b)));
        expect(BigInt(ratioMicros(a, b)!)).toBe(refDiv(BigInt(a) * 1_000_000n, BigInt(b)));
      }),
      { numRuns: 20_000 },
    );
    expect(divRound(5, 2)).toBe(3);
    expect(divRound(-5, 2)).toBe(-3);
    expect(ratioMicros(1, 0)).toBeNull();
  });

  it('ExactSum stays exact past 2^53', () => {
    const s = new ExactSum();
    s.add(MAX_EXACT);
    s.add(MAX_EXACT);
    s.add(1);
    expect(s.value).toBe(2n * BigInt(MAX_EXACT) + 1n);
  });

  it('formatMicros: 6 decimals trimmed; fewer digits rounded half-up from the exact value', () => {
    expect([1606752, 1195200, 0, -1, 3_000_000, MAX_EXACT].map((m) => formatMicros(m))).toEqual([
      '1.606752',
      '1.1952',
      '0',
      '-0.000001',
      '3',
      '9007199254.740991',
    ]);
    expect(formatMicros(10n ** 30n + 5n)).toBe('1000000000000000000000000.000005');
    expect([formatMicros(1234500, 3), formatMicros(-1234500, 3), formatMicros(1234499, 3)]).toEqual([
      '1.235',
      '-1.235',
      '1.234',
    ]);
    expect(formatMicros(MAX_EXACT, 3)).toBe('9007199254.741');
  });

  it('microsOfDecimal: a profile value with more than 6 decimals is read half-up; beyond the range NaN', () => {
    expect(microsOfDecimal(parseDecimal('1.2345675')!)).toBe(1234568);
    expect(microsOfDecimal(parseDecimal('-1.2345665')!)).toBe(-1234567);
    expect(microsOfDecimal(parseDecimal('9007199254.740991')!)).toBe(MAX_EXACT);
    expect(microsOfDecimal(parseDecimal('9007199254.740992')!)).toBeNaN();
  });
});

describe('microsOfWritten — a 6-decimal value back from its nearest double', () => {
  it('property: exact for every |x| < 2^33, including the band where Math.round(x × 10^6) is not', () => {
    const q = fc.oneof(
      fc.integer({ min: -8_589_934_591_999_999, max: 8_589_934_591_999_999 }),
      fc.integer({ min: 4_294_967_296_000_000, max: 8_589_934_591_999_999 }), // [2^32, 2^33): the hard band
      fc.integer({ min: -1e9, max: 1e9 }),
    );
    fc.assert(
      fc.property(q, (m) => {
        expect(microsOfWritten(m / 1e6)).toBe(m === 0 ? 0 : m);
      }),
      { numRuns: 50_000 },
    );
  });

  it('why the neighbours are checked, and why the range ends at 2^33', () => {
    const q = 4396367262894325; // x × 10^6 = q + 0.5 exactly in binary
    expect(Math.round((q / 1e6) * 1e6)).toBe(q + 1);
    expect(microsOfWritten(q / 1e6)).toBe(q);
    // past 2^33 doubles are more than a millionth apart: two 6-decimal values share one double
    expect(Number('8589934592.000001')).toBe(Number('8589934592.000002'));
    expect(microsOfWritten(8_589_934_592)).toBeNaN();
    expect(microsOfWritten(1.2345675)).toBeNaN(); // not a 6-decimal value
  });
});
