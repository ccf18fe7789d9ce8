/** `lptool stats` and `lptool resample` end to end: the real CLI on a synth site and on globs of lp/. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach, lptool, synthSite } from '../testing.js';

const cleanups = cleanupsAfterEach();

describe('lptool resample', () => {
  it('local days of 23 and 25 hours are real days (a synth site through sort and build)', () => {
    const s = synthSite(
      ['--meters', '1', '--days', '7', '--start', '2024-11-01', '--file-days', '7'],
      [['sort', '--settle', '0'], ['build']],
    );
    cleanups.push(s.cleanup);
    const { root } = s;
    expect(lptool(['resample', 'lp/north.csv', '--every', '1d'], { cwd: root }).code).toBe(0);
    const days = fs.readFileSync(path.join(root, 'lp/resampled/north_1d.csv'), 'utf8').trim().split('\n').slice(1);
    expect(days.map((l) => l.split(',').slice(-2).join('/'))).toEqual([
      '96/96',
      '96/96',
      '100/100',
      '96/96',
      '96/96',
      '96/96',
      '96/96',
    ]);
    expect(lptool(['resample', 'lp/north.csv', '--every', '1h', '--out', 'h.csv'], { cwd: root }).stdout).toMatch(
      /^resample lp\/north\.csv → h\.csv: 169 buckets of 1h, 0 partial/,
    );
    const nov3 = fs
      .readFileSync(path.join(root, 'h.csv'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('2024-11-03'));
    expect(nov3).toHaveLength(25);
    expect(lptool(['resample', path.join(root, 'lp/north.csv'), '--to', '7m', '--root', root]).code).toBe(2);
  });
});

describe('lptool stats', () => {
  it('`lptool stats lp/*.csv` keeps working on its second run and after gaps, resample and stats --out wrote into lp/', () => {
    const s = synthSite(
      ['--meters', '1', '--days', '2', '--start', '2024-07-15'],
      [['sort', '--settle', '0'], ['build']],
    );
    cleanups.push(s.cleanup);
    const { root } = s;
    const glob = () =>
      fs
        .readdirSync(path.join(root, 'lp'))
        .filter((f) => f.endsWith('.csv'))
        .sort()
        .map((f) => `lp/${f}`);
    const run = () => lptool(['stats', ...glob(), '--out', 'lp/stats.csv'], { cwd: root });
    expect(run().code).toBe(0);
    expect(lptool(['gaps', 'lp/north.csv'], { cwd: root }).code).toBe(0);
    expect(
      lptool(['resample', 'lp/north.csv', '--every', '1h', '--out', 'lp/north_hourly.csv'], { cwd: root }).code,
    ).toBe(0);
    const again = run();
    expect(again.code).toBe(0);
    expect(again.stdout.split('\n').filter((l) => /^\S+ +all /.test(l))).toHaveLength(1); // north only
    expect(again.stderr).toBe(
      "lptool: note: skipped 3 of lptool's own outputs (not profiles): lp/north_gaps.csv (gap list); lp/north_hourly.csv (resampled profile); lp/stats.csv (stats table)\n",
    );
  });

  it('the coincident peak with lp/all.csv in --json and in the table; --png draws two pictures; no profile is exit 2', () => {
    const s = synthSite(
      ['--meters', '2', '--days', '2', '--start', '2024-07-15'],
      [['sort', '--settle', '0'], ['build'], ['merge']],
    );
    cleanups.push(s.cleanup);
    const { root } = s;
    const files = ['lp/north.csv', 'lp/south.csv', 'lp/all.csv'];
    const json = lptool(['stats', ...files, '--json'], { cwd: root });
    expect(json.code).toBe(0);
    const c = JSON.parse(json.stdout).coincident;
    expect(c.diversityFactor).toBeGreaterThanOrEqual(1);
    expect(c.feeders.map((f: { profile: string }) => f.profile)).toEqual(['north', 'south']);
    const text = lptool(['stats', ...files, '--png'], { cwd: root });
    expect(text.stdout).toMatch(/^coincident peak: all [\d.]+ MW at \S+; diversity factor [\d.]+ \(Σ feeder peaks/m);
    expect(text.stdout).toContain('wrote lp/stats/stats_duration.png\nwrote lp/stats/stats_typical_day.png');
    const none = lptool(['stats', 'lp/north_gaps.csv'], { cwd: root });
    expect(none.code).toBe(2);
  });
});
