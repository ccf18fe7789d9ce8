import fs from 'node:fs';
import path from 'node:path';
import { shardOf } from '@lptool/profiles';
import { afterAll, describe, expect, it } from 'vitest';
import { listFiles, lptool, tempDir } from '../../testing.js';
import { dataset, duck } from './site.test-helper.js';

const work = tempDir('lptool-shards-');
afterAll(() => work.cleanup());

const run = (args: string[]) => {
  const r = lptool(args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};

describe('scale-out: N shards built and exported into one folder', () => {
  it('three shards give exactly the unsharded dataset (DuckDB EXCEPT both ways is empty)', async () => {
    const sorted = path.join(work.dir, 'sorted');
    run(['synth', 'site', '--out', sorted, '--meters', '7', '--days', '9', '--start', '2024-11-01']);
    run(['sort', '--root', sorted, '--settle', '0']);
    const shared = path.join(work.dir, 'lake');
    const meterIds = fs.readFileSync(path.join(sorted, 'meter-data.csv'), 'utf8').trim().split('\n').slice(1);
    for (const k of [1, 2, 3]) {
      // one machine each: its own copy of the archive, its shard of the meters, one shared dataset
      const root = path.join(work.dir, `shard${k}`);
      fs.cpSync(sorted, root, { recursive: true });
      run(['build', '--root', root, '--shard', `${k}/3`]);
      const built = fs.readdirSync(path.join(root, 'lp')).filter((f) => f.endsWith('.csv'));
      const mine = meterIds.filter((l) => shardOf(l.split(',')[0]!, 3) === k).map((l) => `${l.split(',')[1]}.csv`);
      expect(built.sort()).toEqual(mine.sort());
      run(['export', 'parquet', '--root', root, '--shard', `${k}/3`, '--out', shared]);
    }
    const whole = path.join(work.dir, 'whole');
    fs.cpSync(sorted, whole, { recursive: true });
    run(['build', '--root', whole]);
    run(['merge', '--root', whole]);
    const reference = path.join(work.dir, 'reference');
    run(['export', 'parquet', '--root', whole, '--out', reference]);

    const files = (d: string) => listFiles(d).filter((f) => f.startsWith('profiles/'));
    expect(files(shared)).toEqual(files(reference));
    expect(listFiles(shared).some((f) => f.startsWith('system_total/'))).toBe(false); // shards write no total
    const [a, b] = [dataset(shared), dataset(reference)];
    const diff = await duck(`SELECT count(*) AS n FROM (SELECT * FROM ${a} EXCEPT SELECT * FROM ${b})
                             UNION ALL SELECT count(*) FROM (SELECT * FROM ${b} EXCEPT SELECT * FROM ${a})`);
    expect(diff.map((d) => d.n)).toEqual([0, 0]);
    const [{ n }] = (await duck(`SELECT count(*) AS n FROM ${a}`)) as [{ n: number }];
    expect(n).toBe(7 * (9 * 96 + 4)); // 7 meters × 9 days with the 25-hour 2024-11-03
    // the three exporters share one manifest: every meter's source is in it
    const m = JSON.parse(fs.readFileSync(path.join(shared, '_lptool.json'), 'utf8'));
    expect(Object.keys(m.sources).sort()).toEqual(meterIds.map((l) => l.split(',')[1]).sort());
  });
});
