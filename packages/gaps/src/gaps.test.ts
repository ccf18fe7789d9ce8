import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, lptool, tempDir, UPDATE_GOLDEN } from '../../cli/src/testing.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
/** A temp folder holding copies of the given fixture files. */
function work(...files: string[]) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  for (const f of files) fs.copyFileSync(path.join(FIXTURES, f), path.join(t.dir, path.basename(f)));
  return t.dir;
}
function golden(file: string, got: string) {
  const g = path.join(FIXTURES, 'gaps/expected', file);
  if (UPDATE_GOLDEN) {
    fs.mkdirSync(path.dirname(g), { recursive: true });
    fs.writeFileSync(g, got);
  }
  expect(got).toBe(fs.readFileSync(g, 'utf8'));
}
const TZ = ['--tz', 'America/Los_Angeles'];

describe('lptool gaps — the gap list', () => {
  it('a missing day, a single interval, a hole across the DST night (real minutes), duplicates and out-of-order rows', () => {
    const dir = work('gaps/south.csv');
    const r = lptool(['gaps', 'south.csv', ...TZ], { cwd: dir });
    expect(r.code).toBe(0);
    const list = fs.readFileSync(path.join(dir, 'south_gaps.csv'), 'utf8');
    golden('south_gaps.csv', list);
    expect(list).toContain('2024-11-03T00:30:00-07:00,2024-11-03T04:00:00-08:00,PT4H30M,18'); // 3h30 on the wall clock, 4h30 real
    expect(list).toContain('2024-11-01T00:00:00-07:00,2024-11-02T00:00:00-07:00,PT24H,96');
    expect(r.stdout).toContain('duplicate 2024-10-31T02:15:00-07:00 (line 12)');
    expect(r.stdout).toContain('out of order 2024-10-31T09:45:00-07:00 after 2024-10-31T11:00:00-07:00 (line 46)');
    expect(lptool(['gaps', 'south.csv', ...TZ, '--fail-on-gaps'], { cwd: dir }).code).toBe(1);
    const json = JSON.parse(lptool(['gaps', 'south.csv', ...TZ, '--json'], { cwd: dir }).stdout);
    expect(json.profiles[0]).toMatchObject({
      intervalMs: 900000,
      missingIntervals: 115,
      duplicates: [{ line: 12 }],
      outOfOrder: [{ line: 46 }],
    });
  });

  it('counts holes at the ends of --from/--to', () => {
    const dir = work('gaps/south.csv');
    const r = lptool(['gaps', 'south.csv', ...TZ, '--from', '2024-10-30', '--to', '2024-11-07', '--json'], {
      cwd: dir,
    });
    const g = JSON.parse(r.stdout).profiles[0].gaps;
    expect(g[0]).toMatchObject({
      gap_start: '2024-10-30T00:00:00-07:00',
      gap_end: '2024-10-31T00:00:00-07:00',
      missing_intervals: 96,
    });
    expect(g[g.length - 1]).toMatchObject({
      gap_start: '2024-11-06T00:00:00-08:00',
      gap_end: '2024-11-07T00:00:00-08:00',
      missing_intervals: 96,
    });
    // inside a range that excludes the holes: none
    const inner = JSON.parse(
      lptool(['gaps', 'south.csv', ...TZ, '--from', '2024-11-04', '--to', '2024-11-06', '--json'], { cwd: dir }).stdout,
    );
    expect(inner.profiles[0].gaps).toEqual([]);
  });

  it('an older file with naive local labels: the repeated hour by record order, no false gap or duplicate', () => {
    const dir = work('gaps/old-naive.csv');
    const r = JSON.parse(lptool(['gaps', 'old-naive.csv', ...TZ, '--interval', '15m', '--json'], { cwd: dir }).stdout);
    expect(r.profiles[0]).toMatchObject({
      rows: 188,
      duplicates: [],
      outOfOrder: [],
      gaps: [{ gap_start: '2024-11-02T10:00:00-07:00', missing_intervals: 4 }],
    });
  });

  it('a standard-clock profile has no DST gaps either', () => {
    const dir = work('build/standard/expected/west.csv');
    const r = JSON.parse(lptool(['gaps', 'west.csv', ...TZ, '--json'], { cwd: dir }).stdout);
    expect(r.profiles[0].gaps).toHaveLength(1); // only March → November
    expect(r.profiles[0].gaps[0].gap_start).toBe('2024-03-10T05:00:00-07:00'); // 16 standard-time intervals from 00:00 PST end at 12:00Z
  });

  it('an ambiguous interval asks for --interval (exit 2); a gap list is not a profile', () => {
    const dir = work();
    fs.writeFileSync(
      path.join(dir, 'odd.csv'),
      'Start Time,MW_net\n2024-07-01T00:00:00-07:00,1\n2024-07-01T00:15:00-07:00,1\n2024-07-01T00:45:00-07:00,1\n',
    );
    const r = lptool(['gaps', 'odd.csv', ...TZ], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /LPT_INTERVAL_AMBIGUOUS: interval — expected one most common step between rows, got a tie; give --interval/,
    );
    expect(lptool(['gaps', 'odd.csv', ...TZ, '--interval', '15m'], { cwd: dir }).code).toBe(0);
    expect(lptool(['gaps', 'odd_gaps.csv', ...TZ], { cwd: dir }).code).toBe(2);
  });

  it('all.csv: partial totals are reported, and counted as gaps with --partial-as-gap', () => {
    const dir = work();
    const rows = ['Start Time,End Time,MW_total,MVA_total,PF_total,MW_net,feeders_reporting,feeders_expected'];
    for (let i = 0; i < 8; i++) {
      const s = new Date(Date.parse('2024-07-01T07:00:00Z') + i * 900_000);
      const e = new Date(s.getTime() + 900_000);
      const fmt = (d: Date) => `${new Date(d.getTime() - 7 * 3_600_000).toISOString().slice(0, 19)}-07:00`;
      rows.push(`${fmt(s)},${fmt(e)},1,2,0.5,1,${i === 3 || i === 4 ? 1 : 2},2`);
    }
    fs.writeFileSync(path.join(dir, 'all.csv'), `${rows.join('\n')}\n`);
    const plain = JSON.parse(lptool(['gaps', 'all.csv', ...TZ, '--json'], { cwd: dir }).stdout).profiles[0];
    expect(plain).toMatchObject({ partial: 2, gaps: [] });
    const strict = JSON.parse(lptool(['gaps', 'all.csv', ...TZ, '--json', '--partial-as-gap'], { cwd: dir }).stdout)
      .profiles[0];
    expect(strict.gaps).toMatchObject([
      { gap_start: '2024-07-01T00:45:00-07:00', gap_end: '2024-07-01T01:15:00-07:00', missing_intervals: 2 },
    ]);
  });
});

describe('lptool gaps — the picture', () => {
  it('the Vega-Lite spec is deterministic (golden)', () => {
    const dir = work('gaps/south.csv');
    expect(lptool(['gaps', 'south.csv', ...TZ, '--format', 'vl.json'], { cwd: dir }).code).toBe(0);
    golden('south_gaps.vl.json', fs.readFileSync(path.join(dir, 'south_gaps.vl.json'), 'utf8'));
  });

  it('the PNG decodes at the requested size, with the line and the red bands where the gaps are', () => {
    const dir = work('gaps/south.csv');
    expect(
      lptool(['gaps', 'south.csv', ...TZ, '--png', '--width', '800', '--height', '300', '--scale', '2'], { cwd: dir })
        .code,
    ).toBe(0);
    const png = PNG.sync.read(fs.readFileSync(path.join(dir, 'south_gaps.png')));
    expect([png.width, png.height]).toEqual([1600, 600]);
    const px = (x: number, y: number) => {
      const i = (y * png.width + x) * 4;
      return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    };
    const isRed = ([r, g, b]: number[]) => r! > 200 && g! < 215 && b! < 215 && r! - g! > 30;
    const isLine = ([r, , b]: number[]) => b! > r! + 40 && r! < 120;
    // the plot's x extent: the first and last columns holding line pixels
    const cols: number[] = [];
    for (let x = 0; x < png.width; x++)
      for (let y = 0; y < png.height; y++)
        if (isLine(px(x, y))) {
          cols.push(x);
          break;
        }
    expect(cols.length).toBeGreaterThan(png.width * 0.5);
    const [left, right] = [cols[0]!, cols[cols.length - 1]!];
    const t0 = Date.parse('2024-10-31T00:00:00-07:00');
    const t1 = Date.parse('2024-11-05T23:45:00-08:00');
    const xOf = (iso: string) => Math.round(left + ((Date.parse(iso) - t0) / (t1 - t0)) * (right - left));
    const redAt = (x: number) => {
      for (let dx = -3; dx <= 3; dx++) for (let y = 0; y < png.height; y += 4) if (isRed(px(x + dx, y))) return true;
      return false;
    };
    expect(redAt(xOf('2024-11-01T12:00:00-07:00'))).toBe(true); // the missing day
    expect(redAt(xOf('2024-11-03T02:00:00-07:00'))).toBe(true); // the DST-night hole
    expect(redAt(xOf('2024-11-04T12:00:00-08:00'))).toBe(false); // complete data there
    // text rendered (dark pixels in the title band), so the font was found
    let dark = 0;
    for (let x = 0; x < 600; x++) for (let y = 0; y < 40; y++) if (px(x, y).every((c) => c < 80)) dark++;
    expect(dark).toBeGreaterThan(200);
  });
});
