/** merge(), called directly on fixture sites: the total of meter-data.csv's meters, exact, aligned on instants. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach, FIXTURES, siteFrom, UPDATE_GOLDEN } from '../../io/src/fixtures.test-helper.js';
import { formatMergeSummary, type MergeOptions, merge, topLevelValue } from './merge.js';

const cleanups = cleanupsAfterEach();
function site() {
  const s = siteFrom('merge/input');
  cleanups.push(s.cleanup);
  return s.root;
}
/** merge() with the options the CLI gives it when no flag is set (and these). */
const run = (root: string, o: Partial<MergeOptions> = {}) => merge({ root, resample: false, lockWaitMs: 30_000, ...o });
const rows = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));

describe('merge', () => {
  it('totals the feeders into the golden lp/all.csv, marking incomplete intervals', async () => {
    const root = site();
    fs.writeFileSync(path.join(root, 'lp/north_gaps.csv'), 'gap_start\n');
    const s = await run(root);
    expect(formatMergeSummary(s)).toMatch(/^merge .*: 3 feeders → lp\/all\.csv, 49 intervals/);
    const golden = path.join(FIXTURES, 'merge/expected-all.csv');
    if (UPDATE_GOLDEN) fs.copyFileSync(path.join(root, 'lp/all.csv'), golden);
    expect(fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8')).toBe(fs.readFileSync(golden, 'utf8'));
    // the three fixture feeders never report at the same instant: every total is marked 1 of 3
    expect(new Set(rows(path.join(root, 'lp/all.csv')).map((r) => `${r[6]}/${r[7]}`))).toEqual(new Set(['1/3']));
  });

  it('property: Σ of the feeder files equals MW_total/MVA_total for every interval (aligned on instants)', async () => {
    const root = site();
    // a second copy of north under another name, with its labels written in UTC: alignment must be on instants
    const north = fs.readFileSync(path.join(root, 'lp/north.csv'), 'utf8').split('\n');
    const utc = north.map((l, i) => {
      if (i === 0 || !l) return l;
      const f = l.split(',');
      f[0] = new Date(Date.parse(f[0]!)).toISOString().replace('.000Z', 'Z');
      f[1] = new Date(Date.parse(f[1]!)).toISOString().replace('.000Z', 'Z');
      return f.join(',');
    });
    fs.writeFileSync(path.join(root, 'lp/north_utc.csv'), utc.join('\n'));
    fs.appendFileSync(path.join(root, 'meter-data.csv'), '1004,north_utc,1\n');
    await run(root);
    const expected = new Map<number, [number, number, number]>();
    for (const name of ['east', 'north', 'north_utc', 'south']) {
      const file = path.join(root, `lp/${name}.csv`);
      const head = fs.readFileSync(file, 'utf8').split('\n')[0]!.split(',');
      for (const r of rows(file)) {
        const t = Date.parse(r[0]!);
        const acc = expected.get(t) ?? [0, 0, 0];
        acc[0] += Number(r[head.indexOf('MW_net')]);
        acc[1] += Number(r[head.indexOf('MVA_net')]);
        acc[2]++;
        expected.set(t, acc);
      }
    }
    const all = rows(path.join(root, 'lp/all.csv'));
    expect(all).toHaveLength(expected.size);
    for (const r of all) {
      const e = expected.get(Date.parse(r[0]!))!;
      expect(Math.abs(Number(r[2]) - e[0])).toBeLessThan(1e-6);
      expect(Math.abs(Number(r[3]) - e[1])).toBeLessThan(1e-6);
      expect(Number(r[6])).toBe(e[2]);
      expect(r[7]).toBe('4');
      expect(r[5]).toBe(r[2]);
    }
    expect(all.some((r) => r[6] === '2')).toBe(true); // north + north_utc together
  });

  it('--only / --exclude choose feeders; unknown names are a usage error', async () => {
    const root = site();
    await run(root, { only: ['north', 'east'] });
    expect(new Set(rows(path.join(root, 'lp/all.csv')).map((r) => r[7]))).toEqual(new Set(['2']));
    await run(root, { exclude: ['south'] });
    expect(rows(path.join(root, 'lp/all.csv'))).toHaveLength(17);
    await expect(run(root, { only: ['west'] })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(
        /--only — expected meter names from meter-data.csv \(east, north, south\), got west/,
      ),
    });
  });

  it('different interval lengths are an error, or --resample brings them to the coarsest', async () => {
    const root = site();
    fs.copyFileSync(path.join(FIXTURES, 'merge/five-minute.csv'), path.join(root, 'lp/fast.csv'));
    fs.appendFileSync(path.join(root, 'meter-data.csv'), '1005,fast,1\n');
    await expect(run(root)).rejects.toMatchObject({
      exitCode: 2,
      code: 'LPT_INTERVAL_MISMATCH',
      message: expect.stringMatching(
        /^interval — expected one interval length across feeders, got east 15m, fast 5m, north 15m, south 15m; use --resample/,
      ),
    });
    expect(fs.existsSync(path.join(root, 'lp/all.csv'))).toBe(false);
    await run(root, { resample: true, only: ['fast', 'north'] });
    const all = rows(path.join(root, 'lp/all.csv'));
    // 11:00–11:45 have fast (mean of 3 five-minute values) + north; MW_total 11:00 = mean(1,1.1,1.2) + north's −1.58256
    expect(all[0]!.slice(0, 3)).toEqual(['2024-07-12T11:00:00-07:00', '2024-07-12T11:15:00-07:00', '-0.48256']);
    expect(all[0]![6]).toBe('2');
    expect(all[4]![6]).toBe('1');
  });
});

describe('merge — exactly the meters of meter-data.csv', () => {
  it('a copy such as lp/north-old.csv is named in a warning and never summed: all.csv does not change', async () => {
    const root = site();
    await run(root);
    const before = fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8');
    fs.copyFileSync(path.join(root, 'lp/north.csv'), path.join(root, 'lp/north-old.csv'));
    const s = await run(root);
    expect(fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8')).toBe(before);
    expect(s.warnings).toEqual([
      'lp/north-old.csv — not a meter of meter-data.csv: not summed (move it out of lp/ to silence this)',
    ]);
    expect(s.feeders.map((f) => f.name)).toEqual(['east', 'north', 'south']);
    expect([s.expected, s.ignored]).toEqual([3, ['lp/north-old.csv']]);
    // lptool's own outputs in lp/ are not warned about
    fs.writeFileSync(path.join(root, 'lp/north_gaps.csv'), 'gap_start,gap_end,gap_duration,missing_intervals\n');
    expect((await run(root)).warnings.join('\n')).not.toMatch(/north_gaps/);
  });

  it('feeders_expected is the size of that list: a meter without a profile counts as not reporting', async () => {
    const root = site();
    fs.appendFileSync(path.join(root, 'meter-data.csv'), '1009,west,1\n');
    const s = await run(root);
    expect(s.warnings.join('\n')).toMatch(
      /lp\/west\.csv — expected a profile of meter west \(meter-data\.csv\), got none: counted as not reporting/,
    );
    expect(formatMergeSummary(s)).toMatch(/^merge .*: 3 of 4 feeders → lp\/all\.csv/);
    expect(new Set(rows(path.join(root, 'lp/all.csv')).map((x) => x[7]))).toEqual(new Set(['4']));
    expect((await run(root, { exclude: ['west'] })).warnings).toEqual([]);
    expect(new Set(rows(path.join(root, 'lp/all.csv')).map((x) => x[7]))).toEqual(new Set(['3']));
    fs.rmSync(path.join(root, 'meter-data.csv'));
    await expect(run(root)).rejects.toMatchObject({
      exitCode: 2,
      code: 'LPT_INPUT_MISSING',
      message: /meter-data\.csv/,
    });
  });
});

describe("the build settings merge checks, from the manifest's meters only", () => {
  it("topLevelValue: the text of a top-level key's value, whatever comes before it (strings, escapes, nesting)", () => {
    const doc = {
      version: 1,
      files: { 'a"meters".csv': { meters: '{"x":1}', n: [1, { meters: 2 }] }, 'b\\': 'c' },
      meters: { north: { settings: { timezone: 'UTC', clock: 'standard', intervalMs: 900000 } } },
      after: [1],
    };
    for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 2)])
      expect(JSON.parse(topLevelValue(text, 'meters')!)).toEqual(doc.meters);
    expect(topLevelValue('{"a":1,"meters":5}', 'meters')).toBe('5');
    expect(topLevelValue('{"meters" : "x,y" , "b":2}', 'meters')?.trim()).toBe('"x,y"');
    expect(topLevelValue('{"files":{"meters":{}}}', 'meters')).toBeNull();
  });

  it('a manifest with other settings for a feeder is exit 2; one whose meters are not as build writes them is named corrupt', async () => {
    const root = site();
    await run(root);
    const file = path.join(root, 'lp/.build-manifest.json');
    const settings = { timezone: 'UTC', clock: 'legal', intervalMs: 900_000 };
    // the meters after 2,000 file records whose names and values hold the key and braces
    const files = Object.fromEntries(
      Array.from({ length: 2000 }, (_, i) => [`data/KW/2023-01/"meters"{${i}.csv`, { size: i, hash: '}]' }]),
    );
    fs.writeFileSync(file, JSON.stringify({ version: 1, files, meters: { north: { settings } } }));
    await expect(run(root)).rejects.toMatchObject({
      code: 'LPT_CONFIG',
      message: expect.stringMatching(/^settings — expected those lp\/north\.csv was built with \(timezone UTC\)/),
    });
    fs.writeFileSync(file, JSON.stringify({ version: 1, files: {}, meters: { north: { settings: { timezone: 5 } } } }));
    await expect(run(root)).rejects.toMatchObject({ code: 'LPT_MANIFEST_CORRUPT' });
  });
});
