import fs from 'node:fs';
import path from 'node:path';
import { SiteClock } from '@lptool/core';
import { describe, expect, it } from 'vitest';
import { addDay, dailySite, siteRoots } from '../../io/src/fixtures.test-helper.js';
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

describe('the main thread and the workers on one queue (issue 16)', () => {
  it('largest meters first from the front to the workers, the smallest from the back to the main thread; outcomes in job order', async () => {
    // the built module, so that real worker threads run (from the TypeScript sources every job runs in this thread)
    const built = (await import(new URL('../dist/pool.js', import.meta.url).href)) as typeof import('./pool.js');
    const days = { a: 20, b: 5, c: 40, d: 2, e: 30, f: 10 };
    const names = Object.keys(days) as (keyof typeof days)[];
    const root = site(Object.fromEntries(names.map((n, i) => [String(1001 + i), n])), 1);
    names.forEach((n, i) => {
      for (let d = 1; d < days[n]; d++) addDay(root, String(1001 + i), n, d);
    });
    const clock = new SiteClock('America/Los_Angeles', 'standard');
    const filesOf = (n: string) =>
      fs
        .readdirSync(path.join(root, 'data/KW/2023-01'))
        .concat(
          fs.existsSync(path.join(root, 'data/KW/2023-02')) ? fs.readdirSync(path.join(root, 'data/KW/2023-02')) : [],
        )
        .filter((f) => f.startsWith(`${n}-`))
        .map((f) => `data/KW/${f.slice(n.length + 1, n.length + 8)}/${f}`)
        .sort();
    const jobs = (out: string): MeterJob[] =>
      names.map((n, i) => ({
        info: { meter: String(1001 + i), name: n, multiplier: 2, line: 2 + i },
        files: filesOf(n).map((rel) => ({ rel, first: '', mtimeMs: 0 })),
        output: path.join(root, out, `${n}.csv`),
        root,
        zone: clock.zone,
        clockMode: 'standard',
        intervalMs: 900_000,
        from: undefined,
        to: undefined,
        legacyNet: false,
        onBadRow: 'skip',
        extract: true,
        append: null,
        bytes: filesOf(n).reduce((s, rel) => s + fs.statSync(path.join(root, rel)).size, 0),
      }));
    for (const out of ['pool', 'one']) fs.mkdirSync(path.join(root, out));
    const env = { LPTOOL_WORKERS: '2' };
    const finished: string[] = [];
    const outcomes = await built.runMeterJobs(jobs('pool'), env, (o) => finished.push(o.result.name));
    expect(outcomes.map((o) => [o.result.name, o.result.status, o.result.rows])).toEqual(
      names.map((n) => [n, 'built', 96 * days[n]]),
    );
    expect(finished.sort()).toEqual([...names].sort());
    // the queue: largest first; the worker's part is a front of it (starting with the largest), the main thread's
    // (threadId 0) the rest, ending with the smallest — whichever thread finished first
    const queue = built.queueOrder(jobs('pool')).map((i) => names[i]!);
    expect(queue).toEqual(['c', 'e', 'a', 'f', 'b', 'd']);
    const onMain = queue.map((n) => outcomes[names.indexOf(n)]!.thread === 0);
    expect(onMain[0]).toBe(false);
    expect(onMain.at(-1)).toBe(true);
    expect(onMain).toEqual(queue.map((_, k) => k >= onMain.indexOf(true)));
    expect(outcomes.every((o) => typeof o.thread === 'number')).toBe(true);
    for (const o of outcomes) for (const f of o.pending ?? []) fs.renameSync(f.temp, f.target);
    // the same profiles as one thread makes them
    for (const o of await runMeterJobs(jobs('one'))) for (const f of o.pending ?? []) fs.renameSync(f.temp, f.target);
    for (const n of names) expect(read(root, `pool/${n}.csv`)).toBe(read(root, `one/${n}.csv`));
  }, 60_000);
});
