import { describe, expect, it } from 'vitest';
import { findBreaks, resolveIntervals } from './sequence.js';
import { SiteClock } from './zone.js';

const M15 = 900_000;

/** Labels `MM/DD/YY HH:MM:SS` from wall fields. */
function lbl(y: number, mo: number, d: number, h: number, mi: number): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(mo)}/${p(d)}/${p(y % 100)} ${p(h)}:${p(mi)}:00`;
}

/**
 * The labels a meter writes for `count` 15-minute intervals starting at the instant `startIso`:
 * starts are the wall labels of each instant; ends are either the wall label of the end instant
 * ('wall') or the start label + 15 minutes ('plus').
 */
function exportLabels(zone: string, startIso: string, count: number, endStyle: 'wall' | 'plus') {
  const clock = new SiteClock(zone);
  const starts: string[] = [];
  const ends: string[] = [];
  const instants: number[] = [];
  const t0 = Date.parse(startIso);
  const toLabel = (wall: number) => {
    const d = new Date(wall);
    return lbl(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes());
  };
  for (let i = 0; i < count; i++) {
    const t = t0 + i * M15;
    instants.push(t);
    const sw = clock.wallOf(t);
    starts.push(toLabel(sw));
    ends.push(toLabel(endStyle === 'wall' ? clock.wallOf(t + M15) : sw + M15));
  }
  return { starts, ends, instants };
}

const DST_NIGHTS: [string, string, string][] = [
  ['America/Los_Angeles', 'fall-back', '2024-11-03T00:00:00-07:00'],
  ['America/Los_Angeles', 'spring-forward', '2024-03-10T00:00:00-08:00'],
  ['Europe/Berlin', 'fall-back', '2024-10-27T00:00:00+02:00'],
  ['Europe/Berlin', 'spring-forward', '2024-03-31T00:00:00+01:00'],
  ['Australia/Sydney', 'fall-back (April)', '2024-04-07T00:00:00+11:00'],
  ['Australia/Sydney', 'spring-forward (October)', '2024-10-06T00:00:00+10:00'],
];

describe('resolveIntervals — DST nights are continuous', () => {
  for (const [zone, night, startIso] of DST_NIGHTS) {
    for (const style of ['wall', 'plus'] as const) {
      it(`${zone} ${night}, End Time as ${style === 'wall' ? 'wall label of the end' : 'start + interval'}`, () => {
        const { starts, ends, instants } = exportLabels(zone, startIso, 4 * 8, style);
        const r = resolveIntervals(starts, ends, { clock: new SiteClock(zone), intervalMs: M15 });
        expect(r.problems).toEqual([]);
        expect([...r.start]).toEqual(instants);
        expect([...r.end]).toEqual(instants.map((t) => t + M15));
      });
    }
  }

  it('resolves a file that begins in the second pass of the repeated hour by look-ahead', () => {
    const { starts, ends, instants } = exportLabels('America/Los_Angeles', '2024-11-03T01:30:00-08:00', 6, 'wall');
    expect(starts[0]).toBe('11/03/24 01:30:00');
    const r = resolveIntervals(starts, ends, { clock: new SiteClock('America/Los_Angeles'), intervalMs: M15 });
    expect(r.problems).toEqual([]);
    expect([...r.start]).toEqual(instants);
  });

  it('takes a file that begins in the first pass as daylight time', () => {
    const { starts, ends, instants } = exportLabels('America/Los_Angeles', '2024-11-03T01:00:00-07:00', 8, 'plus');
    const r = resolveIntervals(starts, ends, { clock: new SiteClock('America/Los_Angeles'), intervalMs: M15 });
    expect(r.problems).toEqual([]);
    expect([...r.start]).toEqual(instants);
  });

  it('reads a standard-clock meter (no DST nights at all) with the standard offset', () => {
    const starts = ['03/10/24 01:45:00', '03/10/24 02:00:00', '03/10/24 02:15:00'];
    const ends = ['03/10/24 02:00:00', '03/10/24 02:15:00', '03/10/24 02:30:00'];
    const r = resolveIntervals(starts, ends, {
      clock: new SiteClock('America/Los_Angeles', 'standard'),
      intervalMs: M15,
    });
    expect(r.problems).toEqual([]);
    expect(r.start[1]).toBe(Date.parse('2024-03-10T02:00:00-08:00'));
  });
});

describe('resolveIntervals — problems, with their lines', () => {
  const clock = new SiteClock('America/Los_Angeles');

  it('reports a missing row as a break naming both lines', () => {
    const { starts, ends } = exportLabels('America/Los_Angeles', '2024-07-12T11:00:00-07:00', 6, 'wall');
    starts.splice(2, 1);
    ends.splice(2, 1);
    const r = resolveIntervals(starts, ends, { clock, intervalMs: M15 });
    expect(r.problems).toEqual([
      {
        kind: 'break',
        index: 2,
        line: 4,
        previousLine: 3,
        previousEnd: '07/12/24 11:30:00',
        start: '07/12/24 11:45:00',
        deltaMs: M15,
      },
    ]);
  });

  it('reports a label in the skipped hour as nonexistent', () => {
    const r = resolveIntervals(['03/10/24 02:15:00'], ['03/10/24 02:30:00'], { clock, intervalMs: M15 });
    expect(r.problems.map((p) => p.kind)).toEqual(['nonexistent']);
  });

  it('reports an unreadable label with its column and line', () => {
    const r = resolveIntervals(['07/12/24 11:00:00', 'nonsense'], ['07/12/24 11:15:00', '07/12/24 11:30:00'], {
      clock,
      intervalMs: M15,
      lines: [2, 5],
    });
    expect(r.problems).toEqual([{ kind: 'bad-label', index: 1, line: 5, column: 'Start Time', label: 'nonsense' }]);
  });

  it('reports rows whose length is not the interval', () => {
    const r = resolveIntervals(['07/12/24 11:00:00'], ['07/12/24 11:05:00'], { clock, intervalMs: M15 });
    expect(r.problems).toMatchObject([{ kind: 'interval-length', expectedMs: M15, gotMs: 300_000 }]);
  });

  it('reads labels with explicit offsets as absolute instants', () => {
    const r = resolveIntervals(
      ['2024-11-03T01:45:00-07:00', '2024-11-03T01:00:00-08:00'],
      ['2024-11-03T01:00:00-08:00', '2024-11-03T01:15:00-08:00'],
      { clock, intervalMs: M15 },
    );
    expect(r.problems).toEqual([]);
  });

  it('a duplicated row in the repeated hour is a break, not silently the second pass', () => {
    const r = resolveIntervals(['11/03/24 01:00:00', '11/03/24 01:00:00'], ['11/03/24 01:15:00', '11/03/24 01:15:00'], {
      clock,
      intervalMs: M15,
    });
    expect(r.problems.map((p) => p.kind)).toEqual(['break']);
  });
});

describe('findBreaks', () => {
  it('is empty for a continuous sequence and names each break', () => {
    expect(findBreaks([0, 10, 20], [10, 20, 30])).toEqual([]);
    expect(findBreaks([0, 10, 30, 40], [10, 20, 40, 50])).toEqual([2]);
    expect(findBreaks([0, Number.NaN, 20], [10, Number.NaN, 30])).toEqual([]);
  });
});
