import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeSeries, GapFinder, GapScanner, inferIntervalMs } from './gaps.js';
import { SiteClock } from './zone.js';

const I = 900_000;

describe('analyzeSeries', () => {
  it('finds a gap with the SPEC fields', () => {
    const t0 = Date.parse('2024-07-12T12:45:00-07:00');
    const starts = [t0, t0 + 7 * I, t0 + 8 * I]; // 13:00 … 14:30 missing
    const r = analyzeSeries(starts, { intervalMs: I });
    expect(r.gaps).toEqual([
      {
        gapStart: Date.parse('2024-07-12T13:00:00-07:00'),
        gapEnd: Date.parse('2024-07-12T14:30:00-07:00'),
        missingIntervals: 6,
        misaligned: false,
      },
    ]);
  });

  it('never reports a DST night as a gap, and measures a gap across one in real time', () => {
    const clock = new SiteClock('America/Los_Angeles');
    for (const day of ['2024-03-10T00:00:00-08:00', '2024-11-03T00:00:00-07:00']) {
      const t0 = Date.parse(day);
      const starts = Array.from({ length: 200 }, (_, i) => t0 + i * I);
      expect(analyzeSeries(starts, { intervalMs: I }).gaps).toEqual([]);
      // remove 00:30 … 04:00 local: a real gap across the night
      const a = t0 + 2 * I;
      const b = clock.candidates(Date.parse(`${day.slice(0, 10)}T04:00:00Z`))[0]!;
      const holed = starts.filter((t) => t < a || t >= b);
      const r = analyzeSeries(holed, { intervalMs: I });
      expect(r.gaps).toHaveLength(1);
      expect(r.gaps[0]!.missingIntervals).toBe((b - a) / I);
      expect(r.gaps[0]!.missingIntervals).toBe(day.startsWith('2024-03') ? 10 : 18);
    }
  });

  it('reports duplicates and out-of-order rows, and an out-of-order row fills its hole', () => {
    const r = analyzeSeries([0, I, I, 3 * I, 2 * I, 4 * I], { intervalMs: I });
    expect(r.duplicates.map((d) => d.index)).toEqual([2]);
    expect(r.outOfOrder.map((d) => d.index)).toEqual([4]);
    expect(r.gaps).toEqual([]);
    expect(r.present).toBe(5);
  });

  it('one row moved to the top is one row out of order, not every row up to its time (the review, L4)', () => {
    const starts = Array.from({ length: 1000 }, (_, k) => k * I);
    const moved = [starts[936]!, ...starts.slice(0, 936), ...starts.slice(937)];
    const r = analyzeSeries(moved, { intervalMs: I });
    expect(r.outOfOrder.map((d) => [d.index, d.instant])).toEqual([[0, 936 * I]]);
    expect(Number.isNaN(r.outOfOrder[0]!.previous)).toBe(true); // nothing above it in the file
    expect([r.gaps, r.present]).toEqual([[], 1000]);
  });

  it('property: one row moved anywhere is exactly one row out of order (the moved one, unless it moved by one)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 300 }).chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1), fc.nat(n - 1))),
        ([n, from, to]) => {
          const rows = Array.from({ length: n }, (_, k) => k * I);
          const [row] = rows.splice(from, 1);
          rows.splice(to, 0, row!);
          const r = analyzeSeries(rows, { intervalMs: I });
          expect(r.outOfOrder).toHaveLength(from === to ? 0 : 1);
          if (Math.abs(from - to) > 1) expect(r.outOfOrder[0]!.instant).toBe(from * I);
          expect(r.gaps).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts holes at the ends of a --from/--to range', () => {
    const r = analyzeSeries([2 * I, 3 * I], { intervalMs: I, from: 0, to: 6 * I });
    expect(r.gaps.map((g) => [g.gapStart, g.gapEnd, g.missingIntervals])).toEqual([
      [0, 2 * I, 2],
      [4 * I, 6 * I, 2],
    ]);
    expect(analyzeSeries([], { intervalMs: I, from: 0, to: 4 * I }).missing).toBe(4);
  });

  it('marks a hole that is not a whole number of intervals', () => {
    expect(analyzeSeries([0, I + 5 * 60_000 + I], { intervalMs: I }).gaps[0]).toMatchObject({
      misaligned: true,
      missingIntervals: 1,
    });
  });

  it('property: gaps + present intervals cover the range exactly', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 200 }), (ks) => {
        const starts = ks.map((k) => k * I);
        const r = analyzeSeries(starts, { intervalMs: I });
        const lo = Math.min(...ks);
        const hi = Math.max(...ks);
        expect(r.present + r.missing).toBe(hi - lo + 1);
        // and no gap overlaps a present start
        for (const g of r.gaps) for (const t of starts) expect(t >= g.gapStart && t < g.gapEnd).toBe(false);
      }),
    );
  });

  it('property: a series with one random hole reports exactly that hole', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 400 }),
        fc.integer({ min: 1, max: 398 }),
        fc.integer({ min: 1, max: 50 }),
        (n, at, len) => {
          fc.pre(at + len < n);
          const starts = Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * I).filter(
            (_, i) => i < at || i >= at + len,
          );
          const r = analyzeSeries(starts, { intervalMs: I });
          expect(r.gaps).toEqual([
            {
              gapStart: 1_700_000_000_000 + at * I,
              gapEnd: 1_700_000_000_000 + (at + len) * I,
              missingIntervals: len,
              misaligned: false,
            },
          ]);
        },
      ),
    );
  });
});

describe('inferIntervalMs', () => {
  it('takes the most common step, NaN when ambiguous', () => {
    expect(inferIntervalMs([0, I, 2 * I, 5 * I])).toBe(I);
    expect(inferIntervalMs([0, I, 3 * I])).toBeNaN();
    expect(inferIntervalMs([0])).toBeNaN();
  });
});

describe('GapScanner', () => {
  /** Push [start, line, partial] rows (end = start + I) and finish. */
  const scan = (rows: [number, number, boolean?][], o: ConstructorParameters<typeof GapScanner>[0] = {}) => {
    const s = new GapScanner(o);
    for (const [t, line, partial] of rows) s.push(t, t + I, line, partial ?? false);
    return s.finish();
  };

  it('reports duplicates and rows out of order with their file lines; infers the interval', () => {
    const r = scan([
      [0, 2],
      [I, 3],
      [I, 4],
      [3 * I, 5],
      [2 * I, 6],
    ]);
    expect(r.intervalMs).toBe(I);
    expect(r.intervalAssumed).toBe(false);
    expect(r.duplicates.map((d) => [d.line, d.instant])).toEqual([[4, I]]);
    expect(r.outOfOrder.map((d) => [d.line, d.instant, d.previous])).toEqual([[6, 2 * I, 3 * I]]);
    expect([r.rows, r.present, r.gaps]).toEqual([5, 4, []]);
  });

  it('an interval that cannot be inferred is the fallback (assumed), or NaN without one', () => {
    expect(scan([[0, 2]], { fallbackIntervalMs: I })).toMatchObject({ intervalMs: I, intervalAssumed: true });
    expect(scan([[0, 2]]).intervalMs).toBeNaN();
    expect(scan([[0, 2]], { intervalMs: 5 * 60_000 })).toMatchObject({
      intervalMs: 5 * 60_000,
      intervalAssumed: false,
    });
  });

  it('partial totals as runs of adjacent intervals in the range, or as missing intervals with partialAsGap', () => {
    const rows: [number, number, boolean][] = Array.from({ length: 8 }, (_, i) => [
      i * I,
      i + 2,
      i === 2 || i === 3 || i === 6,
    ]);
    expect(scan(rows).partialRuns).toEqual([
      { start: 2 * I, end: 4 * I, intervals: 2 },
      { start: 6 * I, end: 7 * I, intervals: 1 },
    ]);
    expect(scan(rows, { from: 3 * I, to: 6 * I }).partialRuns).toEqual([{ start: 3 * I, end: 4 * I, intervals: 1 }]);
    const strict = scan(rows, { partialAsGap: true });
    expect(strict.partialRuns).toEqual([]);
    expect(strict.gaps.map((g) => [g.gapStart, g.missingIntervals])).toEqual([
      [2 * I, 2],
      [6 * I, 1],
    ]);
  });

  it('property: the rows in any order give the same gaps and the same partial runs (permutation)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { minLength: 2, maxLength: 150 }),
        fc.func(fc.integer()),
        (ks, key) => {
          const rows = ks.map((k, i): [number, number, boolean] => [k * I, i + 2, k % 5 === 0]);
          const shuffled = [...rows].sort((a, b) => key(a[0]) - key(b[0]) || a[0] - b[0]);
          const a = scan(rows, { intervalMs: I });
          const b = scan(shuffled, { intervalMs: I });
          expect(b.gaps).toEqual(a.gaps);
          expect(b.partialRuns).toEqual(a.partialRuns);
          expect([b.present, b.missing, b.first, b.last]).toEqual([a.present, a.missing, a.first, a.last]);
        },
      ),
    );
  });
});

/** analyzeSeries and inferIntervalMs as they were before their fast paths for ascending series: the model. */
function analyzeModel(starts: number[], options: { intervalMs: number; from?: number; to?: number }) {
  const duplicates: unknown[] = [];
  const outOfOrder: unknown[] = [];
  const seen = new Set<number>();
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < starts.length; i++) {
    const t = starts[i]!;
    if (seen.has(t)) duplicates.push({ kind: 'duplicate', index: i, instant: t, previous: max });
    else if (t < max) outOfOrder.push({ kind: 'out-of-order', index: i, instant: t, previous: max });
    seen.add(t);
    if (t > max) max = t;
  }
  const finder = new GapFinder(options);
  for (const t of Float64Array.from(starts).sort()) finder.push(t);
  return { ...finder.finish(), duplicates, outOfOrder };
}
function inferModel(starts: number[]): number {
  const ordered = Float64Array.from(starts).sort();
  const counts = new Map<number, number>();
  for (let i = 1; i < ordered.length; i++) {
    const d = ordered[i]! - ordered[i - 1]!;
    if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best = Number.NaN;
  let bestCount = 0;
  let tie = false;
  for (const [d, c] of counts) {
    if (c > bestCount) {
      best = d;
      bestCount = c;
      tie = false;
    } else if (c === bestCount) tie = true;
  }
  return tie ? Number.NaN : best;
}

describe('the fast paths for ascending series', () => {
  /** Series of starts: mostly regular, with holes, odd steps, and (sometimes) repeats and rows out of order. */
  const series = fc
    .tuple(
      fc.array(fc.oneof(fc.constant(I), fc.constant(I), fc.constant(2 * I), fc.constantFrom(300_000, 0, -I)), {
        maxLength: 120,
      }),
      fc.boolean(),
    )
    .map(([steps, ascendingOnly]) => {
      let t = 1_700_000_000_000;
      return [t, ...steps.filter((d) => !ascendingOnly || d > 0).map((d) => (t += d))];
    });

  it('property: analyzeSeries gives the model’s gaps, ascending or not, with and without a range; no issues only when ascending', () => {
    fc.assert(
      fc.property(
        series,
        fc.option(fc.integer({ min: -5, max: 5 })),
        fc.option(fc.integer({ min: 0, max: 200 })),
        (s, a, b) => {
          const options = {
            intervalMs: I,
            ...(a === null ? {} : { from: s[0]! + a * I }),
            ...(b === null ? {} : { to: s[0]! + b * I }),
          };
          // the gaps always as the model has them; the duplicate and out-of-order lists (whose `previous` the
          // slow path now gives as the row before) where the series ascends, as the fast path has them: none
          const ascending = s.every((t, i) => i === 0 || t > s[i - 1]!);
          const want = analyzeModel(s, options);
          for (const got of [analyzeSeries(s, options), analyzeSeries(Float64Array.from(s), options)]) {
            const { duplicates, outOfOrder, ...gaps } = got;
            const { duplicates: wd, outOfOrder: wo, ...wantGaps } = want;
            expect(gaps).toEqual(wantGaps);
            if (ascending) expect([duplicates, outOfOrder]).toEqual([wd, wo]);
            else expect(duplicates.length + outOfOrder.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('property: inferIntervalMs gives what the model gives (the most common step; NaN on a tie)', () => {
    fc.assert(
      fc.property(series, (s) => {
        expect(Object.is(inferIntervalMs(s), inferModel(s))).toBe(true);
      }),
      { numRuns: 1500 },
    );
    expect(inferIntervalMs([0, I, 2 * I, 2 * I + 300_000, 2 * I + 600_000])).toBeNaN();
    expect(inferIntervalMs([0, 300_000, 600_000, 600_000 + I, 600_000 + 2 * I, 600_000 + 3 * I])).toBe(I);
    expect(inferIntervalMs([Number.NaN, 0, I])).toBe(inferModel([Number.NaN, 0, I]));
  });
});
