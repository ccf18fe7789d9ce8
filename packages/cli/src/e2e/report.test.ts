/** `lptool report` end to end through the real CLI (the browser test draws the page). */
import fs from 'node:fs';
import path from 'node:path';
import { SiteClock } from '@lptool/core';
import { readProfile } from '@lptool/profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSeries, type SeriesFile, type SiteData } from '../../../report/src/index.js';
import { lptool, tempDir } from '../testing.js';

const work = tempDir('lptool-report-');
const root = path.join(work.dir, 'site');
const out = path.join(root, 'lp/report');

function ok(args: string[], codes = [0]) {
  const r = lptool(args);
  if (!codes.includes(r.code)) throw new Error(`lptool ${args.join(' ')} → ${r.code}: ${r.stderr}`);
  return r;
}
/** What a page script file assigns or passes, as data. */
function scriptData<T>(file: string, prefix: string, suffix: string): T {
  const text = fs.readFileSync(file, 'utf8');
  expect(text.startsWith(prefix) && text.endsWith(suffix)).toBe(true);
  return JSON.parse(text.slice(prefix.length, text.length - suffix.length)) as T;
}
const siteData = () => scriptData<SiteData>(path.join(out, 'data/site.js'), 'window.LPTOOL_REPORT = ', ';\n');
const leftovers = (dir: string) => fs.readdirSync(dir).filter((n) => /\.(writing|replaced)-\d+$/.test(n));

beforeAll(() => {
  ok([
    ...['synth', 'site', '--out', root, '--meters', '3', '--days', '21', '--start', '2024-10-21', '--seed', '5'],
    ...['--gaps', '1', '--duplicates', '1', '--overlaps', '1'],
  ]);
  ok(['sort', '--root', root, '--settle', '0']);
  ok(['build', '--root', root], [1]); // the overlap is a conflict
}, 60_000);
afterAll(() => work.cleanup());

describe('lptool report', () => {
  it('without a total or logs of merge yet: the meters, their gaps as gaps --json counts them, the conflict', () => {
    const r = ok(['report', '--root', root, '--json']);
    const s = JSON.parse(r.stdout);
    expect(s.index).toBe(path.join(out, 'index.html'));
    const g = JSON.parse(ok(['gaps', '--root', root, '--json']).stdout);
    expect(s.gaps).toBe(g.profiles.reduce((n: number, p: { gaps: unknown[] }) => n + p.gaps.length, 0));
    expect(s.gaps).toBeGreaterThan(0);
    expect([s.duplicates, s.conflicts, s.partialTotals]).toEqual([1, 1, null]);
    const d = siteData();
    expect(d.profiles.map((p) => p.name)).toEqual(['east', 'north', 'south']);
    expect(d.conflicts.rows[0]).toMatchObject({
      name: expect.any(String),
      kept: { file: expect.stringMatching(/^data\/KW\//) },
    });
    expect(fs.existsSync(path.join(out, 'data/series/all.js'))).toBe(false);
  });

  it('every interval of a profile is in its series file, exactly', () => {
    ok(['merge', '--root', root]);
    ok(['report', '--root', root]);
    const clock = new SiteClock('America/Los_Angeles');
    for (const name of ['north', 'all']) {
      const file = scriptData<SeriesFile>(
        path.join(out, `data/series/${name}.js`),
        'window.LPTOOL_REPORT_SERIES(',
        ');\n',
      );
      const p = readProfile(path.join(root, 'lp', `${name}.csv`), name, clock);
      const d = decodeSeries(file.series);
      expect([...d.starts]).toEqual([...p.start]);
      expect([...d.values]).toEqual([...p.columns.get('MW_net')!]);
    }
  });

  it('replaces an earlier report whole, never a folder of other files; a killed run leaves nothing behind', () => {
    ok(['report', '--root', root]);
    const first = siteData().gen;
    // a run killed while writing left its temp folder (pid 999999 is not running); build must not mind it
    const stale = path.join(root, 'lp', '.report.writing-999999');
    fs.mkdirSync(path.join(stale, 'data'), { recursive: true });
    ok(['build', '--root', root], [0, 1]);
    ok(['report', '--root', root]);
    expect(siteData().gen).not.toBe(first);
    expect(leftovers(path.join(root, 'lp'))).toEqual([]);

    const foreign = path.join(work.dir, 'not-a-report');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
    const r = lptool(['report', '--root', root, '--out', foreign]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lptool: LPT_USAGE: --out — expected a new folder or an earlier report/);
    expect(fs.readdirSync(foreign)).toEqual(['notes.txt']);
    expect(leftovers(work.dir)).toEqual([]);
  });

  it('names a profile it cannot read and CSVs that are no meter of meter-data.csv, and still writes the page', () => {
    const east = path.join(root, 'lp/east.csv');
    const saved = fs.readFileSync(east);
    fs.copyFileSync(path.join(root, 'lp/north.csv'), path.join(root, 'lp/north-old.csv'));
    try {
      fs.writeFileSync(east, 'hello\n');
      const r = ok(['report', '--root', root, '--json']);
      expect(JSON.parse(r.stdout).profiles).toBe(3); // north, south and the total
      const d = siteData();
      expect(d.unreadable).toEqual([{ file: 'lp/east.csv', error: expect.stringMatching(/^LPT_USAGE: header/) }]);
      expect(d.otherProfiles).toEqual(['lp/north-old.csv']);
      expect(fs.readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('Not readable, left out: lp/east.csv');
    } finally {
      fs.writeFileSync(east, saved);
      fs.rmSync(path.join(root, 'lp/north-old.csv'));
    }
  });

  it('a site with nothing built yet gets a page that says so', () => {
    const empty = path.join(work.dir, 'empty');
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, 'lptool.yaml'), 'timezone: America/Los_Angeles\n');
    const s = JSON.parse(ok(['report', '--root', empty, '--json']).stdout);
    expect([s.profiles, s.gaps, s.partialTotals]).toEqual([0, 0, null]);
    expect(fs.readFileSync(path.join(empty, 'lp/report/index.html'), 'utf8')).toContain('No meter profiles in lp/ yet');
  });

  it('--help shows the examples, and each runs (on this site, a share folder in place of /srv)', () => {
    const examples = ok(['report', '--help'])
      .stdout.split('\n')
      .filter((l) => l.trim().startsWith('$ lptool report'))
      .map((l) => l.trim().slice(2));
    expect(examples).toEqual([
      'lptool report',
      'lptool report --root /srv/meters --out /srv/share/qa',
      'lptool report --bess bess/bess.yaml --json',
    ]);
    ok(['synth', 'bess', '--out', path.join(root, 'bess'), '--inverters', '1', '--days', '1', '--extra-columns', '2']);
    ok(['bess', '-c', path.join(root, 'bess/bess.yaml')], [0, 1]);
    const share = path.join(work.dir, 'share/qa');
    for (const example of examples) {
      const args = example
        .split(' ')
        .slice(1)
        .map((a) => a.replace('/srv/meters', root).replace('/srv/share/qa', share));
      const r = lptool(args, { cwd: root });
      expect(r.code, `${example}: ${r.stderr}`).toBe(0);
    }
    expect(fs.existsSync(path.join(share, 'index.html'))).toBe(true);
    expect(JSON.parse(lptool(['report', '--bess', 'bess/bess.yaml', '--json'], { cwd: root }).stdout).bess).toBe(
      'bess/out',
    );
    expect(siteData().bess!.enclosures.length).toBeGreaterThan(0);
    const missing = lptool(['report', '--root', root, '--bess', path.join(root, 'no.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--bess — expected a bess.yaml');
  });
});
