import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LptError } from './errors.js';
import { parseLabel } from './labels.js';
import { SiteClock } from './zone.js';

const w = (s: string) => parseLabel(s)!.wall;
const iso = (s: string) => Date.parse(s);

describe('SiteClock', () => {
  const la = new SiteClock('America/Los_Angeles');

  it('rejects an unknown zone with a config error', () => {
    expect(() => new SiteClock('Mars/Olympus')).toThrow(LptError);
    expect(() => new SiteClock('Mars/Olympus')).toThrow(/time zone — expected an IANA name/);
  });

  it('gives one candidate on an ordinary hour', () => {
    expect(la.candidates(w('2024-07-12 11:00'))).toEqual([iso('2024-07-12T11:00:00-07:00')]);
  });

  it('gives both passes of the fall-back hour, daylight first', () => {
    expect(la.candidates(w('2024-11-03 01:30'))).toEqual([
      iso('2024-11-03T01:30:00-07:00'),
      iso('2024-11-03T01:30:00-08:00'),
    ]);
  });

  it('gives no candidate in the skipped spring-forward hour', () => {
    expect(la.candidates(w('2024-03-10 02:30'))).toEqual([]);
    expect(la.instantAtOrAfter(w('2024-03-10 02:00'))).toBe(iso('2024-03-10T03:00:00-07:00'));
  });

  it('handles the southern hemisphere (Australia/Sydney) and Europe/Berlin', () => {
    const syd = new SiteClock('Australia/Sydney');
    // DST ends 2024-04-07 03:00 AEDT → 02:00 AEST; starts 2024-10-06 02:00 AEST → 03:00 AEDT
    expect(syd.candidates(w('2024-04-07 02:30'))).toEqual([
      iso('2024-04-07T02:30:00+11:00'),
      iso('2024-04-07T02:30:00+10:00'),
    ]);
    expect(syd.candidates(w('2024-10-06 02:30'))).toEqual([]);
    const ber = new SiteClock('Europe/Berlin');
    expect(ber.candidates(w('2024-10-27 02:15'))).toHaveLength(2);
    expect(ber.candidates(w('2024-03-31 02:15'))).toEqual([]);
  });

  it('keeps exact results in zones whose transitions fall on half hours', () => {
    const stj = new SiteClock('America/St_Johns'); // UTC−3:30, DST at 02:00 local = 05:30 UTC
    const lh = new SiteClock('Australia/Lord_Howe'); // a 30-minute DST shift
    expect(stj.candidates(w('2024-03-10 02:15'))).toEqual([]);
    expect(stj.candidates(w('2024-03-10 03:00'))).toEqual([iso('2024-03-10T03:00:00-02:30')]);
    expect(lh.candidates(w('2024-10-06 02:15'))).toEqual([]);
    expect(lh.candidates(w('2024-10-06 02:45'))).toEqual([iso('2024-10-06T02:45:00+11:00')]);
    expect(lh.candidates(w('2024-04-07 01:45'))).toEqual([
      iso('2024-04-07T01:45:00+11:00'),
      iso('2024-04-07T01:45:00+10:30'),
    ]);
  });

  it('reads standard-clock labels with the standard offset all year', () => {
    const std = new SiteClock('America/Los_Angeles', 'standard');
    expect(std.candidates(w('2024-07-12 11:00'))).toEqual([iso('2024-07-12T11:00:00-08:00')]);
    expect(std.candidates(w('2024-03-10 02:30'))).toEqual([iso('2024-03-10T02:30:00-08:00')]);
    // calendar days stay legal: the spring-forward day is still 23 hours long
    const day =
      std.startOfNextLocalDay(iso('2024-03-10T12:00:00-07:00')) - std.startOfLocalDay(iso('2024-03-10T12:00:00-07:00'));
    expect(day).toBe(23 * 3_600_000);
    const syd = new SiteClock('Australia/Sydney', 'standard');
    expect(syd.candidates(w('2024-01-15 12:00'))).toEqual([iso('2024-01-15T12:00:00+10:00')]);
  });

  it('formats instants as local ISO 8601 with offset', () => {
    expect(la.format(iso('2024-07-12T18:00:00Z'))).toBe('2024-07-12T11:00:00-07:00');
    expect(la.format(iso('2024-11-03T09:30:00Z'))).toBe('2024-11-03T01:30:00-08:00');
    expect(la.format(iso('2024-11-03T08:30:00Z'))).toBe('2024-11-03T01:30:00-07:00');
    expect(new SiteClock('Asia/Kolkata').format(iso('2024-01-01T00:00:00.5Z'))).toBe('2024-01-01T05:30:00.500+05:30');
  });

  it('finds local days of 23 and 25 hours', () => {
    const day = (s: string) => {
      const t = iso(s);
      return (la.startOfNextLocalDay(t) - la.startOfLocalDay(t)) / 3_600_000;
    };
    expect(day('2024-03-10T12:00:00-07:00')).toBe(23);
    expect(day('2024-11-03T12:00:00-08:00')).toBe(25);
    expect(day('2024-07-12T12:00:00-07:00')).toBe(24);
    expect(la.localDate(iso('2024-07-13T06:59:00Z'))).toBe('2024-07-12');
  });

  it('agrees with the uncached zone look-up for every 15-minute label of 2024 (property: format ∘ candidates round-trips)', () => {
    for (const zone of ['America/Los_Angeles', 'Europe/Berlin', 'Australia/Sydney']) {
      const clock = new SiteClock(zone);
      const fresh = () => new SiteClock(zone);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 366 * 96 - 1 }), (k) => {
          const wall = Date.UTC(2024, 0, 1) + k * 900_000;
          const cands = clock.candidates(wall);
          expect(cands).toEqual(fresh().candidates(wall));
          for (const t of cands) {
            // the label of each candidate instant is the wall time we started from
            expect(clock.wallOf(t)).toBe(wall);
            expect(Date.parse(clock.format(t))).toBe(t);
          }
        }),
        { numRuns: 400 },
      );
      // and every one of the year's 15-minute instants formats to a label that resolves back to it
      for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2025, 0, 1); t += 900_000) {
        const label = clock.format(t);
        const back = clock.candidates(parseLabel(label.slice(0, 19))!.wall);
        if (!back.includes(t)) throw new Error(`${zone}: ${label} does not resolve back to ${t}`);
      }
    }
  });
});
