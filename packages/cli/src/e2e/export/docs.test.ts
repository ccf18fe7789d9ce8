import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lptool, REPO } from '../../testing.js';
import { builtSite, csvRows, duckAll } from './site.test-helper.js';

// a site with holes (exports never delivered) over the fall-back night
const site = builtSite(['--meters', '3', '--days', '21', '--start', '2024-10-21', '--gaps', '2', '--file-days', '3']);
afterAll(() => site.cleanup());

/** The first ```sql block after a heading of docs/scale-out.md, as statements. */
function sqlAfter(heading: string): string[] {
  const doc = fs.readFileSync(path.join(REPO, 'docs/scale-out.md'), 'utf8');
  const block = doc.slice(doc.indexOf(heading)).split('```sql\n')[1]!.split('```')[0]!;
  return block
    .replace(/--[^\n]*/g, '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}

describe('docs/scale-out.md — its DuckDB queries run on an exported dataset', () => {
  it('the system total reproduces lp/all.csv and the gap list is lptool gaps’ list', async () => {
    expect(lptool(['export', 'parquet', '--root', site.root]).code).toBe(0);
    const gaps = lptool(['gaps', '--root', site.root]);
    expect(gaps.code).toBeLessThanOrEqual(1);
    const lake = path.join(site.root, 'export', 'parquet');
    const statements = sqlAfter('### DuckDB').map((s) => s.replace('lake/', `${lake}/`));
    expect(statements).toHaveLength(3);
    const [, total, gapList] = await duckAll(statements);
    const all = csvRows(path.join(site.root, 'lp', 'all.csv'));
    expect(total!.map((t) => [(t.start as Date).getTime(), t.MW_total, t.PF_total ?? '', t.feeders_reporting])).toEqual(
      all.map((r) => [
        Date.parse(r['Start Time']!),
        Number(r.MW_total),
        r.PF_total ? Number(r.PF_total) : '',
        Number(r.feeders_reporting),
      ]),
    );
    const expected = ['east', 'north', 'south'].flatMap((name) =>
      csvRows(path.join(site.root, 'lp', `${name}_gaps.csv`)).map((g) => [
        name,
        Date.parse(g.gap_start!),
        Date.parse(g.gap_end!),
        Number(g.missing_intervals),
      ]),
    );
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(
      gapList!.map((g) => [
        g.name,
        (g.gap_start as Date).getTime(),
        (g.gap_end as Date).getTime(),
        g.missing_intervals,
      ]),
    ).toEqual(expected);
  });
});

describe('README — the export examples', () => {
  it('are the --help examples (which run in the tests against a site and the test server)', () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const block = readme.split('### `lptool export`')[1]!.split('```sh\n')[1]!.split('```')[0]!;
    const lines = block
      .split('\n')
      .map((l) => l.replace(/#.*$/, '').trim())
      .filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const help = [
      ...lptool(['export', 'parquet', '--help']).stdout.split('\n'),
      ...lptool(['export', 'postgres', '--help']).stdout.split('\n'),
    ].map((l) => l.replace(/^\s*\$ /, '').trim());
    for (const l of lines) expect(help).toContain(l);
  });
});
