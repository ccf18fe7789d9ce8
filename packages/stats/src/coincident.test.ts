/** The coincident-peak engine, directly: feeders and their exact total in, the diversity factor out. */
import { asTimeOrdered, type PeriodSeries, SiteClock } from '@lptool/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coincidentPeak, type TotalSeries } from './coincident.js';

const LA = new SiteClock('America/Los_Angeles');
const Q = 900_000;
const T0 = Date.parse('2024-07-15T00:00:00-07:00');

/** A feeder from [interval index, MW in millionths] rows (ascending, distinct). */
function feeder(name: string, rows: [number, number][]): PeriodSeries {
  return {
    name,
    start: asTimeOrdered(Float64Array.from(rows, ([k]) => T0 + k * Q)),
    mw: Float64Array.from(rows, ([, mw]) => mw),
    partial: new Uint8Array(rows.length),
    intervalMs: Q,
  };
}
/** The exact total of these feeders, as merge writes it (a start where any reports; how many make it up). */
function totalOf(feeders: PeriodSeries[]): TotalSeries {
  const by = new Map<number, number>();
  for (const f of feeders) for (const [i, t] of f.start.entries()) by.set(t, (by.get(t) ?? 0) + f.mw[i]!);
  const starts = [...by.keys()].sort((a, b) => a - b);
  return {
    name: 'all',
    start: asTimeOrdered(Float64Array.from(starts)),
    mw: Float64Array.from(starts, (t) => by.get(t)!),
    partial: new Uint8Array(starts.length),
    intervalMs: Q,
    feedersExpected: feeders.length,
  };
}

const rows = fc
  .uniqueArray(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 40 })
  .chain((ks) =>
    fc.tuple(
      ...[...ks].sort((a, b) => a - b).map((k) => fc.tuple(fc.constant(k), fc.integer({ min: -5e9, max: 5e10 }))),
    ),
  );

describe('coincidentPeak', () => {
  it('each feeder at the system peak, and Σ own peaks / the peak of the feeders reporting together', () => {
    const a = feeder('a', [
      [0, 1_000_000],
      [1, 3_000_000],
      [2, 2_000_000],
    ]);
    const b = feeder('b', [
      [0, 2_000_000],
      [1, 1_000_000],
      [2, 3_000_000],
    ]);
    const c = coincidentPeak(totalOf([a, b]), [a, b], LA, undefined, undefined)!;
    expect(c).toMatchObject({ system_peak_mw: 5, diversity_factor: 1.2, diversity_note: null });
    expect(c.feeders).toEqual([
      { profile: 'a', mw_at_system_peak: 2, own_peak_mw: 3 },
      { profile: 'b', mw_at_system_peak: 3, own_peak_mw: 3 },
    ]);
  });

  it('property: for feeders that make up the total the factor is ≥ 1; for a strict subset it is left out', () => {
    fc.assert(
      fc.property(fc.array(rows, { minLength: 1, maxLength: 5 }), (all) => {
        // every feeder draws power at interval 0, so there is an interval where all report and the sum is positive
        const feeders = all.map((r, k) => feeder(`f${k}`, [[0, 1 + (k % 2)], ...r.filter(([i]) => i > 0)]));
        const total = totalOf(feeders);
        const c = coincidentPeak(total, feeders, LA, undefined, undefined)!;
        expect(c.diversity_note).toBeNull();
        expect(c.diversity_factor!).toBeGreaterThanOrEqual(1);
        if (feeders.length > 1) {
          const subset = coincidentPeak(total, feeders.slice(1), LA, undefined, undefined)!;
          expect(subset.diversity_factor).toBeNull();
          expect(subset.diversity_note).toMatch(/(is|are) a subset of the \d+ that make up all\.csv/);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a total the feeders do not add up to gets no factor, and says where', () => {
    const a = feeder('a', [[0, 2_000_000]]);
    const total = { ...totalOf([a]), mw: Float64Array.of(2_000_002) };
    expect(coincidentPeak(total, [a], LA, undefined, undefined)!.diversity_note).toBe(
      'the feeders given do not add up to all.csv: Σ MW_net 2 MW against MW_total 2.000002 MW at 2024-07-15T00:00:00-07:00 — diversity factor omitted',
    );
  });
});
