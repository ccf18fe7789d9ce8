/** `lptool gaps` end to end: the real CLI — stdout, stderr, exit codes, globs of lp/ and lptool's own outputs in them. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach, FIXTURES, lptool, southSite } from '../testing.js';

const cleanups = cleanupsAfterEach();
/** lp/south.csv (gaps, a duplicate, a row out of order), with lp/all.csv (partial totals) when asked. */
function site(total = false) {
  const s = southSite(total);
  cleanups.push(s.cleanup);
  return s.root;
}
const lpFiles = (root: string, pattern: RegExp) =>
  fs
    .readdirSync(path.join(root, 'lp'))
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => `lp/${f}`);

describe('lptool gaps', () => {
  it('the gap list beside the profile, the rows on stdout, --fail-on-gaps exit 1, --json', () => {
    const root = site();
    const r = lptool(['gaps', 'lp/south.csv'], { cwd: root });
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(root, 'lp/south_gaps.csv'), 'utf8')).toBe(
      fs.readFileSync(path.join(FIXTURES, 'gaps/expected/south_gaps.csv'), 'utf8'),
    );
    expect(r.stdout).toContain('duplicate 2024-10-31T02:15:00-07:00 (line 12)');
    expect(lptool(['gaps', 'lp/south.csv', '--fail-on-gaps'], { cwd: root }).code).toBe(1);
    const json = JSON.parse(lptool(['gaps', '--json'], { cwd: root }).stdout);
    expect(json.profiles.map((p: { file: string }) => p.file)).toEqual(['lp/south.csv']); // every lp/*.csv
    expect(json.profiles[0]).toMatchObject({ missingIntervals: 115, duplicates: [{ line: 12 }] });
  });

  it('lp/* after gaps, resample and stats have written there: their outputs are skipped with a note on stderr', () => {
    const root = site(true);
    expect(lptool(['gaps', 'lp/south.csv', '--png'], { cwd: root }).code).toBe(0);
    expect(lptool(['resample', 'lp/south.csv', '--every', '1h'], { cwd: root }).code).toBe(0);
    expect(lptool(['resample', 'lp/all.csv', '--every', '1d', '--out', 'lp/all_daily.csv'], { cwd: root }).code).toBe(
      0,
    );
    expect(lptool(['stats', 'lp/south.csv', '--out', 'lp/table.csv', '--png'], { cwd: root }).code).toBe(0);
    const r = lptool(['gaps', ...lpFiles(root, /./), '--json'], { cwd: root });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).profiles.map((p: { file: string }) => p.file)).toEqual(['lp/all.csv', 'lp/south.csv']);
    expect(JSON.parse(r.stdout).skipped).toEqual([
      { file: 'lp/all_daily.csv', kind: 'resampled profile' },
      { file: 'lp/resampled', kind: 'output folder' },
      { file: 'lp/south_gaps.csv', kind: 'gap list' },
      { file: 'lp/south_gaps.png', kind: 'picture' },
      { file: 'lp/stats_duration.png', kind: 'picture' }, // stats --png draws beside its --out
      { file: 'lp/stats_typical_day.png', kind: 'picture' },
      { file: 'lp/table.csv', kind: 'stats table' },
    ]);
    expect(r.stderr).toMatch(/^lptool: note: skipped 7 of lptool's own outputs \(not profiles\): /);
    const none = lptool(['gaps', 'lp/south_gaps.csv'], { cwd: root });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/expected load profiles to check .*, got only 1 of lptool's own output/);
  });

  it('what is not a profile is one line on stderr with its exit code', () => {
    const root = site();
    fs.writeFileSync(path.join(root, 'empty.csv'), '');
    const empty = lptool(['gaps', 'empty.csv'], { cwd: root });
    expect([empty.code, empty.stderr]).toEqual([
      2,
      'lptool: LPT_USAGE: content — expected a profile with a Start Time and MW_net header, got an empty file (empty.csv)\n',
    ]);
    const missing = lptool(['gaps', 'nope.csv'], { cwd: root });
    expect([missing.code, missing.stderr]).toEqual([
      2,
      'lptool: LPT_INPUT_MISSING: file — expected a profile CSV, got no file at this path (nope.csv)\n',
    ]);
  });

  it('a picture over 10,000 px a side is exit 2 before anything is written; --format draws SVG or the spec', () => {
    const root = site();
    const huge = lptool(['gaps', 'lp/south.csv', '--png', '--width', '100000', '--height', '100000'], { cwd: root });
    expect(huge.code).toBe(2);
    expect(huge.stderr).toBe(
      'lptool: LPT_USAGE: --width/--height/--scale — expected a picture of at most 10000 px a side (width × scale, height × scale), got 100000 × 100000 px (key --width/--height/--scale)\n',
    );
    expect(fs.readdirSync(path.join(root, 'lp'))).toEqual(['south.csv']);
    expect(lptool(['gaps', 'lp/south.csv', '--format', 'svg'], { cwd: root }).code).toBe(0);
    expect(fs.readFileSync(path.join(root, 'lp/south_gaps.svg'), 'utf8')).toMatch(/^<svg /);
    const bad = lptool(['gaps', 'lp/south.csv', '--width', 'wide', '--png'], { cwd: root });
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'lptool: LPT_USAGE: --width — expected a positive number, got "wide" (key --width)\n',
    ]);
  });

  it('a ranged run counts what it scanned: the rows, duplicates and rows out of order in the range (human and --json)', () => {
    const root = site();
    // lp/south.csv: 466 rows, a duplicate at 02:15 on Oct 31 (line 12), a row out of order at 09:45 (line 46)
    const args = ['gaps', 'lp/south.csv', '--from', '2024-10-31T00:00', '--to', '2024-10-31T03:00', '--out', 'r'];
    const human = lptool(args, { cwd: root });
    expect(human.code).toBe(0);
    // 00:00 → 03:00 is 12 intervals; with the duplicated 02:15 row, 13 rows (not the file's 466)
    expect(human.stdout).toMatch(
      /^lp\/south\.csv: 13 rows at 15m, 2024-10-31T00:00:00-07:00 → 2024-10-31T03:00:00-07:00: 0 gaps \(0 intervals missing\), 1 duplicate, 0 out of order → r\/south_gaps\.csv\n/,
    );
    const json = JSON.parse(lptool([...args, '--json'], { cwd: root }).stdout);
    expect(json.profiles[0]).toMatchObject({ rows: 13, duplicates: [{ line: 12 }], outOfOrder: [] });
    // a range holding no row: 0 rows, the whole range one gap
    const empty = JSON.parse(
      lptool(['gaps', 'lp/south.csv', '--from', '2024-11-01', '--to', '2024-11-02', '--out', 'r', '--json'], {
        cwd: root,
      }).stdout,
    );
    expect(empty.profiles[0]).toMatchObject({ rows: 0, first: null, missingIntervals: 96, duplicates: [] });
    // no range: the whole file, as before
    const whole = JSON.parse(lptool(['gaps', 'lp/south.csv', '--json'], { cwd: root }).stdout);
    expect(whole.profiles[0]).toMatchObject({ rows: 466, duplicates: [{ line: 12 }], outOfOrder: [{ line: 46 }] });
  });
});
