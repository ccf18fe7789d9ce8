import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyDecimal, formatMicros, formatMicrosInto, parseDecimalBytes, parseDecimalInto } from './decimal.js';
import { type ParsedLabel, parseLabelBytes, parseLabelInto } from './labels.js';
import { SiteClock } from './zone.js';

/**
 * The byte readers and writers of the build kernel against the text functions they stand in for: each either
 * gives exactly what the text function gives for the same characters, or declines (the caller then uses the
 * text function). Nothing here may disagree, or a profile would depend on how its export was read.
 */

const ascii = (s: string) => Buffer.from(s, 'latin1');

/** Text that looks like a decimal, often enough to be one, with every near miss. */
const decimalText = fc.oneof(
  fc.stringMatching(/^[0-9]{0,18}(\.[0-9]{0,18})?$/),
  fc.stringMatching(/^[-+ ]?[0-9.]{0,6}([eE][-+]?[0-9]{0,3})?[ x]?$/),
  fc.double({ noNaN: true }).map(String),
  fc.constantFrom(
    '',
    '.',
    '0',
    '00.000',
    '.5',
    '5.',
    '1.2.3',
    '999999999999999',
    '1000000000000000',
    '0.000000000000001',
  ),
);

describe('parseDecimalBytes', () => {
  it('property: declines, or reads exactly what parseDecimalInto reads from the same text', () => {
    fc.assert(
      fc.property(decimalText, fc.nat(3), (text, pad) => {
        const b = Buffer.concat([Buffer.alloc(pad, 0x2c), ascii(text), Buffer.alloc(pad, 0x2c)]);
        const got = emptyDecimal();
        if (!parseDecimalBytes(b, pad, pad + text.length, got)) return;
        const want = emptyDecimal();
        expect(parseDecimalInto(text, want)).toBe(true);
        expect(got).toEqual(want);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads the usual spellings (it must not decline them all)', () => {
    const d = emptyDecimal();
    for (const t of ['0', '12.5', '007.10', '228.51', '0.000001', '999999999999999'])
      expect(parseDecimalBytes(ascii(t), 0, t.length, d), t).toBe(true);
    for (const t of ['', '.', '-1', '+5', '1e3', ' 3', '1.2.3', '1234567890123456'])
      expect(parseDecimalBytes(ascii(t), 0, t.length, d), t).toBe(false);
  });
});

describe('formatMicrosInto', () => {
  it('property: writes the bytes of formatMicros', () => {
    const micros = fc.oneof(
      fc.integer({ min: -2_147_483_648 * 4, max: 2_147_483_648 * 4 }),
      fc.integer({ min: -999_999, max: 999_999 }),
      fc.maxSafeInteger(),
      fc.integer({ min: -1e15, max: 1e15 }),
    );
    fc.assert(
      fc.property(micros, fc.nat(5), (m, at) => {
        const out = Buffer.alloc(64, 0x7a);
        const end = formatMicrosInto(m, out, at);
        expect(out.toString('latin1', at, end)).toBe(formatMicros(m));
      }),
      { numRuns: 3000 },
    );
  });
});

/** Labels in the two spellings parseLabelBytes reads, and near misses of them. */
const labelText = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 99 }))
    .chain(([mo, d, y]) =>
      fc
        .tuple(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }))
        .map(([h, mi, s]) => `${p2(mo)}/${p2(d)}/${p2(y)} ${p2(h)}:${p2(mi)}:${p2(s)}`),
    ),
  fc
    .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
    .chain(([y, mo, d]) =>
      fc
        .tuple(
          fc.integer({ min: 0, max: 24 }),
          fc.integer({ min: 0, max: 60 }),
          fc.constantFrom('+', '-', ' ', 'Z'),
          fc.integer({ min: 0, max: 19 }),
          fc.integer({ min: 0, max: 60 }),
        )
        .map(
          ([h, mi, sign, oh, om]) =>
            `${String(y).padStart(4, '0')}-${p2(mo)}-${p2(d)}T${p2(h)}:${p2(mi)}:00${sign}${p2(oh)}:${p2(om)}`,
        ),
    ),
  fc.stringMatching(/^[0-9/: T+-]{17}$/),
  fc.stringMatching(/^[0-9/: T+-]{25}$/),
);
const p2 = (n: number) => String(n).padStart(2, '0');

describe('parseLabelBytes', () => {
  it('property: declines, or reads exactly what parseLabelInto reads from the same text', () => {
    fc.assert(
      fc.property(labelText, (text) => {
        const got: ParsedLabel = { wall: 0, offsetMs: 0 };
        if (!parseLabelBytes(ascii(text), 0, text.length, got)) return;
        const want: ParsedLabel = { wall: 0, offsetMs: 0 };
        expect(parseLabelInto(text, want)).toBe(true);
        expect(got).toEqual(want);
      }),
      { numRuns: 4000 },
    );
  });

  it('reads the usual spellings (it must not decline them all)', () => {
    const got: ParsedLabel = { wall: 0, offsetMs: 0 };
    for (const t of [
      '07/12/24 11:00:00',
      '02/29/24 23:45:00',
      '2024-07-12T11:00:00-07:00',
      '2024-03-10T03:00:00+05:30',
    ])
      expect(parseLabelBytes(ascii(t), 0, t.length, got), t).toBe(true);
    for (const t of ['02/30/24 11:00:00', '07/12/24 24:00:00', '07/12/2024 11:00', '2024-07-12T11:00:00Z'])
      expect(parseLabelBytes(ascii(t), 0, t.length, got), t).toBe(false);
  });
});

/** A zone's offset at an instant straight from Intl (no cache): local fields as if UTC, minus the instant. */
function intlOffset(zone: string): (t: number) => number {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    era: 'short',
  });
  return (t) => {
    const v: Record<string, string> = {};
    for (const p of f.formatToParts(new Date(t))) v[p.type] = p.value;
    const year = v.era === 'BC' ? 1 - Number(v.year) : Number(v.year);
    const d = new Date(0);
    d.setUTCFullYear(year, Number(v.month) - 1, Number(v.day));
    d.setUTCHours(Number(v.hour), Number(v.minute), Number(v.second), 0);
    return d.getTime() - (t - (((t % 1000) + 1000) % 1000));
  };
}

const ODD_ZONES = [
  'America/Los_Angeles',
  'America/St_Johns',
  'Australia/Lord_Howe',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Pacific/Apia',
  'Pacific/Chatham',
  'America/Sao_Paulo',
  'Africa/Casablanca',
  'Europe/Moscow',
  'UTC',
];

describe('SiteClock: the span table against Intl', () => {
  it('property: offsetAt is Intl’s offset, 1900–2100, wherever the cache was last', () => {
    const clocks = new Map(ODD_ZONES.map((z) => [z, new SiteClock(z)]));
    const raw = new Map(ODD_ZONES.map((z) => [z, intlOffset(z)]));
    fc.assert(
      fc.property(
        fc.constantFrom(...ODD_ZONES),
        fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2100, 0, 1) }),
        (zone, t) => {
          expect(clocks.get(zone)!.offsetAt(t)).toBe(raw.get(zone)!(t));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('property: near every transition of 2010–2030, offsetAt to the millisecond and uniqueInstant as candidates say', () => {
    for (const zone of ODD_ZONES) {
      const clock = new SiteClock(zone);
      const raw = intlOffset(zone);
      const fresh = new SiteClock(zone);
      const hours: number[] = [];
      for (let d = Date.UTC(2010, 0, 1); d < Date.UTC(2030, 0, 1); d += 86_400_000)
        if (raw(d) !== raw(d + 86_400_000))
          for (let t = d; t < d + 86_400_000; t += 3_600_000) if (raw(t) !== raw(t + 3_600_000)) hours.push(t);
      for (const t of hours) {
        // a transition in (t, t + 1 h]: every 5 minutes around it, and its very millisecond
        let lo = t;
        let hi = t + 3_600_000;
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
          if (raw(mid) === raw(t)) lo = mid;
          else hi = mid;
        }
        for (const u of [hi - 1, hi, hi + 1]) expect(clock.offsetAt(u), `${zone} ${u}`).toBe(raw(u));
        for (let u = hi - 7_200_000; u <= hi + 7_200_000; u += 300_000) {
          expect(clock.offsetAt(u), `${zone} ${u}`).toBe(raw(u));
          const wall = u + raw(u);
          const c = fresh.candidates(wall);
          expect(c).toContain(u);
          expect(clock.uniqueInstant(wall), `${zone} ${new Date(wall).toISOString()}`).toBe(
            c.length === 1 ? c[0]! : Number.NaN,
          );
          const skipped = wall + 1_800_000; // maybe in a spring-forward gap: no instant, or one
          const cs = fresh.candidates(skipped);
          expect(clock.uniqueInstant(skipped)).toBe(cs.length === 1 ? cs[0]! : Number.NaN);
        }
      }
    }
  });

  it('property: formatInto writes the bytes of format (rows in order, and anywhere)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ODD_ZONES),
        fc.integer({ min: Date.UTC(1960, 0, 1), max: Date.UTC(2060, 0, 1) }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom(60_000, 900_000, 3_600_000, 1, 1500),
        (zone, t0, n, step) => {
          const clock = new SiteClock(zone);
          const out = Buffer.alloc(64);
          for (let i = 0; i < n; i++) {
            const t = t0 + i * step;
            const end = clock.formatInto(t, out, 3);
            expect(out.toString('latin1', 3, end)).toBe(clock.format(t));
          }
        },
      ),
      { numRuns: 1500 },
    );
    const far = new SiteClock('Europe/Berlin');
    for (const t of [Date.UTC(-5, 0, 1), Date.UTC(12000, 0, 1), Date.UTC(99, 6, 1), Date.UTC(2024, 0, 1, 0, 0, 0, 5)]) {
      const out = Buffer.alloc(64);
      expect(out.toString('latin1', 0, far.formatInto(t, out, 0))).toBe(far.format(t));
    }
  });
});
