import fs from 'node:fs';
import path from 'node:path';
import { SiteClock } from '@lptool/core';
import { describe, expect, it } from 'vitest';
import { dailySite, siteRoots } from '../../io/src/fixtures.test-helper.js';
import type { MeterJob } from './meter-job.js';
import { runMeterJobs } from './pool.js';

/**
 * The worker pool (issue 13): one meter's trouble never fails the others. (The rest of issue 13's hostile
 * sites for build go through the real CLI: packages/cli/src/e2e/build-hostile.test.ts.)
 */
const roots = siteRoots();
/** A site with `meters` (id → name) and, per day from 2023-01-01, one export per meter. */
const site = (meters: Record<string, string>, days: number) => dailySite(roots.temp('lptool-daily-'), meters, days);
const read = (root: string, f: string) => fs.readFileSync(path.join(root, f), 'utf8');

describe('one meter that fails (issue 13 item 8)', () => {
  it('is reported as failed with its profile left as it was; the other meters are built', async () => {
    const root = site({ '1001': 'north', '1002': 'south' }, 2);
    const clock = new SiteClock('America/Los_Angeles', 'standard');
    const job = (name: string, id: string, files: string[]): MeterJob => ({
      info: { meter: id, name, multiplier: 2, line: 2 },
      files: files.map((rel) => ({ rel, first: '', mtimeMs: 0 })),
      output: path.join(root, 'lp', `${name}.csv`),
      root,
      zone: clock.zone,
      clockMode: 'standard',
      intervalMs: 900_000,
      from: undefined,
      to: undefined,
      legacyNet: false,
      onBadRow: 'skip',
      extract: false,
      append: null,
    });
    fs.mkdirSync(path.join(root, 'lp'));
    fs.writeFileSync(path.join(root, 'lp/north.csv'), 'the old profile\n');
    const outcomes = await runMeterJobs([
      job('north', '1001', ['data/KW/2023-01/north-2023-01-01.csv', 'data/KW/2023-01/gone.csv']),
      job('south', '1002', ['data/KW/2023-01/south-2023-01-01.csv']),
    ]);
    expect(outcomes.map((o) => o.result.status)).toEqual(['failed', 'built']);
    expect(outcomes[0]!.result.error).toMatch(
      /^build failed — ENOENT: no such file or directory, open '.*gone\.csv'; lp\/north\.csv left as it was$/,
    );
    expect(outcomes[0]!.pending).toBeUndefined();
    expect(outcomes[1]!.pending?.length).toBe(2);
    expect(read(root, 'lp/north.csv')).toBe('the old profile\n');
    expect(fs.readdirSync(path.join(root, 'lp')).filter((f) => f.startsWith('.north.csv.tmp-'))).toEqual([]);
    for (const o of outcomes)
      for (const f of [...(o.pending ?? []), ...(o.pendingCache ? [o.pendingCache] : [])]) fs.rmSync(f.temp);
  });
});
