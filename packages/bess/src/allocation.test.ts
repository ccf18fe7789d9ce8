/** The enclosure allocation, directly: inputs' daily energy in, each enclosure's even share out. */
import type { DailyEnergy } from '@lptool/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnclosureAllocation, lowCoverageWarning } from './allocation.js';
import type { InputAssignment } from './groups.js';

const HOUR = 3_600_000;
const day = (date: string, charged: number, discharged: number, coveredHours = 24): DailyEnergy => ({
  date,
  chargedKwh: charged,
  dischargedKwh: discharged,
  coveredMs: coveredHours * HOUR,
  uncoveredMs: (24 - coveredHours) * HOUR,
});
const input = (inverter: string, name: string, enclosures: string[]): InputAssignment => ({
  inverter,
  input: name,
  column: `${name} [${inverter}]`,
  enclosures,
});

describe('EnclosureAllocation', () => {
  it('an even share per enclosure and day, every enclosure on every date, totals, bottom five, heatmap cells', () => {
    const a = new EnclosureAllocation('bess.yaml');
    a.push(input('1APCS1', 'BESS1', ['1A1BAT1', '1A1BAT2']), [day('2024-04-06', 10, 20), day('2024-04-07', 4, 8, 12)]);
    a.push(input('1APCS1', 'BESS2', ['1A1BAT10']), [day('2024-04-06', 3, 0, 0)]);
    const r = a.finish(48, 0.9);
    expect(r.dates).toEqual(['2024-04-06', '2024-04-07']);
    expect(r.enclosures).toEqual(['1A1BAT1', '1A1BAT2', '1A1BAT10']); // natural order
    expect(r.daily.map((d) => [d.date, d.enclosure_id, d.charged_kwh, d.discharged_kwh, d.covered_hours])).toEqual([
      ['2024-04-06', '1A1BAT1', 5, 10, 24],
      ['2024-04-06', '1A1BAT2', 5, 10, 24],
      ['2024-04-06', '1A1BAT10', 3, 0, 0],
      ['2024-04-07', '1A1BAT1', 2, 4, 12],
      ['2024-04-07', '1A1BAT2', 2, 4, 12],
      ['2024-04-07', '1A1BAT10', 0, 0, 0],
    ]);
    expect(r.totals[0]).toMatchObject({ charged_kwh: 7, discharged_kwh: 14, round_trip_ratio: 2, covered_hours: 36 });
    expect(r.totals[2]).toMatchObject({ round_trip_ratio: 0, low_coverage: true });
    expect(r.bottom.map((b) => [b.metric, b.rank, b.enclosure_id])).toEqual([
      ['charged', 1, '1A1BAT10'],
      ['charged', 2, '1A1BAT1'],
      ['charged', 3, '1A1BAT2'],
      ['discharged', 1, '1A1BAT10'],
      ['discharged', 2, '1A1BAT1'],
      ['discharged', 3, '1A1BAT2'],
    ]);
    // a day without covered time is no data, not 0 kWh
    expect(r.cells.filter((c) => c.row === '1A1BAT10')).toEqual([]);
    expect(lowCoverageWarning(r.low, 0.9)).toBe(
      '3 enclosure(s) covered less than 90 % of the period: 1A1BAT1 (0.75), 1A1BAT2 (0.75), 1A1BAT10 (0)',
    );
  });

  it('an enclosure on two inputs is a configuration error naming both', () => {
    const a = new EnclosureAllocation('bess.yaml');
    a.push(input('1APCS1', 'BESS1', ['X']), []);
    expect(() => a.push(input('1APCS1', 'BESS2', ['X']), [])).toThrow(
      /grouping — expected each enclosure on one input, got X on BESS1 \[1APCS1\] and BESS2 \[1APCS1\]/,
    );
  });

  it('property: the enclosures of an input get all of its energy, day by day', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 1, max: 6 }),
            fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.float({ min: 0, max: 1e4, noNaN: true })), {
              maxLength: 10,
            }),
          ),
          { minLength: 1, maxLength: 5 },
        ),
        (inputs) => {
          const a = new EnclosureAllocation('bess.yaml');
          inputs.forEach(([n, days], k) => {
            const byDate = new Map(days.map(([d, kwh]) => [`2024-04-${String(d + 10)}`, kwh]));
            const encs = Array.from({ length: n }, (_, e) => `E${k}-${e}`);
            a.push(
              input(`I${k}`, 'BESS1', encs),
              [...byDate].map(([date, kwh]) => day(date, kwh / 2, kwh)),
            );
          });
          const r = a.finish(24, 0.9);
          inputs.forEach(([, days], k) => {
            const byDate = new Map(days.map(([d, kwh]) => [`2024-04-${String(d + 10)}`, kwh]));
            for (const [date, kwh] of byDate) {
              const shares = r.daily.filter((d) => d.date === date && d.enclosure_id.startsWith(`E${k}-`));
              expect(shares.reduce((s, d) => s + d.discharged_kwh, 0)).toBeCloseTo(kwh, 6);
            }
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
