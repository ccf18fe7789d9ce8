/** `lptool synth` end to end: the bundled sample site from its README commands, and synth sites through the pipeline. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bess as bessOf } from '../../../bess/src/index.js';
import { gaps } from '../../../gaps/src/index.js';
import { build } from '../../../profiles/src/index.js';
import { sort } from '../../../sort/src/index.js';
import { type SiteSynthOptions, synthBess, synthSite } from '../../../synth/src/index.js';
import {
  FAULTY_SITE,
  FIXTURES,
  listFiles,
  lptool,
  PLAIN_BUILD,
  PLAIN_GAPS,
  PLAIN_SORT,
  SMALL_BESS,
  sha256,
  siteRoots,
} from '../testing.js';

const roots = siteRoots();
const tmp = () => roots.temp('lptool-synth-');
const base: Omit<SiteSynthOptions, 'out'> = FAULTY_SITE;

const bess = (config: string) => bessOf({ config, minCoverage: 0.9 });

describe('lptool synth site', () => {
  it('the bundled sample site is exactly what its README commands generate', () => {
    const out = tmp();
    const site = lptool([
      'synth',
      'site',
      '--out',
      path.join(out, 's'),
      '--meters',
      '3',
      '--days',
      '21',
      '--start',
      '2024-10-21',
      '--tz',
      'America/Los_Angeles',
      '--file-days',
      '1',
      '--gaps',
      '1',
      '--sequence-errors',
      '1',
      '--duplicates',
      '1',
      '--overlaps',
      '1',
      '--seed',
      '7',
    ]);
    expect(site.code).toBe(0);
    expect(
      lptool([
        'synth',
        'bess',
        '--out',
        path.join(out, 's/bess'),
        '--inverters',
        '2',
        '--days',
        '2',
        '--start',
        '2024-04-06',
        '--step',
        '5m',
        '--extra-columns',
        '20',
        '--seed',
        '7',
      ]).code,
    ).toBe(0);
    const mine = listFiles(path.join(out, 's'));
    const committed = listFiles(path.join(FIXTURES, 'sample-site')).filter((f) => f !== 'README.md');
    expect(mine).toEqual(committed);
    for (const f of mine)
      expect(sha256(fs.readFileSync(path.join(out, 's', f))), f).toBe(
        sha256(fs.readFileSync(path.join(FIXTURES, 'sample-site', f))),
      );
  });

  it('the pipeline finds exactly the injected faults', async () => {
    const root = tmp();
    const m = synthSite({ ...base, out: root });
    const s = await sort({ ...PLAIN_SORT, root, settleMs: 0 });
    expect(s.files.filter((f) => f.reason).map((f) => [f.name, f.reason])).toEqual(
      m.faults.sequenceErrors.map((e) => [e.file, 'SEQUENCE-ERROR']),
    );
    expect(s.files.filter((f) => f.outcome === 'duplicate').map((f) => f.name)).toEqual(
      m.faults.duplicates.map((d) => d.copy),
    );
    const sidecar = JSON.parse(
      fs.readFileSync(
        path.join(root, 'data/KW/ERROR', m.faults.sequenceErrors[0]!.file.replace('.csv', '_SEQUENCE-ERROR.json')),
        'utf8',
      ),
    );
    expect(sidecar.rows[0].line).toBe(m.faults.sequenceErrors[0]!.line);
    const b = await build({ ...PLAIN_BUILD, root });
    expect(b.conflicts.map((c) => [c.start, c.kept.file.split('/').pop(), c.kept.values.split(' ')[0]])).toEqual(
      m.faults.overlaps.map((o) => [o.start, o.reexport, `kw_del=${o.kw_del}`]),
    );
    const g = await gaps({
      root,
      files: [],
      ...PLAIN_GAPS,
    });
    const found = g.profiles
      .flatMap((p) =>
        p.gaps.map((x) => `${path.basename(p.file, '.csv')} ${x.gap_start} ${x.gap_end} ${x.missing_intervals}`),
      )
      .sort();
    const injected = [...m.faults.gaps, ...m.faults.sequenceErrors]
      .map((x) => `${x.name} ${x.gap_start} ${x.gap_end} ${x.missing_intervals}`)
      .sort();
    expect(found).toEqual(injected);
  });

  it('a standard-clock site (no DST in the labels) is taken in whole', async () => {
    const root = tmp();
    synthSite({
      ...base,
      out: root,
      clock: 'standard',
      start: '2024-03-04',
      days: 14,
      gaps: 0,
      sequenceErrors: 0,
      duplicates: 0,
      overlaps: 0,
    });
    const text = fs.readFileSync(
      path.join(
        root,
        '_dropbox/KW',
        listFiles(path.join(root, '_dropbox/KW')).find((f) => f.startsWith('north-0304'))!,
      ),
      'utf8',
    );
    expect(text).toContain(',03/10/24 02:15:00,'); // a label that does not exist in legal time
    const s = await sort({ ...PLAIN_SORT, root, settleMs: 0 });
    expect(s.counts).toMatchObject({ archived: 8, error: 0 });
    const b = await build({ ...PLAIN_BUILD, root });
    expect(b.meters.every((x) => x.rows === 14 * 96 - 4)).toBe(true); // 14 local days, one of them 23 hours
  });
});

describe('lptool synth bess', () => {
  it('CSV and Parquet with the same seed give the same energy', async () => {
    const [a, b] = [tmp(), tmp()];
    const opts = SMALL_BESS;
    const r = synthBess({ ...opts, out: a, format: 'csv' });
    synthBess({ ...opts, out: b, format: 'parquet' });
    expect(r.columns).toBe(1 + 4 * 2 + (6 + 6 + 6 + 4) * 10 + 30);
    const x = await bess(path.join(a, 'bess.yaml'));
    const y = await bess(path.join(b, 'bess.yaml'));
    expect(x.enclosures).toBe(22);
    expect(fs.readFileSync(path.join(b, 'out/daily_energy_by_enclosure.csv'), 'utf8')).toBe(
      fs.readFileSync(path.join(a, 'out/daily_energy_by_enclosure.csv'), 'utf8'),
    );
    expect(y.totals.some((t) => t.charged_kwh > 0 && t.discharged_kwh > 0)).toBe(true);
  });
});
