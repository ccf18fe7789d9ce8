import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lowerBound, SiteClock } from '@lptool/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countProfileRows, readProfile } from './reader.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lpt-profile-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
const clock = new SiteClock('America/Los_Angeles');

describe('readProfile: a profile, once read, is in time order by its type', () => {
  it('rows out of order in the file come back in time order; the file order is kept apart for the row report', () => {
    const f = path.join(dir, 'p.csv');
    fs.writeFileSync(
      f,
      [
        'Start Time,End Time,MW_net',
        '2024-07-15T00:30:00-07:00,2024-07-15T00:45:00-07:00,3',
        '2024-07-15T00:00:00-07:00,2024-07-15T00:15:00-07:00,1',
        '2024-07-15T00:15:00-07:00,2024-07-15T00:30:00-07:00,2',
        '2024-07-15T00:00:00-07:00,2024-07-15T00:15:00-07:00,9',
        '',
      ].join('\n'),
    );
    const p = readProfile(f, 'p.csv', clock);
    const t0 = Date.parse('2024-07-15T00:00:00-07:00');
    expect([...p.start].map((t) => (t - t0) / 900_000)).toEqual([0, 0, 1, 2]);
    expect([...p.columns.get('MW_net')!]).toEqual([1, 9, 2, 3]); // equal starts keep their file order
    expect(p.lines).toEqual([3, 5, 4, 2]);
    expect([...p.end].map((t) => (t - t0) / 900_000)).toEqual([1, 1, 2, 3]);
    expect([...p.record.start].map((t) => (t - t0) / 900_000)).toEqual([2, 0, 1, 0]);
    expect(p.record.lines).toEqual([2, 3, 4, 5]);
    expect(lowerBound(p.start, t0 + 900_000)).toBe(2);
  });

  it('no option lets a caller have it otherwise, and order-dependent code takes only time-ordered instants', () => {
    const f = path.join(dir, 'p.csv');
    fs.writeFileSync(f, 'Start Time,MW_net\n2024-07-15T00:15:00-07:00,2\n2024-07-15T00:00:00-07:00,1\n');
    // @ts-expect-error — there is no `sorted` option: a profile is always in time order
    const p = readProfile(f, 'p.csv', clock, { sorted: false });
    expect(p.start[0]!).toBeLessThan(p.start[1]!);
    // @ts-expect-error — a binary search takes TimeOrdered instants, not any Float64Array
    expect(() => lowerBound(new Float64Array([2, 1]), 1)).not.toThrow();
  });

  it('countProfileRows: the data rows of a file as it is (blank lines and a missing last newline included)', () => {
    const f = path.join(dir, 'p.csv');
    fs.writeFileSync(f, 'Start Time,MW_net\r\na,1\r\n\r\n  \nb,2');
    expect(countProfileRows(f)).toBe(2);
    fs.writeFileSync(f, 'Start Time,MW_net\n');
    expect(countProfileRows(f)).toBe(0);
    expect(countProfileRows(path.join(dir, 'none.csv'))).toBe(0);
    fs.writeFileSync(f, `h\n${'x,1\n'.repeat(300_000)}`); // more than one 1 MB chunk
    expect(countProfileRows(f)).toBe(300_000);
  });

  it('reads the header through the CSV core (quotes, BOM, a blank first line) and each number by the decimal grammar', () => {
    const f = path.join(dir, 'all.csv');
    fs.writeFileSync(
      f,
      '\uFEFF\n"Start Time","End Time","MW_total","MVA_total","MW_net","feeders_reporting","feeders_expected"\n' +
        '2024-07-15T00:00:00-07:00,2024-07-15T00:15:00-07:00,9007199254.740991,0.0000005,-1.5,2,3\n',
    );
    const p = readProfile(f, 'all.csv', clock, { exact: true });
    // exact integer millionths: the largest exact value whole, a 7th decimal rounded half-up (away from zero)
    expect([...p.columns.get('MW_total')!]).toEqual([Number.MAX_SAFE_INTEGER]);
    expect([...p.columns.get('MVA_total')!]).toEqual([1]);
    expect([...p.columns.get('MW_net')!]).toEqual([-1_500_000]);
    expect([...p.partial]).toEqual([1]);
    expect(p.feedersExpected).toBe(3);
    fs.writeFileSync(f, 'Start Time,MW_net,feeders_reporting,feeders_expected\n2024-07-15T00:00:00-07:00,1,0x2,3\n');
    expect(() => readProfile(f, 'all.csv', clock)).toThrow(/^feeders_reporting — expected a number, got "0x2"$/);
  });
});
