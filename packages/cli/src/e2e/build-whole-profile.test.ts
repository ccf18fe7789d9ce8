/**
 * build() on a synth site sorted by sort(): an extract never touches lp/, and the commit step never replaces a
 * profile with one that has fewer rows. (From profiles' tests: they take a synth site, which needs synth and sort.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, formatBuildSummary } from '../../../profiles/src/index.js';
import { sort } from '../../../sort/src/index.js';
import { synthSite } from '../../../synth/src/index.js';
import {
  failure,
  listFiles,
  PLAIN_BUILD,
  PLAIN_SORT,
  siteRoots,
  folderState as snapshot,
  stderrOf,
} from '../testing.js';

const roots = siteRoots();

/** A synth site (3 meters, 14 days, one export a day), sorted and built. */
async function builtSynthSite(): Promise<string> {
  const root = roots.temp('lptool-trust-');
  synthSite({
    out: root,
    meters: 3,
    days: 14,
    start: '2024-10-28',
    tz: 'America/Los_Angeles',
    clock: 'legal',
    seed: 3,
    fileDays: 1,
    intervalMs: 900_000,
    gaps: 0,
    sequenceErrors: 0,
    duplicates: 0,
    overlaps: 0,
  });
  await sort({ ...PLAIN_SORT, root, settleMs: 0 });
  expect((await build({ ...PLAIN_BUILD, root })).exitCode).toBe(0);
  return root;
}
const rowsOf = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').length - 1;

describe('lp/<name>.csv is always the whole profile: ranged builds are extracts (a range without --out: e2e/build.test.ts)', () => {
  it('a ranged build writes plain profiles into --out and leaves lp/, its shadows, sidecars and manifest as they were', async () => {
    const root = await builtSynthSite();
    const lp = snapshot(path.join(root, 'lp'));
    expect(Object.keys(lp)).toEqual(
      expect.arrayContaining(['.build-manifest.json', '.cache/north.bin', '.cache/north.csv.shadow', 'north.csv']),
    );
    const out = path.join(root, 'july');
    const r = await build({ ...PLAIN_BUILD, root, from: '2024-11-01', to: '2024-11-03', out });
    expect(r.exitCode).toBe(0);
    expect(listFiles(out)).toEqual(['east.csv', 'north.csv', 'south.csv']); // no shadows, no sidecars
    expect(rowsOf(path.join(out, 'north.csv'))).toBe(2 * 96);
    expect(r.outDir).toBe(out);
    expect(snapshot(path.join(root, 'lp'))).toEqual(lp);
    // the next plain build finds lp/ up to date (the extract did not pose as a build of lp/)
    expect((await build({ ...PLAIN_BUILD, root })).meters.map((m) => m.status)).toEqual([
      'up-to-date',
      'up-to-date',
      'up-to-date',
    ]);
    // an extract never goes into lp/
    const lpNow = snapshot(path.join(root, 'lp'));
    for (const bad of [path.join(root, 'lp'), path.join(root, 'lp/july')]) {
      const r2 = await failure(build({ ...PLAIN_BUILD, root, from: '2024-11-01', out: bad }));
      expect(r2.exitCode).toBe(2);
      expect(stderrOf(r2)).toMatch(/--out — expected a folder outside lp\//);
    }
    expect(snapshot(path.join(root, 'lp'))).toEqual(lpNow);
  });
});

describe('a build never replaces a profile with fewer rows (the commit step’s rule)', () => {
  it('build --full --interval 5 --meter north: every file rejected, lp/north.csv kept with its shadow and sidecar; exit 1 says why', async () => {
    const root = await builtSynthSite();
    const lp = snapshot(path.join(root, 'lp'));
    const r = await build({ ...PLAIN_BUILD, root, full: true, interval: '5', meter: 'north' });
    expect(r.exitCode).toBe(1);
    expect(formatBuildSummary(r)).toMatch(
      /north +kept +kept lp\/north\.csv \(1348 rows\): this build would replace it with 0 rows; 14 of 14 archived files rejected, e\.g\. data\/KW\/2024-10\/north-\S+\.csv: SEQUENCE-ERROR: line 2: interval length — expected 5m, got 15m .* — check the settings \(--interval, --tz\) and the archive, or pass --allow-shrink to replace it/,
    );
    const after = snapshot(path.join(root, 'lp'));
    for (const f of ['north.csv', '.cache/north.bin', '.cache/north.csv.shadow', 'south.csv'])
      expect(after[f], f).toBe(lp[f]);
    expect(listFiles(path.join(root, 'lp')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // the next ordinary build: lp/north.csv is as the last good build left it
    expect((await build({ ...PLAIN_BUILD, root })).exitCode).toBe(0);
    expect(snapshot(path.join(root, 'lp'))['north.csv']).toBe(lp['north.csv']);
    // --allow-shrink: the operator's word replaces it
    const forced = await build({ ...PLAIN_BUILD, root, full: true, interval: '5', meter: 'north', allowShrink: true });
    expect(forced.exitCode).toBe(1); // the rejected files are still flagged
    expect(rowsOf(path.join(root, 'lp/north.csv'))).toBe(0);
  });

  it('a shrunken archive, all rows bad, or a profile with rows added by hand: the old profile is kept', async () => {
    const root = await builtSynthSite();
    const rows = rowsOf(path.join(root, 'lp/south.csv'));
    // the archive lost three days of south
    const month = path.join(root, 'data/KW/2024-11');
    for (const f of fs
      .readdirSync(month)
      .filter((f) => f.startsWith('south-'))
      .slice(0, 3))
      fs.rmSync(path.join(month, f));
    const lost = await build({ ...PLAIN_BUILD, root });
    expect(lost.exitCode).toBe(1);
    expect(lost.meters.find((m) => m.name === 'south')).toMatchObject({ status: 'kept' });
    expect(rowsOf(path.join(root, 'lp/south.csv'))).toBe(rows);
    // every value of east turned non-numeric: every row bad
    for (const dir of ['2024-10', '2024-11'])
      for (const f of fs.readdirSync(path.join(root, 'data/KW', dir)).filter((f) => f.startsWith('east-'))) {
        const file = path.join(root, 'data/KW', dir, f);
        fs.writeFileSync(
          file,
          fs
            .readFileSync(file, 'utf8')
            .replace(/,(\d+\.?\d*),(\d+\.?\d*),(\d+\.?\d*),(\d+\.?\d*)\r?$/gm, ',x,$2,$3,$4'),
        );
      }
    const bad = await build({ ...PLAIN_BUILD, root, meter: 'east' });
    expect(bad.meters[0]).toMatchObject({ status: 'kept', rows: 0 });
    expect(bad.meters[0]!.error).toMatch(
      /kept lp\/east\.csv \(1348 rows\): this build would replace it with 0 rows; 1348 bad rows skipped/,
    );
    expect(rowsOf(path.join(root, 'lp/east.csv'))).toBe(1348);
    // north edited by hand (rows pasted twice): a full rebuild would have fewer rows than the file has — counted, kept
    const north = path.join(root, 'lp/north.csv');
    const text = fs.readFileSync(north, 'utf8');
    fs.writeFileSync(north, `${text}${text.split('\n').slice(1, 11).join('\n')}\n`);
    const edited = await build({ ...PLAIN_BUILD, root, meter: 'north', full: true });
    expect(edited.meters[0]!.error).toMatch(
      /kept lp\/north\.csv \(1358 rows\): this build would replace it with 1348 rows/,
    );
    expect((await build({ ...PLAIN_BUILD, root, meter: 'north', full: true, allowShrink: true })).exitCode).toBe(0);
    expect(fs.readFileSync(north, 'utf8')).toBe(text);
  });
});
