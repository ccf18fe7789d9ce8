/**
 * build() on a synth site sorted by sort(): an extract never touches lp/ (however --out is spelled), a profile not
 * as the last build wrote it is rebuilt, and the commit step never replaces a profile with one missing any of its
 * intervals. (From profiles' tests: they take a synth site, which needs synth and sort.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, buildProblems } from '../../../profiles/src/index.js';
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
const SYNTH = {
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
} as const;
async function builtSynthSite(): Promise<string> {
  const root = roots.temp('lptool-trust-');
  synthSite({ ...SYNTH, out: root });
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

describe('an extract never lands in lp/, however --out is spelled (review H1, L3)', () => {
  it('--out through a symlink to lp/, or through a symlinked parent: exit 2, lp/ untouched', async () => {
    const root = await builtSynthSite();
    const lp = snapshot(path.join(root, 'lp'));
    const elsewhere = roots.temp('lptool-trust-out-');
    fs.symlinkSync(path.join(root, 'lp'), path.join(elsewhere, 'lplink'));
    fs.mkdirSync(path.join(elsewhere, 'ex'));
    fs.symlinkSync(path.join(root, 'lp'), path.join(elsewhere, 'ex/sub'));
    for (const out of ['lplink', 'lplink/new', 'ex/sub/../sub', 'ex/sub']) {
      const e = await failure(
        build({ ...PLAIN_BUILD, root, from: '2024-11-01', to: '2024-11-02', out: path.join(elsewhere, out) }),
      );
      expect(e.exitCode, out).toBe(2);
      expect(stderrOf(e), out).toMatch(/--out — expected a folder outside lp\/ .*\(that is .*\/lp(\/new)?\)/);
    }
    expect(snapshot(path.join(root, 'lp'))).toEqual(lp);
    expect((await build({ ...PLAIN_BUILD, root })).meters.map((m) => m.status)).toEqual([
      'up-to-date',
      'up-to-date',
      'up-to-date',
    ]);
  });

  it("--out among another site's profiles, archive or dropbox, or this site's logs: exit 2, nothing written", async () => {
    const root = await builtSynthSite();
    const other = await builtSynthSite();
    const theirs = snapshot(path.join(other, 'lp'));
    for (const out of [
      path.join(other, 'lp'),
      path.join(other, 'lp/extracts'),
      path.join(other, 'data/KW'),
      path.join(other, '_dropbox'),
      path.join(root, 'logs'),
    ]) {
      const e = await failure(build({ ...PLAIN_BUILD, root, from: '2024-11-01', to: '2024-11-02', out }));
      expect([out, e.exitCode]).toEqual([out, 2]);
      expect(stderrOf(e), out).toMatch(
        /--out — expected a folder outside any site's lp\/, data\/, _dropbox\/ and logs\/, got /,
      );
    }
    expect(snapshot(path.join(other, 'lp'))).toEqual(theirs);
    expect(fs.existsSync(path.join(other, 'lp/extracts'))).toBe(false);
    // a folder of its own, beside the sites, is where an extract goes
    const away = path.join(roots.temp('lptool-trust-out-'), 'extract');
    const made = await build({ ...PLAIN_BUILD, root, from: '2024-11-01', to: '2024-11-02', out: away });
    expect(made.exitCode).toBe(0);
    expect(fs.readdirSync(away).filter((f) => f.endsWith('.csv'))).toHaveLength(3);
  });

  it('--out that cannot be a folder (a file, under /dev/null) is exit 2 at once, before the lock', async () => {
    const root = await builtSynthSite();
    const lp = snapshot(path.join(root, 'lp'));
    const file = path.join(root, 'a-file');
    fs.writeFileSync(file, 'x');
    for (const [out, why] of [
      [file, /--out — expected a folder, got a file at .*a-file/],
      [path.join(file, 'x'), /--out — expected a folder, got a file at .*a-file/],
      ['/dev/null/x', /--out — expected a folder, got something that is not a folder at \/dev\/null/],
      // (Node's recursive mkdir never returns here: each part is made on its own, before the lock)
      ['/proc/lptool-x', /--out — expected a folder lptool can make, got ENOENT making \/proc\/lptool-x/],
    ] as const) {
      const e = await failure(build({ ...PLAIN_BUILD, root, from: '2024-11-01', to: '2024-11-02', out }));
      expect(e.exitCode, out).toBe(2);
      expect(stderrOf(e), out).toMatch(why);
    }
    expect(fs.existsSync(path.join(root, '.lptool.lock'))).toBe(false);
    expect(snapshot(path.join(root, 'lp'))).toEqual(lp);
  });
});

describe('a build never replaces a profile with one missing its intervals (the commit step’s rule, review H4)', () => {
  it('build --full --interval 5 --meter north: every file rejected, lp/north.csv kept with its shadow and sidecar; exit 1 says why', async () => {
    const root = await builtSynthSite();
    const lp = snapshot(path.join(root, 'lp'));
    const r = await build({ ...PLAIN_BUILD, root, full: true, interval: '5', meter: 'north' });
    expect(r.exitCode).toBe(1);
    expect(buildProblems(r).join('\n')).toMatch(
      /north kept: kept lp\/north\.csv \(1348 rows\): this build would replace it with 0 rows without 1348 of its intervals, the first 2024-10-28T00:00:00-07:00; the settings changed since its last build \(interval 15m → 5m\); 14 of 14 archived files rejected, e\.g\. data\/KW\/2024-10\/north-\S+\.csv: SEQUENCE-ERROR: line 2: interval length — expected 5m, got 15m .* — check the settings \(--interval, --tz\) and the archive, or pass --allow-shrink to replace it/,
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
      /kept lp\/east\.csv \(1348 rows\): this build would replace it with 0 rows without 1348 of its intervals, the first 2024-10-28T00:00:00-07:00; 1348 bad rows skipped/,
    );
    expect(rowsOf(path.join(root, 'lp/east.csv'))).toBe(1348);
    // north edited by hand, rows pasted twice: a rebuild loses none of its intervals, so it replaces the file
    const north = path.join(root, 'lp/north.csv');
    const text = fs.readFileSync(north, 'utf8');
    const lines = text.trimEnd().split('\n');
    fs.writeFileSync(north, `${text}${lines.slice(1, 11).join('\n')}\n`);
    const pasted = await build({ ...PLAIN_BUILD, root, meter: 'north', full: true });
    expect(pasted.meters[0]).toMatchObject({ status: 'built', rows: 1348 });
    expect(fs.readFileSync(north, 'utf8')).toBe(text);
    // a row for an instant no export has, added by hand: a rebuild would lose it — kept
    const extra = lines.at(-1)!.split(',');
    extra[0] = extra[1]!;
    extra[1] = '2024-11-11T00:15:00-08:00';
    fs.writeFileSync(north, `${text}${extra.join(',')}\n`);
    // the message says it was edited: the archive is fine, the file is what differs (a plain build, then --full)
    for (const full of [false, true]) {
      const added = await build({ ...PLAIN_BUILD, root, meter: 'north', full });
      expect(added.meters[0]).toMatchObject({ status: 'kept' });
      expect(added.meters[0]!.error).toBe(
        "kept lp/north.csv (1349 rows): lp/north.csv was changed since lptool wrote it (not as the archive makes it); the rebuilt profile (1348 rows) would lack 1 of its intervals, the first 2024-11-11T00:00:00-08:00 — check it, then lptool build --allow-shrink to replace it with the archive's",
      );
    }
    expect((await build({ ...PLAIN_BUILD, root, meter: 'north', full: true, allowShrink: true })).exitCode).toBe(0);
    expect(fs.readFileSync(north, 'utf8')).toBe(text);
  });

  it('a lost archive day stays kept when later deliveries make up the row count (review H4)', async () => {
    const root = await builtSynthSite();
    const north = path.join(root, 'lp/north.csv');
    const text = fs.readFileSync(north, 'utf8');
    const day = (t: string) => t.split('\n').filter((l) => l.startsWith('2024-11-01T')).length;
    expect(day(text)).toBe(96);
    const month = path.join(root, 'data/KW/2024-11');
    const lost = fs.readdirSync(month).find((f) => f.startsWith('north-110124'))!;
    fs.rmSync(path.join(month, lost));
    expect((await build({ ...PLAIN_BUILD, root })).meters.find((m) => m.name === 'north')).toMatchObject({
      status: 'kept',
    });
    // the next delivery: one more day of north, as many rows as the lost one
    const later = roots.temp('lptool-trust-later-');
    synthSite({ ...SYNTH, out: later, days: 15 });
    const next = fs.readdirSync(path.join(later, '_dropbox/KW')).find((f) => f.startsWith('north-111124'))!;
    fs.copyFileSync(path.join(later, '_dropbox/KW', next), path.join(root, '_dropbox/KW', next));
    await sort({ ...PLAIN_SORT, root, settleMs: 0 });
    const r = await build({ ...PLAIN_BUILD, root });
    expect(r.exitCode).toBe(1);
    const m = r.meters.find((m) => m.name === 'north')!;
    expect(m).toMatchObject({ status: 'kept' });
    expect(m.error).toMatch(/without 96 of its intervals, the first 2024-11-01T00:00:00-07:00/);
    expect(fs.readFileSync(north, 'utf8')).toBe(text);
  });

  it('a one-off --tz that moves every instant keeps the profiles, naming the change (review H4)', async () => {
    const root = await builtSynthSite();
    const lp = snapshot(path.join(root, 'lp'));
    const r = await build({ ...PLAIN_BUILD, root, full: true, tz: 'America/New_York' });
    expect(r.exitCode).toBe(1);
    expect(r.meters.map((m) => m.status)).toEqual(['kept', 'kept', 'kept']);
    expect(r.meters[0]!.error).toMatch(
      /the settings changed since its last build \(timezone America\/Los_Angeles → America\/New_York\)/,
    );
    for (const n of ['north.csv', 'south.csv', 'east.csv']) expect(snapshot(path.join(root, 'lp'))[n]).toBe(lp[n]);
  });
});

describe('a plain build rebuilds a profile that is no longer what it built (review H3)', () => {
  it('truncated, or edited to the same length with its mtime put back: built again, not "up to date"', async () => {
    const root = await builtSynthSite();
    const north = path.join(root, 'lp/north.csv');
    const text = fs.readFileSync(north, 'utf8');
    fs.writeFileSync(north, `${text.split('\n').slice(0, 100).join('\n')}\n`);
    const r = await build({ ...PLAIN_BUILD, root });
    expect(r.meters.map((m) => m.status)).toEqual(['built', 'up-to-date', 'up-to-date']);
    expect(fs.readFileSync(north, 'utf8')).toBe(text);
    expect((await build({ ...PLAIN_BUILD, root })).meters.map((m) => m.status)).toEqual([
      'up-to-date',
      'up-to-date',
      'up-to-date',
    ]);
    // one digit changed, the length kept, the mtime put back (touch -r)
    const { atime, mtime } = fs.statSync(north);
    const at = text.indexOf('\n', text.length / 2) - 1;
    const digit = text[at] === '1' ? '2' : '1';
    fs.writeFileSync(north, text.slice(0, at) + digit + text.slice(at + 1));
    fs.utimesSync(north, atime, mtime);
    const again = await build({ ...PLAIN_BUILD, root });
    expect(again.meters[0]!.status).toBe('built');
    expect(fs.readFileSync(north, 'utf8')).toBe(text);
  });
});
