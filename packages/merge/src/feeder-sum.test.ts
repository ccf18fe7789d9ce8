/** The FeederSum engine, directly: exact sums per interval start, whatever the order rows and feeders come in. */
import { MAX_EXACT, SiteClock } from '@lptool/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FeederSeries, FeederSum, onCoarserGrid } from './feeder-sum.js';

const Q = 900_000;
type Row = [start: number, mw: number, mva: number];

/**
 * The engine's totals as plain rows: [start, end, Σ MW, Σ MVA, feeders reporting] — the same whether the slots are
 * found on the 15-minute grid (and through the Map off it) or through the Map alone.
 */
function sum(feeders: Row[][]): [number, number, string, string, number][] {
  const totals = (s: FeederSum) => {
    for (const rows of feeders) {
      s.feeder();
      for (const [t, mw, mva] of rows) s.push(t, t + Q, mw, mva);
    }
    const r = s.finish();
    return Array.from(r.start, (t, k): [number, number, string, string, number] => [
      t,
      r.end[k]!,
      String(r.mw[k]),
      String(r.mva[k]),
      r.reporting[k]!,
    ]);
  };
  const onGrid = totals(new FeederSum(Q));
  expect(onGrid).toEqual(totals(new FeederSum()));
  // a grid of at most 64 steps: starts beyond it go through the Map, and the grid grows over some of them
  expect(totals(new FeederSum(Q, 64))).toEqual(onGrid);
  return onGrid;
}

/** The same totals worked out the slow, obvious way: BigInt per start, a feeder's repeated start once. */
function reference(feeders: Row[][]): [number, number, string, string, number][] {
  const by = new Map<number, [bigint, bigint, number]>();
  for (const rows of feeders) {
    const seen = new Set<number>();
    for (const [t, mw, mva] of rows) {
      if (seen.has(t)) continue;
      seen.add(t);
      const acc = by.get(t) ?? [0n, 0n, 0];
      by.set(t, [acc[0] + BigInt(mw), acc[1] + BigInt(mva), acc[2] + 1]);
    }
  }
  return [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, [mw, mva, n]]) => [t, t + Q, String(mw), String(mva), n]);
}

const micros = fc.integer({ min: -MAX_EXACT, max: MAX_EXACT });
const feeder = (value: fc.Arbitrary<number>) =>
  fc.array(
    fc.tuple(
      fc.integer({ min: 0, max: 40 }).map((k) => k * Q),
      value,
      value,
    ),
    { maxLength: 40 },
  );

describe('FeederSum', () => {
  it('sums per start, in time order, with how many feeders reported; a start a feeder repeats counts once', () => {
    expect(
      sum([
        [
          [Q, 1_500_000, 2_000_000],
          [0, 1, 2],
          [Q, 9, 9], // a repeated start of this feeder: its first row counts
        ],
        [[Q, -500_000, 1_000_000]],
      ]),
    ).toEqual([
      [0, Q, '1', '2', 1],
      [Q, 2 * Q, '1000000', '3000000', 2],
    ]);
  });

  it('property: the totals are the exact sums, in Numbers or past 2^53 in BigInt, as a BigInt reference has them', () => {
    fc.assert(
      fc.property(fc.array(feeder(micros), { maxLength: 6 }), (feeders) => {
        expect(sum(feeders)).toEqual(reference(feeders));
      }),
      { numRuns: 300 },
    );
  });

  it('property: the feeders and their rows in any order give the same totals (permutation)', () => {
    fc.assert(
      fc.property(
        fc.array(feeder(fc.integer({ min: -1e9, max: 1e9 })), { minLength: 1, maxLength: 5 }),
        fc.integer(),
        (feeders, seed) => {
          // distinct starts within each feeder, so that which of a repeated start's rows counts is not in question
          const distinct = feeders.map((rows) => [...new Map(rows.map((r) => [r[0], r])).values()]);
          const shuffled = [...distinct]
            .reverse()
            .map((rows) => [...rows].sort((a, b) => ((a[0] ^ seed) % 7) - ((b[0] ^ seed) % 7)));
          expect(sum(shuffled)).toEqual(sum(distinct));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: feeders in time order (as profiles are) — different first days, holes, repeated rows — give the reference totals', () => {
    const inOrder = fc
      .tuple(
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.constantFrom(1, 1, 1, 2, 0, -1), { maxLength: 60 }),
        fc.integer({ min: -1e9, max: 1e9 }),
      )
      .map(([first, steps, v]) => {
        let k = first;
        return steps.map((d, i): Row => {
          k += d;
          return [k * Q, v + i, i];
        });
      });
    fc.assert(
      fc.property(fc.array(inOrder, { maxLength: 6 }), (feeders) => {
        expect(sum(feeders)).toEqual(reference(feeders));
      }),
      { numRuns: 500 },
    );
    // rows pushed before any feeder() are the first feeder's
    const s = new FeederSum();
    s.push(0, Q, 5, 6);
    s.push(0, Q, 7, 8);
    expect([...s.finish().reporting]).toEqual([1]);
    // past the first 65,536 slots (the columns grow): a feeder's repeated rows still count once
    const many = new FeederSum();
    for (let f = 0; f < 2; f++) {
      many.feeder();
      for (let pass = 0; pass < 2; pass++) for (let k = 0; k < 70_000; k++) many.push(k * Q, (k + 1) * Q, 1, 1);
    }
    const t = many.finish();
    expect([t.reporting.length, Math.min(...t.reporting), Math.max(...t.reporting), t.mw[69_999]]).toEqual([
      70_000, 2, 2, 2,
    ]);
  });

  it('property: starts off the grid, before its first start and far from it give the reference totals', () => {
    // on the grid, a minute off it, 50 steps out (past a 64-step grid) or 2^25 (past the default span of 2^24)
    const start = fc
      .tuple(fc.integer({ min: -30, max: 30 }), fc.constantFrom(0, 0, 0, 60_000, 50 * Q, -50 * Q, 2 ** 25 * Q))
      .map(([k, off]) => k * Q + off);
    const rows = fc.array(fc.tuple(start, micros, micros), { maxLength: 40 });
    fc.assert(
      fc.property(fc.array(rows, { maxLength: 5 }), (feeders) => {
        expect(sum(feeders)).toEqual(reference(feeders));
      }),
      { numRuns: 500 },
    );
  });

  it('switches to BigInt at the first sum past 2^53 without losing what came before', () => {
    const big = 5_000_000_000_000_000; // 5e9 MW in millionths
    const r = new FeederSum();
    for (const mw of [big, big, -1_500_000]) {
      r.feeder();
      r.push(0, Q, mw, 1);
      r.push(Q, 2 * Q, 1, 1);
    }
    const t = r.finish();
    expect(t.exact).toBe(false);
    expect([t.mw[0], t.mw[1], t.mva[0]]).toEqual([9_999_999_998_500_000n, 3n, 3n]);
  });
});

describe('onCoarserGrid', () => {
  it('a 5-minute feeder on a 15-minute grid: means of complete buckets, rounded half-up to millionths; partial buckets left out', () => {
    const clock = new SiteClock('America/Los_Angeles');
    const t0 = Date.parse('2024-07-12T11:00:00-07:00');
    const five = 300_000;
    const n = 5; // 11:00 … 11:20: the second bucket lacks 11:25
    const s: FeederSeries = {
      name: 'fast',
      start: Float64Array.from({ length: n }, (_, i) => t0 + i * five),
      end: Float64Array.from({ length: n }, (_, i) => t0 + (i + 1) * five),
      mw: Float64Array.of(1_000_000, 1_100_000, 1_200_001, 7, 8),
      mva: Float64Array.of(1, 1, 2, 0, 0),
      intervalMs: five,
    };
    const g = onCoarserGrid(s, Q, clock);
    expect([...g.start]).toEqual([t0]);
    expect([...g.end]).toEqual([t0 + Q]);
    expect([...g.mw, ...g.mva]).toEqual([1_100_000, 1]); // (1 + 1.1 + 1.200001) / 3 = 1.1000003… → 1.1; 4/3 µ → 1
    expect(g.intervalMs).toBe(Q);
  });
});
