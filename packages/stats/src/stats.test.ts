import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach, inDir, tempDir } from '../../io/src/fixtures.test-helper.js';
import { resample } from './resample.js';
import { formatStats, type StatsOptions, stats as statsOf } from './stats.js';

const cleanups = cleanupsAfterEach();
/** stats() as the CLI calls it with no flag but these. */
const stats = (o: Pick<StatsOptions, 'root' | 'files'> & Partial<StatsOptions>) =>
  statsOf({ by: 'all', png: false, ...o });
function site() {
  const t = tempDir('lptool-stats-');
  cleanups.push(t.cleanup);
  fs.writeFileSync(path.join(t.dir, 'lptool.yaml'), 'timezone: America/Los_Angeles\n');
  return t.dir;
}
const iso = (t: number) => `${new Date(t - 7 * 3_600_000).toISOString().slice(0, 19)}-07:00`; // July: PDT
const T0 = Date.parse('2024-07-15T00:00:00-07:00'); // a Monday
const Q = 900_000;
/** A profile from rows of [MW_del, MW_rec, MVA_del, MVA_rec] at 15-minute steps from T0 (index → offset in intervals). */
function profile(dir: string, name: string, rows: [number, number, number, number, number?][]) {
  const lines = ['Start Time,End Time,MW_del,MW_rec,MVA_del,MVA_rec,MW_net,MVA_net,PF_net'];
  rows.forEach(([d, r, vd, vr, at], i) => {
    const t = T0 + (at ?? i) * Q;
    lines.push(
      `${iso(t)},${iso(t + Q)},${d},${r},${vd},${vr},${d - r},${vd + vr},${vd + vr ? (d - r) / (vd + vr) : ''}`,
    );
  });
  const f = path.join(dir, `${name}.csv`);
  fs.writeFileSync(f, `${lines.join('\n')}\n`);
  return f;
}

describe('stats — hand-computed', () => {
  it('energy by direction, peak and minimum with instants, average, load factor, completeness, reversals', async () => {
    const dir = site();
    const f = profile(dir, 'north', [
      [4, 0, 5, 0],
      [8, 0, 10, 0],
      [2, 1, 3, 2], // both directions: a reversal
      [0, 2, 0, 3], // export: the minimum (−2)
      [6, 0, 8, 0],
      [4, 0, 5, 0, 6], // interval 5 missing
    ]);
    const s = await stats({ root: dir, files: [f], from: '2024-07-15T00:00', to: '2024-07-15T02:00' });
    const p = s.periods[0]!;
    // MWh: Σ MW × 0.25 h
    expect(p.mwh_delivered).toBeCloseTo((4 + 8 + 2 + 0 + 6 + 4) * 0.25, 12);
    expect(p.mwh_received).toBeCloseTo((1 + 2) * 0.25, 12);
    expect(p.mwh_net).toBeCloseTo((4 + 8 + 1 - 2 + 6 + 4) * 0.25, 12);
    expect([p.peak_mw, p.peak_at]).toEqual([8, '2024-07-15T00:15:00-07:00']);
    expect([p.min_mw, p.min_at]).toEqual([-2, '2024-07-15T00:45:00-07:00']);
    expect(p.average_mw).toBeCloseTo(21 / 6, 12);
    expect(p.load_factor).toBeCloseTo(21 / 6 / 8, 12);
    expect([p.intervals_present, p.intervals_expected]).toEqual([6, 8]); // 2 h asked, 6 of 8 there
    expect(p.completeness_pct).toBeCloseTo(75, 12);
    expect(p.flow_reversals).toBe(1);
    expect(p.typical_day.weekday[0]).toBeCloseTo((4 + 8 + 1 - 2) / 4, 12);
    expect(p.typical_day.weekend.every((v) => v === null)).toBe(true);
  });

  it('the coincident peak and the diversity factor, with the system total', async () => {
    const dir = site();
    const a = profile(dir, 'a', [
      [1, 0, 1, 0],
      [3, 0, 3, 0],
      [2, 0, 2, 0],
    ]);
    const b = profile(dir, 'b', [
      [2, 0, 2, 0],
      [1, 0, 1, 0],
      [3, 0, 3, 0],
    ]);
    const lines = ['Start Time,End Time,MW_total,MVA_total,PF_total,MW_net,feeders_reporting,feeders_expected'];
    for (const [i, mw] of [3, 4, 5].entries())
      lines.push(`${iso(T0 + i * Q)},${iso(T0 + (i + 1) * Q)},${mw},${mw},1,${mw},2,2`);
    fs.writeFileSync(path.join(dir, 'all.csv'), `${lines.join('\n')}\n`);
    const s = await stats({ root: dir, files: [a, b, path.join(dir, 'all.csv')] });
    expect(s.exitCode).toBe(0);
    expect(s.coincident).toEqual({
      system: 'all',
      at: '2024-07-15T00:30:00-07:00',
      system_peak_mw: 5,
      feeders: [
        { profile: 'a', mw_at_system_peak: 2, own_peak_mw: 3 },
        { profile: 'b', mw_at_system_peak: 3, own_peak_mw: 3 },
      ],
      diversity_factor: 1.2,
      diversity_note: null,
    });
    expect(formatStats(s)).toContain('diversity factor 1.2 (Σ feeder peaks / system peak)');
  });

  it('--by month splits at local month ends; --csv writes the table', async () => {
    const dir = site();
    const rows: [number, number, number, number, number?][] = [];
    for (let i = 0; i < 4 * 24 * 40; i += 4) rows.push([1, 0, 1, 0, i]); // hourly samples over 40 days, 15-minute interval
    const f = profile(dir, 'sparse', rows);
    const csv = path.join(dir, 'stats.csv');
    const s = await stats({ root: dir, files: [f], by: 'month', csv });
    expect(s.periods.map((p) => p.period)).toEqual(['2024-07', '2024-08']);
    expect(s.periods[0]!.to).toBe('2024-08-01T00:00:00-07:00');
    expect(s.periods[0]!.completeness_pct).toBeCloseTo(25, 9);
    expect(fs.readFileSync(csv, 'utf8').split('\n')[0]).toBe(
      'profile,period,from,to,intervals_present,intervals_expected,intervals_partial,completeness_pct,mwh_delivered,mwh_received,mwh_net,peak_mw,peak_at,min_mw,min_at,average_mw,load_factor,flow_reversals',
    );
  });
});

describe('resample', () => {
  it('PF from the sums, never an average of PFs; partial buckets show', async () => {
    const dir = site();
    const f = profile(dir, 'pf', [
      [1, 0, 1, 0], // PF 1
      [1, 0, 3, 0], // PF 0.333 — mean of PFs would be 0.667
      [2, 0, 2, 0, 4], // next hour: 1 of 4 intervals
    ]);
    const r = await resample({ root: dir, file: f, every: '1h' });
    expect(r).toMatchObject({ rows: 2, partial: 2 });
    const out = fs.readFileSync(path.join(dir, 'resampled/pf_1h.csv'), 'utf8').trim().split('\n');
    expect(out[0]).toBe(
      'Start Time,End Time,MW_del,MW_rec,MVA_del,MVA_rec,MW_net,MVA_net,MWh_del,MWh_rec,MWh_net,PF,intervals_present,intervals_expected',
    );
    expect(out[1]).toBe('2024-07-15T00:00:00-07:00,2024-07-15T01:00:00-07:00,1,0,2,0,1,2,0.5,0,0.5,0.5,2,4');
    expect(out[2]).toBe('2024-07-15T01:00:00-07:00,2024-07-15T02:00:00-07:00,2,0,2,0,2,2,0.5,0,0.5,1,1,4');
  });

  it('works on lp/all.csv', async () => {
    const dir = site();
    const lines = ['Start Time,End Time,MW_total,MVA_total,PF_total,MW_net,feeders_reporting,feeders_expected'];
    for (let i = 0; i < 8; i++) lines.push(`${iso(T0 + i * Q)},${iso(T0 + (i + 1) * Q)},${i},${i + 1},0.5,${i},2,2`);
    fs.writeFileSync(path.join(dir, 'all.csv'), `${lines.join('\n')}\n`);
    await resample({ root: dir, file: path.join(dir, 'all.csv'), every: '1h' });
    const out = fs.readFileSync(path.join(dir, 'resampled/all_1h.csv'), 'utf8').trim().split('\n');
    expect(out[0]).toBe(
      'Start Time,End Time,MW_net,MW_total,MVA_total,MWh_net,PF,intervals_present,intervals_expected',
    );
    expect(out[1]).toBe('2024-07-15T00:00:00-07:00,2024-07-15T01:00:00-07:00,1.5,1.5,2.5,1.5,0.6,4,4');
  });

  it('property: resampled energy summed equals the energy of the source', async () => {
    const dir = site();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 2000 })), {
          minLength: 1,
          maxLength: 300,
        }),
        fc.constantFrom('30m', '1h', '1d', '1mo'),
        async (vals, to) => {
          const f = profile(
            dir,
            'p',
            vals.map(([d, r]) => [d / 1000, r / 1000, d / 900, r / 900]),
          );
          await resample({ root: dir, file: f, every: to, out: path.join(dir, 'r.csv') });
          const rows = fs.readFileSync(path.join(dir, 'r.csv'), 'utf8').trim().split('\n');
          const col = rows[0]!.split(',').indexOf('MWh_net');
          const sum = rows.slice(1).reduce((s, l) => s + Number(l.split(',')[col]), 0);
          const source = vals.reduce((s, [d, r]) => s + ((d - r) / 1000) * 0.25, 0);
          expect(Math.abs(sum - source)).toBeLessThanOrEqual(rows.length * 5e-7 + 1e-9); // each bucket is written with 6 decimals
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('stats — numbers right whatever the file', () => {
  it('a row moved to the top of the file: --from/--to still finds the peak and the energy (profiles are read in time order)', async () => {
    const dir = site();
    const rows: [number, number, number, number][] = Array.from({ length: 96 }, () => [1, 0, 1, 0]);
    for (const [i, mw] of [
      [40, 5],
      [41, 5],
      [42, 100],
      [43, 5],
      [44, 5],
    ] as const)
      rows[i] = [mw, 0, mw, 0];
    const f = profile(dir, 'north', rows);
    const lines = fs.readFileSync(f, 'utf8').trim().split('\n');
    const moved = [lines[0]!, lines[43]!, ...lines.slice(1, 43), ...lines.slice(44)]; // 10:30 (100 MW) first
    fs.writeFileSync(f, `${moved.join('\n')}\n`);
    const s = await stats({ root: dir, files: [f], from: '2024-07-15T10:00', to: '2024-07-15T11:15' });
    const p = s.periods[0]!;
    expect([p.peak_mw, p.peak_at, p.mwh_net, p.intervals_present]).toEqual([100, '2024-07-15T10:30:00-07:00', 30, 5]);
  });

  it('all.csv: intervals with feeders_reporting < feeders_expected are not complete (stats and resample)', async () => {
    const dir = site();
    const lines = ['Start Time,End Time,MW_total,MVA_total,PF_total,MW_net,feeders_reporting,feeders_expected'];
    for (let i = 0; i < 8; i++)
      lines.push(`${iso(T0 + i * Q)},${iso(T0 + (i + 1) * Q)},5,5,1,5,${i >= 2 && i < 5 ? 49 : 50},50`);
    const all = path.join(dir, 'all.csv');
    fs.writeFileSync(all, `${lines.join('\n')}\n`);
    const s = await stats({ root: dir, files: [all] });
    expect(s.periods[0]).toMatchObject({
      intervals_present: 5,
      intervals_expected: 8,
      intervals_partial: 3,
      completeness_pct: 62.5,
      mwh_net: 10, // the energy of what is there, all 8 intervals
    });
    expect(formatStats(s)).toMatch(/complete +partial/);
    expect(formatStats(s)).toMatch(/62\.5 % +3/);
    const r = await resample({ root: dir, file: all, every: '1h' });
    expect(r.partial).toBe(2); // 00:00–01:00: 2 of 4 complete; 01:00–02:00: 3 of 4
    const out = fs.readFileSync(path.join(dir, 'resampled/all_1h.csv'), 'utf8').trim().split('\n');
    expect(out.slice(1).map((l) => l.split(',').slice(-2).join('/'))).toEqual(['2/4', '3/4']);
  });

  it('the text table sizes its columns to their contents: no run-ins like —3401322.422', async () => {
    const dir = site();
    const lines = ['Start Time,End Time,MW_total,MVA_total,PF_total,MW_net,feeders_reporting,feeders_expected'];
    for (let i = 0; i < 4; i++)
      lines.push(`${iso(T0 + i * Q)},${iso(T0 + (i + 1) * Q)},-3401322.422,3401322.5,-1,-3401322.422,2,2`);
    fs.writeFileSync(path.join(dir, 'all.csv'), `${lines.join('\n')}\n`);
    const f = profile(dir, 'a_feeder_with_a_long_name', [[1234567.891, 0, 1234568, 0]]);
    const text = formatStats(await stats({ root: dir, files: [f, path.join(dir, 'all.csv')] }));
    const table = text.split('\n').slice(0, 3);
    expect(table[2]).toMatch(/^all +all +— +— +-3401322\.422 +-3401322\.422 +2024-07-15T00:00:00-07:00 /);
    // every column starts where its header starts, and every cell is followed by two spaces or the end
    const header = table[0]!;
    const starts = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => m.index!);
    for (const row of table.slice(1)) {
      const cells = [...row.matchAll(/\S+(?: \S+)*/g)];
      expect(cells).toHaveLength(starts.length);
      cells.forEach((c, k) => {
        const end = c.index! + c[0].length;
        const headerEnd = starts[k]! + header.slice(starts[k]!).match(/^\S+(?: \S+)*/)![0].length;
        expect(Math.min(c.index!, starts[k]!)).toBeLessThanOrEqual(Math.max(end, headerEnd)); // overlaps its header
        if (k + 1 < starts.length) expect(end + 2).toBeLessThanOrEqual(Math.min(starts[k + 1]!, cells[k + 1]!.index!));
      });
    }
  });
});

describe('stats — the diversity factor is over the feeders that make up the total', () => {
  it('feeders given that are a subset of the total’s: said, and the factor omitted', async () => {
    const dir = site();
    const feeders = ['a', 'b', 'c'].map((n, k) =>
      profile(
        dir,
        n,
        [0, 1, 2].map((i) => [1 + ((i + k) % 3), 0, 2, 0]),
      ),
    );
    const lines = ['Start Time,End Time,MW_total,MVA_total,PF_total,MW_net,feeders_reporting,feeders_expected'];
    for (let i = 0; i < 3; i++) lines.push(`${iso(T0 + i * Q)},${iso(T0 + (i + 1) * Q)},6,6,1,6,3,3`);
    const all = path.join(dir, 'all.csv');
    fs.writeFileSync(all, `${lines.join('\n')}\n`);
    const whole = (await stats({ root: dir, files: [...feeders, all] })).coincident!;
    expect([whole.diversity_factor, whole.diversity_note]).toEqual([1.5, null]); // (3 + 3 + 3) / 6
    const r = await stats({ root: dir, files: [feeders[0]!, feeders[1]!, all] });
    expect(formatStats(r)).toContain(
      'coincident peak: all 6 MW at 2024-07-15T00:00:00-07:00; the 2 feeders given are a subset of the 3 that make up all.csv (feeders_expected): diversity factor omitted — give every feeder of the total',
    );
    const subset = r.coincident!;
    expect(subset.diversity_factor).toBeNull();
    expect(subset.feeders).toHaveLength(2);
    // three feeders, but not the three of this total
    profile(dir, 'c', [
      [2, 0, 2, 0],
      [1, 0, 2, 0],
      [2, 0, 2, 0],
    ]);
    const other = (await stats({ root: dir, files: [...feeders, all] })).coincident!;
    expect(other.diversity_factor).toBeNull();
    expect(other.diversity_note).toMatch(
      /^the feeders given do not add up to all\.csv: Σ MW_net 5 MW against MW_total 6 MW at /,
    );
  });

  it('a second total (a copy of all.csv) is never taken for a feeder', async () => {
    const dir = site();
    const a = profile(dir, 'a', [
      [1, 0, 1, 0],
      [3, 0, 3, 0],
    ]);
    const b = profile(dir, 'b', [
      [2, 0, 2, 0],
      [1, 0, 1, 0],
    ]);
    const lines = ['Start Time,End Time,MW_total,MVA_total,PF_total,MW_net,feeders_reporting,feeders_expected'];
    for (const [i, mw] of [3, 4].entries())
      lines.push(`${iso(T0 + i * Q)},${iso(T0 + (i + 1) * Q)},${mw},${mw},1,${mw},2,2`);
    fs.writeFileSync(path.join(dir, 'all.csv'), `${lines.join('\n')}\n`);
    fs.mkdirSync(path.join(dir, 'old'));
    fs.copyFileSync(path.join(dir, 'all.csv'), path.join(dir, 'old/all-2023.csv'));
    const r = await inDir(dir, () => stats({ root: dir, files: [a, b, 'old/all-2023.csv', 'all.csv'] }));
    const c = r.coincident!;
    expect(c.system).toBe('all');
    expect(c.feeders.map((f: { profile: string }) => f.profile)).toEqual(['a', 'b']);
    expect(c.diversity_factor).toBe(1.25); // peaks 3 and 2 over the coincident peak 4
    expect(r.notes).toEqual([
      'coincident peak: the system is all.csv; old/all-2023.csv is a total too, not a feeder: left out of it',
    ]);
  });
});
