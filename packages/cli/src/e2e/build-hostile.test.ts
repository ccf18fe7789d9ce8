import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addDay, dailySite, exportLabel, exportText, lptool, siteRoots } from '../testing.js';

/**
 * Hostile sites for build (issue 13): one huge export, a meter that fails, a hand-edited manifest,
 * an lp/ that is a file or a symlink, meter names too long to become file names, archive names that
 * are not UTF-8. One meter's trouble never fails the others; the rest is exit 2 with what to do.
 */
const roots = siteRoots();
/** A site with `meters` (id → name) and, per day from 2023-01-01, one export per meter. */
const site = (meters: Record<string, string>, days: number) => dailySite(roots.temp('lptool-daily-'), meters, days);
const buildCli = (root: string, env: Record<string, string> = {}, ...args: string[]) =>
  lptool(['build', '--root', root, ...args], { env });
const read = (root: string, f: string) => fs.readFileSync(path.join(root, f), 'utf8');

describe('a worker that hits its memory cap (issue 13 item 8)', () => {
  it('is replaced, and its meter is built again in the main thread: every profile as a one-thread build makes it', () => {
    const root = site({ '1002': 'small' }, 70); // 70 files: a pool of two workers
    // one meter with a single export of a whole year (35,040 rows) whose rows all have a quoted field, so each is
    // read as text, a string per field (quote-free rows are read as bytes and a year of them fits in 24 MB):
    // more than a 24 MB worker holds
    const big = exportText('1001', '2023-01-01T00:00', 35_040).replaceAll(',Normal,', ',"Normal",');
    fs.mkdirSync(path.join(root, 'data/KW/2023-01'), { recursive: true });
    fs.writeFileSync(path.join(root, 'data/KW/2023-01/big.csv'), big);
    fs.appendFileSync(path.join(root, 'meter-data.csv'), '1001,big,3\n');
    const r = buildCli(root, { LPTOOL_WORKERS: '2', LPTOOL_WORKER_HEAP_MB: '24' }, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.meters.map((m: { name: string; status: string; rows: number }) => [m.name, m.status, m.rows])).toEqual([
      ['small', 'built', 6720],
      ['big', 'built', 35_040],
    ]);
    expect(read(root, 'logs/build.log')).toContain(
      'big: its worker thread hit its memory cap (24 MB); built again in the main thread',
    );
    const profiles = { big: read(root, 'lp/big.csv'), small: read(root, 'lp/small.csv') };
    expect(fs.readdirSync(path.join(root, 'lp')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(fs.readdirSync(path.join(root, 'lp/.cache')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // the same profiles, byte for byte, as a build in one thread
    expect(buildCli(root, { LPTOOL_WORKERS: '1' }, '--full').code).toBe(0);
    expect({ big: read(root, 'lp/big.csv'), small: read(root, 'lp/small.csv') }).toEqual(profiles);
  }, 120_000);
});

describe('the manifest, lp/ and meter names (issue 13 items 2, 9 and 11)', () => {
  it('a hand-edited manifest with wrong types is exit 2 saying what to do; so is a manifest that is a folder', () => {
    const root = site({ '1001': 'north' }, 2);
    expect(buildCli(root).code).toBe(0);
    const file = path.join(root, 'lp/.build-manifest.json');
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    m.meters.north.paths = 5;
    fs.writeFileSync(file, JSON.stringify(m));
    addDay(root, '1001', 'north', 2); // a new file: the build would try to append
    const before = read(root, 'lp/north.csv');
    const r = buildCli(root);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      "lptool: LPT_MANIFEST_CORRUPT: build manifest — expected lptool's JSON, got meters.north.paths — Expected array, received number; nothing was built: delete .build-manifest.json and run again (every profile is then built in full from the archive) (lp/.build-manifest.json)",
    );
    expect(read(root, 'lp/north.csv')).toBe(before);
    fs.rmSync(file);
    fs.mkdirSync(file);
    expect(buildCli(root).stderr).toMatch(
      /^lptool: LPT_MANIFEST_CORRUPT: build manifest — expected lptool's JSON, got a folder;/,
    );
    fs.rmdirSync(file);
    expect(buildCli(root).code).toBe(0);
  });

  it('lp/ as a file or a symlink is exit 2 naming it, for build and merge', () => {
    const root = site({ '1001': 'north' }, 1);
    fs.writeFileSync(path.join(root, 'lp'), 'oops');
    for (const cmd of ['build', 'merge']) {
      const r = lptool([cmd, '--root', root]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^lptool: LPT_SITE_LAYOUT: site folder lp — expected a folder, got a file; move it aside and run again/,
      );
    }
    fs.rmSync(path.join(root, 'lp'));
    const outside = { dir: roots.temp('lptool-outside-') };
    fs.symlinkSync(outside.dir, path.join(root, 'lp'));
    const r = buildCli(root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lptool: LPT_SITE_LAYOUT: site folder lp — expected a folder, got a symlink/);
    expect(fs.readdirSync(outside.dir)).toEqual([]);
  });

  it('a meter name over 100 characters is exit 2 naming the meter-data.csv line; 100 build', () => {
    const root = site({ '1001': 'n'.repeat(100) }, 1);
    expect(buildCli(root).code).toBe(0);
    expect(fs.existsSync(path.join(root, `lp/${'n'.repeat(100)}.csv`))).toBe(true);
    fs.appendFileSync(path.join(root, 'meter-data.csv'), `1002,${'s'.repeat(230)},1\n`);
    const r = buildCli(root);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `lptool: LPT_BAD_METER_DATA: name — expected at most 100 characters, got 230 ("${'s'.repeat(40)}…") (meter-data.csv:3, column name)`,
    );
  });

  it('an archived file whose name is not UTF-8 is named, and the others are built (exit 1)', () => {
    const root = site({ '1001': 'north' }, 2);
    const bad = Buffer.concat([
      Buffer.from(`${root}/data/KW/2023-01/north-`),
      Buffer.from([0xe9]),
      Buffer.from('.csv'),
    ]);
    fs.writeFileSync(bad, exportText('1001', '2023-01-03T00:00', 96, { label: (w) => exportLabel(w) }));
    const r = buildCli(root, {}, '--json');
    expect(r.stderr).toBe(
      // the bad file is a problem: on stderr, also under --json
      'lptool: build: bad file data/KW/2023-01/north-\\xE9.csv: PARSE-ERROR: name is not valid UTF-8 — not read; rename it\n',
    );
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout);
    expect(s.badFiles).toEqual([
      {
        file: 'data/KW/2023-01/north-\\xE9.csv',
        reason: 'PARSE-ERROR',
        message: 'name is not valid UTF-8 — not read; rename it',
      },
    ]);
    expect(s.meters[0]).toMatchObject({ name: 'north', status: 'built', rows: 192 });
  });
});
