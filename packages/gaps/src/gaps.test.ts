/** gaps(), called directly: the gap list, the row report, the picture, and what is not a profile. */
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import {
  cleanupsAfterEach,
  errorLine,
  FIXTURES,
  inDir,
  PLAIN_GAPS,
  southSite,
  tempDir,
  UPDATE_GOLDEN,
} from '../../io/src/fixtures.test-helper.js';
import { formatGapsSummary, type GapsOptions, gaps } from './gaps.js';

const cleanups = cleanupsAfterEach();
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
/** gaps() in `dir` (relative names as an operator types them there), as the CLI calls it with no flag but these. */
const run = (dir: string, files: string[], o: Partial<GapsOptions> = {}) =>
  inDir(dir, () =>
    gaps({
      root: dir,
      files,
      tz: 'America/Los_Angeles',
      ...PLAIN_GAPS,
      ...o,
    }),
  );
const failure = (dir: string, files: string[], o: Partial<GapsOptions> = {}) => errorLine(run(dir, files, o));

/** A two-feeder all.csv over 8 intervals at 15 minutes, with feeders_reporting 1 at these indices. */
function smallTotal(dir: string, partialAt: number[]) {
  const rows = ['Start Time,End Time,MW_total,MVA_total,PF_total,MW_net,feeders_reporting,feeders_expected'];
  for (let i = 0; i < 8; i++) {
    const s = new Date(Date.parse('2024-07-01T07:00:00Z') + i * 900_000);
    const e = new Date(s.getTime() + 900_000);
    const fmt = (d: Date) => `${new Date(d.getTime() - 7 * 3_600_000).toISOString().slice(0, 19)}-07:00`;
    rows.push(`${fmt(s)},${fmt(e)},1,2,0.5,1,${partialAt.includes(i) ? 1 : 2},2`);
  }
  fs.writeFileSync(path.join(dir, 'all.csv'), `${rows.join('\n')}\n`);
}

describe('gaps — the gap list', () => {
  it('a missing day, a single interval, a hole across the DST night (real minutes), duplicates and out-of-order rows', async () => {
    const dir = work('gaps/south.csv');
    const s = await run(dir, ['south.csv']);
    expect(s.exitCode).toBe(0);
    const list = fs.readFileSync(path.join(dir, 'south_gaps.csv'), 'utf8');
    golden('south_gaps.csv', list);
    expect(list).toContain('2024-11-03T00:30:00-07:00,2024-11-03T04:00:00-08:00,PT4H30M,18'); // 3h30 on the wall clock, 4h30 real
    expect(list).toContain('2024-11-01T00:00:00-07:00,2024-11-02T00:00:00-07:00,PT24H,96');
    const text = formatGapsSummary(s);
    expect(text).toContain('duplicate 2024-10-31T02:15:00-07:00 (line 12)');
    expect(text).toContain('out of order 2024-10-31T09:45:00-07:00 after 2024-10-31T11:00:00-07:00 (line 46)');
    expect((await run(dir, ['south.csv'], { failOnGaps: true })).exitCode).toBe(1);
    expect(s.profiles[0]).toMatchObject({
      intervalMs: 900000,
      missingIntervals: 115,
      duplicates: [{ line: 12 }],
      outOfOrder: [{ line: 46 }],
    });
  });

  it('counts holes at the ends of --from/--to', async () => {
    const dir = work('gaps/south.csv');
    const g = (await run(dir, ['south.csv'], { from: '2024-10-30', to: '2024-11-07', out: 'ranged' })).profiles[0]!
      .gaps;
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
    expect(
      (await run(dir, ['south.csv'], { from: '2024-11-04', to: '2024-11-06', out: 'ranged' })).profiles[0]!.gaps,
    ).toEqual([]);
  });

  it('an older file with naive local labels: the repeated hour by record order, no false gap or duplicate', async () => {
    const dir = work('gaps/old-naive.csv');
    expect((await run(dir, ['old-naive.csv'], { interval: '15m', out: 'checked' })).profiles[0]).toMatchObject({
      rows: 188,
      duplicates: [],
      outOfOrder: [],
      gaps: [{ gap_start: '2024-11-02T10:00:00-07:00', missing_intervals: 4 }],
    });
  });

  it('a standard-clock profile has no DST gaps either', async () => {
    const dir = work('build/standard/expected/west.csv');
    const p = (await run(dir, ['west.csv'])).profiles[0]!;
    expect(p.gaps).toHaveLength(1); // only March → November
    expect(p.gaps[0]!.gap_start).toBe('2024-03-10T05:00:00-07:00'); // 16 standard-time intervals from 00:00 PST end at 12:00Z
  });

  it('an ambiguous interval asks for --interval (exit 2); a gap list is not a profile', async () => {
    const dir = work();
    fs.writeFileSync(
      path.join(dir, 'odd.csv'),
      'Start Time,MW_net\n2024-07-01T00:00:00-07:00,1\n2024-07-01T00:15:00-07:00,1\n2024-07-01T00:45:00-07:00,1\n',
    );
    await expect(run(dir, ['odd.csv'])).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(
        /^interval — expected one most common step between rows, got a tie; give --interval/,
      ),
    });
    expect((await run(dir, ['odd.csv'], { interval: '15m', out: 'checked' })).exitCode).toBe(0);
    await expect(run(dir, ['odd_gaps.csv'])).rejects.toMatchObject({ exitCode: 2 });
  });

  it('all.csv: partial totals are reported, and counted as gaps with --partial-as-gap', async () => {
    const dir = work();
    smallTotal(dir, [3, 4]);
    expect((await run(dir, ['all.csv'])).profiles[0]).toMatchObject({ partial: 2, gaps: [] });
    const strict = (await run(dir, ['all.csv'], { partialAsGap: true, out: 'strict' })).profiles[0]!;
    expect(strict.gaps).toMatchObject([
      { gap_start: '2024-07-01T00:45:00-07:00', gap_end: '2024-07-01T01:15:00-07:00', missing_intervals: 2 },
    ]);
  });
});

describe('gaps — the picture', () => {
  it('the Vega-Lite spec is deterministic (golden)', async () => {
    const dir = work('gaps/south.csv');
    await run(dir, ['south.csv'], { picture: 'vl.json' });
    golden('south_gaps.vl.json', fs.readFileSync(path.join(dir, 'south_gaps.vl.json'), 'utf8'));
  });

  it('the PNG decodes at the requested size, with the line and the red bands where the gaps are', async () => {
    const dir = work('gaps/south.csv');
    await run(dir, ['south.csv'], { picture: 'png', width: 800, height: 300, scale: 2 });
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

/** `lp/` of a site with the south fixture (gaps, a duplicate, a row out of order) and a 2-feeder all.csv with partial totals. */
function lpSite() {
  const s = southSite(true);
  cleanups.push(s.cleanup);
  return s.root;
}
/** What a shell makes of `lp/*.csv` (or `lp/*`) in `root`: the matching names, sorted. */
const glob = (root: string, pattern: RegExp) =>
  fs
    .readdirSync(path.join(root, 'lp'))
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => `lp/${f}`);

describe('gaps — lptool’s own outputs are not profiles', () => {
  it('the README cron line `gaps lp/*.csv --fail-on-gaps --json` works on its second run, skipping *_gaps.csv with a note', async () => {
    const root = lpSite();
    const again = () => run(root, glob(root, /\.csv$/), { failOnGaps: true });
    const first = await again();
    expect(first.exitCode).toBe(1); // south has gaps
    const files = first.profiles.map((p) => p.file);
    expect(files).toEqual(['lp/all.csv', 'lp/south.csv']);
    const second = await again();
    expect(second.exitCode).toBe(1);
    expect(second.profiles.map((p) => p.file)).toEqual(files);
    expect(second.notes).toEqual([
      "skipped 2 of lptool's own outputs (not profiles): lp/all_gaps.csv, lp/south_gaps.csv (gap lists)",
    ]);
  });

  it('with none but lptool’s outputs given there is nothing to check (exit 2), saying what was skipped', async () => {
    const root = lpSite();
    await run(root, ['lp/south.csv']);
    expect(await failure(root, ['lp/south_gaps.csv'])).toMatch(
      /expected load profiles to check .*, got only 1 of lptool's own output .*south_gaps\.csv \(gap list\)/,
    );
  });
});

describe('gaps — files that are not profiles get one clear line', () => {
  it('a binary file: no bytes of it in the message', async () => {
    const dir = work();
    const bytes = Buffer.alloc(20_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
    fs.writeFileSync(path.join(dir, 'picture.csv'), bytes);
    await expect(run(dir, ['picture.csv'])).rejects.toMatchObject({ exitCode: 2 });
    expect(await failure(dir, ['picture.csv'])).toBe(
      'LPT_USAGE: content — expected a profile CSV (text), got binary data (first bytes 89 50 4e 47 0d 0a 1a 0a) (picture.csv)',
    );
  });

  it('an empty file says so (not `got  `)', async () => {
    const dir = work();
    fs.writeFileSync(path.join(dir, 'empty.csv'), '');
    fs.writeFileSync(path.join(dir, 'blank.csv'), '\n \r\n');
    for (const f of ['empty.csv', 'blank.csv']) {
      await expect(run(dir, [f])).rejects.toMatchObject({ exitCode: 2 });
      expect(await failure(dir, [f])).toBe(
        `LPT_USAGE: content — expected a profile with a Start Time and MW_net header, got an empty file (${f})`,
      );
    }
  });

  it('a directory is a usage error naming it (no raw EISDIR), and a missing file says there is none', async () => {
    const dir = work();
    fs.mkdirSync(path.join(dir, 'old'));
    await expect(run(dir, ['old'])).rejects.toMatchObject({ exitCode: 2 });
    expect(await failure(dir, ['old'])).toBe(
      'LPT_USAGE: file — expected a profile CSV file, got a directory (give the profiles in it, e.g. lp/*.csv) (old)',
    );
    await expect(run(dir, ['nope.csv'])).rejects.toMatchObject({ exitCode: 2 });
    expect(await failure(dir, ['nope.csv'])).toBe(
      'LPT_INPUT_MISSING: file — expected a profile CSV, got no file at this path (nope.csv)',
    );
  });

  it('a header that is not a profile’s is quoted, escaped and cut', async () => {
    const dir = work();
    fs.writeFileSync(
      path.join(dir, 'wide.csv'),
      `${Array.from({ length: 300 }, (_, i) => `col\t${i}`).join(',')}\n1\n`,
    );
    await expect(run(dir, ['wide.csv'])).rejects.toMatchObject({ exitCode: 2 });
    const line = await failure(dir, ['wide.csv']);
    expect(line).toMatch(
      /^LPT_USAGE: header — expected a profile with Start Time and MW_net, got "col\\t0,col\\t1,.*… \(\d+ chars\)" \(wide\.csv:1\)$/,
    );
    expect(`lptool: ${line}\n`.length).toBeLessThan(250);
  });
});

describe('gaps — picture sizes are bounded', () => {
  it('over 10,000 px a side, or width × scale over it, is exit 2 before anything is written', async () => {
    const dir = work('gaps/south.csv');
    const t = performance.now();
    const huge = { picture: 'png' as const, width: 100_000, height: 100_000 };
    await expect(run(dir, ['south.csv'], huge)).rejects.toMatchObject({ exitCode: 2 });
    expect(await failure(dir, ['south.csv'], huge)).toBe(
      'LPT_USAGE: --width/--height/--scale — expected a picture of at most 10000 px a side (width × scale, height × scale), got 100000 × 100000 px (key --width/--height/--scale)',
    );
    expect(performance.now() - t).toBeLessThan(10_000);
    for (const o of [
      { picture: 'png', width: 5000, scale: 3 },
      { picture: 'svg', height: 10_001 },
      { picture: 'vl.json', width: 4000, scale: 2.6 },
    ] as const) {
      await expect(run(dir, ['south.csv'], o)).rejects.toMatchObject({ exitCode: 2 });
    }
    expect(fs.readdirSync(dir)).toEqual(['south.csv']); // nothing written, not even the gap list
    expect((await run(dir, ['south.csv'], { picture: 'svg', width: 10_000, height: 200 })).exitCode).toBe(0);
  });

  it('under 100 px a side, as given or after scale, is exit 2 before anything is written', async () => {
    const dir = work('gaps/south.csv');
    expect(await failure(dir, ['south.csv'], { picture: 'png', height: 40 })).toBe(
      'LPT_USAGE: --width/--height/--scale — expected a picture of at least 100 px a side (as given and after scale), got 1000 × 40 px (key --width/--height/--scale)',
    );
    for (const o of [
      { picture: 'png', height: 1.5 },
      { picture: 'png', width: 99 },
      { picture: 'png', scale: 1e-9 },
      { picture: 'png', height: 50, scale: 3 },
      { picture: 'png', height: 200, scale: 0.49 },
      { picture: 'svg', width: 60 },
    ] as const) {
      await expect(run(dir, ['south.csv'], o)).rejects.toMatchObject({ exitCode: 2 });
    }
    expect(fs.readdirSync(dir)).toEqual(['south.csv']);
    const small = await run(dir, ['south.csv'], { picture: 'png', width: 100, height: 100 });
    expect(small.exitCode).toBe(0);
  });
});

describe('gaps — all.csv’s partial totals', () => {
  it('are listed as runs, and the picture shades them in their own colour with a legend entry', async () => {
    const root = lpSite();
    const s = await run(root, ['lp/all.csv'], { picture: 'png' });
    expect(formatGapsSummary(s)).toContain(
      '0 gaps (0 intervals missing), 0 duplicate, 0 out of order, 48 partial totals (feeders_reporting < feeders_expected)',
    );
    expect(formatGapsSummary(s)).toContain(
      '  partial 2024-07-02T00:00:00-07:00 → 2024-07-02T12:00:00-07:00 (48 intervals)',
    );
    await run(root, ['lp/all.csv'], { picture: 'vl.json' });
    const spec = JSON.parse(fs.readFileSync(path.join(root, 'lp/all_gaps.vl.json'), 'utf8'));
    expect(spec.title.text).toBe('all — 2024-07-01 → 2024-07-03 — 0 gaps, 1 partial-total run');
    expect(spec.layer[0].encoding.color.scale).toEqual({
      domain: ['partial total (feeders missing)'],
      range: ['#ff9f1c'],
    });
    const png = PNG.sync.read(fs.readFileSync(path.join(root, 'lp/all_gaps.png')));
    const px = (x: number, y: number) => {
      const i = (y * png.width + x) * 4;
      return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    };
    const isAmber = ([red, green, blue]: number[]) => red! > 240 && green! > 200 && green! < 235 && blue! < 200;
    const amberColumns = new Set<number>();
    for (let x = 0; x < png.width; x++)
      for (let y = 80; y < png.height - 40; y += 2) if (isAmber(px(x, y))) amberColumns.add(x);
    // the run is half a day of three: about a sixth of the plot's width, in its middle third
    const xs = [...amberColumns].sort((a, b) => a - b);
    expect(xs.length).toBeGreaterThan(png.width / 10);
    expect(xs.length).toBeLessThan(png.width / 4);
    expect(xs[0]!).toBeGreaterThan(png.width / 4);
    expect(xs[xs.length - 1]!).toBeLessThan((png.width * 2) / 3);
  });
});
