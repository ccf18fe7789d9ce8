import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LptError } from './errors.js';
import { parseBucket, Resampler } from './resample.js';
import { SiteClock } from './zone.js';

const I = 900_000;
const la = new SiteClock('America/Los_Angeles');

function run(starts: number[], values: number[], bucket: string) {
  const r = new Resampler({ clock: la, intervalMs: I, bucket: parseBucket(bucket), columns: 1 });
  for (let i = 0; i < starts.length; i++) r.push(starts[i]!, [values[i]!]);
  return r.finish();
}

describe('Resampler', () => {
  it('15m → 1h: mean power, energy sums, presence', () => {
    const t0 = Date.parse('2024-07-12T11:00:00-07:00');
    const starts = [0, 1, 2, 3, 4, 6].map((k) => t0 + k * I);
    const out = run(starts, [1, 2, 3, 4, 8, 8], '1h');
    expect(out.map((b) => [b.start, b.present, b.expected, b.means[0], b.energy[0]])).toEqual([
      [t0, 4, 4, 2.5, 2.5],
      [t0 + 4 * I, 2, 4, 8, 4],
    ]);
  });

  it('keeps the two passes of the repeated hour apart and gives 23/25-hour days their real length', () => {
    const t0 = Date.parse('2024-11-03T00:00:00-07:00');
    const starts = Array.from({ length: 100 }, (_, i) => t0 + i * I);
    const hours = run(
      starts,
      starts.map(() => 1),
      '1h',
    );
    expect(hours).toHaveLength(25);
    expect(hours.every((b) => b.present === 4)).toBe(true);
    const days = run(
      starts,
      starts.map(() => 1),
      '1d',
    );
    expect(days).toHaveLength(1);
    expect(days[0]!.expected).toBe(100);
    const spring = Date.parse('2024-03-10T00:00:00-08:00');
    const s2 = Array.from({ length: 92 }, (_, i) => spring + i * I);
    expect(
      run(
        s2,
        s2.map(() => 1),
        '1d',
      )[0],
    ).toMatchObject({ expected: 92, present: 92 });
  });

  it('monthly buckets follow the local calendar', () => {
    const a = Date.parse('2024-01-31T23:45:00-08:00');
    const out = run([a, a + I], [1, 1], '1mo');
    expect(out.map((b) => la.format(b.start))).toEqual(['2024-01-01T00:00:00-08:00', '2024-02-01T00:00:00-08:00']);
  });

  it('rejects lengths that do not divide a day', () => {
    expect(() => parseBucket('7m')).toThrow(LptError);
    expect(() => parseBucket('2d')).toThrow(/divides a day/);
  });

  it('property: resampled energy summed equals the energy of the source', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 400 }),
        fc.constantFrom('1h', '1d', '1mo', '30m'),
        (vals, b) => {
          const t0 = Date.parse('2024-11-02T20:00:00-07:00');
          const starts = vals.map((_, i) => t0 + i * I);
          const out = run(starts, vals, b);
          const e = out.reduce((s, x) => s + x.energy[0]!, 0);
          expect(e).toBeCloseTo(
            vals.reduce((s, v) => s + v * 0.25, 0),
            6,
          );
          expect(out.reduce((s, x) => s + x.present, 0)).toBe(vals.length);
        },
      ),
    );
  });
});
