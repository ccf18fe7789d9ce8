import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lowerBound, SiteClock } from '@lptool/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countProfileRows, duplicateNote, readProfile } from './reader.js';

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
        '2024-07-15T00:45:00-07:00,2024-07-15T01:00:00-07:00,9',
        '',
      ].join('\n'),
    );
    const p = readProfile(f, 'p.csv', clock);
    const t0 = Date.parse('2024-07-15T00:00:00-07:00');
    expect([...p.start].map((t) => (t - t0) / 900_000)).toEqual([0, 1, 2, 3]);
    expect([...p.columns.get('MW_net')!]).toEqual([1, 2, 3, 9]);
    expect(p.lines).toEqual([3, 4, 2, 5]);
    expect([...p.end].map((t) => (t - t0) / 900_000)).toEqual([1, 2, 3, 4]);
    expect([...p.record.start].map((t) => (t - t0) / 900_000)).toEqual([2, 0, 1, 3]);
    expect(p.record.lines).toEqual([2, 3, 4, 5]);
    expect(lowerBound(p.start, t0 + 900_000)).toBe(1);
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

describe('readProfile: duplicate rows of one interval start, one rule whatever the file order', () => {
  const HEAD = 'Start Time,End Time,MW_del,MW_rec,MW_net,MVA_net';
  const row = (q: number, mw: string, mva = '2') => {
    const t = (k: number) =>
      new Date(Date.parse('2024-07-15T00:00:00Z') + k * 900_000).toISOString().replace('.000Z', 'Z');
    return `${t(q)},${t(q + 1)},${mw},0,${mw},${mva}`;
  };
  const write = (rows: string[]) => {
    const f = path.join(dir, 'p.csv');
    fs.writeFileSync(f, `${[HEAD, ...rows].join('\n')}\n`);
    return f;
  };

  it('identical rows are taken once, with a note naming a pair of lines (first, last or between)', () => {
    for (const rows of [
      [row(0, '1.5'), row(0, '1.50'), row(1, '2'), row(2, '3')],
      [row(1, '2'), row(2, '3'), row(0, '1.5'), row(0, '1.5')],
      [row(0, '1.5'), row(1, '2'), row(2, '3'), row(0, '1.5'), row(1, '2.0'), row(0, '1.5')],
    ]) {
      for (const columns of [undefined, ['MW_net'] as const]) {
        const p = readProfile(write(rows), 'p.csv', clock, { exact: true, ...(columns ? { columns } : {}) });
        expect([...p.columns.get('MW_net')!]).toEqual([1_500_000, 2_000_000, 3_000_000]);
        expect(p.start).toHaveLength(3);
        expect(p.lines).toHaveLength(3);
        expect(p.record.start).toHaveLength(rows.length); // the file as it is, for gaps' duplicate report
        expect(p.duplicates.collapsed).toBe(rows.length - 3);
        expect(duplicateNote(p)).toMatch(
          new RegExp(
            `^p\\.csv: ${rows.length - 3} duplicated rows? \\(identical to an earlier row of the same interval, e\\.g\\. line \\d+ = line \\d+\\) taken once$`,
          ),
        );
      }
    }
  });

  it('rows of one start that differ are LPT_PARSE naming the file, both lines and the column — first or last, any column asked', () => {
    const cases: [string[], RegExp][] = [
      [[row(0, '50'), row(0, '1.5'), row(1, '2')], /lines 2 and 3 \(MW_del 50 vs 1\.5\)/],
      [[row(0, '1.5'), row(1, '2'), row(0, '50')], /lines 2 and 4 \(MW_del 1\.5 vs 50\)/],
      [[row(0, '1.5'), row(1, '2'), row(0, '1.5', '7')], /lines 2 and 4 \(MVA_net 2 vs 7\)/],
    ];
    for (const [rows, lines] of cases) {
      for (const columns of [undefined, ['MW_net'] as const]) {
        const read = () => readProfile(write(rows), 'p.csv', clock, { exact: true, ...(columns ? { columns } : {}) });
        expect(read).toThrow(
          /^Start Time — expected one row per interval, got two different rows for 2024-07-14T17:00:00-07:00, lines/,
        );
        expect(read).toThrow(lines);
        try {
          read();
        } catch (e) {
          expect((e as { code: string; where: { file: string } }).code).toBe('LPT_PARSE');
          expect((e as { where: { file: string } }).where.file).toBe('p.csv');
        }
      }
      // listed instead for gaps, the first row of the file kept
      const p = readProfile(write(rows), 'p.csv', clock, { conflicts: 'list' });
      expect(p.duplicates.conflicts).toHaveLength(1);
      expect(p.start).toHaveLength(2);
    }
  });

  it('every column counts, as build compares exports: Event Type re-sent as V1 differs, a reading 2.50 = 2.5', () => {
    const f = path.join(dir, 'e.csv');
    const head = 'Start Time,End Time,meter,Record No.,Event Type,kw_del,MW_net';
    const line = (event: string, kw: string) =>
      `2024-07-15T00:00:00-07:00,2024-07-15T00:15:00-07:00,1448,7,${event},${kw},1.5`;
    fs.writeFileSync(f, `${head}\n${line('Normal', '2.5')}\n${line('Normal', '2.50')}\n`);
    expect(readProfile(f, 'e.csv', clock).duplicates.collapsed).toBe(1);
    fs.writeFileSync(f, `${head}\n${line('Normal', '2.5')}\n${line('V1', '2.5')}\n`);
    expect(() => readProfile(f, 'e.csv', clock, { columns: ['MW_net'] })).toThrow(
      /got two different rows for 2024-07-15T00:00:00-07:00, lines 2 and 3 \(Event Type "Normal" vs "V1"\)/,
    );
  });
});
