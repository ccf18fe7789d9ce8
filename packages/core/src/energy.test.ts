import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnergyIntegrator, integrateEnergy, medianStepMs } from './energy.js';
import { SiteClock } from './zone.js';

const MIN = 60_000;
const H = 3_600_000;
const syd = new SiteClock('Australia/Sydney');
const at = (iso: string) => Date.parse(iso);
const opts = { clock: syd, maxGapMs: 10 * MIN };

describe('integrateEnergy — hand-computed cases', () => {
  it('constant discharge: 100 kW for one hour = 100 kWh', () => {
    const t0 = at('2024-07-01T10:00:00+10:00');
    const times = Array.from({ length: 61 }, (_, i) => t0 + i * MIN);
    const days = integrateEnergy(
      times,
      times.map(() => 100),
      opts,
    );
    expect(days).toHaveLength(1);
    expect(days[0]!.date).toBe('2024-07-01');
    expect(days[0]!.dischargedKwh).toBeCloseTo(100, 9);
    expect(days[0]!.chargedKwh).toBe(0);
    expect(days[0]!.coveredMs).toBe(H);
  });

  it('a ramp crossing zero is split at the crossing: two triangles', () => {
    // 60 kW → −60 kW over 10 min: crosses at 5 min; each side 60/2 kW × 5/60 h = 2.5 kWh
    const t0 = at('2024-07-01T10:00:00+10:00');
    const [d] = integrateEnergy([t0, t0 + 10 * MIN], [60, -60], opts);
    expect(d!.dischargedKwh).toBeCloseTo(2.5, 12);
    expect(d!.chargedKwh).toBeCloseTo(2.5, 12);
  });

  it('a missing sample leaves both neighbouring segments out, counted as uncovered', () => {
    const t0 = at('2024-07-01T10:00:00+10:00');
    const [d] = integrateEnergy([t0, t0 + MIN, t0 + 2 * MIN, t0 + 3 * MIN], [60, Number.NaN, 60, 60], opts);
    expect(d!.dischargedKwh).toBeCloseTo(1, 12);
    expect(d!.uncoveredMs).toBe(2 * MIN);
    expect(d!.coveredMs).toBe(MIN);
  });

  it('a hole longer than max_gap is not integrated', () => {
    const t0 = at('2024-07-01T10:00:00+10:00');
    const [d] = integrateEnergy([t0, t0 + 30 * MIN, t0 + 31 * MIN], [-120, -120, -120], opts);
    expect(d!.chargedKwh).toBeCloseTo(2, 12);
    expect(d!.uncoveredMs).toBe(30 * MIN);
  });

  it('a segment over local midnight is split between the days', () => {
    const t0 = at('2024-07-01T23:55:00+10:00');
    const days = integrateEnergy([t0, t0 + 10 * MIN], [60, 60], opts);
    expect(days.map((d) => d.date)).toEqual(['2024-07-01', '2024-07-02']);
    expect(days[0]!.dischargedKwh).toBeCloseTo(5, 12);
    expect(days[1]!.dischargedKwh).toBeCloseTo(5, 12);
  });

  it('Sydney DST-end day has 25 hours and DST-start day 23: 100 kW all day', () => {
    for (const [date, hours] of [
      ['2024-04-07', 25],
      ['2024-10-06', 23],
    ] as const) {
      const start = syd.startOfLocalDay(at(`${date}T12:00:00+10:00`));
      const end = syd.startOfNextLocalDay(start);
      const times: number[] = [];
      for (let t = start; t <= end; t += 5 * MIN) times.push(t);
      const days = integrateEnergy(
        times,
        times.map(() => 100),
        opts,
      );
      const d = days.find((x) => x.date === date)!;
      expect(d.dischargedKwh).toBeCloseTo(100 * hours, 9);
      expect(d.coveredMs).toBe(hours * H);
    }
  });

  it('ignores a sample at or before the previous one', () => {
    const it = new EnergyIntegrator(opts);
    const t0 = at('2024-07-01T10:00:00+10:00');
    it.push(t0, 1);
    it.push(t0, 5);
    it.push(t0 + MIN, 1);
    expect(it.ignoredSamples).toBe(1);
    expect(it.finish()[0]!.dischargedKwh).toBeCloseTo(1 / 60, 12);
  });
});

describe('integrateEnergy — properties', () => {
  const series = fc
    .array(
      fc.tuple(
        fc.integer({ min: 1, max: 12 }),
        fc.option(fc.double({ min: -500, max: 500, noNaN: true }), { freq: 12 }),
      ),
      {
        minLength: 2,
        maxLength: 120,
      },
    )
    .map((steps) => {
      let t = at('2024-04-06T22:00:00+11:00'); // runs into the 25-hour day
      const times: number[] = [];
      const power: number[] = [];
      for (const [dtMin, p] of steps) {
        t += dtMin * 5 * MIN;
        times.push(t);
        power.push(p ?? Number.NaN);
      }
      return { times, power };
    });
  const total = (days: ReturnType<typeof integrateEnergy>) =>
    days.reduce((a, d) => ({ c: a.c + d.chargedKwh, d: a.d + d.dischargedKwh, cov: a.cov + d.coveredMs }), {
      c: 0,
      d: 0,
      cov: 0,
    });

  it('is additive over any split point (integrating two halves that share a sample = the whole)', () => {
    fc.assert(
      fc.property(series, fc.nat(), ({ times, power }, k) => {
        const cut = 1 + (k % (times.length - 1));
        const whole = total(integrateEnergy(times, power, opts));
        const a = total(integrateEnergy(times.slice(0, cut + 1), power.slice(0, cut + 1), opts));
        const b = total(integrateEnergy(times.slice(cut), power.slice(cut), opts));
        expect(a.c + b.c).toBeCloseTo(whole.c, 6);
        expect(a.d + b.d).toBeCloseTo(whole.d, 6);
        expect(a.cov + b.cov).toBe(whole.cov);
      }),
    );
  });

  it('discharged − charged equals the signed trapezoid integral over covered segments', () => {
    fc.assert(
      fc.property(series, ({ times, power }) => {
        let signed = 0;
        for (let i = 1; i < times.length; i++) {
          const dt = times[i]! - times[i - 1]!;
          if (dt <= opts.maxGapMs && !Number.isNaN(power[i]!) && !Number.isNaN(power[i - 1]!))
            signed += ((power[i]! + power[i - 1]!) / 2) * (dt / H);
        }
        const t = total(integrateEnergy(times, power, opts));
        expect(t.d - t.c).toBeCloseTo(signed, 6);
        expect(t.c).toBeGreaterThanOrEqual(0);
        expect(t.d).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('medianStepMs', () => {
  it('is the median positive step', () => {
    expect(medianStepMs([0, 10, 20, 50])).toBe(10);
    expect(medianStepMs([0, 10, 30])).toBe(15);
    expect(medianStepMs([0])).toBeNaN();
  });
});
