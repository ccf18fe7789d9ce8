/** synthSite and synthBess, called directly: deterministic, and data that looks like feeders and batteries. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAULTY_SITE, listFiles, SMALL_BESS, sha256, siteRoots } from '../../io/src/fixtures.test-helper.js';
import { synthBess } from './bess.js';
import { type SiteSynthOptions, synthSite } from './site.js';

const roots = siteRoots();
const tmp = () => roots.temp('lptool-synth-');
const base: Omit<SiteSynthOptions, 'out'> = FAULTY_SITE;

describe('synth site', () => {
  it('is deterministic from the seed, and another seed gives other data', () => {
    const [a, b, c] = [tmp(), tmp(), tmp()];
    synthSite({ ...base, out: a });
    synthSite({ ...base, out: b });
    synthSite({ ...base, out: c, seed: 4 });
    const tree = (d: string) =>
      listFiles(path.join(d, '_dropbox/KW')).map((f) => sha256(fs.readFileSync(path.join(d, '_dropbox/KW', f))));
    expect(tree(a)).toEqual(tree(b));
    expect(tree(a)).not.toEqual(tree(c));
  });

  it('looks like feeders: kVA ≥ kW each way, midday export and both directions non-zero on solar meters', () => {
    const out = tmp();
    const m = synthSite({ ...base, out, gaps: 0, sequenceErrors: 0, duplicates: 0, overlaps: 0 });
    let both = 0;
    let exporting = 0;
    for (const f of listFiles(path.join(out, '_dropbox/KW'))) {
      const [, ...rows] = fs
        .readFileSync(path.join(out, '_dropbox/KW', f), 'utf8')
        .trim()
        .split('\n');
      const solar = m.meters.find((x) => f.startsWith(`${x.name}-`))!.solar;
      for (const r of rows) {
        const [kd, kr, vd, vr] = r.split(',').slice(5).map(Number) as [number, number, number, number];
        expect(vd).toBeGreaterThanOrEqual(kd);
        expect(vr).toBeGreaterThanOrEqual(kr);
        if (solar && kd > 0 && kr > 0) both++;
        if (solar && kr > kd) exporting++;
      }
    }
    expect(both).toBeGreaterThan(10);
    expect(exporting).toBeGreaterThan(100);
  });
});

describe('synth bess', () => {
  it('a timestamp, two DC inputs per inverter, ten metrics per enclosure and the extra columns, the same in CSV and Parquet', () => {
    const [a, b] = [tmp(), tmp()];
    const opts = SMALL_BESS;
    const r = synthBess({ ...opts, out: a, format: 'csv' });
    const p = synthBess({ ...opts, out: b, format: 'parquet' });
    expect(r.columns).toBe(1 + 4 * 2 + (6 + 6 + 6 + 4) * 10 + 30);
    expect([p.columns, p.rows]).toEqual([r.columns, r.rows]);
    expect(r.rows).toBe((24 + 25) * 12); // 5-minute steps; 2024-04-07 in Sydney is the 25-hour day of the DST end
    const header = fs.readFileSync(r.file, 'utf8').split('\n', 1)[0]!.split(',');
    expect(header.slice(0, 3)).toEqual([
      'Timestamp',
      'BESS1 DC Input Power (kW) [Battery Inverter 1APCS1]',
      'BESS2 DC Input Power (kW) [Battery Inverter 1APCS1]',
    ]);
    expect(fs.readFileSync(path.join(a, 'bess.yaml'), 'utf8')).toBe(
      fs.readFileSync(path.join(b, 'bess.yaml'), 'utf8').replace('telemetry.parquet', 'telemetry.csv'),
    );
  });
});
