/** report(), called directly on fixture sites: what the page is made of, and where it may be written. */
import fs from 'node:fs';
import path from 'node:path';
import { GapScanner, SiteClock } from '@lptool/core';
import { readProfile } from '@lptool/profiles';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach, FIXTURES, siteWithTotal, tempDir } from '../../io/src/fixtures.test-helper.js';
import type { SiteData } from './model.js';
import { type ReportOptions, report as reportOf } from './report.js';
import { formatReportSummary } from './summary.js';

const cleanups = cleanupsAfterEach();
/** The merge fixture's three feeders with their total, and the BESS fixture's outputs in bess/. */
function site(): string {
  const s = siteWithTotal();
  cleanups.push(s.cleanup);
  fs.mkdirSync(path.join(s.root, 'bess/out'), { recursive: true });
  fs.copyFileSync(path.join(FIXTURES, 'bess/bess.yaml'), path.join(s.root, 'bess/bess.yaml'));
  fs.cpSync(path.join(FIXTURES, 'bess/expected'), path.join(s.root, 'bess/out'), { recursive: true });
  return s.root;
}
const report = (root: string, o: Partial<ReportOptions> = {}) => reportOf({ root, lockWaitMs: 30_000, ...o });
const siteData = (out: string): SiteData => {
  const text = fs.readFileSync(path.join(out, 'data/site.js'), 'utf8');
  return JSON.parse(text.slice('window.LPTOOL_REPORT = '.length, -';\n'.length)) as SiteData;
};

describe('report', () => {
  it('the meters, the total and the BESS outputs of a site; gaps as the gap engine finds them', async () => {
    const root = site();
    const s = await report(root);
    expect(s.out).toBe(path.join(root, 'lp/report'));
    expect([s.profiles, s.partialTotals, s.bess]).toEqual([4, 49, 'bess/out']);
    expect(formatReportSummary(s)).toMatch(/^report .*index\.html: 4 profiles, \d+ gaps/);
    const clock = new SiteClock('America/Los_Angeles');
    let gaps = 0;
    for (const name of ['east', 'north', 'south', 'all']) {
      const p = readProfile(path.join(root, `lp/${name}.csv`), name, clock);
      const scanner = new GapScanner({ fallbackIntervalMs: 900_000 });
      for (const t of p.record.start) scanner.push(t);
      gaps += scanner.finish().gaps.length;
    }
    expect(s.gaps).toBe(gaps);
    const d = siteData(s.out);
    expect(d.profiles.map((p) => [p.name, p.kind])).toEqual([
      ['east', 'meter'],
      ['north', 'meter'],
      ['south', 'meter'],
      ['all', 'total'],
    ]);
    expect(d.bess).toMatchObject({ zone: 'Australia/Sydney', dates: ['2024-04-06', '2024-04-07'] });
    expect(d.bess!.ratios).toHaveLength(10);
    expect(d.total!.peak!.feeders.map((f) => f.name).sort()).toEqual(['east', 'north', 'south']);
  });

  it('a profile it cannot read and CSVs that are no meter of meter-data.csv are named; the page is still written', async () => {
    const root = site();
    fs.writeFileSync(path.join(root, 'lp/east.csv'), 'hello\n');
    fs.copyFileSync(path.join(root, 'lp/north.csv'), path.join(root, 'lp/north-old.csv'));
    const s = await report(root);
    expect(s.profiles).toBe(3);
    const d = siteData(s.out);
    expect(d.unreadable).toEqual([{ file: 'lp/east.csv', error: expect.stringMatching(/^LPT_USAGE: header/) }]);
    expect(d.otherProfiles).toEqual(['lp/north-old.csv']);
  });

  it('replaces only an earlier report or an empty folder; a wrong --bess is exit 2', async () => {
    const root = site();
    const foreign = path.join(root, 'notes');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
    await expect(report(root, { out: foreign })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^--out — expected a new folder or an earlier report/),
    });
    expect(fs.readdirSync(foreign)).toEqual(['notes.txt']);
    const first = await report(root, { out: path.join(root, 'qa') });
    fs.writeFileSync(path.join(first.out, 'data/stale.js'), '');
    const again = await report(root, { out: path.join(root, 'qa') });
    expect(fs.existsSync(path.join(again.out, 'data/stale.js'))).toBe(false); // replaced whole
    expect(fs.readdirSync(root).filter((n) => /\.(writing|replaced)-\d+$/.test(n))).toEqual([]);
    await expect(report(root, { bessConfig: path.join(root, 'no.yaml') })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('--bess — expected a bess.yaml'),
    });
  });

  it('a meter-data.csv that cannot be read is exit 2 naming it, as in build and merge (review L3)', async () => {
    const root = site();
    const md = path.join(root, 'meter-data.csv');
    for (const text of ['meter,multiplier\n144800052,2\n', '']) {
      fs.writeFileSync(md, text);
      await expect(report(root), text).rejects.toMatchObject({
        code: 'LPT_BAD_METER_DATA',
        exitCode: 2,
        message: expect.stringMatching(/./),
      });
    }
    expect(fs.existsSync(path.join(root, 'lp/report'))).toBe(false);
  });

  it('a site with nothing built yet gets a page that says so', async () => {
    const t = tempDir('lptool-report-');
    cleanups.push(t.cleanup);
    fs.writeFileSync(path.join(t.dir, 'lptool.yaml'), 'timezone: America/Los_Angeles\n');
    const s = await report(t.dir);
    expect([s.profiles, s.gaps, s.partialTotals]).toEqual([0, 0, null]);
    expect(fs.readFileSync(path.join(s.out, 'index.html'), 'utf8')).toContain('No meter profiles in lp/ yet');
  });
});
