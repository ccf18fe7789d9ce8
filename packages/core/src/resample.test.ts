import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LptError } from './errors.js';
import { bucketEnergy, bucketMean, parseBucket, Resampler } from './resample.js';
import { SiteClock } from './zone.js';

const I = 900_000;
const la = new SiteClock('America/Los_Angeles');

function run(starts: number[], values: number[], bucket: string) {
  const r = new Resampler({ clock: la, intervalMs: I, bucket: parseBucket(bucket), columns: 1 });
  for (let i = 0; i < starts.length; i++) r.push(starts[i]!, [values[i]!]);
  return r.finish();
}

describe('Resampler', () => {
  it('15m → 1h: mean power, energy sums, presence (millionths in, exact millionths out)', () => {
    const t0 = Date.parse('2024-07-12T11:00:00-07:00');
    const starts = [0, 1, 2, 3, 4, 6].map((k) => t0 + k * I);
    const out = run(starts, [1e6, 2e6, 3e6, 4e6, 8e6, 8e6], '1h');
    expect(out.map((b) => [b.start, b.present, b.expected, bucketMean(b, 0), bucketEnergy(b, 0, I)])).toEqual([
      [t0, 4, 4, 2.5e6, 2.5e6],
      [t0 + 4 * I, 2, 4, 8e6, 4e6],
    ]);
  });

  it('means and energies are rounded half-up once, from the exact sums', () => {
    const t0 = Date.parse('2024-07-12T11:00:00-07:00');
    // 0.000001 + 0.000002 MW over two 15-minute intervals: Σ × 0.25 h = 0.00000075 MWh → 0.000001; mean 1.5 → 2
    const [b] = run([t0, t0 + I], [1, 2], '1h');
    expect([bucketMean(b!, 0), bucketEnergy(b!, 0, I)]).toEqual([2, 1]);
    const [n] = run([t0, t0 + I], [-1, -2], '1h');
    expect([bucketMean(n!, 0), bucketEnergy(n!, 0, I)]).toEqual([-2, -1]);
    // 5-minute intervals: hours are 1/12, no finite decimal — still exact: 6 × 0.000001 MW × 1/12 h = 0.0000005 → 0.000001
    const five = new Resampler({ clock: la, intervalMs: 300_000, bucket: parseBucket('1h'), columns: 1 });
    for (let k = 0; k < 6; k++) five.push(t0 + k * 300_000, [1]);
    expect(bucketEnergy(five.finish()[0]!, 0, 300_000)).toBe(1);
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

  it('property: bucket sums are exact and add up to the source; energies are Σ × 0.25 h rounded half-up', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50_000_000, max: 50_000_000 }), { minLength: 1, maxLength: 400 }),
        fc.constantFrom('1h', '1d', '1mo', '30m'),
        (vals, b) => {
          const t0 = Date.parse('2024-11-02T20:00:00-07:00');
          const starts = vals.map((_, i) => t0 + i * I);
          const out = run(starts, vals, b);
          const total = out.reduce((s, x) => s + BigInt(x.sums[0]!.value), 0n);
          expect(total).toBe(vals.reduce((s, v) => s + BigInt(v), 0n));
          for (const x of out) {
            const sum = BigInt(x.sums[0]!.value);
            const sign = sum < 0n ? -1n : 1n;
            expect(BigInt(bucketEnergy(x, 0, I))).toBe((sign * (2n * sign * sum + 4n)) / 8n); // round(Σ / 4)
          }
          expect(out.reduce((s, x) => s + x.present, 0)).toBe(vals.length);
        },
      ),
    );
  });
});
