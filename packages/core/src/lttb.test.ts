import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lttb } from './lttb.js';

describe('lttb', () => {
  it('keeps short series as they are', () => {
    expect([...lttb([1, 2, 3], [4, 5, 6], 10).y]).toEqual([4, 5, 6]);
  });

  it('keeps a spike a naive every-nth sampler would lose', () => {
    const x = Array.from({ length: 1000 }, (_, i) => i);
    const y = x.map((i) => (i === 501 ? 100 : Math.sin(i / 50)));
    const d = lttb(x, y, 50);
    expect(Math.max(...d.y)).toBe(100);
  });

  it('property: at most ~threshold points, first/last kept, x ascending, only input points, NaN breaks kept', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { freq: 20 }), {
          minLength: 5,
          maxLength: 3000,
        }),
        fc.integer({ min: 3, max: 500 }),
        (vals, threshold) => {
          const x = vals.map((_, i) => i * 900);
          const y = vals.map((v) => v ?? Number.NaN);
          const d = lttb(x, y, threshold);
          const breaks = y.some((v, i) => i > 0 && Number.isNaN(v) && !Number.isNaN(y[i - 1]!));
          for (let i = 1; i < d.x.length; i++) expect(d.x[i]!).toBeGreaterThan(d.x[i - 1]!);
          for (let i = 0; i < d.x.length; i++) {
            if (Number.isNaN(d.y[i]!)) continue;
            expect(y[d.x[i]! / 900]).toBe(d.y[i]);
          }
          const firstDefined = y.findIndex((v) => !Number.isNaN(v));
          if (firstDefined >= 0 && threshold < vals.length) expect(d.x[0]).toBe(firstDefined * 900);
          if (threshold < vals.length && !breaks) expect(d.x.length).toBeLessThanOrEqual(threshold + 1);
        },
      ),
      { numRuns: 200 },
    );
  });
});
