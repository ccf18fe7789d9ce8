/** `lptool merge` end to end: the real CLI on the fixture tree — flags, stdout, stderr, exit codes, the sidecar. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../../profiles/src/index.js';
import { cleanupsAfterEach, FIXTURES, lptool, PLAIN_BUILD, siteFrom } from '../testing.js';

const cleanups = cleanupsAfterEach();
function site(fixture = 'merge/input') {
  const s = siteFrom(fixture);
  cleanups.push(s.cleanup);
  return s.root;
}
const all = (root: string) => fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8');

describe('lptool merge', () => {
  it('writes the golden lp/all.csv and says so on stdout', () => {
    const root = site();
    const r = lptool(['merge', '--root', root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^merge .*: 3 feeders → lp\/all\.csv, 49 intervals/);
    expect(all(root)).toBe(fs.readFileSync(path.join(FIXTURES, 'merge/expected-all.csv'), 'utf8'));
  });

  it('--only and --exclude take comma-separated names; an unknown one is exit 2 with one line', () => {
    const root = site();
    expect(lptool(['merge', '--root', root, '--only', 'north, east']).code).toBe(0);
    expect(all(root)).toMatch(/,2\n$/);
    expect(lptool(['merge', '--root', root, '--exclude', 'south']).code).toBe(0);
    const bad = lptool(['merge', '--root', root, '--only', 'west']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--only — expected meter names from meter-data.csv \(east, north, south\), got west/);
  });

  it('a copy in lp/ is a warning on stderr (also with --json); no meter-data.csv is exit 2', () => {
    const root = site();
    fs.copyFileSync(path.join(root, 'lp/north.csv'), path.join(root, 'lp/north-old.csv'));
    const r = lptool(['merge', '--root', root, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'lptool: warning: lp/north-old.csv — not a meter of meter-data.csv: not summed (move it out of lp/ to silence this)\n',
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ expected: 3, ignored: ['lp/north-old.csv'] });
    expect(lptool(['gaps', 'lp/north.csv'], { cwd: root }).code).toBe(0);
    expect(lptool(['merge', '--root', root]).stderr).not.toMatch(/north_gaps/);
    fs.rmSync(path.join(root, 'meter-data.csv'));
    const none = lptool(['merge', '--root', root]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /LPT_INPUT_MISSING: site root — expected a folder with meter-data\.csv, got .* without one/,
    );
  });

  it('a feeder profile with no rows (a header only) is not reporting, with a warning: no interval mismatch', () => {
    const root = site();
    const header = fs.readFileSync(path.join(root, 'lp/south.csv'), 'utf8').split('\n')[0]!;
    fs.writeFileSync(path.join(root, 'lp/south.csv'), `${header}\n`);
    const r = lptool(['merge', '--root', root]);
    expect([r.code, r.stderr]).toEqual([
      0,
      'lptool: warning: lp/south.csv — expected rows, got none: counted as not reporting\n',
    ]);
    const rows = all(root).trim().split('\n').slice(1);
    expect(rows).toHaveLength(17);
    expect(rows.every((l) => /,[12],3$/.test(l))).toBe(true); // south never reports; three expected
  });

  it('--resample mixes interval lengths; without it, exit 2 and no all.csv', () => {
    const root = site();
    fs.copyFileSync(path.join(FIXTURES, 'merge/five-minute.csv'), path.join(root, 'lp/fast.csv'));
    fs.appendFileSync(path.join(root, 'meter-data.csv'), '1005,fast,1\n');
    const r = lptool(['merge', '--root', root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/LPT_INTERVAL_MISMATCH: interval — expected one interval length across feeders/);
    expect(fs.existsSync(path.join(root, 'lp/all.csv'))).toBe(false);
    expect(lptool(['merge', '--root', root, '--resample', '--only', 'fast,north']).code).toBe(0);
  });
});

describe('the columnar sidecar', () => {
  it('gives the same all.csv as the CSVs, and an edited CSV is read as text again', async () => {
    const root = site('build/legal/input');
    await build({ ...PLAIN_BUILD, root });
    expect(fs.existsSync(path.join(root, 'lp/.cache/north.bin'))).toBe(true);
    expect(lptool(['merge', '--root', root]).code).toBe(0);
    const fromCache = all(root);
    fs.rmSync(path.join(root, 'lp/.cache'), { recursive: true });
    expect(lptool(['merge', '--root', root]).code).toBe(0);
    expect(all(root)).toBe(fromCache);
    // rebuild the cache, then edit a value by hand: merge must see the edit
    await build({ ...PLAIN_BUILD, root, full: true });
    const north = path.join(root, 'lp/north.csv');
    const text = fs.readFileSync(north, 'utf8').replace(',-1.58256,7.013664,', ',-100,7.013664,');
    fs.writeFileSync(north, text);
    expect(lptool(['merge', '--root', root]).code).toBe(0);
    expect(all(root)).toContain('2024-07-12T11:00:00-07:00,2024-07-12T11:15:00-07:00,-100,');
  });

  it('no changed input rewrites nothing: lp/all.csv keeps its bytes, inode and mtime; any change rewrites it', () => {
    const root = site();
    const file = path.join(root, 'lp/all.csv');
    const stamp = () => {
      const st = fs.statSync(file, { bigint: true });
      return `${st.ino}:${st.mtimeNs}`;
    };
    expect(lptool(['merge', '--root', root]).code).toBe(0);
    const first = stamp();
    const again = lptool(['merge', '--root', root]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      /^merge .*: no profile changed since lp\/all\.csv was written \(49 intervals .*\): left as it was\n$/,
    );
    expect(stamp()).toBe(first);
    expect(JSON.parse(lptool(['merge', '--root', root, '--json']).stdout)).toMatchObject({ unchanged: true, rows: 49 });
    expect(stamp()).toBe(first);
    // other options: a new total
    expect(lptool(['merge', '--root', root, '--exclude', 'south', '-q']).code).toBe(0);
    expect(all(root)).toMatch(/,2\n$/);
    expect(lptool(['merge', '--root', root, '-q']).code).toBe(0);
    expect(all(root)).toBe(fs.readFileSync(path.join(FIXTURES, 'merge/expected-all.csv'), 'utf8'));
    const back = stamp();
    // a profile rewritten (same bytes, a new mtime): merged again
    const north = path.join(root, 'lp/north.csv');
    fs.utimesSync(north, new Date(), new Date(Date.now() + 5000));
    expect(lptool(['merge', '--root', root, '-q']).code).toBe(0);
    expect(stamp()).not.toBe(back);
    // a hand-edited total is written again, whole
    fs.appendFileSync(file, 'junk\n');
    expect(lptool(['merge', '--root', root, '-q']).code).toBe(0);
    expect(all(root)).toBe(fs.readFileSync(path.join(FIXTURES, 'merge/expected-all.csv'), 'utf8'));
  });
});

describe('merge in other settings than the profiles', () => {
  it('merge --tz UTC on profiles built in America/Los_Angeles: exit 2, one line naming both, nothing written', async () => {
    const root = site('build/legal/input');
    await build({ ...PLAIN_BUILD, root });
    expect(lptool(['merge', '--root', root, '-q']).code).toBe(0);
    const file = path.join(root, 'lp/all.csv');
    const before = fs.statSync(file, { bigint: true });
    const r = lptool(['merge', '--root', root, '--tz', 'UTC']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^lptool: LPT_CONFIG: settings — expected those lp\/\w+\.csv was built with \(timezone America\/Los_Angeles\), got timezone UTC; nothing was written .*lptool build --full --tz UTC \(key --tz\)\n$/,
    );
    const after = fs.statSync(file, { bigint: true });
    expect([after.ino, after.mtimeNs]).toEqual([before.ino, before.mtimeNs]);
    // run --tz UTC: build keeps the profiles, and merge does not write a total in UTC either
    fs.mkdirSync(path.join(root, '_dropbox/KW'), { recursive: true });
    const run = lptool(['run', '--root', root, '--settle', '0', '--tz', 'UTC', '-q']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/LPT_CONFIG: settings — expected those lp\/\w+\.csv was built with/);
    expect(fs.statSync(file, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
    // rebuilt in UTC first (exit 1: the fixture's archive has bad rows), the total in UTC is made
    expect(lptool(['build', '--root', root, '--full', '--tz', 'UTC', '--allow-shrink', '-q']).code).toBe(1);
    // (south has no rows in UTC: the fixture's DST files are all rejected then)
    expect(lptool(['merge', '--root', root, '--tz', 'UTC', '--only', 'north,east', '-q']).code).toBe(0);
    expect(fs.readFileSync(file, 'utf8').split('\n')[1]).toMatch(/^\S+\+00:00,/);
  });
});
